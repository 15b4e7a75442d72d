#include "master/allocator/hierarchical_allocator.hpp"

#include <algorithm>

#include <glog/logging.h>

namespace agora {

std::unique_ptr<Allocator> makeHierarchicalAllocator(Clock& clock) {
  return std::make_unique<HierarchicalAllocator>(clock);
}

// ---------------------------------------------------------------- frameworks

// A framework may still hold resources in a role it left (until they come back); it is never
// offered more there.
bool HierarchicalAllocator::eligible(const FrameworkEntry& fw, const std::string& role) const {
  return fw.active && fw.roles.count(role) && !fw.suppressed.count(role);
}

bool HierarchicalAllocator::eligible(const FrameworkEntry& fw) const {
  return fw.active && fw.suppressed.size() < fw.roles.size();
}

// Keeps the count of eligible frameworks, and the filters' view of them, in step.
void HierarchicalAllocator::eligibilityChanged(const std::string& frameworkId, bool before) {
  auto it = frameworks_.find(frameworkId);
  bool after = it != frameworks_.end() && eligible(it->second);
  if (before == after) return;
  eligibleFrameworks_ += after ? 1 : -1;
  filters_.eligibilityChanged(frameworkId, after);
}

void HierarchicalAllocator::addFramework(const std::string& frameworkId, const std::vector<std::string>& roles,
                                         bool active) {
  std::set<std::string> wanted(roles.begin(), roles.end());
  if (wanted.empty()) wanted.insert("*");
  auto [it, inserted] = frameworks_.try_emplace(frameworkId);
  FrameworkEntry& fw = it->second;
  bool before = !inserted && eligible(fw);
  for (const std::string& role : fw.roles) {
    RoleTree::Node* node = roles_.find(role);
    if (eligible(fw, role)) roles_.setEligible(*node, false);
    if (!wanted.count(role) && !node->frameworks.allocation(frameworkId).anyPositive()) {
      roles_.removeFramework(*node, frameworkId);
      roles_.prune(*node);
    }
  }
  fw.active = active;
  for (const std::string& role : wanted) {
    RoleTree::Node& node = roles_.ensure(role);
    if (!node.frameworks.contains(frameworkId)) roles_.addFramework(node, frameworkId);
  }
  fw.roles = wanted;
  for (auto s = fw.suppressed.begin(); s != fw.suppressed.end();) s = wanted.count(*s) ? std::next(s) : fw.suppressed.erase(s);
  for (const std::string& role : fw.roles)
    if (eligible(fw, role)) roles_.setEligible(*roles_.find(role), true);
  eligibilityChanged(frameworkId, before);
  markAllChanged();
}

void HierarchicalAllocator::removeFramework(const std::string& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) return;
  FrameworkEntry& fw = it->second;
  // What the master did not recover goes back to the agents.
  for (auto& [agentId, agent] : agents_) {
    for (auto a = agent.allocations.begin(); a != agent.allocations.end();) {
      if (a->first.first != frameworkId) { ++a; continue; }
      Resources r = a->second;
      std::string role = a->first.second;
      ++a;
      release(frameworkId, role, agent, r);
      changed_.insert(agentId);
    }
  }
  for (const std::string& role : fw.roles)
    if (eligible(fw, role)) roles_.setEligible(*roles_.find(role), false);
  // Also the roles it left while it still held resources there.
  std::vector<std::string> holding;
  roles_.forEach([&](RoleTree::Node& node) {
    if (node.frameworks.contains(frameworkId)) holding.push_back(node.path);
  });
  for (const std::string& role : holding) {
    RoleTree::Node* node = roles_.find(role);
    roles_.removeFramework(*node, frameworkId);
    roles_.prune(*node);
  }
  bool was = eligible(fw);
  if (was) --eligibleFrameworks_;
  filters_.removeFramework(frameworkId, was);
  frameworks_.erase(it);
}

void HierarchicalAllocator::activateFramework(const std::string& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end() || it->second.active) return;
  bool before = eligible(it->second);
  it->second.active = true;
  for (const std::string& role : it->second.roles)
    if (eligible(it->second, role)) roles_.setEligible(*roles_.find(role), true);
  eligibilityChanged(frameworkId, before);
  markAllChanged();
}

void HierarchicalAllocator::deactivateFramework(const std::string& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end() || !it->second.active) return;
  bool before = eligible(it->second);
  for (const std::string& role : it->second.roles)
    if (eligible(it->second, role)) roles_.setEligible(*roles_.find(role), false);
  it->second.active = false;
  eligibilityChanged(frameworkId, before);
}

// The roles a suppress or revive names; none: all of the framework's.
std::vector<std::string> HierarchicalAllocator::selected(const FrameworkEntry& fw, const std::vector<std::string>& roles) {
  return roles.empty() ? std::vector<std::string>(fw.roles.begin(), fw.roles.end()) : roles;
}

void HierarchicalAllocator::suppressOffers(const std::string& frameworkId, const std::vector<std::string>& roles) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) return;
  FrameworkEntry& fw = it->second;
  bool before = eligible(fw);
  for (const std::string& role : selected(fw, roles)) {
    if (!fw.roles.count(role) || fw.suppressed.count(role)) continue;
    if (eligible(fw, role)) roles_.setEligible(*roles_.find(role), false);
    fw.suppressed.insert(role);
  }
  eligibilityChanged(frameworkId, before);
}

void HierarchicalAllocator::reviveOffers(const std::string& frameworkId, const std::vector<std::string>& roles) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) return;
  FrameworkEntry& fw = it->second;
  bool before = eligible(fw);
  for (const std::string& role : selected(fw, roles)) {
    if (!fw.suppressed.count(role)) continue;
    fw.suppressed.erase(role);
    if (eligible(fw, role)) roles_.setEligible(*roles_.find(role), true);
  }
  eligibilityChanged(frameworkId, before);
  filters_.removeFramework(frameworkId, eligible(fw));  // revive also clears decline filters, as in Mesos
  markAllChanged();
}

// ---------------------------------------------------------------- roles

void HierarchicalAllocator::setWeight(const std::string& role, double weight) {
  RoleTree::Node& node = roles_.ensure(role);
  roles_.setWeight(node, weight);
  roles_.prune(node);
  markAllChanged();
}

void HierarchicalAllocator::setQuota(const std::string& role, const Quota& quota) {
  RoleTree::Node& node = roles_.ensure(role);
  roles_.setQuota(node, quota, names_);
  roles_.prune(node);
  markAllChanged();
}

double HierarchicalAllocator::frameworkShare(const std::string& frameworkId) {
  updateTotal();
  Scalars sum;
  for (const auto& [agentId, agent] : agents_)
    for (const auto& [key, r] : agent.allocations)
      if (key.first == frameworkId) sum += toScalars(r, names_);
  return dominantShare(sum, totalScalars_);
}

double HierarchicalAllocator::roleShare(const std::string& role) {
  updateTotal();
  RoleTree::Node* node = roles_.find(role);
  return node ? dominantShare(node->allocated, totalScalars_) : 0.0;
}

std::vector<RoleView> HierarchicalAllocator::roles() {
  updateTotal();
  std::vector<RoleView> out;
  roles_.forEach([&](RoleTree::Node& node) {
    if (node.parent == nullptr) return;  // the root is no role
    RoleView view;
    view.role = node.path;
    view.weight = node.weight;
    view.quota = node.quota;
    for (size_t i = 0; i < names_.names().size(); ++i)
      view.allocated[names_.names()[i]] = static_cast<double>(node.allocated.milli[i]) / 1000.0;
    view.share = dominantShare(node.allocated, totalScalars_);
    for (const auto& [key, id] : node.frameworks.order()) {
      view.frameworks[id] = node.frameworks.share(id);
      auto fw = frameworks_.find(id);
      if (fw != frameworks_.end() && fw->second.suppressed.count(node.path)) view.suppressedBy.push_back(id);
    }
    out.push_back(std::move(view));
  });
  return out;
}

// ---------------------------------------------------------------- agents

void HierarchicalAllocator::addAgent(const std::string& agentId, const Resources& total,
                                     const std::map<std::string, Resources>& used) {
  if (agents_.count(agentId)) removeAgent(agentId);
  AgentEntry& agent = agents_[agentId];
  agent.total = total;
  agent.available = total;
  agent.reserved = !(total.reservedFor("*") == total);
  clusterTotal_ += total;
  unreservedAvailable_ += toScalars(total.reservedFor("*"), names_);
  totalChanged_ = true;
  updateTotal();
  for (const auto& [frameworkId, resources] : used) {
    // Tasks that outlived a failover: accounted to the framework's first role.
    auto fw = frameworks_.find(frameworkId);
    if (fw == frameworks_.end()) addFramework(frameworkId, {"*"}, false);
    std::string role = *frameworks_.at(frameworkId).roles.begin();
    // Only what the agent has: it may come back smaller than its tasks.
    Resources held = agent.available - (agent.available - resources);
    agent.available -= held;
    agent.allocations[{frameworkId, role}] += held;
    unreservedAvailable_ -= toScalars(held.reservedFor("*"), names_);
    roles_.allocate(*roles_.find(role), frameworkId, toScalars(held, names_));
  }
  changed_.insert(agentId);
}

void HierarchicalAllocator::removeAgent(const std::string& agentId) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) return;
  AgentEntry& agent = it->second;
  for (auto& [key, r] : agent.allocations)
    if (RoleTree::Node* node = roles_.find(key.second)) roles_.unallocate(*node, key.first, toScalars(r, names_));
  clusterTotal_ -= agent.total;
  unreservedAvailable_ -= toScalars(agent.available.reservedFor("*"), names_);
  filters_.removeAgent(agentId);
  agents_.erase(it);
  changed_.erase(agentId);
  totalChanged_ = true;
}

void HierarchicalAllocator::setAgentDraining(const std::string& agentId, bool draining) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) return;
  it->second.draining = draining;
  changed_.insert(agentId);
}

void HierarchicalAllocator::convertAllocation(const std::string& frameworkId, const std::string& agentId,
                                              const Resources& from, const Resources& to) {
  auto agent = agents_.find(agentId);
  if (agent == agents_.end()) return;
  for (auto& [key, held] : agent->second.allocations) {
    if (key.first != frameworkId || !held.contains(from)) continue;
    // Same amounts: the role tree's scalars do not move.
    held -= from;
    held += to;
    agent->second.total -= from;
    agent->second.total += to;
    clusterTotal_ -= from;
    clusterTotal_ += to;
    agent->second.reserved = !(agent->second.total.reservedFor("*") == agent->second.total);
    return;
  }
  LOG(ERROR) << "Framework " << frameworkId << " does not hold " << from << " on agent " << agentId
             << "; the conversion to " << to << " is not accounted";
}

Status HierarchicalAllocator::convertAvailable(const std::string& agentId, const Resources& from,
                                              const Resources& to) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) return Error("no agent " + agentId);
  AgentEntry& agent = it->second;
  if (!agent.available.contains(from))
    return Error("agent " + agentId + " has only " + agent.available.toString() + " free (the rest is in use)");
  unreservedAvailable_ -= toScalars(agent.available.reservedFor("*"), names_);
  agent.available -= from;
  agent.available += to;
  unreservedAvailable_ += toScalars(agent.available.reservedFor("*"), names_);
  agent.total -= from;
  agent.total += to;
  clusterTotal_ -= from;
  clusterTotal_ += to;
  agent.reserved = !(agent.total.reservedFor("*") == agent.total);
  changed_.insert(agentId);
  return Status::OK();
}

void HierarchicalAllocator::release(const std::string& frameworkId, const std::string& role, AgentEntry& agent,
                                    const Resources& r) {
  auto key = std::make_pair(frameworkId, role);
  agent.allocations[key] -= r;
  if (agent.allocations[key].empty()) agent.allocations.erase(key);
  agent.available += r;
  unreservedAvailable_ += toScalars(r.reservedFor("*"), names_);
  if (RoleTree::Node* node = roles_.find(role)) roles_.unallocate(*node, frameworkId, toScalars(r, names_));
}

void HierarchicalAllocator::recoverResources(const std::string& frameworkId, const std::string& agentId,
                                             const Resources& resources, std::optional<Duration> refuse) {
  if (resources.empty()) return;
  auto agent = agents_.find(agentId);
  if (agent == agents_.end()) return;
  Resources left = resources;
  for (auto a = agent->second.allocations.begin(); a != agent->second.allocations.end() && !left.empty();) {
    if (a->first.first != frameworkId) { ++a; continue; }
    Resources part = a->second - (a->second - left);  // what of `left` this role holds
    std::string role = a->first.second;
    ++a;
    if (part.empty()) continue;
    release(frameworkId, role, agent->second, part);
    left -= part;
  }
  changed_.insert(agentId);
  auto fw = frameworks_.find(frameworkId);
  if (fw != frameworks_.end() && refuse && *refuse > Duration::zero())
    filters_.add(frameworkId, agentId, resources, agent->second.total, clock_.now() + *refuse, eligible(fw->second));
}

void HierarchicalAllocator::updateTotal() {
  if (!totalChanged_) return;
  totalScalars_ = toScalars(clusterTotal_, names_);
  roles_.setTotal(totalScalars_);
  totalChanged_ = false;
}

// ---------------------------------------------------------------- a cycle

// Unreserved resources, and those reserved for the role or one of its ancestors.
Resources HierarchicalAllocator::offerable(const AgentEntry& agent, const std::string& role) const {
  if (!agent.reserved) return agent.available;
  Resources out = agent.available.reservedFor("*");
  if (role != "*")
    for (const std::string& r : roleAndAncestors(role)) out += agent.available.reservedFor(r);
  return out;
}

// `candidate` with each scalar cut down to `cap` (quota limits), and its unreserved scalars
// also to `headroom` (what unmet guarantees leave); other resources as they are.
Resources HierarchicalAllocator::capped(const Resources& candidate, const Scalars& cap, const Scalars& headroom) {
  Resources out;
  Scalars left = cap, free = headroom;
  for (const Resource& r : candidate.items()) {
    int slot = r.type == Resource::Type::kScalar ? names_.find(r.name) : -1;
    if (slot < 0) {
      (void)out.add(r);
      continue;
    }
    size_t i = static_cast<size_t>(slot);
    int64_t room = r.role == "*" ? std::min(left.milli[i], free.milli[i]) : left.milli[i];
    if (room <= 0) continue;
    Resource part = r;
    part.milli = std::min(r.milli, room);
    left.milli[i] -= part.milli;
    if (r.role == "*") free.milli[i] -= part.milli;
    (void)out.add(part);
  }
  return out;
}

// Stage 2 may take from the unreserved pool only what the unmet guarantees do not need.
Scalars HierarchicalAllocator::headroomCap(const std::vector<RoleTree::Node*>& guaranteed) {
  Scalars cap;
  cap.milli.fill(RoleTree::kUnlimited);
  Scalars needed;
  bool any = false;
  for (RoleTree::Node* node : guaranteed) {
    // A parent's guarantee covers its children's: count each subtree once, at its top.
    bool covered = false;
    for (RoleTree::Node* up = node->parent; up != nullptr && !covered; up = up->parent)
      covered = up->guarantee.anyPositive();
    if (covered) continue;
    for (size_t i = 0; i < needed.milli.size(); ++i) {
      int64_t lack = node->guarantee.milli[i] - node->allocated.milli[i];
      if (lack > 0) needed.milli[i] += lack, any = true;
    }
  }
  if (!any) return cap;
  for (size_t i = 0; i < cap.milli.size(); ++i)
    if (needed.milli[i] > 0) cap.milli[i] = std::max<int64_t>(0, unreservedAvailable_.milli[i] - needed.milli[i]);
  return cap;
}

static Scalars minimum(const Scalars& a, const Scalars& b) {
  Scalars out;
  for (size_t i = 0; i < out.milli.size(); ++i) out.milli[i] = std::min(a.milli[i], b.milli[i]);
  return out;
}

void HierarchicalAllocator::grant(const std::string& frameworkId, RoleTree::Node& role, const std::string& agentId,
                                  AgentEntry& agent, Resources offer, const Scalars& scalars,
                                  std::vector<Allocation>& out) {
  if (offer == agent.available)
    agent.available = Resources();
  else
    agent.available -= offer;
  agent.allocations[{frameworkId, role.path}] += offer;
  unreservedAvailable_ -= agent.reserved ? toScalars(offer.reservedFor("*"), names_) : scalars;
  roles_.allocate(role, frameworkId, scalars);
  out.push_back({frameworkId, role.path, agentId, std::move(offer)});
}

// Walks down from `node` by weighted DRF to the first framework that takes this agent's
// resources; true if one did. `cap` holds the quota limits of the ancestors.
bool HierarchicalAllocator::descend(RoleTree::Node& node, const std::string& agentId, AgentEntry& agent, Scalars cap,
                                    const Scalars& headroom, Served& served, std::vector<Allocation>& out) {
  if (node.eligible <= 0) return false;
  Scalars room = node.limit;
  for (size_t i = 0; i < room.milli.size(); ++i)
    if (room.milli[i] != RoleTree::kUnlimited) room.milli[i] -= node.allocated.milli[i];
  cap = minimum(cap, room);
  // A grant reorders the sets walked here; every walk stops right after one.
  for (const auto& [key, name] : node.order.order()) {
    if (name != RoleTree::kSelf) {
      if (descend(*node.children.at(name), agentId, agent, cap, headroom, served, out)) return true;
      continue;
    }
    if (node.frameworks.empty() || std::find(served.begin(), served.end(), &node) != served.end()) continue;
    auto isLimited = [](const Scalars& c) {
      return std::any_of(c.milli.begin(), c.milli.end(), [](int64_t v) { return v != RoleTree::kUnlimited; });
    };
    bool limited = isLimited(cap) || isLimited(headroom);
    Resources offer = limited ? capped(offerable(agent, node.path), cap, headroom) : offerable(agent, node.path);
    Scalars scalars = toScalars(offer, names_);
    if (!scalars.anyPositive()) continue;
    for (const auto& [share, id] : node.frameworks.order()) {
      auto found = frameworks_.find(id);
      if (found == frameworks_.end()) continue;
      FrameworkEntry& fw = found->second;
      if (!eligible(fw, node.path) || filters_.filtered(id, agentId, offer)) continue;
      std::string frameworkId = id;  // the grant reorders the set that holds `id`
      served.push_back(&node);
      grant(frameworkId, node, agentId, agent, std::move(offer), scalars, out);
      return true;
    }
  }
  return false;
}

// Roles below their guarantee, lowest share first, get what they lack from this agent.
void HierarchicalAllocator::stageOne(const std::vector<RoleTree::Node*>& guaranteed, const std::string& agentId,
                                     AgentEntry& agent, Served& served, std::vector<Allocation>& out) {
  std::vector<RoleTree::Node*> lacking;
  for (RoleTree::Node* node : guaranteed) {
    Scalars lack = node->guarantee;
    lack -= node->allocated;
    if (lack.anyPositive() && node->eligible > 0) lacking.push_back(node);
  }
  std::sort(lacking.begin(), lacking.end(), [&](RoleTree::Node* a, RoleTree::Node* b) {
    return dominantShare(a->allocated, a->guarantee) < dominantShare(b->allocated, b->guarantee);
  });
  for (RoleTree::Node* node : lacking) {
    Scalars lack = node->guarantee;
    lack -= node->allocated;
    for (int64_t& v : lack.milli) v = std::max<int64_t>(0, v);
    // Limits of the role's ancestors still hold; descend() applies the role's own.
    Scalars cap = lack;
    for (RoleTree::Node* up = node->parent; up != nullptr; up = up->parent)
      for (size_t i = 0; i < cap.milli.size(); ++i)
        if (up->limit.milli[i] != RoleTree::kUnlimited)
          cap.milli[i] = std::min(cap.milli[i], up->limit.milli[i] - up->allocated.milli[i]);
    Scalars none;
    none.milli.fill(RoleTree::kUnlimited);
    descend(*node, agentId, agent, cap, none, served, out);
  }
}

std::vector<Allocation> HierarchicalAllocator::allocate(Scope scope) {
  updateTotal();
  bool all = scope == Scope::kAll || allChanged_;
  TimePoint now = clock_.now();
  auto frameworkEligible = [this](const std::string& id) {
    auto it = frameworks_.find(id);
    return it != frameworks_.end() && eligible(it->second);
  };
  std::vector<std::pair<const std::string*, AgentEntry*>> todo;
  auto consider = [&](const std::string& agentId, AgentEntry& agent) {
    if (agent.available.empty() || agent.draining) return;
    filters_.expire(agentId, now, frameworkEligible);
    if (!filters_.blocksAll(agentId, eligibleFrameworks_)) todo.emplace_back(&agentId, &agent);
  };
  if (all) {
    for (auto& [agentId, agent] : agents_) consider(agentId, agent);
  } else {
    // Only what changed, in agent order so that a cycle is deterministic.
    std::vector<std::map<std::string, AgentEntry>::iterator> changed;
    for (const std::string& id : changed_)
      if (auto it = agents_.find(id); it != agents_.end()) changed.push_back(it);
    std::sort(changed.begin(), changed.end(), [](auto a, auto b) { return a->first < b->first; });
    for (auto it : changed) consider(it->first, it->second);
  }
  changed_.clear();
  allChanged_ = false;
  std::vector<Allocation> out;
  if (roles_.root().eligible <= 0) return out;
  std::vector<Served> served(todo.size());
  const std::vector<RoleTree::Node*> guaranteed = roles_.guaranteed();  // once a cycle: it walks the tree
  bool guarantees = !guaranteed.empty();
  if (guarantees)
    for (size_t i = 0; i < todo.size(); ++i) stageOne(guaranteed, *todo[i].first, *todo[i].second, served[i], out);
  Scalars unlimited;
  unlimited.milli.fill(RoleTree::kUnlimited);
  for (size_t i = 0; i < todo.size(); ++i) {
    auto& [agentId, agent] = todo[i];
    // One role after another may take what is left (reserved resources, or what a quota
    // limit held back), each role once.
    while (!agent->available.empty() &&
           descend(roles_.root(), *agentId, *agent, unlimited, guarantees ? headroomCap(guaranteed) : unlimited, served[i],
                   out)) {
    }
  }
  return out;
}

}  // namespace agora
