#include "common/types.hpp"

#include "common/text.hpp"

#include <cctype>

namespace agora {

std::string agentHttpUrl(const std::string& host, uint16_t port, bool tls) {
  if (host.empty() || port == 0) return "";
  // An IPv6 literal is bracketed in a URL.
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (tls ? "https://" : "http://") + h + ":" + std::to_string(port);
}

bool isTerminal(TaskState s) {
  switch (s) {
    case TaskState::FINISHED:
    case TaskState::FAILED:
    case TaskState::KILLED:
    case TaskState::ERROR:
    case TaskState::LOST:
    case TaskState::DROPPED:
    case TaskState::GONE:
      return true;
    default:
      return false;
  }
}

const char* stateName(TaskState s) {
  switch (s) {
    case TaskState::STAGING: return "TASK_STAGING";
    case TaskState::STARTING: return "TASK_STARTING";
    case TaskState::RUNNING: return "TASK_RUNNING";
    case TaskState::FINISHED: return "TASK_FINISHED";
    case TaskState::FAILED: return "TASK_FAILED";
    case TaskState::KILLED: return "TASK_KILLED";
    case TaskState::ERROR: return "TASK_ERROR";
    case TaskState::LOST: return "TASK_LOST";
    case TaskState::DROPPED: return "TASK_DROPPED";
    case TaskState::GONE: return "TASK_GONE";
    case TaskState::UNREACHABLE: return "TASK_UNREACHABLE";
    case TaskState::UNKNOWN: return "TASK_UNKNOWN";
    case TaskState::KILLING: return "TASK_KILLING";
  }
  return "TASK_INVALID_STATE";
}

std::vector<TaskPort> portsOf(const TaskInfo& task) {
  if (!task.ports.empty()) return task.ports;
  std::vector<TaskPort> ports;
  for (const Range& r : task.resources.ranges("ports"))
    for (uint64_t p = r.begin; p <= r.end && ports.size() < kMaxImplicitPorts; ++p) ports.push_back({p, ""});
  return ports;
}

std::string portVariable(const std::string& name) {
  std::string env = "PORT_" + name;
  for (char& c : env) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env;
}

Try<uint64_t> resolvePort(const TaskInfo& task, const PortRef& port) {
  int given = (port.index >= 0) + !port.name.empty() + (port.number != 0);
  if (given != 1) return Error("a check's port needs exactly one of an index, a name or a number");
  if (port.number != 0) {
    if (port.number > 65535) return Error("port " + std::to_string(port.number) + " is not a TCP port");
    return port.number;
  }
  std::vector<TaskPort> ports = portsOf(task);
  if (port.index >= 0) {
    if (static_cast<size_t>(port.index) >= ports.size())
      return Error("port index " + std::to_string(port.index) + " is out of range: the task has " +
                   std::to_string(ports.size()) + " ports");
    return ports[static_cast<size_t>(port.index)].number;
  }
  for (const TaskPort& p : ports)
    if (p.name == port.name) return p.number;
  return Error("the task has no port named '" + port.name + "'");
}

const char* reasonName(TaskReason r) {
  switch (r) {
    case TaskReason::NONE: return "REASON_NONE";
    case TaskReason::COMMAND_EXITED: return "REASON_COMMAND_EXITED";
    case TaskReason::COMMAND_SIGNALED: return "REASON_COMMAND_SIGNALED";
    case TaskReason::LAUNCH_FAILED: return "REASON_LAUNCH_FAILED";
    case TaskReason::KILLED_BY_FRAMEWORK: return "REASON_KILLED_BY_FRAMEWORK";
    case TaskReason::MEMORY_LIMIT: return "REASON_MEMORY_LIMIT";
    case TaskReason::HEALTH_CHECK_FAILED: return "REASON_HEALTH_CHECK_FAILED";
    case TaskReason::AGENT_REMOVED: return "REASON_AGENT_REMOVED";
    case TaskReason::AGENT_RESTARTED: return "REASON_AGENT_RESTARTED";
    case TaskReason::AGENT_UNREACHABLE: return "REASON_AGENT_UNREACHABLE";
    case TaskReason::AGENT_DRAINING: return "REASON_AGENT_DRAINING";
    case TaskReason::EXECUTOR_TERMINATED: return "REASON_EXECUTOR_TERMINATED";
    case TaskReason::RECONCILIATION: return "REASON_RECONCILIATION";
    case TaskReason::INVALID_TASK: return "REASON_INVALID_TASK";
    case TaskReason::INVALID_OFFERS: return "REASON_INVALID_OFFERS";
    case TaskReason::FRAMEWORK_REMOVED: return "REASON_FRAMEWORK_REMOVED";
    case TaskReason::AGENT_UNKNOWN: return "REASON_AGENT_UNKNOWN";
    case TaskReason::TASK_UNKNOWN: return "REASON_TASK_UNKNOWN";
    case TaskReason::MAX_COMPLETION_TIME_REACHED: return "REASON_MAX_COMPLETION_TIME_REACHED";
    case TaskReason::INVALID_USER: return "REASON_INVALID_USER";
    case TaskReason::HEALTH_CHECK_STATUS_UPDATED: return "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED";
    case TaskReason::READINESS_CHECK_STATUS_UPDATED: return "REASON_TASK_READINESS_CHECK_STATUS_UPDATED";
    case TaskReason::MASTER_DISCONNECTED: return "REASON_MASTER_DISCONNECTED";
    case TaskReason::TASK_UNAUTHORIZED: return "REASON_TASK_UNAUTHORIZED";
  }
  return "REASON_INVALID";
}

Try<Attributes> parseAttributes(const std::string& text) {
  Attributes out;
  for (const std::string& entry : splitText(text, ';')) {
    if (entry.empty()) continue;
    size_t colon = entry.find(':');
    if (colon == std::string::npos || colon == 0)
      return Error("attribute '" + entry + "' is not 'name:value' (for example rack:r1)");
    out[entry.substr(0, colon)] = entry.substr(colon + 1);
  }
  return out;
}

}  // namespace agora
