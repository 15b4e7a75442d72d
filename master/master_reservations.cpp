// Operator reservations: POST /api/v1/agents/AGENT/reserve {"resources": "cpus(eng):2"} and
// .../unreserve, on resources of the agent nobody holds (outstanding offers are rescinded
// first). Like a framework's RESERVE, the result is written to the registry before it takes
// effect and re-applied whenever the agent re-registers.
#include <glog/logging.h>

#include "master/master.hpp"

namespace agora {

using nlohmann::json;

ApiReply Master::handleReservation(const ApiCall& call, AgentRecord& agent, bool reserve) {
  if (call.method != "POST" && call.method != "PUT") return errorReply(405, call.path + " answers POST");
  json body = json::parse(call.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("resources"))
    return errorReply(400, R"(the body must be like {"resources": "cpus(eng):2;mem(eng):1024"})");
  Try<Resources> resources = Resources::fromJson(body["resources"]);
  if (resources.isError()) return errorReply(400, "'resources': " + resources.error());
  for (const Resource& r : resources->items()) {
    if (r.role == "*") return errorReply(400, "'" + r.name + "' names no role: write it as " + r.name + "(ROLE)");
    Status valid = validateRole(r.role);
    if (!valid.ok()) return errorReply(400, valid.error());
  }
  if (!reserve && !agent.dynamic.contains(*resources))
    return errorReply(409, resources->toString() + " is not (all) dynamically reserved on agent " + agent.info.id +
                               "; it has " + agent.dynamic.toString());
  if (agent.state != AgentState::kActive) return errorReply(409, "agent " + agent.info.id + " is not active");
  // Offered resources are not in use: take them back so that they can be converted.
  for (const std::string& offerId : offers_.ofAgent(agent.info.id)) rescindOffer(offerId, true);
  Resources from = reserve ? resources->flatten() : *resources, to = reserve ? *resources : resources->flatten();
  Resources dynamic = agent.dynamic;
  if (reserve)
    dynamic += *resources;
  else
    dynamic -= *resources;
  // Waited for: offers made meanwhile would hand out what is being converted.
  Status persisted = registry_->putReservationsNow(agent.info.id, dynamic);
  if (!persisted.ok()) return errorReply(503, "not changed: the registry write failed: " + persisted.error());
  Status converted = allocator_->convertAvailable(agent.info.id, from, to);
  if (!converted.ok()) {
    registry_->putReservations(agent.info.id, agent.dynamic, logFailure("restoring the reservations of agent " + agent.info.id));
    return errorReply(409, converted.error());
  }
  agent.dynamic = dynamic;
  agent.info.resources -= from;
  agent.info.resources += to;
  LOG(INFO) << (reserve ? "Operator reserved " : "Operator unreserved ") << *resources << " on agent " << agent.info.id;
  triggerAllocation();
  return jsonReply(200, json{{"agent_id", agent.info.id}, {"reserved", agent.dynamic.toJson()}});
}

}  // namespace agora
