// Changes to the apps: each becomes a deployment, written with the new definitions before
// any of it is acted on.
#include <algorithm>
#include <set>

#include <glog/logging.h>

#include "common/ids.hpp"
#include "frameworks/marathon-like/app_json.hpp"
#include "frameworks/marathon-like/service.hpp"

namespace agora::marathon {

using nlohmann::json;

namespace {

ChangeResult failure(int status, json body) {
  ChangeResult r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

std::vector<std::string> Service::lockingDeployments(const std::vector<std::string>& appIds) const {
  std::vector<std::string> out;
  for (const auto& [id, d] : deployments_) {
    if (d.failed) continue;
    // A named reference: Clang (before 16) cannot capture a structured binding.
    const std::vector<std::string>& affected = d.affectedApps;
    if (std::any_of(appIds.begin(), appIds.end(), [&](const std::string& a) {
          return std::find(affected.begin(), affected.end(), a) != affected.end();
        }))
      out.push_back(id);
  }
  return out;
}

void Service::storeApp(const AppDefinition& app) {
  apps_[app.id] = app;
  json j = appToJson(app);
  journal_.put("app/" + app.id, j);
  journal_.put("app-version/" + app.id + "/" + app.version, j);
  std::vector<std::string>& list = versions_[app.id];
  list.push_back(app.version);
  while (list.size() > options_.versionsKept) {
    journal_.remove("app-version/" + app.id + "/" + list.front());
    list.erase(list.begin());
  }
}

void Service::eraseApp(const std::string& appId) {
  apps_.erase(appId);
  journal_.remove("app/" + appId);
  for (const std::string& v : versions_[appId]) journal_.remove("app-version/" + appId + "/" + v);
  versions_.erase(appId);
  delays_.reset(appId);
  reasons_.erase(appId);
}

ChangeResult Service::change(const AppChanges& changes, bool force, const std::string& reason) {
  std::vector<std::string> ids;
  for (const auto& [id, change] : changes) ids.push_back(id);
  std::vector<std::string> locks = lockingDeployments(ids);
  if (!locks.empty() && !force) {
    json list = json::array();
    for (const auto& id : locks) list.push_back({{"id", id}});
    return failure(409, {{"message", "App is locked by one or more deployments. Override with the option '?force=true'. "
                                     "View details at '/v2/deployments/<DEPLOYMENT_ID>'."},
                         {"deployments", list}});
  }
  std::string version = newVersion();
  AppMap target = targetOf(changes, version, reason == "restart");
  Try<std::vector<DeploymentStep>> steps = planSteps(apps_, target);
  if (steps.isError()) return failure(422, violationsBody({{"/dependencies", steps.error()}}));
  for (const std::string& id : locks) {
    publish("deployment_failed", {{"id", id}, {"plan", deploymentToJson(deployments_.at(id))},
                                  {"reason", "canceled: a change with force=true took over its apps"}});
    journal_.remove("deployment/" + id);
    deployments_.erase(id);
  }
  // A failed deployment of these apps is over once they change again.
  for (auto it = deployments_.begin(); it != deployments_.end();) {
    bool touches = it->second.failed && std::any_of(ids.begin(), ids.end(), [&](const std::string& a) {
                     return std::count(it->second.affectedApps.begin(), it->second.affectedApps.end(), a) > 0;
                   });
    if (!touches) {
      ++it;
      continue;
    }
    journal_.remove("deployment/" + it->first);
    it = deployments_.erase(it);
  }
  Deployment d;
  std::string u = newUuid();  // Marathon's deployment ids are UUIDs in their usual form
  d.id = u.substr(0, 8) + "-" + u.substr(8, 4) + "-" + u.substr(12, 4) + "-" + u.substr(16, 4) + "-" + u.substr(20, 12);
  d.version = version;
  d.steps = *steps;
  d.startedAt = d.lastProgressAt = now();
  for (const auto& [id, change] : changes) {
    d.affectedApps.push_back(id);
    if (auto it = apps_.find(id); it != apps_.end()) d.original[id] = it->second;
    if (change) d.target[id] = target.at(id);
  }
  for (const auto& [id, change] : changes) {
    if (!change) {
      if (apps_.count(id)) eraseApp(id);
      continue;
    }
    bool config = !apps_.count(id) || apps_.at(id).versionInfo.lastConfigChangeAt != target.at(id).versionInfo.lastConfigChangeAt;
    if (config) delays_.reset(id);  // a new version starts its backoff over
    storeApp(target.at(id));
  }
  ChangeResult result;
  result.deploymentId = d.id;
  result.version = version;
  startDeployment(std::move(d));
  return result;
}

Try<std::vector<DeploymentStep>> Service::preview(const AppChanges& changes) const {
  return planSteps(apps_, targetOf(changes, "preview", false));
}

AppMap Service::targetOf(const AppChanges& changes, const std::string& version, bool restart) const {
  AppMap target = apps_;
  for (const auto& [id, change] : changes) {
    if (!change) {
      target.erase(id);
      continue;
    }
    AppDefinition next = *change;
    next.version = version;
    if (next.role.empty()) next.role = options_.role;
    auto before = apps_.find(id);
    bool config = before == apps_.end() || configDiffers(before->second, next) || restart;
    next.versionInfo.lastScalingAt = version;
    next.versionInfo.lastConfigChangeAt = config ? version : before->second.versionInfo.lastConfigChangeAt;
    target[id] = next;
  }
  return target;
}

void Service::startDeployment(Deployment d) {
  journal_.put("deployment/" + d.id, deploymentRecord(d));
  json plan = deploymentToJson(d);
  publish("deployment_info", {{"plan", plan}, {"currentStep", {{"actions", plan["currentActions"]}}}});
  publish("group_change_success", {{"groupId", "/"}, {"version", d.version}});
  LOG(INFO) << "Deployment " << d.id << ": " << d.steps.size() << " steps for " << d.affectedApps.size() << " apps";
  ++counters_["deployments_started"];
  deployments_[d.id] = std::move(d);
}

ChangeResult Service::rollback(const std::string& deploymentId, bool force) {
  auto it = deployments_.find(deploymentId);
  if (it == deployments_.end())
    return failure(404, {{"message", "DeploymentPlan " + deploymentId + " does not exist"}});
  Deployment d = it->second;
  publish("deployment_failed", {{"id", d.id}, {"plan", deploymentToJson(d)},
                                {"reason", force ? "canceled by DELETE with force=true" : "rolled back by DELETE"}});
  journal_.remove("deployment/" + d.id);
  deployments_.erase(it);
  if (force) {
    ChangeResult r;
    r.status = 202;
    return r;
  }
  AppChanges revert;
  for (const std::string& appId : d.affectedApps) {
    auto original = d.original.find(appId);
    if (original == d.original.end()) revert[appId] = std::nullopt;
    else revert[appId] = original->second;
  }
  // Never refused for a lock: the deployment it undoes is gone, and any other of these apps
  // is taken over.
  return change(revert, true, "rollback");
}

ChangeResult Service::killTasks(const std::vector<std::string>& taskIds, bool scale, bool wipe, bool force) {
  std::map<std::string, uint32_t> killedPerApp;
  std::vector<Instance*> chosen;
  std::set<std::string> seen;  // a task named twice is killed (and counted) once
  for (const std::string& taskId : taskIds) {
    auto it = instanceOfTask_.find(taskId);
    if (it == instanceOfTask_.end() || !seen.insert(taskId).second) continue;
    Instance& i = instances_.at(it->second);
    if (!i.live() || i.killing || !apps_.count(i.appId)) continue;
    chosen.push_back(&i);
    ++killedPerApp[i.appId];
  }
  ChangeResult result;
  if (scale) {
    AppChanges changes;
    for (const auto& [appId, n] : killedPerApp) {
      AppDefinition next = apps_.at(appId);
      next.instances = next.instances > n ? next.instances - n : 0;
      changes[appId] = next;
    }
    result = change(changes, force, "scale");
    if (result.status != 200) return result;
  }
  for (Instance* i : chosen) {
    std::string taskId = i->taskId;
    if (wipe) {
      forgetInstance(i->id);
      journal_.then([this, taskId] {
        if (driver_) driver_->killTask(taskId);
      });
    } else {
      kill(*i, "killed through the API");
    }
  }
  return result;
}

std::vector<std::string> Service::versionsOf(const std::string& appId) const {
  auto it = versions_.find(appId);
  return it == versions_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<AppDefinition> Service::appVersion(const std::string& appId, const std::string& version) const {
  Try<std::optional<std::string>> raw = journal_.get("app-version/" + appId + "/" + version);
  if (raw.isError() || !*raw) return std::nullopt;
  json j = json::parse(**raw, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  Try<AppDefinition> app = storedAppFromJson(j);
  if (app.isError()) {
    LOG(ERROR) << "app-version/" << appId << "/" << version << ": " << app.error();
    return std::nullopt;
  }
  return *app;
}

json Service::queueJson() const {
  json queue = json::array();
  double t = now();
  for (const auto& [appId, app] : apps_) {
    uint32_t staying = 0;
    for (const Instance* i : instancesOf(appId)) staying += i->staying() && i->version == app.versionInfo.lastConfigChangeAt;
    auto w = wanted_.find(appId);
    uint32_t waiting = app.instances > staying ? app.instances - staying : 0;
    if (waiting == 0 && (w == wanted_.end() || w->second == 0)) continue;
    double left = toSeconds(delayLeft(appId));
    json entry = {{"app", appToJson(app)},
                  {"count", waiting},
                  {"delay", {{"timeLeftSeconds", static_cast<int64_t>(std::ceil(left))}, {"overdue", left <= 0}}},
                  {"since", app.versionInfo.lastScalingAt.empty() ? isoTime(t) : app.versionInfo.lastScalingAt}};
    json reasons = json::object();
    json summary = {{"processedOffersCount", 0}, {"unusedOffersCount", 0}, {"rejectSummaryLastOffers", json::array()}};
    std::vector<std::string> why;
    if (left > 0) {
      const LaunchDelays::Delay* d = delays_.find(appId);
      why.push_back("backoff: launches wait " + std::to_string(static_cast<int64_t>(std::ceil(left))) +
                    " s more after failures (last: " + (d ? d->lastFailure : std::string()) +
                    "); DELETE /v2/queue" + appId + "/delay launches now");
    }
    if (auto r = reasons_.find(appId); r != reasons_.end()) {
      const OfferReasons& o = r->second;
      summary["processedOffersCount"] = o.processed;
      summary["unusedOffersCount"] = o.unused;
      if (o.lastUnusedAt > 0) summary["lastUnusedOfferAt"] = isoTime(o.lastUnusedAt);
      if (o.lastUsedAt > 0) summary["lastUsedOfferAt"] = isoTime(o.lastUsedAt);
      for (const auto& [name, n] : o.declined) {
        summary["rejectSummaryLastOffers"].push_back({{"reason", name}, {"declined", n}, {"processed", o.processed}});
        reasons[name] = n;
      }
      for (const auto& [text, n] : o.constraints) why.push_back(std::to_string(n) + " offers: constraint " + text);
      std::string closest = o.closest();
      if (!closest.empty()) why.push_back(closest);
      if (o.processed == 0 && left <= 0) why.push_back("no offers received since " + isoTime(o.since));
      entry["since"] = isoTime(o.since);
    } else if (left <= 0) {
      why.push_back(connected_ ? "no offers received yet" : "not connected to the master");
    }
    entry["processedOffersSummary"] = summary;
    entry["lastUnusedOffers"] = json::array();
    entry["declinedOffers"] = reasons;
    entry["reasons"] = why;
    queue.push_back(entry);
  }
  return {{"queue", queue}};
}

}  // namespace agora::marathon
