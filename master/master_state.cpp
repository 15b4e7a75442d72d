// The operator API: /health, /api/v1/info, /api/v1/state.
#include <glog/logging.h>

#include "common/json.hpp"
#include "common/webui.hpp"
#include "master/master.hpp"

namespace agora {

using nlohmann::json;

static const char* agentStateName(int s) {
  static const char* names[] = {"recovered", "active", "unreachable"};
  return names[s];
}

json Master::taskJson(const TaskRecord& t) {
  json j = toJson(t.info);
  j["framework_id"] = t.frameworkId;
  j["state"] = stateName(t.latest.state);
  j["status"] = toJson(t.latest);
  if (t.usage && !isTerminal(t.latest.state)) j["usage"] = *t.usage;
  return j;
}

json Master::agentJson(const AgentRecord& agent, const Resources& used, const Resources& offered, size_t taskCount) {
  json j = toJson(agent.info);
  j["state"] = agentStateName(static_cast<int>(agent.state));
  j["registered_at"] = agent.registeredAt;
  j["used_resources"] = used.toJson();
  j["offered_resources"] = offered.toJson();
  j["task_count"] = taskCount;
  j["draining"] = agent.drainDeadline.has_value();
  if (agent.drainDeadline) j["drain_deadline"] = *agent.drainDeadline;
  return j;
}

json Master::stateJson() const {
  json agents = json::array(), frameworks = json::array(), tasks = json::array(), completed = json::array();
  std::map<std::string, Resources> usedByAgent, usedByFramework, offeredByAgent, offeredByFramework;
  for (const auto& [key, task] : tasks_.active()) {
    if (!isTerminal(task.latest.state)) {
      usedByAgent[task.info.agentId] += task.info.resources;
      usedByFramework[task.frameworkId] += task.info.resources;
    }
    tasks.push_back(taskJson(task));
  }
  for (const auto& task : tasks_.completed()) completed.push_back(taskJson(task));
  json offers = json::array();
  for (const auto& [id, offer] : offers_.all()) {
    offeredByAgent[offer.agentId] += offer.resources;
    offeredByFramework[offer.frameworkId] += offer.resources;
    offers.push_back(toJson(offer));
  }
  for (const auto& [id, agent] : agents_) agents.push_back(agentJson(agent, usedByAgent[id], offeredByAgent[id], tasks_.ofAgent(id).size()));
  for (const auto& [id, fw] : frameworks_)
    frameworks.push_back(frameworkJson(fw, usedByFramework[id], offeredByFramework[id], tasks_.ofFramework(id).size(),
                                       offers_.ofFramework(id).size()));
  Resources total;
  for (const auto& [id, agent] : agents_)
    if (agent.state == AgentState::kActive) total += agent.info.resources;
  json master = {{"id", masterId_}, {"endpoint", options_.endpoint}, {"started_at", startedAt_}};
  master.update(leadershipJson());
  return json{{"master", master},
              {"total_resources", total.toJson()},
              {"agents", agents},
              {"frameworks", frameworks},
              {"tasks", tasks},
              {"completed_tasks", completed},
              {"offers", offers},
              {"counters", counters_},
              {"malformed_messages", socket_.malformedCount()}};
}

ApiReply Master::handleApi(const ApiCall& call) {
  try {
    if (!acting()) return standbyReply(call);
    return route(call);
  } catch (const std::exception& e) {
    // A request must never take the master down; this is a bug to fix, said as such.
    LOG(ERROR) << "Bug: " << call.method << " " << call.path << " threw: " << e.what();
    return errorReply(500, std::string("the master failed on this request (a bug, logged): ") + e.what());
  }
}

ApiReply Master::route(const ApiCall& call) {
  if (auto page = webui::serve(call, "master.html")) return *page;
  if (call.path == "/api/v1/scheduler") return schedulerReply(call);
  if (auto refused = authorizeOperator(call)) return *refused;
  if (call.path.rfind("/api/v1/frameworks/", 0) == 0) return teardownReply(call);
  if (call.path == "/api/v1/roles" || call.path.rfind("/api/v1/roles/", 0) == 0) return handleRoles(call);
  if (call.path.rfind("/api/v1/agents/", 0) == 0) return handleMaintenance(call);
  struct Route {
    const char* path;
    std::function<ApiReply()> get;
  };
  const Route routes[] = {
      {"/health", [] { return ApiReply{200, R"({"status":"ok"})"}; }},
      {"/api/v1/info", [this] {
         return jsonReply(200, infoJson());
       }},
      {"/api/v1/state", [this] { return jsonReply(200, stateJson()); }},
      {"/api/v1/tasks", [this, &call] { return tasksReply(call); }},
      {"/api/v1/agents", [this] { return agentsReply(); }},
      {"/api/v1/frameworks", [this] { return frameworksReply(); }},
      {"/api/v1/pending", [this] { return pendingReply(); }},
      {"/api/v1/utilization", [this] { return jsonReply(200, utilizationJson()); }},
      {"/api/v1/events", [this, &call] { return eventsReply(call); }},
      {"/api/v1/metrics", [this] { return jsonReply(200, metricsJson()); }},
      {"/metrics", [this] { return ApiReply{200, prometheusText(metricsJson()), "text/plain; version=0.0.4"}; }},
      {"/api/v1/roles", [this] { return handleRoles(ApiCall{"GET", "/api/v1/roles", {}, ""}); }},
  };
  std::string known;
  for (const Route& route : routes) {
    if (call.path == route.path) {
      if (call.method != "GET") return errorReply(405, call.path + " answers GET only");
      return route.get();
    }
    known += std::string(known.empty() ? "" : ", ") + route.path;
  }
  return errorReply(404, "no endpoint " + call.path + "; the master serves " + known);
}

}  // namespace agora
