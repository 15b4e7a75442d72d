// Metrics: counts of agents, frameworks, tasks and offers, and the master's counters, as
// JSON (/api/v1/metrics) and in Prometheus's text format (/metrics).
#include <sstream>

#include "master/master.hpp"

namespace agora {

using nlohmann::json;

// Counts only: cheap enough to poll on a large cluster, where the state runs to megabytes.
json Master::metricsJson() const {
  std::map<std::string, int64_t> agents{{"active", 0}, {"unreachable", 0}, {"recovered", 0}}, tasks;
  for (const auto& [id, agent] : agents_) {
    ++agents[agent.state == AgentState::kActive        ? "active"
             : agent.state == AgentState::kUnreachable ? "unreachable"
                                                       : "recovered"];
  }
  int64_t connected = 0;
  for (const auto& [id, fw] : frameworks_) connected += fw.connected ? 1 : 0;
  for (const auto& [key, task] : tasks_.active()) ++tasks[stateName(task.latest.state)];
  json counters = counters_;
  RegistryCounters registry = registry_->counters();
  counters["registry_writes"] = registry.writes;
  counters["registry_batches"] = registry.batches;
  counters["registry_writes_failed"] = registry.failed;
  counters["elections"] = election_ ? election_->leaderChanges() : (leading_ ? 1 : 0);
  if (http_) {
    counters["auth_http_unauthenticated"] = http_->refusedUnauthenticated();
    counters["auth_http_forbidden"] = http_->refusedForbidden();
  }
  if (authenticator_) {
    counters["auth_curve_admitted"] = authenticator_->admitted();
    counters["auth_curve_refused"] = authenticator_->refused();
  }
  return json{{"is_leader", acting() ? 1 : 0},
              {"agents", agents},
              {"frameworks", {{"connected", connected}, {"disconnected", static_cast<int64_t>(frameworks_.size()) - connected}}},
              {"tasks", tasks},
              {"offers_outstanding", offers_.size()},
              {"event_stream_subscribers", events_.subscribers()},
              {"counters", counters},
              {"registry", {{"in_flight", registry_->inFlight()}, {"largest_batch", registry.largestBatch}}},
              {"malformed_messages", socket_.malformedCount()}};
}

// Gauges with a state label, and every counter as agora_master_NAME_total.
std::string prometheusText(const json& metrics) {
  std::ostringstream out;
  auto gauge = [&](const std::string& name, const std::string& help, const json& byState) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n";
    for (const auto& [state, n] : byState.items()) out << name << "{state=\"" << state << "\"} " << n << "\n";
  };
  gauge("agora_master_agents", "Agents the master knows, by state.", metrics["agents"]);
  gauge("agora_master_frameworks", "Frameworks the master knows, by state.", metrics["frameworks"]);
  gauge("agora_master_tasks", "Active tasks, by their latest state.", metrics["tasks"]);
  out << "# HELP agora_master_offers_outstanding Offers sent and not yet answered.\n"
      << "# TYPE agora_master_offers_outstanding gauge\n"
      << "agora_master_offers_outstanding " << metrics["offers_outstanding"] << "\n";
  out << "# HELP agora_master_event_stream_subscribers Clients following /api/v1/events.\n"
      << "# TYPE agora_master_event_stream_subscribers gauge\n"
      << "agora_master_event_stream_subscribers " << metrics.value("event_stream_subscribers", 0) << "\n";
  out << "# HELP agora_master_is_leader 1 if this master leads and acts, 0 on a standby.\n"
      << "# TYPE agora_master_is_leader gauge\n"
      << "agora_master_is_leader " << metrics.value("is_leader", 0) << "\n";
  json counters = metrics["counters"];
  counters["malformed_messages"] = metrics["malformed_messages"];
  for (const auto& [name, n] : counters.items()) {
    out << "# TYPE agora_master_" << name << "_total counter\n"
        << "agora_master_" << name << "_total " << n << "\n";
  }
  return out.str();
}

}  // namespace agora
