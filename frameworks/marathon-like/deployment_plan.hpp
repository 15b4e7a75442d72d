#pragma once
// A deployment: the steps that take the apps from one group tree to another. Stops come
// first, in reverse dependency order; then starts, scales and restarts in layers of the
// dependency graph, every app of a layer in the same step, so that apps that do not depend
// on each other deploy in parallel (Marathon put each in a step of its own).

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/try.hpp"
#include "frameworks/marathon-like/app.hpp"

namespace agora::marathon {

struct DeploymentAction {
  enum class Kind { kStart, kScale, kRestart, kStop };
  Kind kind = Kind::kStart;
  std::string appId;
};
const char* actionName(DeploymentAction::Kind kind);  // "StartApplication", ...

struct DeploymentStep {
  std::vector<DeploymentAction> actions;
};

using AppMap = std::map<std::string, AppDefinition>;

// The steps from `original` to `target` (every app of each, by id); an error if the
// target's dependencies have a cycle (named) or name what is not there.
Try<std::vector<DeploymentStep>> planSteps(const AppMap& original, const AppMap& target);

// The apps that `app` depends on: its dependencies, each an app or every app of a group.
std::vector<std::string> dependenciesOf(const AppDefinition& app, const AppMap& apps);

struct Deployment {
  std::string id;
  std::string version;  // when it was made
  std::vector<std::string> affectedApps;
  std::vector<DeploymentStep> steps;
  size_t currentStep = 0;  // 0-based; == steps.size() when done
  // The affected apps before and after; an app missing from one did not exist there.
  AppMap original, target;
  double startedAt = 0;  // wall-clock seconds
  double lastProgressAt = 0;
  int64_t bestProgress = INT64_MIN;  // of the current step
  bool failed = false;
  std::string failureReason;
};

// Marathon's JSON for GET /v2/deployments, and the stored record.
nlohmann::json deploymentToJson(const Deployment& d);
nlohmann::json deploymentRecord(const Deployment& d);
Try<Deployment> deploymentFromRecord(const nlohmann::json& j);

}  // namespace agora::marathon
