#pragma once
// A job run and the tasks it launched, as agora-batch records them. Each run is one record in
// the store, written before anything it decides is acted on; the run's history entries are
// these records once they end (pruned to the job's history limits).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/types.hpp"
#include "frameworks/batch/job.hpp"
#include "frameworks/batch/schedule_time.hpp"

namespace agora::batch {

// Metronome's run statuses: nothing launched yet; launched, none running; a task running;
// and the two ends.
enum class RunStatus { kInitial, kStarting, kActive, kSuccess, kFailed };
const char* runStatusName(RunStatus s);

// What made the run: a schedule's slot, a call to POST /runs, or its parents succeeding.
enum class Trigger { kSchedule, kApi, kDependency };
const char* triggerName(Trigger t);

// One task launched for one index of the run; a retry is a new attempt.
struct TaskAttempt {
  std::string taskId;
  uint32_t index = 0;
  TaskState state = TaskState::STAGING;
  // An update came for it, so it reached the master. An attempt never heard of that the master
  // does not know was never launched (a crash between the write and the launch).
  bool heard = false;
  std::optional<int> exitCode;
  std::optional<int> signal;
  std::string agentId, host, agentHttp, sandbox, message, reason;
  double createdAt = 0, startedAt = 0, completedAt = 0;
  bool killSent = false;
  // Given up as unknown, then back while its index had moved on: killed, and its end (counted
  // when it was given up) does not count again.
  bool superseded = false;

  bool live() const { return !isTerminal(state) && state != TaskState::UNKNOWN; }
};

struct Run {
  std::string id;
  std::string jobId;
  Trigger trigger = Trigger::kApi;
  std::string scheduleId;     // of a scheduled run
  std::optional<Instant> slot;  // the scheduled instant: (job, schedule, slot) is the run's key
  RunStatus status = RunStatus::kInitial;
  double createdAt = 0, startedAt = 0, completedAt = 0;
  std::vector<TaskAttempt> tasks;  // every attempt, in launch order
  std::set<uint32_t> succeeded;    // indexes that completed
  uint32_t failures = 0;           // failures counted toward the retry limit
  double retryAt = 0;              // no launch before this (wall seconds): backoff
  std::string reason;              // why it failed, or that it was marked successful
  uint32_t attempts = 0;           // attempts made, for task ids
  JobSpec job;                     // the job as it was when the run was created

  bool ended() const { return status == RunStatus::kSuccess || status == RunStatus::kFailed; }
  // Not ended, or still has a task that has not ended (a failed run's kills take a moment).
  bool active() const;
  TaskAttempt* attempt(const std::string& taskId);
};

// "20261203210000-nightly" for a scheduled run: one id per (schedule, slot), so a second run
// for the same key cannot be created. Otherwise Metronome's form, the time and five letters.
std::string scheduledRunId(const std::string& scheduleId, Instant slot);
std::string newRunId(double wallSeconds);
// "<job>_<run>.<index>.<attempt>": a task id says whose it is.
std::string taskIdFor(const Run& run, uint32_t index, uint32_t attempt);

// Metronome's time format, "2026-12-03T21:00:00.000+0000"; null for 0.
nlohmann::json runTime(double wallSeconds);

// As GET /runs shows it (Metronome's fields and Agora's); each task's stdout and stderr link
// to its agent's file API, which needs the framework id.
nlohmann::json runToJson(const Run& run, const std::string& frameworkId);
// As stored: the same with the job spec it ran.
nlohmann::json storedRunToJson(const Run& run);
Try<Run> storedRunFromJson(const nlohmann::json& j);

}  // namespace agora::batch
