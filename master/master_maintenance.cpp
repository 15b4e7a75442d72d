// Operator calls on one agent; reserve and unreserve are in master_reservations.cpp.
// Maintenance: POST /api/v1/agents/AGENT/drain {"deadline_seconds": 60} takes an agent out of
// allocation at once (its outstanding offers are rescinded) and kills its tasks at the
// deadline with reason AGENT_DRAINING, so that frameworks move them first;
// POST /api/v1/agents/AGENT/undrain puts it back. Drains are in the registry: a restarted
// master keeps draining, and kills at the same deadline.
#include <cmath>

#include <glog/logging.h>

#include "master/master.hpp"

namespace agora {

using nlohmann::json;

ApiReply Master::handleMaintenance(const ApiCall& call) {
  std::string rest = call.path.substr(std::string("/api/v1/agents/").size());
  size_t slash = rest.find('/');
  std::string agentId = rest.substr(0, slash), what = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (what != "drain" && what != "undrain" && what != "reserve" && what != "unreserve")
    return errorReply(404, "no endpoint " + call.path + "; use /api/v1/agents/AGENT/ and drain, undrain, reserve or unreserve");
  if (call.method != "POST" && call.method != "PUT") return errorReply(405, call.path + " answers POST");
  auto it = agents_.find(agentId);
  if (it == agents_.end()) return errorReply(404, "no agent " + agentId + " (see agora status)");
  AgentRecord& agent = it->second;
  if (what == "reserve" || what == "unreserve") return handleReservation(call, agent, what == "reserve");
  if (what == "undrain") {
    if (!agent.drainDeadline) return errorReply(409, "agent " + agentId + " is not draining");
    auto pending = std::make_shared<PendingReply>();
    registry_->removeDrain(agentId, [this, agentId, pending](const Status& s) {
      auto it = agents_.find(agentId);
      if (!s.ok()) return pending->give(errorReply(503, "not changed: the registry write failed: " + s.error()));
      if (it == agents_.end()) return pending->give(errorReply(404, "agent " + agentId + " was removed meanwhile"));
      if (it->second.drainDeadline) undrain(it->second);
      pending->give(jsonReply(200, json{{"agent_id", agentId}, {"draining", false}}));
    });
    return ApiReply::later(pending);
  }
  double seconds = 60;
  if (!call.body.empty()) {
    json body = json::parse(call.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return errorReply(400, R"(the body must be a JSON object, e.g. {"deadline_seconds": 60})");
    if (body.contains("deadline_seconds")) {
      if (!body["deadline_seconds"].is_number() || !std::isfinite(body["deadline_seconds"].get<double>()) ||
          body["deadline_seconds"].get<double>() < 0)
        return errorReply(400, "deadline_seconds must be a number of seconds, 0 or more");
      seconds = body["deadline_seconds"];
    }
  }
  double deadline = loop_.clock().wallSeconds() + seconds;
  auto pending = std::make_shared<PendingReply>();
  registry_->putDrain(agentId, deadline, [this, agentId, deadline, pending](const Status& s) {
    auto it = agents_.find(agentId);
    if (!s.ok()) return pending->give(errorReply(503, "not changed: the registry write failed: " + s.error()));
    if (it == agents_.end()) {
      registry_->removeDrain(agentId, logFailure("the drain of removed agent " + agentId));
      return pending->give(errorReply(404, "agent " + agentId + " was removed meanwhile"));
    }
    drain(it->second, deadline);
    pending->give(jsonReply(200, json{{"agent_id", agentId}, {"draining", true}, {"deadline", deadline}}));
  });
  return ApiReply::later(pending);
}

void Master::drain(AgentRecord& agent, double deadline) {
  LOG(INFO) << "Draining agent " << agent.info.id << "; its tasks are killed in "
            << deadline - loop_.clock().wallSeconds() << " s";
  agent.drainDeadline = deadline;
  allocator_->setAgentDraining(agent.info.id, true);
  for (const std::string& offerId : offers_.ofAgent(agent.info.id)) rescindOffer(offerId, true);
  if (agent.drainTimer) loop_.cancel(*agent.drainTimer);
  agentEvent("AGENT_UPDATED", agent);
  std::string id = agent.info.id;
  agent.drainTimer = loop_.after(seconds(std::max(0.0, deadline - loop_.clock().wallSeconds())), [this, id] {
    auto it = agents_.find(id);
    if (it == agents_.end()) return;
    it->second.drainTimer.reset();
    drainDeadlineReached(id);
  });
}

void Master::undrain(AgentRecord& agent) {
  LOG(INFO) << "Agent " << agent.info.id << " is back from maintenance";
  agent.drainDeadline.reset();
  if (agent.drainTimer) loop_.cancel(*agent.drainTimer);
  agent.drainTimer.reset();
  allocator_->setAgentDraining(agent.info.id, false);
  agentEvent("AGENT_UPDATED", agent);
  triggerAllocation();
}

// Also called when a draining agent re-registers after its deadline.
void Master::drainDeadlineReached(const std::string& agentId) {
  auto it = agents_.find(agentId);
  if (it == agents_.end() || !it->second.drainDeadline || it->second.state != AgentState::kActive) return;
  if (loop_.clock().wallSeconds() < *it->second.drainDeadline) return;
  for (const TaskKey& key : std::set<TaskKey>(tasks_.ofAgent(agentId))) {
    const TaskRecord& task = *tasks_.find(key);
    if (!isTerminal(task.latest.state)) killOnAgent(it->second, key.first, key.second, TaskReason::AGENT_DRAINING);
  }
}

}  // namespace agora
