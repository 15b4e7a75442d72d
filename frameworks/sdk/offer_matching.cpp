#include "frameworks/sdk/offer_matching.hpp"

#include <algorithm>
#include <map>

namespace agora::sdk {

std::vector<AgentOffers> groupByAgent(const std::vector<Offer>& offers) {
  std::vector<AgentOffers> groups;
  std::map<std::string, size_t> index;
  for (const Offer& o : offers) {
    auto [it, inserted] = index.try_emplace(o.agentId, groups.size());
    if (inserted) groups.push_back(AgentOffers{o.agentId, o.hostname, o.attributes, {}, {}});
    AgentOffers& g = groups[it->second];
    g.offerIds.push_back(o.id);
    g.available += o.resources;
  }
  return groups;
}

namespace {

bool roleAccepted(const std::string& role, const std::vector<std::string>& accepted) {
  return accepted.empty() || std::find(accepted.begin(), accepted.end(), role) != accepted.end();
}

// The entries of `pool` that `needs` may use, reserved roles before "*".
std::vector<const Resource*> usable(const Resources& pool, const std::string& name, Resource::Type type,
                                    const std::vector<std::string>& accepted) {
  std::vector<const Resource*> out;
  for (const Resource& r : pool.items())
    if (r.name == name && r.type == type && roleAccepted(r.role, accepted)) out.push_back(&r);
  std::stable_sort(out.begin(), out.end(),
                   [](const Resource* a, const Resource* b) { return a->role != "*" && b->role == "*"; });
  return out;
}

Status takeScalars(const Resources& pool, const TaskNeeds& needs, Resources& taken) {
  for (const Resource& want : needs.scalars.items()) {
    int64_t left = want.milli;
    for (const Resource* have : usable(pool, want.name, Resource::Type::kScalar, needs.acceptedRoles)) {
      if (left <= 0) break;
      int64_t n = std::min(left, have->milli);
      Resource part = *have;
      part.milli = n;
      (void)taken.add(part);
      left -= n;
    }
    if (left > 0) {
      Resources offered;
      for (const Resource* r : usable(pool, want.name, Resource::Type::kScalar, needs.acceptedRoles)) (void)offered.add(*r);
      return Error("needs " + want.name + ":" + want.valueString() + " but the offers have " +
                   (offered.empty() ? std::string("none") : offered.toString()) +
                   (needs.acceptedRoles.empty() ? "" : " in the accepted roles"));
    }
  }
  return Status::OK();
}

// One port from `candidates`: `number` if it is there, else the lowest free one.
std::optional<std::pair<std::string, uint64_t>> pickPort(const std::vector<const Resource*>& candidates,
                                                         const Resources& taken, uint64_t number) {
  Ranges used = taken.ranges("ports");
  for (const Resource* r : candidates) {
    Ranges free = subtractRanges(r->ranges, used);
    if (number != 0) {
      if (rangesContain(free, {{number, number}})) return std::pair{r->role, number};
      continue;
    }
    if (!free.empty()) return std::pair{r->role, free.front().begin};
  }
  return std::nullopt;
}

Status takePorts(const Resources& pool, const TaskNeeds& needs, Resources& taken, std::vector<uint64_t>& ports) {
  auto candidates = usable(pool, "ports", Resource::Type::kRanges, needs.acceptedRoles);
  // Literal ports first, so that "any" ports never take one a later request needs.
  std::vector<size_t> order(needs.ports.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_partition(order.begin(), order.end(), [&](size_t i) { return needs.ports[i].number != 0; });
  ports.assign(needs.ports.size(), 0);
  for (size_t i : order) {
    const PortRequest& want = needs.ports[i];
    auto picked = pickPort(candidates, taken, want.number);
    if (!picked) {
      std::string which = want.number ? "port " + std::to_string(want.number) : "a port";
      if (!want.name.empty()) which += " ('" + want.name + "')";
      return Error("needs " + which + " but the offers have " +
                   (want.number ? "not that one free" : std::string("no free port left")));
    }
    (void)taken.add(Resource::range("ports", {{picked->second, picked->second}}, picked->first));
    ports[i] = picked->second;
  }
  return Status::OK();
}

}  // namespace

Try<Taken> take(AgentOffers& agent, const TaskNeeds& needs) {
  Taken out;
  Status scalars = takeScalars(agent.available, needs, out.resources);
  if (!scalars.ok()) return Error(scalars.error());
  Status ports = takePorts(agent.available, needs, out.resources, out.ports);
  if (!ports.ok()) return Error(ports.error());
  agent.available -= out.resources;
  return out;
}

}  // namespace agora::sdk
