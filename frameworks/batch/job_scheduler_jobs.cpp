// Jobs and their schedules: created, changed and removed from the API, each change written
// with the cursors and dependency state it touches.
#include <algorithm>

#include <glog/logging.h>

#include "frameworks/batch/job_json.hpp"
#include "frameworks/batch/job_scheduler.hpp"

namespace agora::batch {

using nlohmann::json;

namespace {

Instant instantOf(double wallSeconds) { return Instant(std::chrono::seconds(static_cast<int64_t>(wallSeconds))); }

}  // namespace

void JobScheduler::storeJob(const JobSpec& job) { journal_.put("job/" + job.id, jobToJson(job, true)); }

void JobScheduler::indexParents(const JobSpec& job, bool add) {
  for (const std::string& parent : job.dependencies) {
    if (add) {
      children_[parent].insert(job.id);
    } else if (auto it = children_.find(parent); it != children_.end()) {
      it->second.erase(job.id);
      if (it->second.empty()) children_.erase(it);
    }
  }
}

void JobScheduler::storeCursor(const std::string& jobId, const std::string& scheduleId) {
  const ScheduleState& st = schedules_.at(scheduleKey(jobId, scheduleId));
  json j = {{"at", st.cursor.time_since_epoch().count()}, {"missed", st.missed}};
  if (st.lastMissed) j["lastMissed"] = st.lastMissed->time_since_epoch().count(), j["lastMissedWhy"] = st.lastMissedWhy;
  journal_.put("cursor/" + jobId + "/" + scheduleId, j);
}

std::optional<std::string> JobScheduler::dependencyError(const JobSpec& job) const {
  std::string unknown;
  for (const std::string& parent : job.dependencies)
    if (!jobs_.count(parent)) unknown += (unknown.empty() ? "" : ", ") + parent;
  if (!unknown.empty()) return "Dependencies contain unknown jobs. unknown=[" + unknown + "]";
  if (job.dependencies.empty()) return std::nullopt;  // the rest of the graph has no cycle
  ParentsOf g = graph();
  g[job.id] = job.dependencies;
  if (std::optional<std::string> cycle = findCycle(g))
    return "Dependencies have a cycle: " + *cycle;
  return std::nullopt;
}

void JobScheduler::addSchedule(const JobSpec& job, const ScheduleSpec& s, Instant cursor) {
  ScheduleState& st = schedules_[scheduleKey(job.id, s.id)];
  Try<CronSchedule> cron = CronSchedule::make(s.cron, s.timezone);
  if (cron.isError()) {  // validated at the edge; only a zone removed from the system gets here
    LOG(ERROR) << "Schedule " << s.id << " of job " << job.id << " cannot run: " << cron.error();
    return;
  }
  st.cron = std::move(*cron);
  st.cursor = cursor;
  requeue(job.id, s.id);
}

void JobScheduler::dropSchedule(const std::string& jobId, const std::string& scheduleId) {
  std::string key = scheduleKey(jobId, scheduleId);
  schedules_.erase(key);
  due_.remove(key);
  journal_.remove("cursor/" + jobId + "/" + scheduleId);
}

Outcome JobScheduler::createJob(const JobSpec& job) {
  if (jobs_.count(job.id)) return {409, {{"message", "Job with this id already exists"}}};
  if (std::optional<std::string> bad = dependencyError(job)) return {422, {{"message", *bad}}};
  jobs_[job.id] = job;
  indexParents(job, true);
  storeJob(job);
  Instant from = instantOf(now());
  for (const ScheduleSpec& s : job.schedules) {
    addSchedule(job, s, from);
    storeCursor(job.id, s.id);
  }
  ++counters_["jobs_created"];
  return {201, jobToJson(job, true)};
}

Outcome JobScheduler::updateJob(const JobSpec& job) {
  auto it = jobs_.find(job.id);
  if (it == jobs_.end()) return unknownJob(job.id);
  if (std::optional<std::string> bad = dependencyError(job)) return {422, {{"message", *bad}}};
  // A schedule kept by id keeps its cursor (its slots are not run twice); a changed cron or
  // zone starts from now.
  std::map<std::string, ScheduleSpec> before;
  for (const ScheduleSpec& s : it->second.schedules) before[s.id] = s;
  indexParents(it->second, false);
  indexParents(job, true);
  it->second = job;  // before the schedules are queued: a suspended one waits outside the queue
  storeJob(job);
  Instant from = instantOf(now());
  for (const ScheduleSpec& s : job.schedules) {
    auto old = before.find(s.id);
    ScheduleState* st = old == before.end() ? nullptr : &schedules_[scheduleKey(job.id, s.id)];
    bool keep = st && old->second.cron == s.cron && old->second.timezone == s.timezone;
    Instant cursor = keep ? st->cursor : from;
    if (keep && !old->second.enabled && s.enabled) cursor = std::max(cursor, from);  // resumed: no catch-up of the pause
    if (st && !keep) st->held.reset();  // a slot of the old cron
    if (old != before.end()) before.erase(old);
    addSchedule(job, s, cursor);
    storeCursor(job.id, s.id);
  }
  for (const auto& [id, s] : before) dropSchedule(job.id, id);
  return {200, jobToJson(job, true)};
}

Outcome JobScheduler::removeJob(const std::string& id, bool stopRuns) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return unknownJob(id);
  std::vector<std::string> children = childrenOf(id);
  if (!children.empty()) {
    std::string names;
    for (const std::string& c : children) names += (names.empty() ? "" : ", ") + c;
    return {409, {{"message", "There are jobs with a dependency on " + id + ". children=[" + names + "]"}}};
  }
  std::vector<RunKey> active;
  for (const RunKey& key : active_)
    if (key.first == id) active.push_back(key);
  if (!active.empty() && !stopRuns)
    return {409, {{"message", "There are active job runs. Override with stopCurrentJobRuns=true"}}};
  for (const RunKey& key : active)
    if (Run* r = findRun(key.first, key.second)) {
      endRun(*r, RunStatus::kFailed, "stopped: the job was removed");
      stopTasks(*r);
    }
  json body = jobToJson(it->second, true);
  for (const ScheduleSpec& s : it->second.schedules) dropSchedule(id, s.id);
  for (auto& [runId, r] : runs_[id]) {
    journal_.remove("run/" + id + "/" + runId);
    for (const TaskAttempt& t : r.tasks) runOfTask_.erase(t.taskId);  // late updates are only acknowledged
  }
  for (auto a = active_.begin(); a != active_.end();) a = a->first == id ? active_.erase(a) : std::next(a);
  runs_.erase(id);
  dependencies_.erase(id);
  stats_.erase(id);
  journal_.remove("dep/" + id);
  journal_.remove("stats/" + id);
  journal_.remove("job/" + id);
  indexParents(it->second, false);
  jobs_.erase(it);
  return {200, body};
}

Outcome JobScheduler::putSchedule(const std::string& jobId, const ScheduleSpec& s, bool create) {
  auto it = jobs_.find(jobId);
  if (it == jobs_.end()) return unknownJob(jobId);
  JobSpec job = it->second;
  const ScheduleSpec* existing = job.schedule(s.id);
  if (create && existing) return {409, {{"message", "requirement failed: A schedule with id " + s.id + " already exists"}}};
  if (!create && !existing) return unknownSchedule(s.id);
  if (existing) *const_cast<ScheduleSpec*>(existing) = s;
  else job.schedules.push_back(s);
  Outcome o = updateJob(job);
  if (o.status >= 300) return o;
  return {create ? 201 : 200, scheduleToJson(s, nextSlot(jobId, s.id))};
}

Outcome JobScheduler::removeSchedule(const std::string& jobId, const std::string& scheduleId) {
  auto it = jobs_.find(jobId);
  if (it == jobs_.end()) return unknownJob(jobId);
  JobSpec job = it->second;
  auto s = std::find_if(job.schedules.begin(), job.schedules.end(), [&](const ScheduleSpec& x) { return x.id == scheduleId; });
  if (s == job.schedules.end()) return unknownSchedule(scheduleId);
  job.schedules.erase(s);
  Outcome o = updateJob(job);
  if (o.status >= 300) return o;
  return {200, nullptr};  // Metronome answers with an empty body
}

Outcome JobScheduler::setEnabled(const std::string& jobId, bool enabled) {
  auto it = jobs_.find(jobId);
  if (it == jobs_.end()) return unknownJob(jobId);
  JobSpec job = it->second;
  for (ScheduleSpec& s : job.schedules) s.enabled = enabled;
  return updateJob(job);
}

}  // namespace agora::batch
