// The operator API for roles: GET /api/v1/roles; PUT /api/v1/roles/ROLE/weight {"weight": 3};
// PUT /api/v1/roles/ROLE/quota {"guarantee": "cpus:8;mem:16384", "limit": ...}; DELETE
// /api/v1/roles/ROLE/quota. A change is checked, written to the registry, and only then
// given to the allocator, so that what an operator was told was set survives a restart.
#include <cmath>

#include <glog/logging.h>

#include "master/master.hpp"

namespace agora {

using nlohmann::json;

namespace {

json quotaJson(const Quota& q) { return json{{"guarantee", q.guarantee.toJson()}, {"limit", q.limit.toJson()}}; }

// "cpus:8;mem:16384" or {"cpus": 8, "mem": 16384}; absent: none.
Try<Resources> resourcesField(const json& body, const char* name) {
  if (!body.contains(name) || body[name].is_null()) return Resources();
  auto r = Resources::fromJson(body[name]);
  if (r.isError()) return Error(std::string("'") + name + "': " + r.error());
  for (const Resource& x : r->items())
    if (x.type != Resource::Type::kScalar || x.role != "*")
      return Error(std::string("'") + name + "': quota holds unreserved scalars only (cpus, mem, disk, gpus), not " +
                   x.name + (x.role != "*" ? "(" + x.role + ")" : ""));
  return r;
}

}  // namespace

json Master::rolesJson() {
  std::map<std::string, Resources> reserved;
  for (const auto& [id, agent] : agents_)
    for (const Resource& r : agent.info.resources.items())
      if (r.role != "*") {
        Resources one;
        (void)one.add(r);
        reserved[r.role] += one.flatten();
      }
  json out = json::array();
  for (const RoleView& v : allocator_->roles()) {
    // Offers of this role's subtree; the rest of its allocation is in use by tasks.
    Resources offered;
    for (const auto& [id, offer] : offers_.all())
      if (offer.role == v.role || offer.role.rfind(v.role + "/", 0) == 0) offered += offer.resources;
    json used = json::object(), offeredJson = json::object();
    for (const auto& [name, amount] : v.allocated) {
      offeredJson[name] = offered.scalar(name);
      used[name] = std::max(0.0, amount - offered.scalar(name));
    }
    json frameworks = json::array();
    for (const auto& [id, share] : v.frameworks) frameworks.push_back({{"id", id}, {"share", share}});
    out.push_back({{"role", v.role},
                   {"weight", v.weight},
                   {"quota", quotaJson(v.quota)},
                   {"allocated", v.allocated},
                   {"offered", offeredJson},
                   {"used", used},
                   {"reserved", reserved[v.role].toJson()},
                   {"share", v.share},
                   {"frameworks", frameworks},
                   {"suppressed_by", v.suppressedBy}});
  }
  return out;
}

ApiReply Master::handleRoles(const ApiCall& call) {
  if (call.path == "/api/v1/roles") {
    if (call.method != "GET") return errorReply(405, "/api/v1/roles answers GET only");
    return jsonReply(200, json{{"roles", rolesJson()}});
  }
  // /api/v1/roles/<role>/<what>; the role itself may hold slashes.
  std::string rest = call.path.substr(std::string("/api/v1/roles/").size());
  size_t slash = rest.rfind('/');
  if (slash == std::string::npos)
    return errorReply(404, "no endpoint " + call.path + "; use /api/v1/roles/ROLE/weight or /api/v1/roles/ROLE/quota");
  std::string role = rest.substr(0, slash), what = rest.substr(slash + 1);
  Status valid = validateRole(role);
  if (!valid.ok()) return errorReply(400, valid.error());
  if (what != "weight" && what != "quota")
    return errorReply(404, "no endpoint " + call.path + "; use /api/v1/roles/ROLE/weight or /api/v1/roles/ROLE/quota");
  RoleConfig config = roleConfigs_.count(role) ? roleConfigs_[role] : RoleConfig{};
  if (call.method == "DELETE" && what == "quota") {
    config.quota = Quota{};
  } else if (call.method == "PUT" || call.method == "POST") {
    json body = json::parse(call.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return errorReply(400, "the body must be a JSON object, e.g. " +
                                 std::string(what == "weight" ? R"({"weight": 3})" : R"({"guarantee": "cpus:8;mem:16384"})"));
    if (what == "weight") {
      if (!body.contains("weight") || !body["weight"].is_number())
        return errorReply(400, R"(give the weight as a number: {"weight": 3})");
      double weight = body["weight"];
      if (!std::isfinite(weight) || weight <= 0) return errorReply(400, "the weight must be a positive number");
      config.weight = weight;
    } else {
      Try<Resources> guarantee = resourcesField(body, "guarantee"), limit = resourcesField(body, "limit");
      if (guarantee.isError()) return errorReply(400, guarantee.error());
      if (limit.isError()) return errorReply(400, limit.error());
      if (guarantee->empty() && limit->empty())
        return errorReply(400, R"(give a guarantee, a limit or both, e.g. {"guarantee": "cpus:8;mem:16384"})");
      for (const Resource& g : guarantee->items())
        if (limit->scalarMilli(g.name) > 0 && limit->scalarMilli(g.name) < g.milli)
          return errorReply(400, "the guarantee of " + g.name + " is above its limit");
      Resources total;
      for (const auto& [id, agent] : agents_)
        if (agent.state == AgentState::kActive) total += agent.info.resources.flatten();
      // A parent's guarantee covers its children's: sum the topmost guaranteed roles only.
      std::map<std::string, Resources> guarantees;
      for (const auto& [other, c] : roleConfigs_)
        if (other != role && !c.quota.guarantee.empty()) guarantees[other] = c.quota.guarantee;
      if (!guarantee->empty()) guarantees[role] = *guarantee;
      Resources guaranteed;
      for (const auto& [r, g] : guarantees) {
        bool covered = false;
        for (const std::string& up : roleAndAncestors(r)) covered = covered || (up != r && guarantees.count(up));
        if (!covered) guaranteed += g;
      }
      if (!total.contains(guaranteed))
        return errorReply(409, "the guarantees of all roles would be " + guaranteed.toString() +
                                   " but the cluster has only " + total.toString());
      config.quota = Quota{*guarantee, *limit};
    }
  } else {
    return errorReply(405, call.path + " answers " + (what == "quota" ? "PUT and DELETE" : "PUT"));
  }
  bool isDefault = config.weight == 1.0 && config.quota.guarantee.empty() && config.quota.limit.empty();
  auto pending = std::make_shared<PendingReply>();
  auto written = [this, role, config, isDefault, pending](const Status& persisted) {
    if (!persisted.ok())
      return pending->give(errorReply(503, "not changed: the registry write failed: " + persisted.error()));
    if (isDefault)
      roleConfigs_.erase(role);
    else
      roleConfigs_[role] = config;
    applyRole(role, config);
    LOG(INFO) << "Role " << role << ": weight " << config.weight << ", quota " << quotaJson(config.quota).dump();
    triggerAllocation();
    pending->give(jsonReply(200, json{{"role", role}, {"weight", config.weight}, {"quota", quotaJson(config.quota)}}));
  };
  if (isDefault)
    registry_->removeRole(role, written);
  else
    registry_->putRole(role, config, written);
  return ApiReply::later(pending);
}

void Master::applyRole(const std::string& role, const RoleConfig& config) {
  allocator_->setWeight(role, config.weight);
  allocator_->setQuota(role, config.quota);
}

}  // namespace agora
