#pragma once
// The production allocator: hierarchical weighted DRF with quota and reservations.
//
// A cycle has two stages, as in Mesos. Stage 1 serves quota guarantees: roles below their
// guarantee are offered, lowest share first, up to what they lack. Stage 2 shares the rest:
// for each agent the walk goes from the root of the role tree to the child with the lowest
// weighted dominant share, and so on down to the framework furthest below its fair share.
// Quota limits cap every offer along the way, and stage 2 leaves enough unreserved
// resources unallocated for the guarantees still unmet. Reserved resources go only to their
// role and its descendants. An agent's resources for a role go to one framework per cycle.

#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "master/allocator.hpp"
#include "master/allocator/filter_set.hpp"
#include "master/allocator/role_tree.hpp"

namespace agora {

class HierarchicalAllocator final : public Allocator {
 public:
  explicit HierarchicalAllocator(Clock& clock) : clock_(clock) {}

  void addFramework(const std::string& frameworkId, const std::vector<std::string>& roles, bool active) override;
  void removeFramework(const std::string& frameworkId) override;
  void activateFramework(const std::string& frameworkId) override;
  void deactivateFramework(const std::string& frameworkId) override;
  void suppressOffers(const std::string& frameworkId, const std::vector<std::string>& roles) override;
  void reviveOffers(const std::string& frameworkId, const std::vector<std::string>& roles) override;
  void setWeight(const std::string& role, double weight) override;
  void setQuota(const std::string& role, const Quota& quota) override;
  void addAgent(const std::string& agentId, const Resources& total,
                const std::map<std::string, Resources>& used) override;
  void removeAgent(const std::string& agentId) override;
  void setAgentDraining(const std::string& agentId, bool draining) override;
  void convertAllocation(const std::string& frameworkId, const std::string& agentId, const Resources& from,
                         const Resources& to) override;
  Status convertAvailable(const std::string& agentId, const Resources& from, const Resources& to) override;
  void recoverResources(const std::string& frameworkId, const std::string& agentId, const Resources& resources,
                        std::optional<Duration> refuse) override;
  std::vector<Allocation> allocate(Scope scope) override;
  std::vector<RoleView> roles() override;
  size_t filteredAgents(const std::string& frameworkId) const override { return filters_.agentsOf(frameworkId); }

  // Dominant shares against the cluster total, for the state API and tests.
  double frameworkShare(const std::string& frameworkId);
  double roleShare(const std::string& role);

 private:
  struct FrameworkEntry {
    std::set<std::string> roles;
    std::set<std::string> suppressed;
    bool active = true;
  };
  using Served = std::vector<const RoleTree::Node*>;  // roles an agent has served this cycle
  struct AgentEntry {
    Resources total;
    Resources available;
    bool reserved = false;  // holds reserved resources: offers depend on the role
    bool draining = false;
    std::map<std::pair<std::string, std::string>, Resources> allocations;  // (framework, role)
  };

  bool eligible(const FrameworkEntry& fw, const std::string& role) const;
  // Active with some role not suppressed: may be offered something somewhere.
  bool eligible(const FrameworkEntry& fw) const;
  void eligibilityChanged(const std::string& frameworkId, bool before);
  Resources offerable(const AgentEntry& agent, const std::string& role) const;
  Resources capped(const Resources& candidate, const Scalars& cap, const Scalars& headroom);
  Scalars headroomCap(const std::vector<RoleTree::Node*>& guaranteed);
  static std::vector<std::string> selected(const FrameworkEntry& fw, const std::vector<std::string>& roles);
  bool descend(RoleTree::Node& node, const std::string& agentId, AgentEntry& agent, Scalars cap,
               const Scalars& headroom, Served& served, std::vector<Allocation>& out);
  void grant(const std::string& frameworkId, RoleTree::Node& role, const std::string& agentId, AgentEntry& agent,
             Resources offer, const Scalars& scalars, std::vector<Allocation>& out);
  void release(const std::string& frameworkId, const std::string& role, AgentEntry& agent, const Resources& r);
  void stageOne(const std::vector<RoleTree::Node*>& guaranteed, const std::string& agentId, AgentEntry& agent,
                Served& served, std::vector<Allocation>& out);
  void updateTotal();
  void markAllChanged() { allChanged_ = true; }  // a framework or role may take more now

  Clock& clock_;
  ScalarNames names_;
  RoleTree roles_;
  std::unordered_map<std::string, FrameworkEntry> frameworks_;
  int eligibleFrameworks_ = 0;
  FilterSet filters_;
  std::map<std::string, AgentEntry> agents_;
  Resources clusterTotal_;
  Scalars totalScalars_;
  Scalars unreservedAvailable_;  // over all agents: what stage 2 must leave for guarantees
  std::unordered_set<std::string> changed_;
  bool allChanged_ = true;
  bool totalChanged_ = false;
};

}  // namespace agora
