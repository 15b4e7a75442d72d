#include "common/json.hpp"

namespace agora {

using nlohmann::json;

json toJson(const AgentInfo& a) {
  return json{{"id", a.id},
              {"hostname", a.hostname},
              {"resources", a.resources.toJson()},
              {"attributes", a.attributes},
              {"http_port", a.httpPort},
              {"http_host", a.httpHost},
              {"http_scheme", a.httpTls ? "https" : "http"},
              {"isolation", a.isolation}};
}

json toJson(const FrameworkInfo& f) {
  return json{{"id", f.id},
              {"name", f.name},
              {"principal", f.principal},
              {"roles", f.roles},
              {"failover_timeout_seconds", f.failoverTimeoutSeconds},
              {"capabilities", f.capabilities},
              {"hostname", f.hostname},
              {"webui_url", f.webuiUrl}};
}

json toJson(const TaskInfo& t) {
  json j{{"id", t.taskId},
         {"name", t.name},
         {"agent_id", t.agentId},
         {"resources", t.resources.toJson()},
         {"command", t.command.value},
         {"kill_grace_period_seconds", t.killGracePeriodSeconds}};
  j["labels"] = t.labels;
  json ports = json::array();
  for (const TaskPort& p : t.ports) ports.push_back(p.name.empty() ? json{{"number", p.number}}
                                                                    : json{{"number", p.number}, {"name", p.name}});
  j["ports"] = ports;
  if (t.maxCompletionTimeSeconds > 0) j["max_completion_time_seconds"] = t.maxCompletionTimeSeconds;
  if (!t.user.empty()) j["user"] = t.user;
  if (t.healthCheck) j["health_check"] = toJson(*t.healthCheck);
  if (t.readinessCheck) j["readiness_check"] = toJson(*t.readinessCheck);
  return j;
}

static json toJson(const PortRef& p) {
  if (p.index >= 0) return json{{"index", p.index}};
  if (!p.name.empty()) return json{{"name", p.name}};
  return json{{"number", p.number}};
}

static const char* kindName(CheckKind kind) {
  switch (kind) {
    case CheckKind::COMMAND: return "COMMAND";
    case CheckKind::HTTP: return "HTTP";
    case CheckKind::TCP: return "TCP";
  }
  return "UNKNOWN";
}

json toJson(const HealthCheck& h) {
  json j{{"type", kindName(h.kind)},
         {"delay_seconds", h.delaySeconds},
         {"interval_seconds", h.intervalSeconds},
         {"timeout_seconds", h.timeoutSeconds},
         {"grace_period_seconds", h.gracePeriodSeconds},
         {"max_consecutive_failures", h.maxConsecutiveFailures}};
  if (h.kind == CheckKind::COMMAND) j["command"] = h.command.shell ? json(h.command.value) : json(h.command.arguments);
  if (h.kind == CheckKind::HTTP) j["path"] = h.path;
  if (h.kind != CheckKind::COMMAND) j["port"] = toJson(h.port);
  return j;
}

json toJson(const ReadinessCheck& r) {
  return json{{"path", r.path},
              {"port", toJson(r.port)},
              {"interval_seconds", r.intervalSeconds},
              {"timeout_seconds", r.timeoutSeconds},
              {"ready_status_codes", r.readyStatusCodes.empty() ? std::vector<uint16_t>{200} : r.readyStatusCodes}};
}

json toJson(const TaskStatus& s) {
  json j{{"task_id", s.taskId},
         {"framework_id", s.frameworkId},
         {"agent_id", s.agentId},
         {"state", stateName(s.state)},
         {"reason", reasonName(s.reason)},
         {"message", s.message},
         {"source", s.fromMaster ? "master" : "agent"},
         {"timestamp", s.timestamp}};
  if (s.exitCode) j["exit_code"] = *s.exitCode;
  j["labels"] = s.labels;
  if (!s.agentHostname.empty()) j["agent_hostname"] = s.agentHostname;
  if (!s.agentHttpAddress.empty()) j["agent_http_address"] = s.agentHttpAddress;
  if (!s.sandbox.empty()) j["sandbox"] = s.sandbox;
  if (s.healthy) j["healthy"] = *s.healthy;
  if (s.ready) j["ready"] = *s.ready;
  return j;
}

json toJson(const Offer& o) {
  return json{{"id", o.id},
              {"framework_id", o.frameworkId},
              {"agent_id", o.agentId},
              {"hostname", o.hostname},
              {"role", o.role},
              {"resources", o.resources.toJson()}};
}

Try<json> parseJson(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return Error(std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace agora
