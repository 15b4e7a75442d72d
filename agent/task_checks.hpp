#pragma once
// A task's health and readiness checks, run by its supervisor on the supervisor's loop: the
// probes on their schedules, and what their results mean. The supervisor reports the
// outcome to the agent and ends the task when the health check says so.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/health_policy.hpp"
#include "agent/probe.hpp"

namespace agora {

class TaskChecks {
 public:
  struct Callbacks {
    std::function<void()> changed;                  // healthy() or ready() is new
    std::function<void(const std::string&)> kill;   // the health check failed too often: why
  };

  TaskChecks(EventLoop& loop, std::optional<HealthCheckSpec> health, std::optional<ReadinessCheckSpec> readiness,
             const Probe::CommandLauncher& launcher, Callbacks callbacks);
  ~TaskChecks();
  TaskChecks(const TaskChecks&) = delete;
  TaskChecks& operator=(const TaskChecks&) = delete;

  // The task has started: the checks' schedules begin.
  void start();
  // The task is ending: no more checks (one in flight is abandoned).
  void stop();
  // Routes the supervisor's reaped children to the probe that started them.
  bool reaped(pid_t pid, int waitStatus);

  std::optional<bool> healthy() const;
  const std::string& healthMessage() const { return healthMessage_; }
  bool ready() const { return ready_; }

 private:
  void healthTick();
  void healthResult(const ProbeResult& result, TimePoint startedAt);
  void readinessTick();
  void readinessResult(const ProbeResult& result, TimePoint startedAt);
  void schedule(std::optional<EventLoop::TimerId>& timer, double intervalSeconds, TimePoint startedAt,
                void (TaskChecks::*tick)());

  EventLoop& loop_;
  std::optional<HealthCheckSpec> healthSpec_;
  std::optional<ReadinessCheckSpec> readinessSpec_;
  Callbacks callbacks_;
  std::unique_ptr<Probe> healthProbe_, readinessProbe_;
  std::optional<HealthPolicy> policy_;
  std::optional<EventLoop::TimerId> healthTimer_, readinessTimer_;
  std::string healthMessage_;
  bool ready_ = false;
  bool stopped_ = false;
};

}  // namespace agora
