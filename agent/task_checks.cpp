#include "agent/task_checks.hpp"

#include <glog/logging.h>

namespace agora {

TaskChecks::TaskChecks(EventLoop& loop, std::optional<HealthCheckSpec> health,
                       std::optional<ReadinessCheckSpec> readiness, const Probe::CommandLauncher& launcher,
                       Callbacks callbacks)
    : loop_(loop),
      healthSpec_(std::move(health)),
      readinessSpec_(std::move(readiness)),
      callbacks_(std::move(callbacks)) {
  if (healthSpec_) healthProbe_ = std::make_unique<Probe>(loop_, healthSpec_->probe, launcher);
  if (readinessSpec_) readinessProbe_ = std::make_unique<Probe>(loop_, readinessSpec_->probe, launcher);
}

TaskChecks::~TaskChecks() { stop(); }

void TaskChecks::start() {
  TimePoint now = loop_.clock().now();
  if (healthSpec_) {
    policy_.emplace(healthSpec_->gracePeriodSeconds, healthSpec_->maxConsecutiveFailures, now);
    healthTimer_ = loop_.after(seconds(healthSpec_->delaySeconds), [this] {
      healthTimer_.reset();
      healthTick();
    });
  }
  if (readinessSpec_) readinessTick();
}

void TaskChecks::stop() {
  stopped_ = true;
  for (auto* timer : {&healthTimer_, &readinessTimer_}) {
    if (*timer) loop_.cancel(**timer);
    timer->reset();
  }
  // Destroying a probe ends its attempt (a check command is killed; the supervisor reaps it).
  healthProbe_.reset();
  readinessProbe_.reset();
}

bool TaskChecks::reaped(pid_t pid, int waitStatus) {
  for (Probe* probe : {healthProbe_.get(), readinessProbe_.get()})
    if (probe && probe->reaped(pid, waitStatus)) return true;
  return false;
}

std::optional<bool> TaskChecks::healthy() const { return policy_ ? policy_->healthy() : std::nullopt; }

void TaskChecks::healthTick() {
  if (stopped_) return;
  TimePoint startedAt = loop_.clock().now();
  healthProbe_->run([this, startedAt](const ProbeResult& r) { healthResult(r, startedAt); });
}

void TaskChecks::healthResult(const ProbeResult& result, TimePoint startedAt) {
  if (stopped_) return;
  HealthPolicy::Verdict verdict = policy_->record(result.ok, loop_.clock().now());
  if (policy_->lastIgnored()) {
    VLOG(1) << "Health check failed in the grace period (not counted): " << result.detail;
  } else {
    healthMessage_ = result.detail;
    if (!result.ok)
      LOG(WARNING) << "Health check failed (" << policy_->consecutiveFailures() << " in a row): " << result.detail;
  }
  if (verdict.changed) {
    LOG(INFO) << "The task is " << (result.ok ? "healthy" : "unhealthy") << ": " << result.detail;
    callbacks_.changed();
  }
  if (verdict.kill) {
    std::string why = "the health check failed " + std::to_string(policy_->consecutiveFailures()) +
                      " times in a row (its maximum); last: " + result.detail;
    stop();
    callbacks_.kill(why);
    return;
  }
  schedule(healthTimer_, healthSpec_->intervalSeconds, startedAt, &TaskChecks::healthTick);
}

void TaskChecks::readinessTick() {
  if (stopped_) return;
  TimePoint startedAt = loop_.clock().now();
  readinessProbe_->run([this, startedAt](const ProbeResult& r) { readinessResult(r, startedAt); });
}

void TaskChecks::readinessResult(const ProbeResult& result, TimePoint startedAt) {
  if (stopped_) return;
  if (result.ok) {
    LOG(INFO) << "The task is ready: " << result.detail;
    ready_ = true;
    readinessProbe_.reset();
    callbacks_.changed();
    return;
  }
  VLOG(1) << "Not ready yet: " << result.detail;
  schedule(readinessTimer_, readinessSpec_->intervalSeconds, startedAt, &TaskChecks::readinessTick);
}

// Intervals run from the start of one check to the start of the next, as in Mesos.
void TaskChecks::schedule(std::optional<EventLoop::TimerId>& timer, double intervalSeconds, TimePoint startedAt,
                          void (TaskChecks::*tick)()) {
  Duration wait = std::max(Duration::zero(), startedAt + seconds(intervalSeconds) - loop_.clock().now());
  timer = loop_.after(wait, [this, &timer, tick] {
    timer.reset();
    (this->*tick)();
  });
}

}  // namespace agora
