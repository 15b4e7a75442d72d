#include "master/allocator/filter_set.hpp"

#include <algorithm>

namespace agora {

void FilterSet::add(const std::string& frameworkId, const std::string& agentId, const Resources& refused,
                    const Resources& agentTotal, TimePoint until, bool eligible) {
  AgentFilters& a = agents_[agentId];
  if (refused.contains(agentTotal)) {
    auto [it, inserted] = a.full.try_emplace(frameworkId, until);
    if (inserted && eligible) ++a.blockedEligible;
    it->second = std::max(it->second, until);
  } else {
    a.partial[frameworkId].push_back({refused, until});
  }
  a.next = std::min(a.next, until);
  byFramework_[frameworkId].insert(agentId);
}

void FilterSet::expire(const std::string& agentId, TimePoint now,
                       const std::function<bool(const std::string&)>& eligible) {
  auto it = agents_.find(agentId);
  if (it == agents_.end() || now < it->second.next) return;
  AgentFilters& a = it->second;
  a.next = TimePoint::max();
  for (auto f = a.full.begin(); f != a.full.end();) {
    if (f->second > now) {
      a.next = std::min(a.next, f->second);
      ++f;
      continue;
    }
    if (eligible(f->first)) --a.blockedEligible;
    if (!a.partial.count(f->first)) byFramework_[f->first].erase(agentId);
    f = a.full.erase(f);
  }
  for (auto p = a.partial.begin(); p != a.partial.end();) {
    auto& list = p->second;
    list.erase(std::remove_if(list.begin(), list.end(), [now](const Partial& x) { return x.until <= now; }),
               list.end());
    for (const Partial& x : list) a.next = std::min(a.next, x.until);
    if (!list.empty()) {
      ++p;
      continue;
    }
    if (!a.full.count(p->first)) byFramework_[p->first].erase(agentId);
    p = a.partial.erase(p);
  }
  if (a.full.empty() && a.partial.empty()) agents_.erase(it);
}

bool FilterSet::filtered(const std::string& frameworkId, const std::string& agentId,
                         const Resources& candidate) const {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) return false;
  if (it->second.full.count(frameworkId)) return true;
  auto p = it->second.partial.find(frameworkId);
  if (p == it->second.partial.end()) return false;
  for (const Partial& x : p->second)
    if (x.resources.contains(candidate)) return true;
  return false;
}

bool FilterSet::blocksAll(const std::string& agentId, int eligibleFrameworks) const {
  auto it = agents_.find(agentId);
  return it != agents_.end() && eligibleFrameworks > 0 && it->second.blockedEligible >= eligibleFrameworks;
}

void FilterSet::eligibilityChanged(const std::string& frameworkId, bool eligible) {
  auto fw = byFramework_.find(frameworkId);
  if (fw == byFramework_.end()) return;
  for (const std::string& agentId : fw->second) {
    AgentFilters& a = agents_.at(agentId);
    if (a.full.count(frameworkId)) a.blockedEligible += eligible ? 1 : -1;
  }
}

void FilterSet::removeFramework(const std::string& frameworkId, bool eligible) {
  auto fw = byFramework_.find(frameworkId);
  if (fw == byFramework_.end()) return;
  for (const std::string& agentId : fw->second) {
    auto it = agents_.find(agentId);
    if (it == agents_.end()) continue;
    AgentFilters& a = it->second;
    if (a.full.erase(frameworkId) && eligible) --a.blockedEligible;
    a.partial.erase(frameworkId);
    if (a.full.empty() && a.partial.empty()) agents_.erase(it);
  }
  byFramework_.erase(fw);
}

void FilterSet::removeAgent(const std::string& agentId) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) return;
  for (const auto& [frameworkId, until] : it->second.full) byFramework_[frameworkId].erase(agentId);
  for (const auto& [frameworkId, list] : it->second.partial) byFramework_[frameworkId].erase(agentId);
  agents_.erase(it);
}

}  // namespace agora
