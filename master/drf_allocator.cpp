#include "master/drf_allocator.hpp"

#include <algorithm>

#include <glog/logging.h>

namespace agora {

std::unique_ptr<Allocator> makeDrfAllocator(Clock& clock) { return std::make_unique<DrfAllocator>(clock); }

// A framework's allocation is accounted to its first role; the roles issue gives each
// (framework, role) pair its own account.
static const std::string& accountRole(const std::vector<std::string>& roles) {
  static const std::string kAny = "*";
  return roles.empty() ? kAny : roles.front();
}

void DrfAllocator::addFramework(const std::string& frameworkId, const std::vector<std::string>& roles,
                                bool active) {
  FrameworkEntry& fw = frameworks_[frameworkId];
  for (const auto& r : fw.roles) roleFrameworks_[r].erase(frameworkId);
  fw.roles = roles.empty() ? std::vector<std::string>{"*"} : roles;
  fw.active = active;
  for (const auto& r : fw.roles) roleFrameworks_[r].insert(frameworkId);
}

void DrfAllocator::removeFramework(const std::string& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) return;
  for (const auto& r : it->second.roles) roleFrameworks_[r].erase(frameworkId);
  roleAllocated_[accountRole(it->second.roles)] -= it->second.allocated;
  frameworks_.erase(it);
}

void DrfAllocator::activateFramework(const std::string& frameworkId) {
  if (auto it = frameworks_.find(frameworkId); it != frameworks_.end()) it->second.active = true;
}

void DrfAllocator::deactivateFramework(const std::string& frameworkId) {
  if (auto it = frameworks_.find(frameworkId); it != frameworks_.end()) it->second.active = false;
}

void DrfAllocator::suppressOffers(const std::string& frameworkId) {
  if (auto it = frameworks_.find(frameworkId); it != frameworks_.end()) it->second.suppressed = true;
}

void DrfAllocator::reviveOffers(const std::string& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) return;
  it->second.suppressed = false;
  it->second.filters.clear();  // revive also clears decline filters, as in Mesos
}

void DrfAllocator::addAgent(const std::string& agentId, const Resources& total,
                            const std::map<std::string, Resources>& used) {
  if (agents_.count(agentId)) removeAgent(agentId);
  AgentEntry& agent = agents_[agentId];
  agent.total = total;
  clusterTotal_ += total;
  for (const auto& [frameworkId, resources] : used) {
    agent.allocated += resources;
    auto fw = frameworks_.find(frameworkId);
    if (fw == frameworks_.end()) continue;  // the master adds it before it offers anything
    fw->second.allocated += resources;
    roleAllocated_[accountRole(fw->second.roles)] += resources;
  }
}

void DrfAllocator::removeAgent(const std::string& agentId) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) return;
  clusterTotal_ -= it->second.total;
  // The master recovers each framework's resources on this agent before removing it; what
  // is left here belongs to frameworks it does not know about.
  for (auto& [id, fw] : frameworks_) fw.filters.erase(agentId);
  agents_.erase(it);
}

void DrfAllocator::recoverResources(const std::string& frameworkId, const std::string& agentId,
                                    const Resources& resources, std::optional<Duration> refuse) {
  if (resources.empty()) return;
  if (auto agent = agents_.find(agentId); agent != agents_.end()) agent->second.allocated -= resources;
  auto fw = frameworks_.find(frameworkId);
  if (fw == frameworks_.end()) return;
  fw->second.allocated -= resources;
  roleAllocated_[accountRole(fw->second.roles)] -= resources;
  if (refuse && *refuse > Duration::zero() && agents_.count(agentId))
    fw->second.filters[agentId].push_back({resources, clock_.now() + *refuse});
}

double DrfAllocator::share(const Resources& allocated) const {
  double dominant = 0;
  for (const auto& r : clusterTotal_.items()) {
    if (r.type != Resource::Type::kScalar || r.milli == 0) continue;
    int64_t total = clusterTotal_.scalarMilli(r.name);
    if (total > 0) dominant = std::max(dominant, double(allocated.scalarMilli(r.name)) / double(total));
  }
  return dominant;
}

double DrfAllocator::frameworkShare(const std::string& frameworkId) const {
  auto it = frameworks_.find(frameworkId);
  return it == frameworks_.end() ? 0.0 : share(it->second.allocated);
}

double DrfAllocator::roleShare(const std::string& role) const {
  auto it = roleAllocated_.find(role);
  return it == roleAllocated_.end() ? 0.0 : share(it->second);
}

bool DrfAllocator::isFiltered(FrameworkEntry& fw, const std::string& agentId, const Resources& candidate) {
  auto it = fw.filters.find(agentId);
  if (it == fw.filters.end()) return false;
  TimePoint now = clock_.now();
  auto& filters = it->second;
  filters.erase(std::remove_if(filters.begin(), filters.end(), [now](const Filter& f) { return f.expires <= now; }),
                filters.end());
  if (filters.empty()) { fw.filters.erase(it); return false; }
  for (const Filter& f : filters)
    if (f.resources.contains(candidate)) return true;
  return false;
}

// Lowest dominant share first; ties broken by name so that a cycle is deterministic.
std::vector<std::string> DrfAllocator::sortedRoles() const {
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [role, members] : roleFrameworks_)
    if (!members.empty()) order.emplace_back(roleShare(role), role);
  std::sort(order.begin(), order.end());
  std::vector<std::string> out;
  for (auto& [s, r] : order) out.push_back(r);
  return out;
}

std::vector<std::string> DrfAllocator::sortedFrameworks(const std::string& role) const {
  std::vector<std::pair<double, std::string>> order;
  auto it = roleFrameworks_.find(role);
  if (it == roleFrameworks_.end()) return {};
  for (const auto& id : it->second) order.emplace_back(frameworkShare(id), id);
  std::sort(order.begin(), order.end());
  std::vector<std::string> out;
  for (auto& [s, id] : order) out.push_back(id);
  return out;
}

void DrfAllocator::allocateAgent(const std::string& agentId, AgentEntry& agent, std::vector<Allocation>& out) {
  for (const std::string& role : sortedRoles()) {
    Resources available = agent.total - agent.allocated;
    // Offerable to this role: unreserved resources and those reserved for the role itself.
    Resources candidate = available.reservedFor("*");
    if (role != "*") candidate += available.reservedFor(role);
    if (candidate.empty()) continue;
    for (const std::string& frameworkId : sortedFrameworks(role)) {
      FrameworkEntry& fw = frameworks_.at(frameworkId);
      if (!fw.active || fw.suppressed) continue;
      if (isFiltered(fw, agentId, candidate)) continue;
      agent.allocated += candidate;
      fw.allocated += candidate;
      roleAllocated_[accountRole(fw.roles)] += candidate;
      out.push_back({frameworkId, role, agentId, candidate});
      break;  // an agent's resources for a role go to one framework at a time
    }
  }
}

std::vector<Allocation> DrfAllocator::allocate() {
  std::vector<Allocation> out;
  for (auto& [agentId, agent] : agents_) allocateAgent(agentId, agent, out);
  return out;
}

}  // namespace agora
