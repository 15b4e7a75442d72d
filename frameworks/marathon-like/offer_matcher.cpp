#include "frameworks/marathon-like/offer_matcher.hpp"

#include <algorithm>
#include <sstream>

namespace agora::marathon {

namespace {

std::string trimmed(double d) {
  std::ostringstream s;
  s << d;
  return s.str();
}

const char* reasonFor(const std::string& scalar) {
  if (scalar == "cpus") return "InsufficientCpus";
  if (scalar == "mem") return "InsufficientMemory";
  if (scalar == "disk") return "InsufficientDisk";
  if (scalar == "gpus") return "InsufficientGpus";
  return "InsufficientResources";
}

double usableAmount(const Resources& pool, const std::string& name, const std::vector<std::string>& roles) {
  double sum = 0;
  for (const Resource& r : pool.items())
    if (r.name == name && r.type == Resource::Type::kScalar &&
        (roles.empty() || std::find(roles.begin(), roles.end(), r.role) != roles.end()))
      sum += r.value();
  return sum;
}

bool hasAcceptedRole(const Resources& pool, const std::vector<std::string>& roles) {
  if (roles.empty()) return true;
  return std::any_of(pool.items().begin(), pool.items().end(), [&](const Resource& r) {
    return std::find(roles.begin(), roles.end(), r.role) != roles.end();
  });
}

// Why `needs` does not fit `agent`, recorded in `why`.
void recordShortfall(const sdk::AgentOffers& agent, const sdk::TaskNeeds& needs, OfferReasons& why) {
  if (!hasAcceptedRole(agent.available, needs.acceptedRoles)) {
    ++why.declined["UnfulfilledRole"];
    return;
  }
  for (const Resource& want : needs.scalars.items()) {
    double have = usableAmount(agent.available, want.name, needs.acceptedRoles);
    if (have + 1e-9 >= want.value()) continue;
    ++why.declined[reasonFor(want.name)];
    why.needs[want.name] = want.value();
    OfferReasons::Largest& l = why.largest[want.name];
    if (have > l.amount) l = {have, agent.agentId};
    return;
  }
  ++why.declined["InsufficientPorts"];
}

}  // namespace

std::string OfferReasons::closest() const {
  std::string out;
  for (const auto& [name, l] : largest) {
    auto need = needs.find(name);
    if (need == needs.end()) continue;
    if (!out.empty()) out += "; ";
    out += "needs " + name + " " + trimmed(need->second) + ", largest offer had " + trimmed(l.amount) + " (agent " +
           l.agent + ")";
  }
  return out;
}

sdk::TaskNeeds needsOf(const AppDefinition& app) {
  sdk::TaskNeeds needs;
  auto add = [&](const char* name, double v) {
    if (v > 0) (void)needs.scalars.add(Resource::scalar(name, v));
  };
  add("cpus", app.cpus);
  add("mem", app.mem);
  add("disk", app.disk);
  add("gpus", app.gpus);
  for (const PortDefinition& p : app.portDefinitions) needs.ports.push_back({app.requirePorts ? p.port : 0, p.name});
  needs.acceptedRoles = app.acceptedResourceRoles;
  return needs;
}

std::vector<PlannedLaunch> matchOffers(std::vector<sdk::AgentOffers>& agents, std::vector<LaunchRequest>& requests,
                                       std::map<std::string, OfferReasons>& reasons, double now) {
  std::vector<PlannedLaunch> planned;
  for (size_t r = 0; r < requests.size(); ++r) {
    LaunchRequest& request = requests[r];
    OfferReasons& why = reasons[request.app->id];
    if (why.since == 0) why.since = now;
    sdk::TaskNeeds needs = needsOf(*request.app);
    for (size_t a = 0; a < agents.size() && request.count > 0; ++a) {
      sdk::AgentOffers& agent = agents[a];
      ++why.processed;
      bool used = false;
      while (request.count > 0) {
        Status fits = sdk::satisfiesAll(request.constraints, agent.hostname, agent.attributes, request.placed);
        if (!fits.ok()) {
          if (!used) ++why.declined["UnfulfilledConstraint"], ++why.constraints[fits.error()];
          break;
        }
        Try<sdk::Taken> taken = sdk::take(agent, needs);
        if (taken.isError()) {
          if (!used) recordShortfall(agent, needs, why);
          break;
        }
        planned.push_back({r, a, std::move(*taken)});
        request.placed.push_back({agent.hostname, agent.attributes});
        --request.count;
        used = true;
      }
      if (used) why.lastUsedAt = now;
      else ++why.unused, why.lastUnusedAt = now;
    }
  }
  return planned;
}

}  // namespace agora::marathon
