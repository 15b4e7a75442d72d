// Runs: created by a slot, the API or their parents; ended by their tasks, a deadline, a stop
// or a mark of success; pruned to the job's history limits; and their dependants fired.
#include <algorithm>

#include <glog/logging.h>

#include "frameworks/batch/job_scheduler.hpp"
#include "frameworks/batch/run_progress.hpp"

namespace agora::batch {

using nlohmann::json;

void JobScheduler::storeRun(const Run& run) { journal_.put("run/" + run.jobId + "/" + run.id, storedRunToJson(run)); }

void JobScheduler::storeDependencies(const std::string& jobId) {
  const DependencyState& d = dependencies_[jobId];
  journal_.put("dep/" + jobId, {{"succeeded", d.succeeded}, {"blockedBy", d.blockedBy}});
}

Run& JobScheduler::createRun(const JobSpec& job, Trigger trigger, const std::string& scheduleId, std::optional<Instant> slot) {
  double t = now();
  std::string id = slot ? scheduledRunId(scheduleId, *slot) : newRunId(t);
  auto& runs = runs_[job.id];
  while (!slot && runs.count(id)) id = newRunId(t);
  auto existing = runs.find(id);
  if (existing != runs.end()) {
    // The slot's run exists: a second one for the same key is never made.
    LOG(WARNING) << "Run " << id << " of job " << job.id << " exists; slot " << formatUtc(*slot) << " is not run again";
    return existing->second;
  }
  Run& r = runs[id];
  r.id = id;
  r.jobId = job.id;
  r.trigger = trigger;
  r.scheduleId = scheduleId;
  r.slot = slot;
  r.createdAt = t;
  r.job = job;
  active_.insert({job.id, id});
  storeRun(r);
  if (!job.dependencies.empty()) {
    started(dependencies_[job.id]);
    storeDependencies(job.id);
  }
  ++counters_["runs_started"];
  LOG(INFO) << "Run " << id << " of job " << job.id << " created (" << triggerName(trigger) << ")";
  return r;
}

void JobScheduler::stopTasks(Run& run) {
  for (TaskAttempt& t : run.tasks) killTask(t);
}

void JobScheduler::killTask(TaskAttempt& t) {
  if (!t.live() || t.killSent) return;
  t.killSent = true;
  ++counters_["kills_sent"];
  journal_.then([this, taskId = t.taskId] {
    if (driver_) driver_->killTask(taskId);
  });
}

void JobScheduler::endRun(Run& run, RunStatus status, const std::string& reason) {
  if (run.ended()) return;
  finishRun(run, status, reason, now());
  runEnded(run);
  storeRun(run);
}

// Once, when a run has just ended: its live tasks go, its dependants hear, its history is
// pruned, and once no task of it lives, a slot held for it (FORBID) is looked at again.
void JobScheduler::runEnded(Run& run) {
  ++counters_[run.status == RunStatus::kSuccess ? "runs_succeeded" : "runs_failed"];
  LOG(INFO) << "Run " << run.id << " of job " << run.jobId << " ended " << runStatusName(run.status)
            << (run.reason.empty() ? "" : ": " + run.reason);
  stopTasks(run);
  leaveActiveIfDone(run);
  JobStats& st = stats_[run.jobId];
  if (run.status == RunStatus::kSuccess) ++st.successCount, st.lastSuccessAt = run.completedAt;
  else ++st.failureCount, st.lastFailureAt = run.completedAt;
  journal_.put("stats/" + run.jobId, {{"successCount", st.successCount}, {"failureCount", st.failureCount},
                                      {"lastSuccessAt", st.lastSuccessAt}, {"lastFailureAt", st.lastFailureAt}});
  fireChildren(run);
  prune_.insert(run.jobId);  // in settle: the caller still holds this run
}

void JobScheduler::leaveActiveIfDone(const Run& run) {
  if (run.active() || active_.erase({run.jobId, run.id}) == 0) return;
  // A slot held for the job's active run (FORBID) is looked at again.
  if (const JobSpec* j = job(run.jobId))
    for (const ScheduleSpec& s : j->schedules)
      if (const ScheduleState* st = scheduleState(j->id, s.id); st && st->held) due_.set(scheduleKey(j->id, s.id), Instant{});
}

// Ended runs' tasks that are still alive: their kills go (again, after a new subscription).
void JobScheduler::stopEndedRuns() {
  if (!connected_) return;
  for (const RunKey& key : active_)
    if (Run* r = findRun(key.first, key.second); r && r->ended()) stopTasks(*r);
}

void JobScheduler::fireChildren(const Run& parent) {
  for (const std::string& child : childrenOf(parent.jobId)) {
    DependencyState& d = dependencies_[child];
    const JobSpec& childJob = jobs_.at(child);
    if (parent.status == RunStatus::kSuccess) {
      if (parentSucceeded(d, childJob.dependencies, parent.jobId)) {
        LOG(INFO) << "Every parent of job " << child << " succeeded; starting it";
        createRun(childJob, Trigger::kDependency, "", std::nullopt);
      }
    } else {
      parentFailed(d, parent.jobId, "run " + parent.id + " of " + parent.jobId + " failed" +
                                        (parent.reason.empty() ? "" : ": " + parent.reason));
    }
    storeDependencies(child);
  }
}

void JobScheduler::pruneHistory(const std::string& jobId) {
  const JobSpec* j = job(jobId);
  if (!j) return;
  std::vector<const Run*> ended;
  for (const Run* r : runsOf(jobId))
    if (r->ended() && !r->active()) ended.push_back(r);
  size_t keepOk = j->successfulHistoryLimit, keepFailed = j->failedHistoryLimit;
  std::vector<std::string> drop;
  for (auto it = ended.rbegin(); it != ended.rend(); ++it) {
    size_t& keep = (*it)->status == RunStatus::kSuccess ? keepOk : keepFailed;
    if (keep > 0) --keep;
    else drop.push_back((*it)->id);
  }
  for (const std::string& id : drop) {
    Run& r = runs_[jobId].at(id);
    for (const TaskAttempt& t : r.tasks) runOfTask_.erase(t.taskId);
    journal_.remove("run/" + jobId + "/" + id);
    runs_[jobId].erase(id);
  }
}

void JobScheduler::checkDeadlines() {
  double t = now();
  for (const RunKey& key : std::set<RunKey>(active_)) {
    Run* r = findRun(key.first, key.second);
    if (!r) continue;
    if (std::optional<std::string> why = deadlinePassed(*r, t)) endRun(*r, RunStatus::kFailed, *why);
  }
}

Outcome JobScheduler::startRun(const std::string& jobId) {
  const JobSpec* j = job(jobId);
  if (!j) return unknownJob(jobId);
  Run& r = createRun(*j, Trigger::kApi, "", std::nullopt);
  return {201, runToJson(r, frameworkId_)};
}

Outcome JobScheduler::stopRun(const std::string& jobId, const std::string& runId) {
  if (!job(jobId)) return unknownJob(jobId);
  Run* r = findRun(jobId, runId);
  if (!r) return unknownRun(jobId, runId);
  if (r->ended()) return {409, {{"message", "Job Run " + runId + " has already ended " + runStatusName(r->status)}}};
  endRun(*r, RunStatus::kFailed, "stopped through the API");
  return {200, runToJson(*r, frameworkId_)};
}

Outcome JobScheduler::markSuccess(const std::string& jobId, const std::string& runId) {
  if (!job(jobId)) return unknownJob(jobId);
  Run* r = findRun(jobId, runId);
  if (!r) return unknownRun(jobId, runId);
  if (r->status == RunStatus::kSuccess) return {409, {{"message", "Job Run " + runId + " has already succeeded"}}};
  // A failed run may be marked too (a person fixed what it should have done): its dependants
  // fire as for a success.
  if (r->ended()) {
    JobStats& st = stats_[jobId];  // counted once, as the success it is now
    if (st.failureCount > 0) --st.failureCount;
    r->status = RunStatus::kActive;  // reopened only to end again as a success
    r->completedAt = 0;
  }
  endRun(*r, RunStatus::kSuccess, "marked successful through the API");
  return {200, runToJson(*r, frameworkId_)};
}

}  // namespace agora::batch
