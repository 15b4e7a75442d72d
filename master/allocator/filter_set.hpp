#pragma once
// Decline filters: a framework refused some of an agent's resources until a time. A filter
// that covers all the agent has blocks the framework there outright; the set counts, per
// agent, how many eligible frameworks are blocked that way, so that an agent that every
// candidate framework has declined costs one comparison per cycle, not one check per
// framework (the shape of a thousand frameworks declining half the cluster).

#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.hpp"
#include "common/resources.hpp"

namespace agora {

class FilterSet {
 public:
  // `eligible`: whether the framework may be offered anything now (active, some role not
  // suppressed); it decides whether a full filter counts as blocking.
  void add(const std::string& frameworkId, const std::string& agentId, const Resources& refused,
           const Resources& agentTotal, TimePoint until, bool eligible);
  // Drops the filters of `agentId` that are over by `now`; cheap when none is.
  void expire(const std::string& agentId, TimePoint now, const std::function<bool(const std::string&)>& eligible);
  bool filtered(const std::string& frameworkId, const std::string& agentId, const Resources& candidate) const;
  // Every eligible framework is blocked on this agent.
  bool blocksAll(const std::string& agentId, int eligibleFrameworks) const;

  // Agents on which the framework holds a filter (some may be over, not yet expired).
  size_t agentsOf(const std::string& frameworkId) const {
    auto it = byFramework_.find(frameworkId);
    return it == byFramework_.end() ? 0 : it->second.size();
  }

  void eligibilityChanged(const std::string& frameworkId, bool eligible);
  void removeFramework(const std::string& frameworkId, bool eligible);
  void removeAgent(const std::string& agentId);

 private:
  struct Partial {
    Resources resources;
    TimePoint until;
  };
  struct AgentFilters {
    std::unordered_map<std::string, TimePoint> full;
    std::unordered_map<std::string, std::vector<Partial>> partial;
    int blockedEligible = 0;
    TimePoint next = TimePoint::max();
  };

  std::unordered_map<std::string, AgentFilters> agents_;
  std::unordered_map<std::string, std::unordered_set<std::string>> byFramework_;  // framework -> agents
};

}  // namespace agora
