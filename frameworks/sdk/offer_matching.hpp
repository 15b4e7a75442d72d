#pragma once
// Taking what a task needs out of offers: the part every framework otherwise writes again.
//
//   - Offers are grouped by agent (groupByAgent), so that one accept packs many tasks into
//     everything the framework holds on that agent.
//   - take() subtracts one task's needs from what is left of an agent's offers: each scalar
//     from resources reserved for a role first, then from unreserved ones (reservations exist
//     to be used); only from the roles the task accepts, if it names any.
//   - Ports: any free one, a named one, or a required literal port.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/types.hpp"

namespace agora::sdk {

// Everything the framework holds on one agent.
struct AgentOffers {
  std::string agentId;
  std::string hostname;
  Attributes attributes;
  std::vector<std::string> offerIds;
  Resources available;  // what the offers have left after take()
};

// In the order in which each agent first appears.
std::vector<AgentOffers> groupByAgent(const std::vector<Offer>& offers);

struct PortRequest {
  uint64_t number = 0;  // 0: any free port; else exactly this one (it must be offered)
  std::string name;     // optional, for PORT_<NAME> and the framework's own use
};

struct TaskNeeds {
  // Scalars (cpus, mem, disk, gpus, ...) without roles: "cpus:0.5;mem:128".
  Resources scalars;
  std::vector<PortRequest> ports;
  // The roles the task may take resources of ("*" = unreserved). Empty: any role offered.
  std::vector<std::string> acceptedRoles;
};

// What take() set aside for one task.
struct Taken {
  Resources resources;          // with their roles, for TaskInfo::resources
  std::vector<uint64_t> ports;  // in the order of TaskNeeds::ports
};

// Takes `needs` out of `agent.available`; on an error (what did not fit and what was left)
// nothing is taken.
Try<Taken> take(AgentOffers& agent, const TaskNeeds& needs);

}  // namespace agora::sdk
