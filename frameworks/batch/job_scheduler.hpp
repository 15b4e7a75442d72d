#pragma once
// agora-batch's state and its one loop: jobs, their schedules' cursors, runs and dependency
// state, driven by the schedule clock, offers, status updates and API calls. Every entry ends
// in settle(): due slots become runs, deadlines end runs, offers are revived or suppressed,
// and the journal is committed before anything is acted on (a launch, a kill, an
// acknowledgement, an HTTP answer).
//
// Exactly once per slot: a slot's run (its id made from the schedule and the slot) is written
// in the same batch as the schedule's cursor, before any task of it is launched; a slot at or
// before the cursor is never considered again, and a run id that exists is never created
// again. Each task attempt is written before it is launched; after a restart, attempts the
// master knows are adopted, and one it does not know that was never heard of is launched again
// (it never left), so no run gets a second task for one index.

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/event_loop.hpp"
#include "common/journal.hpp"
#include "frameworks/batch/dependency_graph.hpp"
#include "frameworks/batch/due_queue.hpp"
#include "frameworks/batch/job.hpp"
#include "frameworks/batch/run.hpp"
#include "frameworks/sdk/offer_matching.hpp"
#include "frameworks/sdk/scheduler.hpp"

namespace agora::batch {

struct SchedulerOptions {
  std::string role = "*";
  double declineSeconds = 120;  // for offers nothing wants
  // Offers are revived this long before a slot comes due, so that its run finds them waiting.
  double reviveAheadSeconds = 2;
};

// An answer to a change: 2xx with the body to give once it is durable, or an error now.
struct Outcome {
  int status = 200;
  nlohmann::json body;
};

// What a job's runs came to, kept beyond the history limits (Metronome's history summary).
struct JobStats {
  uint64_t successCount = 0, failureCount = 0;
  double lastSuccessAt = 0, lastFailureAt = 0;
};

// Metronome's 404 bodies.
Outcome unknownJob(const std::string& jobId);
Outcome unknownRun(const std::string& jobId, const std::string& runId);
Outcome unknownSchedule(const std::string& scheduleId);

// A schedule's place in time.
struct ScheduleState {
  std::optional<CronSchedule> cron;
  Instant cursor{};                // the last slot decided
  uint64_t missed = 0;             // slots that did not run (deadline, catch-up policy, FORBID)
  std::optional<Instant> lastMissed;
  std::string lastMissedWhy;
  std::optional<Instant> held;     // a slot waiting for the job's active run (FORBID)
};

class JobScheduler : public sdk::Scheduler {
 public:
  JobScheduler(EventLoop& loop, std::unique_ptr<Store> store, SchedulerOptions options);
  ~JobScheduler() override;

  // Reads an earlier run's state; slots missed while it was down wait for the first settle,
  // which applies each schedule's catch-up policy.
  Status recover();
  std::string frameworkId() const { return frameworkId_; }
  void attach(sdk::SchedulerDriver& driver) { driver_ = &driver; }

  // sdk::Scheduler
  void registered(sdk::SchedulerDriver& driver, const std::string& frameworkId, bool reregistered) override;
  void disconnected(sdk::SchedulerDriver& driver) override;
  void resourceOffers(sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) override;
  void offerRescinded(sdk::SchedulerDriver& driver, const std::string& offerId) override;
  void statusUpdate(sdk::SchedulerDriver& driver, const TaskStatus& status) override;
  void error(sdk::SchedulerDriver& driver, const std::string& message) override;
  std::vector<std::string> knownTaskIds() override;

  // Changes, from the API; each takes effect once persisted (then() runs after that).
  Outcome createJob(const JobSpec& job);
  Outcome updateJob(const JobSpec& job);
  Outcome removeJob(const std::string& id, bool stopRuns);
  Outcome putSchedule(const std::string& jobId, const ScheduleSpec& s, bool create);
  Outcome removeSchedule(const std::string& jobId, const std::string& scheduleId);
  Outcome setEnabled(const std::string& jobId, bool enabled);  // suspend / resume every schedule
  Outcome startRun(const std::string& jobId);
  Outcome stopRun(const std::string& jobId, const std::string& runId);
  Outcome markSuccess(const std::string& jobId, const std::string& runId);
  void then(std::function<void()> action) { journal_.then(std::move(action)); }

  void settle();
  void requestSettle();
  bool hasPendingWork() const { return journal_.pending(); }

  // Reads.
  const std::map<std::string, JobSpec>& jobs() const { return jobs_; }
  const JobSpec* job(const std::string& id) const;
  // Every run of the job kept (active and history), oldest first.
  std::vector<const Run*> runsOf(const std::string& jobId) const;
  const Run* run(const std::string& jobId, const std::string& runId) const;
  const ScheduleState* scheduleState(const std::string& jobId, const std::string& scheduleId) const;
  std::optional<Instant> nextSlot(const std::string& jobId, const std::string& scheduleId) const;
  const DependencyState* dependencyState(const std::string& jobId) const;
  JobStats stats(const std::string& jobId) const;
  ParentsOf graph() const;
  // The jobs that depend on `jobId`, from an index kept with the jobs (not a pass over them).
  std::vector<std::string> childrenOf(const std::string& jobId) const;
  bool connected() const { return connected_; }
  double now() const { return loop_.clock().wallSeconds(); }
  const std::map<std::string, double>& counters() const { return counters_; }
  size_t activeRunCount() const { return active_.size(); }
  size_t dueQueueSize() const { return due_.size(); }

 private:
  using RunKey = std::pair<std::string, std::string>;  // job id, run id

  // job_scheduler_jobs.cpp
  void storeJob(const JobSpec& job);
  void indexParents(const JobSpec& job, bool add);
  std::optional<std::string> dependencyError(const JobSpec& job) const;
  void addSchedule(const JobSpec& job, const ScheduleSpec& s, Instant cursor);
  void dropSchedule(const std::string& jobId, const std::string& scheduleId);
  void storeCursor(const std::string& jobId, const std::string& scheduleId);

  // job_scheduler_clock.cpp
  void fireDue();
  void fire(const std::string& jobId, const std::string& scheduleId);
  void requeue(const std::string& jobId, const std::string& scheduleId);

  // job_scheduler_runs.cpp
  Run& createRun(const JobSpec& job, Trigger trigger, const std::string& scheduleId, std::optional<Instant> slot);
  void storeRun(const Run& run);
  void runEnded(Run& run);
  void leaveActiveIfDone(const Run& run);
  void stopEndedRuns();
  void resurrected(Run& run, TaskAttempt& attempt, const TaskStatus& status);
  void stopTasks(Run& run);
  void killTask(TaskAttempt& attempt);
  void endRun(Run& run, RunStatus status, const std::string& reason);
  void checkDeadlines();
  void pruneHistory(const std::string& jobId);
  void fireChildren(const Run& parent);
  void storeDependencies(const std::string& jobId);
  void recordTaskStatus(TaskAttempt& attempt, const TaskStatus& status);
  Run* findRun(const std::string& jobId, const std::string& runId);

  // job_scheduler.cpp
  // Launches what is wanted on the held offers and declines the rest; keeps them all while
  // nothing is wanted but a slot is about to come due, so its run starts without waiting for
  // an allocation cycle.
  void useOffers();
  std::vector<std::pair<RunKey, uint32_t>> wantedLaunches() const;
  bool slotSoon() const;
  size_t launchOn(sdk::AgentOffers& agent, std::vector<std::pair<RunKey, uint32_t>>& wants);
  Try<sdk::Taken> fit(sdk::AgentOffers& agent, const RunSpec& spec) const;
  TaskInfo taskFor(const Run& run, const TaskAttempt& attempt, const sdk::Taken& taken) const;
  bool wantsOffers() const;
  void adjustOfferFlow();
  void scheduleWake();

  EventLoop& loop_;
  SchedulerOptions options_;
  Journal journal_;
  sdk::SchedulerDriver* driver_ = nullptr;
  std::string frameworkId_;
  bool connected_ = false;
  bool suppressed_ = false;
  double startedAt_ = 0;  // wall seconds when this process started: earlier slots were missed while down

  std::map<std::string, JobSpec> jobs_;
  std::map<std::string, std::map<std::string, Run>> runs_;  // job -> run id -> run
  std::set<RunKey> active_;
  std::unordered_map<std::string, RunKey> runOfTask_;
  std::map<std::string, ScheduleState> schedules_;  // scheduleKey(job, schedule) -> state
  std::map<std::string, DependencyState> dependencies_;
  std::map<std::string, JobStats> stats_;
  std::map<std::string, std::set<std::string>> children_;  // parent -> the jobs that depend on it
  DueQueue due_;
  std::map<std::string, double> counters_;
  std::vector<Offer> held_;  // offers not yet used or declined
  std::set<std::string> prune_;  // jobs whose history may have grown past its limits
  EventLoop::TimerId wake_ = 0;
  TimePoint wakeAt_{};
  bool settling_ = false;
  bool settleQueued_ = false;
};

// "job\x1fschedule": a schedule's key in the clock's queue.
std::string scheduleKey(const std::string& jobId, const std::string& scheduleId);

}  // namespace agora::batch
