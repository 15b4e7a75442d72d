#include "frameworks/batch/run_progress.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace agora::batch {

namespace {

bool contains(const std::vector<int>& codes, const std::optional<int>& code) {
  return code && std::find(codes.begin(), codes.end(), *code) != codes.end();
}

std::string describe(const TaskAttempt& t) {
  std::string what = "task " + t.taskId + " (index " + std::to_string(t.index) + ") ";
  if (t.signal) return what + "was killed by signal " + std::to_string(*t.signal);
  if (t.exitCode) return what + "exited with " + std::to_string(*t.exitCode);
  return what + "ended " + stateName(t.state) + (t.message.empty() ? "" : ": " + t.message);
}

std::string secondsText(double s) {
  std::string text = std::to_string(s);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text + " s";
}

}  // namespace

double backoffAfter(const RunSpec& spec, uint32_t failures) {
  if (failures == 0) return 0;
  double delay = spec.backoffSeconds * std::pow(spec.backoffFactor, static_cast<double>(failures - 1));
  return std::min(delay, spec.maxBackoffSeconds);
}

std::vector<uint32_t> indexesToLaunch(const Run& run, double now) {
  if (run.ended() || now < run.retryAt) return {};
  std::set<uint32_t> busy;
  for (const TaskAttempt& t : run.tasks)
    if (t.live()) busy.insert(t.index);
  const RunSpec& spec = run.job.run;
  std::vector<uint32_t> out;
  size_t room = spec.parallelism > busy.size() ? spec.parallelism - busy.size() : 0;
  for (uint32_t i = 0; i < spec.completions && out.size() < room; ++i)
    if (!busy.count(i) && !run.succeeded.count(i)) out.push_back(i);
  return out;
}

void finishRun(Run& run, RunStatus status, const std::string& reason, double now) {
  if (run.ended()) return;
  run.status = status;
  run.completedAt = now;
  if (!reason.empty()) run.reason = reason;
  run.retryAt = 0;
}

void updateRunStatus(Run& run) {
  if (run.ended()) return;
  bool launched = false, running = false;
  for (const TaskAttempt& t : run.tasks) {
    if (!t.live()) continue;
    launched = true;
    running = running || t.state == TaskState::RUNNING;
  }
  if (running) run.status = RunStatus::kActive;
  else if (launched) run.status = run.startedAt > 0 ? RunStatus::kActive : RunStatus::kStarting;
  else if (run.status != RunStatus::kActive) run.status = run.tasks.empty() ? RunStatus::kInitial : RunStatus::kStarting;
}

void applyTaskEnd(Run& run, const TaskAttempt& t, double now) {
  if (run.ended()) return;  // a task of a run already decided (its kill, or a late end)
  const RunSpec& spec = run.job.run;
  // Offers void by the time the launch reached the master (it restarted, or they were
  // rescinded): the task was refused before it went anywhere.
  bool refusedOffers = t.state == TaskState::ERROR && t.reason == reasonName(TaskReason::INVALID_OFFERS);
  bool neverLaunched = t.state == TaskState::DROPPED || (t.state == TaskState::UNKNOWN && !t.heard) || refusedOffers;
  if (t.state == TaskState::FINISHED) {
    run.succeeded.insert(t.index);
    if (run.succeeded.size() >= spec.completions) finishRun(run, RunStatus::kSuccess, "", now);
  } else if (neverLaunched) {
    // Launched again on the next offer; the index is free once more.
  } else if (t.state == TaskState::ERROR) {
    finishRun(run, RunStatus::kFailed, "the master refused " + describe(t), now);
  } else if (contains(spec.failRunOnExitCodes, t.exitCode) && !t.signal) {
    finishRun(run, RunStatus::kFailed, describe(t) + ", which fails the run (exitCodes.failRun)", now);
  } else if (contains(spec.ignoreExitCodes, t.exitCode) && !t.signal) {
    // Not a failure: run again at once.
  } else {
    ++run.failures;
    double since = now - (run.startedAt > 0 ? run.startedAt : run.createdAt);
    if (spec.restartPolicy == RestartPolicy::kNever) {
      finishRun(run, RunStatus::kFailed, describe(t) + " and the restart policy is NEVER", now);
    } else if (spec.maxRetries > 0 && run.failures > spec.maxRetries) {
      finishRun(run, RunStatus::kFailed,
                describe(t) + "; " + std::to_string(run.failures) + " failures, and restart.maxRetries is " +
                    std::to_string(spec.maxRetries),
                now);
    } else if (spec.restartDeadlineSeconds > 0 && since >= spec.restartDeadlineSeconds) {
      finishRun(run, RunStatus::kFailed,
                describe(t) + " after restart.activeDeadlineSeconds (" + secondsText(spec.restartDeadlineSeconds) + ")", now);
    } else {
      run.retryAt = now + backoffAfter(spec, run.failures);
    }
  }
  updateRunStatus(run);
}

std::optional<std::string> deadlinePassed(const Run& run, double now) {
  if (run.ended()) return std::nullopt;
  const RunSpec& spec = run.job.run;
  if (spec.activeDeadlineSeconds > 0 && now >= run.createdAt + spec.activeDeadlineSeconds)
    return "the run passed its activeDeadlineSeconds (" + secondsText(spec.activeDeadlineSeconds) + ")";
  if (run.startedAt == 0 && now >= run.createdAt + spec.maxLaunchDelaySeconds)
    return "no task of the run was running within maxLaunchDelay (" + secondsText(spec.maxLaunchDelaySeconds) +
           "): the cluster had no room for cpus " + std::to_string(spec.cpus).substr(0, 4) + ", mem " +
           std::to_string(static_cast<int64_t>(spec.mem)) + " or its placement constraints";
  return std::nullopt;
}

std::optional<double> nextRunEvent(const Run& run, double now) {
  if (run.ended()) return std::nullopt;
  const RunSpec& spec = run.job.run;
  std::optional<double> next;
  auto consider = [&](double t) {
    if (t > now && (!next || t < *next)) next = t;
  };
  if (spec.activeDeadlineSeconds > 0) consider(run.createdAt + spec.activeDeadlineSeconds);
  if (run.startedAt == 0) consider(run.createdAt + spec.maxLaunchDelaySeconds);
  if (run.retryAt > 0) consider(run.retryAt);
  return next;
}

}  // namespace agora::batch
