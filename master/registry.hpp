#pragma once
// The registry: what the master must remember across its own restart — admitted agents,
// registered frameworks, and the weight and quota of each role (maintenance joins them later).
// A plug-in point: RocksDB for a single master here, etcd when several masters elect a leader.

#include <map>
#include <memory>
#include <string>

#include "common/store.hpp"
#include "common/types.hpp"
#include "master/allocator/role_tree.hpp"

namespace agora {

// What an operator set for a role; a role with weight 1 and no quota needs no entry.
struct RoleConfig {
  double weight = 1.0;
  Quota quota;
};

struct RegistryState {
  std::map<std::string, AgentInfo> agents;
  std::map<std::string, FrameworkInfo> frameworks;
  std::map<std::string, RoleConfig> roles;
  std::map<std::string, double> draining;  // agent id -> drain deadline, seconds since the epoch
  std::map<std::string, Resources> reservations;  // agent id -> its dynamic reservations
  // Agents the master removed (their tasks are GONE): agent id -> seconds since the epoch.
  // One that comes back is refused, so that no GONE task runs again.
  std::map<std::string, double> removedAgents;
};

class Registry {
 public:
  virtual ~Registry() = default;
  virtual Try<RegistryState> load() = 0;
  virtual Status putAgent(const AgentInfo& agent) = 0;
  // Forgets the agent and remembers it as removed at `when` (seconds since the epoch).
  virtual Status removeAgent(const std::string& agentId, double when) = 0;
  virtual Status putFramework(const FrameworkInfo& framework) = 0;
  virtual Status removeFramework(const std::string& frameworkId) = 0;
  virtual Status putRole(const std::string& role, const RoleConfig& config) = 0;
  virtual Status removeRole(const std::string& role) = 0;
  virtual Status putDrain(const std::string& agentId, double deadline) = 0;
  virtual Status removeDrain(const std::string& agentId) = 0;
  // Empty: none.
  virtual Status putReservations(const std::string& agentId, const Resources& reserved) = 0;
};

// Keeps the registry in a RocksDB database in `directory`.
Try<std::unique_ptr<Registry>> openRocksDbRegistry(const std::string& directory);

}  // namespace agora
