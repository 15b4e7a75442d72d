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
#include "master/allocator/role_tree.hpp"

namespace agora {

struct Allocation {
  std::string frameworkId;
  std::string role;
  std::string agentId;
  Resources resources;
};

// A role as the allocator sees it, for the operator API.
struct RoleView {
  std::string role;
  double weight = 1.0;
  Quota quota;
  std::map<std::string, double> allocated;  // scalars offered or in use in this subtree
  double share = 0;                         // dominant share of the cluster
  std::map<std::string, double> frameworks; // framework id -> its dominant share in this role
  std::vector<std::string> suppressedBy;    // frameworks of this role that suppressed its offers
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
  // Per role of the framework; no roles: all of them. Revive also clears decline filters.
  virtual void suppressOffers(const std::string& frameworkId, const std::vector<std::string>& roles) = 0;
  virtual void reviveOffers(const std::string& frameworkId, const std::vector<std::string>& roles) = 0;

  // Role weights (default 1) and quota; an empty quota removes it. Roles are validated by
  // the caller (validateRole).
  virtual void setWeight(const std::string& role, double weight) = 0;
  virtual void setQuota(const std::string& role, const Quota& quota) = 0;

  // `used` maps framework id -> resources its running tasks hold on this agent.
  virtual void addAgent(const std::string& agentId, const Resources& total,
                        const std::map<std::string, Resources>& used) = 0;
  virtual void removeAgent(const std::string& agentId) = 0;
  // A draining agent is offered to nobody; what it holds stays allocated.
  virtual void setAgentDraining(const std::string& agentId, bool draining) = 0;
  // A RESERVE or UNRESERVE on resources a framework holds on an agent: `from` becomes `to`
  // (the same amounts, other roles) in the framework's allocation and the agent's total.
  virtual void convertAllocation(const std::string& frameworkId, const std::string& agentId, const Resources& from,
                                 const Resources& to) = 0;
  // The same for resources nobody holds (an operator's reservation): fails, changing nothing,
  // unless the agent has `from` available.
  virtual Status convertAvailable(const std::string& agentId, const Resources& from, const Resources& to) = 0;

  // Resources allocated to a framework come back (declined, unused, task ended). With
  // `refuse`, the framework is not offered these resources of this agent again for that long.
  virtual void recoverResources(const std::string& frameworkId, const std::string& agentId,
                                const Resources& resources, std::optional<Duration> refuse) = 0;

  // kAll: every agent (the periodic cycle; decline filters expire there). kChanged: only
  // agents whose available resources, or whose candidate frameworks, changed since the last
  // cycle (the cycle that events trigger).
  enum class Scope { kAll, kChanged };
  virtual std::vector<Allocation> allocate(Scope scope) = 0;

  // Every role in the tree (with a framework, a weight or a quota), parents before children.
  virtual std::vector<RoleView> roles() = 0;
  // Agents on which the framework holds a decline filter now: why it may see fewer offers.
  virtual size_t filteredAgents(const std::string& frameworkId) const = 0;
};

// Hierarchical weighted Dominant Resource Fairness: quota guarantees first, then fair shares
// between sibling roles down the role tree, then between the frameworks of a role.
std::unique_ptr<Allocator> makeHierarchicalAllocator(Clock& clock);

}  // namespace agora
