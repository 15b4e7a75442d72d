#include "frameworks/marathon-like/deployment_plan.hpp"

#include <functional>
#include <set>

#include "frameworks/marathon-like/app_json.hpp"
#include "frameworks/marathon-like/path_id.hpp"

namespace agora::marathon {

using nlohmann::json;

const char* actionName(DeploymentAction::Kind kind) {
  switch (kind) {
    case DeploymentAction::Kind::kStart: return "StartApplication";
    case DeploymentAction::Kind::kScale: return "ScaleApplication";
    case DeploymentAction::Kind::kRestart: return "RestartApplication";
    case DeploymentAction::Kind::kStop: return "StopApplication";
  }
  return "?";
}

std::vector<std::string> dependenciesOf(const AppDefinition& app, const AppMap& apps) {
  std::vector<std::string> out;
  for (const std::string& dep : app.dependencies)
    for (const auto& [id, other] : apps)
      if (id != app.id && isUnder(id, dep)) out.push_back(id);
  return out;
}

namespace {

// Each app's layer: 0 without dependencies, else one more than its deepest dependency.
Try<std::map<std::string, int>> layers(const AppMap& apps) {
  std::map<std::string, int> layer;
  std::set<std::string> visiting;
  std::function<Try<int>(const std::string&)> depth = [&](const std::string& id) -> Try<int> {
    if (auto it = layer.find(id); it != layer.end()) return it->second;
    if (!visiting.insert(id).second) return Error("Dependency graph has cyclic dependencies: " + id + " depends on itself through its dependencies");
    int d = 0;
    for (const std::string& dep : dependenciesOf(apps.at(id), apps)) {
      Try<int> below = depth(dep);
      if (below.isError()) return below;
      d = std::max(d, *below + 1);
    }
    visiting.erase(id);
    return layer[id] = d;
  };
  for (const auto& [id, app] : apps) {
    Try<int> d = depth(id);
    if (d.isError()) return Error(d.error());
  }
  return layer;
}

void addByLayer(std::vector<DeploymentStep>& steps, const std::map<std::string, int>& layer,
                const std::vector<DeploymentAction>& actions, bool reverse) {
  std::map<int, DeploymentStep> byLayer;
  for (const DeploymentAction& a : actions) byLayer[layer.at(a.appId)].actions.push_back(a);
  if (reverse)
    for (auto it = byLayer.rbegin(); it != byLayer.rend(); ++it) steps.push_back(it->second);
  else
    for (auto& [l, step] : byLayer) steps.push_back(step);
}

}  // namespace

Try<std::vector<DeploymentStep>> planSteps(const AppMap& original, const AppMap& target) {
  Try<std::map<std::string, int>> targetLayers = layers(target);
  if (targetLayers.isError()) return Error(targetLayers.error());
  Try<std::map<std::string, int>> originalLayers = layers(original);
  if (originalLayers.isError()) originalLayers = std::map<std::string, int>{};
  std::vector<DeploymentAction> stops, changes;
  for (const auto& [id, app] : original)
    if (!target.count(id)) stops.push_back({DeploymentAction::Kind::kStop, id});
  for (const auto& [id, app] : target) {
    auto before = original.find(id);
    if (before == original.end()) changes.push_back({DeploymentAction::Kind::kStart, id});
    else if (configDiffers(before->second, app) ||
             before->second.versionInfo.lastConfigChangeAt != app.versionInfo.lastConfigChangeAt)
      changes.push_back({DeploymentAction::Kind::kRestart, id});
    else if (before->second.instances != app.instances) changes.push_back({DeploymentAction::Kind::kScale, id});
  }
  for (const DeploymentAction& stop : stops)
    if (!originalLayers->count(stop.appId)) (*originalLayers)[stop.appId] = 0;
  std::vector<DeploymentStep> steps;
  addByLayer(steps, *originalLayers, stops, true);
  addByLayer(steps, *targetLayers, changes, false);
  return steps;
}

namespace {

json stepsJson(const std::vector<DeploymentStep>& steps) {
  json out = json::array();
  for (const DeploymentStep& s : steps) {
    json actions = json::array();
    for (const DeploymentAction& a : s.actions) actions.push_back({{"action", actionName(a.kind)}, {"app", a.appId}});
    out.push_back({{"actions", actions}});
  }
  return out;
}

json appsJson(const AppMap& apps) {
  json out = json::object();
  for (const auto& [id, app] : apps) out[id] = appToJson(app);
  return out;
}

}  // namespace

json deploymentToJson(const Deployment& d) {
  json current = json::array();
  if (d.currentStep < d.steps.size())
    for (const DeploymentAction& a : d.steps[d.currentStep].actions)
      current.push_back({{"action", actionName(a.kind)}, {"app", a.appId}, {"readinessCheckResults", json::array()}});
  json j = {{"id", d.id},
            {"version", d.version},
            {"affectedApps", d.affectedApps},
            {"affectedPods", json::array()},
            {"steps", stepsJson(d.steps)},
            {"currentActions", current},
            {"currentStep", std::min(d.currentStep + 1, d.steps.size())},
            {"totalSteps", d.steps.size()}};
  if (d.failed) j["failed"] = true, j["failureReason"] = d.failureReason;
  return j;
}

json deploymentRecord(const Deployment& d) {
  json j = deploymentToJson(d);
  j["currentStepIndex"] = d.currentStep;
  j["original"] = appsJson(d.original);
  j["target"] = appsJson(d.target);
  j["startedAt"] = d.startedAt;
  j["lastProgressAt"] = d.lastProgressAt;
  j["failed"] = d.failed;
  j["failureReason"] = d.failureReason;
  return j;
}

Try<Deployment> deploymentFromRecord(const json& j) {
  try {
    Deployment d;
    d.id = j.at("id");
    d.version = j.at("version");
    d.affectedApps = j.at("affectedApps").get<std::vector<std::string>>();
    for (const json& s : j.at("steps")) {
      DeploymentStep step;
      for (const json& a : s.at("actions")) {
        std::string name = a.at("action");
        DeploymentAction::Kind kind = name == "StopApplication"      ? DeploymentAction::Kind::kStop
                                      : name == "ScaleApplication"   ? DeploymentAction::Kind::kScale
                                      : name == "RestartApplication" ? DeploymentAction::Kind::kRestart
                                                                     : DeploymentAction::Kind::kStart;
        step.actions.push_back({kind, a.at("app")});
      }
      d.steps.push_back(step);
    }
    d.currentStep = j.at("currentStepIndex");
    for (const char* side : {"original", "target"}) {
      AppMap& apps = std::string(side) == "original" ? d.original : d.target;
      for (const auto& [id, app] : j.at(side).items()) {
        Try<AppDefinition> read = storedAppFromJson(app);
        if (read.isError()) return Error("a deployment record's app " + id + ": " + read.error());
        apps[id] = *read;
      }
    }
    d.startedAt = j.at("startedAt");
    d.lastProgressAt = j.at("lastProgressAt");
    d.failed = j.at("failed");
    d.failureReason = j.at("failureReason");
    return d;
  } catch (const json::exception& e) {
    return Error(std::string("a deployment record does not read: ") + e.what());
  }
}

}  // namespace agora::marathon
