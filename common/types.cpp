#include "common/types.hpp"

namespace agora {

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
  }
  return "REASON_INVALID";
}

Try<Attributes> parseAttributes(const std::string& text) {
  Attributes out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    std::string entry = text.substr(start, end - start);
    start = end + 1;
    if (entry.empty()) continue;
    size_t colon = entry.find(':');
    if (colon == std::string::npos || colon == 0)
      return Error("attribute '" + entry + "' is not 'name:value' (for example rack:r1)");
    out[entry.substr(0, colon)] = entry.substr(colon + 1);
  }
  return out;
}

}  // namespace agora
