#include "agent/agent_metrics.hpp"

#include <sstream>

namespace agora {

void LatencyHistogram::observe(double seconds) {
  for (size_t i = 0; i < kBounds.size(); ++i)
    if (seconds <= kBounds[i]) ++buckets_[i];
  ++count_;
  sum_ += seconds;
}

std::string LatencyHistogram::text(const std::string& name, const std::string& help) const {
  std::ostringstream out;
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " histogram\n";
  for (size_t i = 0; i < kBounds.size(); ++i) out << name << "_bucket{le=\"" << kBounds[i] << "\"} " << buckets_[i] << "\n";
  out << name << "_bucket{le=\"+Inf\"} " << count_ << "\n" << name << "_sum " << sum_ << "\n" << name << "_count " << count_ << "\n";
  return out.str();
}

std::string agentPrometheusText(const AgentCounters& c, const AgentGauges& g) {
  std::ostringstream out;
  auto metric = [&](const char* name, const char* type, const char* help, double value) {
    out << "# HELP agora_agent_" << name << " " << help << "\n# TYPE agora_agent_" << name << " " << type << "\n"
        << "agora_agent_" << name << " " << value << "\n";
  };
  out << "# HELP agora_agent_tasks Tasks the agent holds, by the state of their newest update.\n"
      << "# TYPE agora_agent_tasks gauge\n";
  for (const auto& [state, n] : g.tasksByState) out << "agora_agent_tasks{state=\"" << state << "\"} " << n << "\n";
  metric("supervisors", "gauge", "Task supervisors alive.", static_cast<double>(g.supervisors));
  metric("task_cpu_seconds", "gauge", "CPU seconds used so far by the tasks running now.", g.cpuSeconds);
  metric("mem_bytes", "gauge", "Memory used by the running tasks.", g.memBytes);
  metric("cpus_allocated", "gauge", "cpus of the running tasks' resources.", g.cpusAllocated);
  metric("mem_allocated_bytes", "gauge", "mem of the running tasks' resources, in bytes.", g.memAllocatedBytes);
  metric("tasks_launched_total", "counter", "Run requests taken from the master.", static_cast<double>(c.tasksLaunched));
  metric("launches_failed_total", "counter", "Tasks that could not be started.", static_cast<double>(c.launchesFailed));
  metric("checkpoint_writes_total", "counter", "Task checkpoint writes.", static_cast<double>(c.checkpointWrites));
  metric("checkpoint_writes_failed_total", "counter", "Task checkpoint writes that failed.",
         static_cast<double>(c.checkpointWritesFailed));
  metric("status_updates_total", "counter", "Status updates made (each counted once, however often resent).",
         static_cast<double>(c.statusUpdatesSent));
  metric("status_updates_acknowledged_total", "counter", "Status updates the framework acknowledged.",
         static_cast<double>(c.statusUpdatesAcknowledged));
  out << c.launchLatency.text("agora_agent_launch_latency_seconds",
                              "Seconds from the master's run request to TASK_RUNNING.");
  return out.str();
}

}  // namespace agora
