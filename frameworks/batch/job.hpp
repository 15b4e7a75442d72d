#pragma once
// A job as Metronome's job spec has it (id, description, labels, run, schedules, dependencies),
// with what Kubernetes Jobs and Slurm arrays add on top: parallel and indexed completions,
// a retry limit with exponential backoff, an active deadline for the whole run, exit-code
// rules and history limits. Defaults are Metronome's where it has the field.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "frameworks/sdk/constraints.hpp"

namespace agora::batch {

enum class RestartPolicy { kNever, kOnFailure };
enum class ConcurrencyPolicy { kAllow, kForbid, kReplace };
// What happens to the slots that came due while agora-batch was not running.
enum class CatchUp { kSkip, kOnce, kAll };

// As Metronome writes it: {"attribute": "rack", "operator": "EQ", "value": "r1"}.
struct PlacementConstraint {
  std::string attribute;
  std::string op;
  std::string value;
};

struct RunSpec {
  std::string cmd;
  std::vector<std::string> args;
  double cpus = 1;
  double mem = 128;
  double disk = 0;
  uint32_t gpus = 0;
  std::map<std::string, std::string> env;
  std::vector<PlacementConstraint> constraints;
  double maxLaunchDelaySeconds = 3600;  // a run with no task running by then fails
  RestartPolicy restartPolicy = RestartPolicy::kNever;
  // With ON_FAILURE: how long after the run started failed tasks are still restarted; 0: ever.
  double restartDeadlineSeconds = 0;
  std::string user;
  double taskKillGracePeriodSeconds = 0;  // 0: the agent's default

  // Agora's additions.
  uint32_t completions = 1;  // tasks that must succeed, indexed 0..completions-1
  uint32_t parallelism = 1;  // at most this many at once
  // With ON_FAILURE: failures retried at most this many times in all (0: no limit but the
  // restart deadline), each after backoff * factor^(failures-1), up to maxBackoff.
  uint32_t maxRetries = 0;
  double backoffSeconds = 1;
  double backoffFactor = 2;
  double maxBackoffSeconds = 300;
  double activeDeadlineSeconds = 0;  // the whole run fails this long after it was created; 0: never
  std::vector<int> failRunOnExitCodes;  // a task ending with one fails the whole run at once
  std::vector<int> ignoreExitCodes;     // a task ending with one is run again and not counted
};

struct ScheduleSpec {
  std::string id;
  std::string cron;
  std::string timezone = "UTC";
  double startingDeadlineSeconds = 900;
  ConcurrencyPolicy concurrencyPolicy = ConcurrencyPolicy::kAllow;
  bool enabled = true;
  CatchUp catchUp = CatchUp::kOnce;
};

struct JobSpec {
  std::string id;
  std::string description;
  std::map<std::string, std::string> labels;
  RunSpec run;
  std::vector<ScheduleSpec> schedules;
  std::vector<std::string> dependencies;  // parent job ids
  uint32_t successfulHistoryLimit = 100;
  uint32_t failedHistoryLimit = 100;

  const ScheduleSpec* schedule(const std::string& scheduleId) const {
    for (const ScheduleSpec& s : schedules)
      if (s.id == scheduleId) return &s;
    return nullptr;
  }
};

}  // namespace agora::batch
