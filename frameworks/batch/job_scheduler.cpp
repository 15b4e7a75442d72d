#include "frameworks/batch/job_scheduler.hpp"

#include <algorithm>

#include <glog/logging.h>

#include "frameworks/batch/job_json.hpp"
#include "frameworks/batch/run_progress.hpp"

namespace agora::batch {

using nlohmann::json;

std::string scheduleKey(const std::string& jobId, const std::string& scheduleId) { return jobId + '\x1f' + scheduleId; }

Outcome unknownJob(const std::string& jobId) { return {404, {{"id", jobId}, {"message", "Job not found"}}}; }
Outcome unknownRun(const std::string& jobId, const std::string& runId) {
  return {404, {{"jobSpec", jobId}, {"id", runId}, {"message", "Job Run not found"}}};
}
Outcome unknownSchedule(const std::string& scheduleId) {
  return {404, {{"id", scheduleId}, {"message", "Schedule not found"}}};
}

JobScheduler::JobScheduler(EventLoop& loop, std::unique_ptr<Store> store, SchedulerOptions options)
    : loop_(loop), options_(std::move(options)), journal_(std::move(store)) {}

JobScheduler::~JobScheduler() {
  if (wake_) loop_.cancel(wake_);
}

Status JobScheduler::recover() {
  startedAt_ = now();
  Try<std::optional<std::string>> id = journal_.get("framework-id");
  if (id.isError()) return Error(id.error());
  if (*id) {
    json stored = json::parse(**id, nullptr, false);
    if (!stored.is_string()) return Error("the stored framework id is damaged; remove --work_dir to start afresh");
    frameworkId_ = stored.get<std::string>();
  }
  Try<std::map<std::string, json>> jobs = journal_.scan("job/");
  if (jobs.isError()) return Error(jobs.error());
  for (const auto& [key, j] : *jobs) {
    Try<JobSpec> job = storedJobFromJson(j);
    if (job.isError()) return Error(key + ": " + job.error());
    jobs_[job->id] = *job;
    indexParents(*job, true);
  }
  Try<std::map<std::string, json>> cursors = journal_.scan("cursor/");
  if (cursors.isError()) return Error(cursors.error());
  Instant nowInstant = date::floor<std::chrono::seconds>(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(now()))));
  for (const auto& [id, job] : jobs_) {
    for (const ScheduleSpec& s : job.schedules) {
      auto it = cursors->find("cursor/" + id + "/" + s.id);
      Instant cursor = nowInstant;
      if (it != cursors->end()) cursor = Instant(std::chrono::seconds(it->second.value("at", int64_t{0})));
      addSchedule(job, s, cursor);
      if (it != cursors->end()) {
        ScheduleState& st = schedules_[scheduleKey(id, s.id)];
        st.missed = it->second.value("missed", uint64_t{0});
        if (it->second.contains("lastMissed")) st.lastMissed = Instant(std::chrono::seconds(it->second["lastMissed"].get<int64_t>()));
        st.lastMissedWhy = it->second.value("lastMissedWhy", "");
      }
    }
  }
  Try<std::map<std::string, json>> runs = journal_.scan("run/");
  if (runs.isError()) return Error(runs.error());
  for (const auto& [key, j] : *runs) {
    Try<Run> run = storedRunFromJson(j);
    if (run.isError()) return Error(key + ": " + run.error());
    RunKey rk{run->jobId, run->id};
    for (const TaskAttempt& t : run->tasks) runOfTask_[t.taskId] = rk;
    if (run->active()) active_.insert(rk);
    runs_[run->jobId][run->id] = std::move(*run);
  }
  Try<std::map<std::string, json>> deps = journal_.scan("dep/");
  if (deps.isError()) return Error(deps.error());
  for (const auto& [key, j] : *deps) {
    DependencyState& d = dependencies_[key.substr(4)];
    if (j.contains("succeeded") && j["succeeded"].is_array())
      for (const json& p : j["succeeded"]) d.succeeded.insert(p.get<std::string>());
    if (j.contains("blockedBy") && j["blockedBy"].is_object())
      for (const auto& [p, why] : j["blockedBy"].items()) d.blockedBy[p] = why.get<std::string>();
  }
  Try<std::map<std::string, json>> stats = journal_.scan("stats/");
  if (stats.isError()) return Error(stats.error());
  for (const auto& [key, j] : *stats)
    stats_[key.substr(6)] = {j.value("successCount", uint64_t{0}), j.value("failureCount", uint64_t{0}),
                             j.value("lastSuccessAt", 0.0), j.value("lastFailureAt", 0.0)};
  LOG(INFO) << "Recovered " << jobs_.size() << " jobs, " << schedules_.size() << " schedules and " << active_.size()
            << " active runs" << (frameworkId_.empty() ? "" : " of framework " + frameworkId_);
  return Status::OK();
}

void JobScheduler::registered(sdk::SchedulerDriver& driver, const std::string& frameworkId, bool reregistered) {
  (void)driver;
  connected_ = true;
  suppressed_ = false;
  held_.clear();  // offers of an earlier subscription are void
  if (frameworkId != frameworkId_) {
    frameworkId_ = frameworkId;
    journal_.put("framework-id", frameworkId);
  }
  LOG(INFO) << (reregistered ? "Re-registered" : "Registered") << " as framework " << frameworkId;
  // Kills not yet answered go again on this subscription.
  for (const RunKey& key : active_)
    if (Run* r = findRun(key.first, key.second); r && r->ended())
      for (TaskAttempt& t : r->tasks) t.killSent = false;
  requestSettle();
}

void JobScheduler::disconnected(sdk::SchedulerDriver& driver) {
  (void)driver;
  connected_ = false;
  held_.clear();
  LOG(WARNING) << "Lost the master; the driver subscribes again";
}

void JobScheduler::error(sdk::SchedulerDriver& driver, const std::string& message) {
  (void)driver;
  LOG(ERROR) << "Error from the master: " << message;
  ++counters_["master_errors"];
}

std::vector<std::string> JobScheduler::knownTaskIds() {
  std::vector<std::string> ids;
  for (const RunKey& key : active_)
    if (const Run* r = run(key.first, key.second))
      for (const TaskAttempt& t : r->tasks)
        if (t.live()) ids.push_back(t.taskId);
  return ids;
}

const JobSpec* JobScheduler::job(const std::string& id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

std::vector<const Run*> JobScheduler::runsOf(const std::string& jobId) const {
  std::vector<const Run*> out;
  auto it = runs_.find(jobId);
  if (it == runs_.end()) return out;
  for (const auto& [id, r] : it->second) out.push_back(&r);
  std::sort(out.begin(), out.end(), [](const Run* a, const Run* b) { return a->createdAt < b->createdAt; });
  return out;
}

const Run* JobScheduler::run(const std::string& jobId, const std::string& runId) const {
  auto it = runs_.find(jobId);
  if (it == runs_.end()) return nullptr;
  auto r = it->second.find(runId);
  return r == it->second.end() ? nullptr : &r->second;
}

Run* JobScheduler::findRun(const std::string& jobId, const std::string& runId) {
  return const_cast<Run*>(static_cast<const JobScheduler*>(this)->run(jobId, runId));
}

const ScheduleState* JobScheduler::scheduleState(const std::string& jobId, const std::string& scheduleId) const {
  auto it = schedules_.find(scheduleKey(jobId, scheduleId));
  return it == schedules_.end() ? nullptr : &it->second;
}

const DependencyState* JobScheduler::dependencyState(const std::string& jobId) const {
  auto it = dependencies_.find(jobId);
  return it == dependencies_.end() ? nullptr : &it->second;
}

JobStats JobScheduler::stats(const std::string& jobId) const {
  auto it = stats_.find(jobId);
  return it == stats_.end() ? JobStats{} : it->second;
}

std::vector<std::string> JobScheduler::childrenOf(const std::string& jobId) const {
  auto it = children_.find(jobId);
  return it == children_.end() ? std::vector<std::string>{} : std::vector<std::string>(it->second.begin(), it->second.end());
}

ParentsOf JobScheduler::graph() const {
  ParentsOf g;
  for (const auto& [id, j] : jobs_) g[id] = j.dependencies;
  return g;
}

void JobScheduler::resourceOffers(sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) {
  (void)driver;
  held_.insert(held_.end(), offers.begin(), offers.end());
  useOffers();
  requestSettle();
}

void JobScheduler::offerRescinded(sdk::SchedulerDriver& driver, const std::string& offerId) {
  (void)driver;
  held_.erase(std::remove_if(held_.begin(), held_.end(), [&](const Offer& o) { return o.id == offerId; }), held_.end());
}

// Each index the active runs want launched now, the oldest run first.
std::vector<std::pair<JobScheduler::RunKey, uint32_t>> JobScheduler::wantedLaunches() const {
  double t = now();
  std::vector<std::pair<RunKey, uint32_t>> wants;
  std::vector<const Run*> ordered;
  for (const RunKey& key : active_)
    if (const Run* r = run(key.first, key.second)) ordered.push_back(r);
  std::sort(ordered.begin(), ordered.end(), [](const Run* a, const Run* b) { return a->createdAt < b->createdAt; });
  for (const Run* r : ordered)
    for (uint32_t index : indexesToLaunch(*r, t)) wants.push_back({{r->jobId, r->id}, index});
  return wants;
}

bool JobScheduler::slotSoon() const {
  std::optional<Instant> soonest = due_.earliest();
  return soonest && static_cast<double>(soonest->time_since_epoch().count()) - now() <= options_.reviveAheadSeconds;
}

void JobScheduler::useOffers() {
  if (held_.empty()) return;
  std::vector<std::pair<RunKey, uint32_t>> wants = wantedLaunches();
  if (wants.empty() && slotSoon()) return;
  std::vector<sdk::AgentOffers> agents = sdk::groupByAgent(held_);
  held_.clear();
  double refuse = wants.empty() ? options_.declineSeconds : 1;
  for (sdk::AgentOffers& agent : agents) {
    if (!wants.empty() && launchOn(agent, wants) > 0) continue;
    if (driver_)
      for (const std::string& id : agent.offerIds) driver_->declineOffer(id, refuse);
  }
}

// Packs as many wanted tasks as fit into one agent's offers and takes them out of `wants`; a
// task that does not fit (its size or its constraints) is left for another agent.
size_t JobScheduler::launchOn(sdk::AgentOffers& agent, std::vector<std::pair<RunKey, uint32_t>>& wants) {
  std::vector<TaskInfo> tasks;
  std::vector<std::pair<RunKey, uint32_t>> left;
  double t = now();
  for (const auto& want : wants) {
    Run* r = findRun(want.first.first, want.first.second);
    if (!r) continue;
    Try<sdk::Taken> taken = fit(agent, r->job.run);
    if (taken.isError()) {
      left.push_back(want);
      continue;
    }
    TaskAttempt a;
    a.index = want.second;
    a.taskId = taskIdFor(*r, a.index, r->attempts++);
    a.createdAt = t;
    a.agentId = agent.agentId;
    a.host = agent.hostname;
    r->tasks.push_back(a);
    runOfTask_[a.taskId] = want.first;
    if (r->status == RunStatus::kInitial) r->status = RunStatus::kStarting;
    tasks.push_back(taskFor(*r, a, *taken));
    storeRun(*r);
    ++counters_["tasks_launched"];
  }
  wants = std::move(left);
  size_t launched = tasks.size();
  if (launched == 0) return 0;
  // Launched only once the attempts are durable: a restart then knows every task it may own.
  journal_.then([this, offerIds = agent.offerIds, tasks = std::move(tasks)] {
    if (driver_) driver_->launchTasks(offerIds, tasks, 1);
  });
  return launched;
}

Try<sdk::Taken> JobScheduler::fit(sdk::AgentOffers& agent, const RunSpec& spec) const {
  for (const PlacementConstraint& c : spec.constraints) {
    Try<sdk::Constraint> parsed = sdk::parseConstraint({c.attribute, c.op, c.value});
    if (parsed.isError()) return Error(parsed.error());
    Status ok = sdk::satisfies(*parsed, agent.hostname, agent.attributes, {});
    if (!ok.ok()) return Error(ok.error());
  }
  sdk::TaskNeeds needs;
  const std::pair<const char*, double> wanted[] = {
      {"cpus", spec.cpus}, {"mem", spec.mem}, {"disk", spec.disk}, {"gpus", spec.gpus}};
  for (auto [name, amount] : wanted) {
    if (amount <= 0) continue;
    Status added = needs.scalars.add(Resource::scalar(name, amount));
    if (!added.ok()) return Error("the job asks for " + std::string(name) + " no agent can hold: " + added.error());
  }
  needs.acceptedRoles = {options_.role, "*"};
  return sdk::take(agent, needs);
}

TaskInfo JobScheduler::taskFor(const Run& run, const TaskAttempt& attempt, const sdk::Taken& taken) const {
  const RunSpec& spec = run.job.run;
  TaskInfo task;
  task.taskId = attempt.taskId;
  task.name = run.jobId;
  task.resources = taken.resources;
  if (!spec.cmd.empty()) {
    task.command.value = spec.cmd;
  } else {
    task.command.shell = false;
    task.command.value = spec.args.front();
    task.command.arguments = spec.args;
  }
  task.command.environment = spec.env;
  task.command.environment["AGORA_JOB_ID"] = run.jobId;
  task.command.environment["AGORA_JOB_RUN_ID"] = run.id;
  task.command.environment["AGORA_JOB_INDEX"] = std::to_string(attempt.index);
  task.command.environment["AGORA_JOB_COMPLETIONS"] = std::to_string(spec.completions);
  if (run.slot) task.command.environment["AGORA_JOB_SCHEDULED_AT"] = formatUtc(*run.slot);
  task.labels = run.job.labels;
  task.user = spec.user;
  if (spec.taskKillGracePeriodSeconds > 0) task.killGracePeriodSeconds = spec.taskKillGracePeriodSeconds;
  // The agent enforces what is left of the run's deadline, so a task ends on time even while
  // agora-batch is away.
  if (spec.activeDeadlineSeconds > 0)
    task.maxCompletionTimeSeconds = std::max(1.0, run.createdAt + spec.activeDeadlineSeconds - now());
  return task;
}

void JobScheduler::statusUpdate(sdk::SchedulerDriver& driver, const TaskStatus& status) {
  (void)driver;
  auto it = runOfTask_.find(status.taskId);
  Run* r = it == runOfTask_.end() ? nullptr : findRun(it->second.first, it->second.second);
  TaskAttempt* a = r ? r->attempt(status.taskId) : nullptr;
  if (!a) {
    if (!isTerminal(status.state) && status.state != TaskState::UNKNOWN) {
      LOG(WARNING) << "Task " << status.taskId << " is " << stateName(status.state)
                   << " but belongs to no run of this framework; killing it";
      journal_.then([this, taskId = status.taskId] {
        if (driver_) driver_->killTask(taskId);
      });
    }
  } else if (a->state == TaskState::UNKNOWN && status.state != TaskState::UNKNOWN) {
    resurrected(*r, *a, status);
  } else if (a->live()) {
    recordTaskStatus(*a, status);
    if (!a->live() && !a->superseded) {
      bool wasEnded = r->ended();
      applyTaskEnd(*r, *a, now());
      if (!wasEnded && r->ended()) runEnded(*r);
    }
    updateRunStatus(*r);
    leaveActiveIfDone(*r);
    storeRun(*r);
  }
  // Acknowledged once what it means is durable: a crash before then gets it again.
  journal_.then([this, status] {
    if (driver_) driver_->acknowledge(status);
  });
  requestSettle();
}

// An attempt given up as unknown turned out to live (its agent came back after the master
// answered). Its end was counted then, so it never counts again. It is killed if its run has
// ended or its index is done or taken by a later attempt; otherwise the run adopts it, and the
// failure its loss counted is taken back.
void JobScheduler::resurrected(Run& r, TaskAttempt& a, const TaskStatus& status) {
  bool countedFailure = a.heard;
  recordTaskStatus(a, status);
  if (a.live()) {
    bool taken = r.ended() || r.succeeded.count(a.index) > 0;
    for (const TaskAttempt& other : r.tasks) taken = taken || (&other != &a && other.index == a.index && other.live());
    if (taken) {
      LOG(WARNING) << "Task " << a.taskId << " of run " << r.id << " came back after it was given up; killing it";
      a.superseded = true;
      a.killSent = false;
      killTask(a);
    } else {
      LOG(INFO) << "Task " << a.taskId << " of run " << r.id << " came back after it was given up; adopting it";
      if (countedFailure && r.failures > 0) --r.failures;
      r.retryAt = 0;
    }
    active_.insert({r.jobId, r.id});  // until it ends
    updateRunStatus(r);
  }
  storeRun(r);
}

void JobScheduler::recordTaskStatus(TaskAttempt& a, const TaskStatus& status) {
  double t = now();
  a.state = status.state;
  if (status.state != TaskState::UNKNOWN) a.heard = true;
  if (!status.message.empty()) a.message = status.message;
  if (!status.agentId.empty()) a.agentId = status.agentId;
  if (!status.agentHostname.empty()) a.host = status.agentHostname;
  if (!status.agentHttpAddress.empty()) a.agentHttp = status.agentHttpAddress;
  if (!status.sandbox.empty()) a.sandbox = status.sandbox;
  if (status.state == TaskState::RUNNING && a.startedAt == 0) a.startedAt = t;
  if (status.state == TaskState::RUNNING) {
    auto it = runOfTask_.find(a.taskId);
    if (Run* r = findRun(it->second.first, it->second.second); r && r->startedAt == 0) r->startedAt = t;
  }
  if (!a.live()) {
    a.completedAt = t;
    a.reason = reasonName(status.reason);
    if (status.reason == TaskReason::COMMAND_SIGNALED && status.exitCode && *status.exitCode > 128)
      a.signal = *status.exitCode - 128;
    else a.exitCode = status.exitCode;
  }
}

bool JobScheduler::wantsOffers() const {
  double t = now();
  for (const RunKey& key : active_)
    if (const Run* r = run(key.first, key.second); r && !indexesToLaunch(*r, t).empty()) return true;
  return slotSoon();  // offers wait for it, so its run starts on time
}

void JobScheduler::adjustOfferFlow() {
  if (!driver_ || !connected_) return;
  bool want = wantsOffers();
  if (want && suppressed_) {
    suppressed_ = false;
    journal_.then([this] {
      if (driver_) driver_->reviveOffers();
    });
  } else if (!want && !suppressed_) {
    suppressed_ = true;
    journal_.then([this] {
      if (driver_) driver_->suppressOffers();
    });
  }
}

void JobScheduler::settle() {
  if (settling_) return;
  settling_ = true;
  for (int round = 0; round < 4; ++round) {
    fireDue();
    checkDeadlines();
    for (const std::string& jobId : prune_) pruneHistory(jobId);
    prune_.clear();
    stopEndedRuns();
    useOffers();  // a slot that just came due, a backoff that ended
    adjustOfferFlow();
    if (!journal_.commit().ok()) break;  // the wake timer tries again
    if (!journal_.pending()) break;
  }
  scheduleWake();
  settling_ = false;
}

void JobScheduler::requestSettle() {
  if (settleQueued_) return;
  settleQueued_ = true;
  loop_.post([this] {
    settleQueued_ = false;
    settle();
  });
}

void JobScheduler::scheduleWake() {
  double t = now();
  std::optional<double> next;
  auto consider = [&](double at) {
    if (!next || at < *next) next = at;
  };
  if (journal_.pending()) consider(t + 1);
  if (std::optional<Instant> slot = due_.earliest()) {
    double at = static_cast<double>(slot->time_since_epoch().count());
    consider(at);
    if (suppressed_ && at - options_.reviveAheadSeconds > t) consider(at - options_.reviveAheadSeconds);
  }
  for (const RunKey& key : active_)
    if (const Run* r = run(key.first, key.second))
      if (std::optional<double> at = nextRunEvent(*r, t)) consider(*at);
  if (!next) return;
  TimePoint mono = loop_.clock().now();
  TimePoint at = mono + seconds(std::max(0.0, *next - t) + 0.0005);
  if (wake_ && wakeAt_ <= at && wakeAt_ > mono) return;  // an earlier wake is set
  if (wake_) loop_.cancel(wake_);
  wakeAt_ = at;
  wake_ = loop_.after(at - mono, [this] {
    wake_ = 0;
    settle();
  });
}

}  // namespace agora::batch
