// Light reads: /api/v1/tasks and /api/v1/agents, for clients that poll. They build JSON only
// for what they answer, where /api/v1/state builds everything.
#include <charconv>

#include "master/master.hpp"

namespace agora {

using nlohmann::json;

namespace {

// A non-negative integer query parameter, or the default; nothing if it is not one.
std::optional<size_t> sizeParam(const ApiCall& call, const std::string& name, size_t fallback) {
  auto it = call.query.find(name);
  if (it == call.query.end() || it->second.empty()) return fallback;
  size_t n = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
  if (ec != std::errc() || end != it->second.data() + it->second.size()) return std::nullopt;
  return n;
}

std::string param(const ApiCall& call, const std::string& name) {
  auto it = call.query.find(name);
  return it == call.query.end() ? "" : it->second;
}

}  // namespace

// ?framework_id=&task_id=&state=TASK_RUNNING&offset=0&limit=100: active tasks first, then
// the completed ones the master keeps, newest last.
ApiReply Master::tasksReply(const ApiCall& call) const {
  constexpr size_t kMaxLimit = 1000;
  std::optional<size_t> offset = sizeParam(call, "offset", 0), limit = sizeParam(call, "limit", 100);
  if (!offset || !limit) return errorReply(400, "offset and limit must be non-negative integers");
  if (*limit > kMaxLimit) return errorReply(400, "limit is at most " + std::to_string(kMaxLimit));
  std::string frameworkId = param(call, "framework_id"), taskId = param(call, "task_id"), state = param(call, "state");
  auto matches = [&](const TaskRecord& t) {
    return (frameworkId.empty() || t.frameworkId == frameworkId) && (taskId.empty() || t.info.taskId == taskId) &&
           (state.empty() || state == stateName(t.latest.state));
  };
  json page = json::array();
  size_t total = 0;
  auto consider = [&](const TaskRecord& t) {
    if (!matches(t)) return;
    if (total >= *offset && page.size() < *limit) page.push_back(taskJson(t));
    ++total;
  };
  if (!frameworkId.empty() && !taskId.empty()) {
    if (const TaskRecord* task = tasks_.find({frameworkId, taskId})) consider(*task);
  } else {
    for (const auto& [key, task] : tasks_.active()) consider(task);
  }
  for (const TaskRecord& task : tasks_.completed()) consider(task);
  return jsonReply(200, json{{"tasks", page}, {"total", total}, {"offset", *offset}, {"limit", *limit}});
}

ApiReply Master::agentsReply() const {
  json agents = json::array();
  for (const auto& [id, agent] : agents_) agents.push_back(agentJsonNow(agent));
  return jsonReply(200, json{{"agents", agents}});
}

}  // namespace agora
