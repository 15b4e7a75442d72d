#pragma once
// The registry: what the master must remember across its own restart — admitted agents and
// registered frameworks (roles, quota, weights and maintenance join them in later issues).
// A plug-in point: RocksDB for a single master here, etcd when several masters elect a leader.

#include <map>
#include <memory>
#include <string>

#include "common/store.hpp"
#include "common/types.hpp"

namespace agora {

struct RegistryState {
  std::map<std::string, AgentInfo> agents;
  std::map<std::string, FrameworkInfo> frameworks;
};

class Registry {
 public:
  virtual ~Registry() = default;
  virtual Try<RegistryState> load() = 0;
  virtual Status putAgent(const AgentInfo& agent) = 0;
  virtual Status removeAgent(const std::string& agentId) = 0;
  virtual Status putFramework(const FrameworkInfo& framework) = 0;
  virtual Status removeFramework(const std::string& frameworkId) = 0;
};

// Keeps the registry in a RocksDB database in `directory`.
Try<std::unique_ptr<Registry>> openRocksDbRegistry(const std::string& directory);

}  // namespace agora
