#pragma once
// What the agent counts, for its /metrics (Prometheus' text format): launches and how long
// each took to run, checkpoint writes, status updates. Gauges (tasks by state, supervisors,
// usage) are read from the agent's state when asked.

#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace agora {

// A Prometheus histogram of seconds.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 11> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  void observe(double seconds);
  // The histogram's lines, named `name` (with _bucket, _sum and _count).
  std::string text(const std::string& name, const std::string& help) const;

 private:
  std::array<uint64_t, kBounds.size()> buckets_{};  // each counts observations <= its bound
  uint64_t count_ = 0;
  double sum_ = 0;
};

struct AgentCounters {
  uint64_t tasksLaunched = 0;        // run requests taken
  uint64_t launchesFailed = 0;       // tasks that never ran (bad user, isolator, supervisor)
  uint64_t checkpointWrites = 0;
  uint64_t checkpointWritesFailed = 0;
  uint64_t statusUpdatesSent = 0;    // each update once, however often it is resent
  uint64_t statusUpdatesAcknowledged = 0;
  LatencyHistogram launchLatency;    // run request -> TASK_RUNNING
};

struct AgentGauges {
  std::map<std::string, int64_t> tasksByState;
  int64_t supervisors = 0;
  double cpuSeconds = 0, memBytes = 0, cpusAllocated = 0, memAllocatedBytes = 0;
};

std::string agentPrometheusText(const AgentCounters& counters, const AgentGauges& gauges);

}  // namespace agora
