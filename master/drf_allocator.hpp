#pragma once
// The first allocator: two-level Dominant Resource Fairness (roles, then frameworks within a
// role) with decline filters and suppression. Roles have weight 1 until the roles issue adds
// weights, quota and the role tree.

#include <map>
#include <set>
#include <unordered_map>

#include "master/allocator.hpp"

namespace agora {

class DrfAllocator final : public Allocator {
 public:
  explicit DrfAllocator(Clock& clock) : clock_(clock) {}

  void addFramework(const std::string& frameworkId, const std::vector<std::string>& roles, bool active) override;
  void removeFramework(const std::string& frameworkId) override;
  void activateFramework(const std::string& frameworkId) override;
  void deactivateFramework(const std::string& frameworkId) override;
  void suppressOffers(const std::string& frameworkId) override;
  void reviveOffers(const std::string& frameworkId) override;
  void addAgent(const std::string& agentId, const Resources& total,
                const std::map<std::string, Resources>& used) override;
  void removeAgent(const std::string& agentId) override;
  void recoverResources(const std::string& frameworkId, const std::string& agentId,
                        const Resources& resources, std::optional<Duration> refuse) override;
  std::vector<Allocation> allocate() override;

  // Dominant share of a framework or role among the current cluster total, for the state API.
  double frameworkShare(const std::string& frameworkId) const;
  double roleShare(const std::string& role) const;

 private:
  struct Filter {
    Resources resources;
    TimePoint expires;
  };
  struct FrameworkEntry {
    std::vector<std::string> roles;
    bool active = true;
    bool suppressed = false;
    Resources allocated;  // over all agents
    std::map<std::string, std::vector<Filter>> filters;  // agent id -> filters
  };
  struct AgentEntry {
    Resources total;
    Resources allocated;
  };

  double share(const Resources& allocated) const;
  bool isFiltered(FrameworkEntry& fw, const std::string& agentId, const Resources& candidate);
  std::vector<std::string> sortedRoles() const;
  std::vector<std::string> sortedFrameworks(const std::string& role) const;
  void allocateAgent(const std::string& agentId, AgentEntry& agent, std::vector<Allocation>& out);

  Clock& clock_;
  std::map<std::string, FrameworkEntry> frameworks_;
  std::map<std::string, AgentEntry> agents_;
  std::map<std::string, Resources> roleAllocated_;
  std::map<std::string, std::set<std::string>> roleFrameworks_;
  Resources clusterTotal_;
};

}  // namespace agora
