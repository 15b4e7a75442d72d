#pragma once
// The Allocator decides which framework is offered which agent's resources. The master
// tells it about frameworks, agents and resources coming back; allocate() runs one cycle and
// returns the new allocations, which the master turns into offers. Implementations keep no
// reference to master state and read time only through the Clock they were given, so that
// tests can drive them with a ManualClock.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/resources.hpp"

namespace agora {

struct Allocation {
  std::string frameworkId;
  std::string role;
  std::string agentId;
  Resources resources;
};

class Allocator {
 public:
  virtual ~Allocator() = default;

  // `used` is what the framework already holds on agents (tasks that survived a failover).
  virtual void addFramework(const std::string& frameworkId, const std::vector<std::string>& roles,
                            bool active) = 0;
  virtual void removeFramework(const std::string& frameworkId) = 0;
  // An inactive framework keeps its allocation but receives no offers.
  virtual void activateFramework(const std::string& frameworkId) = 0;
  virtual void deactivateFramework(const std::string& frameworkId) = 0;
  virtual void suppressOffers(const std::string& frameworkId) = 0;
  virtual void reviveOffers(const std::string& frameworkId) = 0;

  // `used` maps framework id -> resources its running tasks hold on this agent.
  virtual void addAgent(const std::string& agentId, const Resources& total,
                        const std::map<std::string, Resources>& used) = 0;
  virtual void removeAgent(const std::string& agentId) = 0;

  // Resources allocated to a framework come back (declined, unused, task ended). With
  // `refuse`, the framework is not offered these resources of this agent again for that long.
  virtual void recoverResources(const std::string& frameworkId, const std::string& agentId,
                                const Resources& resources, std::optional<Duration> refuse) = 0;

  virtual std::vector<Allocation> allocate() = 0;
};

// Dominant Resource Fairness between roles and then between the frameworks of a role.
std::unique_ptr<Allocator> makeDrfAllocator(Clock& clock);

}  // namespace agora
