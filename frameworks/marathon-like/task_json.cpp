#include "frameworks/marathon-like/task_json.hpp"

namespace agora::marathon {

using nlohmann::json;

HealthCheck agentHealthCheck(const AppHealthCheck& c) {
  HealthCheck h;
  if (c.protocol == "COMMAND") {
    h.kind = CheckKind::COMMAND;
    h.command.value = c.command;
  } else {
    h.kind = c.protocol.find("HTTP") != std::string::npos ? CheckKind::HTTP : CheckKind::TCP;
    h.path = c.path;
    if (c.port) h.port.number = *c.port;
    else h.port.index = static_cast<int>(c.portIndex.value_or(0));
  }
  h.delaySeconds = c.delaySeconds;
  h.intervalSeconds = c.intervalSeconds;
  h.timeoutSeconds = c.timeoutSeconds;
  h.gracePeriodSeconds = c.gracePeriodSeconds;
  h.maxConsecutiveFailures = c.maxConsecutiveFailures;
  return h;
}

ReadinessCheck agentReadinessCheck(const AppReadinessCheck& c, const AppDefinition& app) {
  ReadinessCheck r;
  r.path = c.path;
  r.port.name = c.portName;
  for (size_t i = 0; i < app.portDefinitions.size(); ++i)
    if (app.portDefinitions[i].name == c.portName) r.port = PortRef{static_cast<int>(i), "", 0};
  r.intervalSeconds = c.intervalSeconds;
  r.timeoutSeconds = c.timeoutSeconds;
  r.readyStatusCodes = c.httpStatusCodesForReady;
  return r;
}

const char* conditionName(TaskState s) {
  switch (s) {
    case TaskState::STAGING: return "Staging";
    case TaskState::STARTING: return "Starting";
    case TaskState::RUNNING: return "Running";
    case TaskState::KILLING: return "Killing";
    case TaskState::FINISHED: return "Finished";
    case TaskState::FAILED: return "Failed";
    case TaskState::KILLED: return "Killed";
    case TaskState::ERROR: return "Error";
    case TaskState::LOST: return "Gone";
    case TaskState::DROPPED: return "Dropped";
    case TaskState::UNREACHABLE: return "Unreachable";
    case TaskState::GONE: return "Gone";
    case TaskState::UNKNOWN: return "Unknown";
  }
  return "Unknown";
}

namespace {
json ipAddresses() { return json::array({{{"ipAddress", "127.0.0.1"}, {"protocol", "IPv4"}}}); }
}  // namespace

json taskJson(const Instance& i, bool hasHealthCheck) {
  json j = {{"id", i.taskId},
            {"appId", i.appId},
            {"host", i.host},
            {"ports", i.ports},
            {"servicePorts", json::array()},
            {"slaveId", i.agentId},
            {"agentId", i.agentId},
            {"state", stateName(i.state)},
            {"stagedAt", isoTime(i.stagedAt)},
            {"version", i.version},
            {"ipAddresses", ipAddresses()},
            {"localVolumes", json::array()}};
  j["startedAt"] = i.startedAt > 0 ? json(isoTime(i.startedAt)) : json(nullptr);
  if (hasHealthCheck) {
    json result = {{"instanceId", i.id}, {"alive", i.healthy.value_or(false)},
                   {"consecutiveFailures", i.healthy.value_or(true) ? 0 : 1}};
    // Agents report changes of health, not every check: this is when the current one began.
    result[i.healthy.value_or(false) ? "lastSuccess" : "lastFailure"] = isoTime(i.healthSince > 0 ? i.healthSince : i.stagedAt);
    if (!i.healthy.value_or(false)) result["lastFailureCause"] = i.message;
    j["healthCheckResults"] = i.healthy ? json::array({result}) : json::array();
  }
  if (i.unreachableSince > 0) j["unreachableSince"] = isoTime(i.unreachableSince);
  return j;
}

json statusUpdateJson(const Instance& i, const TaskStatus& s) {
  return {{"slaveId", i.agentId}, {"agentId", i.agentId}, {"taskId", i.taskId}, {"instanceId", i.id},
          {"taskStatus", stateName(s.state)}, {"message", s.message}, {"appId", i.appId}, {"host", i.host},
          {"ipAddresses", ipAddresses()}, {"ports", i.ports}, {"version", i.version}};
}

json instanceChangedJson(const Instance& i, const std::string& condition) {
  return {{"instanceId", i.id}, {"condition", condition}, {"runSpecId", i.appId}, {"agentId", i.agentId},
          {"host", i.host}, {"runSpecVersion", i.version}};
}

}  // namespace agora::marathon
