#pragma once
// What a run does next, worked out from its record and the time alone (no I/O), so that each
// rule is tested as a table: which indexes to launch, what a task's end means (success, a
// retry after backoff, a failure of the whole run), and the deadlines that end a run.
//
// The rules, in the order they apply when a task ends:
//   - exit 0: its index is done; all indexes done is SUCCESS.
//   - a launch that never reached an agent (TASK_DROPPED, TASK_ERROR for offers that were no
//     longer valid, or TASK_UNKNOWN for an attempt never heard of) is launched again and not
//     counted;
//   - TASK_ERROR (the master refused the task) fails the run: launching it again cannot help;
//   - an exit code in exitCodes.failRun fails the run at once;
//   - an exit code in exitCodes.ignore is launched again and not counted;
//   - any other end is a failure: with restart policy NEVER the run fails; with ON_FAILURE it
//     is retried after backoff * factor^(failures-1) (at most maxBackoff), until maxRetries
//     failures have been retried or restart.activeDeadlineSeconds has passed since the run
//     started.
// A run fails at its activeDeadlineSeconds (from its creation), and at maxLaunchDelay if no
// task of it has run by then. A run that fails kills its live tasks.

#include <optional>
#include <string>
#include <vector>

#include "frameworks/batch/run.hpp"

namespace agora::batch {

// The indexes to launch now, lowest first, within the run's parallelism.
std::vector<uint32_t> indexesToLaunch(const Run& run, double now);

// Applies the end of `attempt` (already holding its final state and exit code) to the run.
void applyTaskEnd(Run& run, const TaskAttempt& attempt, double now);

// Ends the run (once), with its completion time; a failure's reason is kept.
void finishRun(Run& run, RunStatus status, const std::string& reason, double now);

// Sets STARTING / ACTIVE from the run's tasks while it has not ended.
void updateRunStatus(Run& run);

// If a deadline has passed: why the run fails.
std::optional<std::string> deadlinePassed(const Run& run, double now);
// The next moment after `now` a deadline or a backoff of the run falls due (wall seconds).
std::optional<double> nextRunEvent(const Run& run, double now);

// The backoff after the `failures`-th failure.
double backoffAfter(const RunSpec& spec, uint32_t failures);

}  // namespace agora::batch
