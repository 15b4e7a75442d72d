#pragma once
// One instance of an app: a record written before its task is launched, so that a restarted
// agora-marathon knows every task it may have started. An instance has one task for its
// whole life; a replacement is a new instance.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/types.hpp"

namespace agora::marathon {

struct Instance {
  std::string id;       // "prod_db_mongo.instance-<uuid>"
  std::string appId;    // "/prod/db/mongo"
  std::string version;  // the app's lastConfigChangeAt that it runs
  std::string taskId;   // id + "._app.1"
  std::string agentId;
  std::string host;
  Attributes attributes;  // the agent's, for constraints
  std::vector<uint64_t> ports;
  TaskState state = TaskState::STAGING;
  std::optional<bool> healthy;
  std::optional<bool> ready;
  std::string message;  // the last status's message
  double stagedAt = 0;  // wall-clock seconds
  double startedAt = 0;
  double healthSince = 0;       // when `healthy` last changed
  double unreachableSince = 0;  // > 0 while TASK_UNREACHABLE
  bool inactive = false;        // unreachable past inactiveAfterSeconds: replaced
  bool killing = false;         // asked to stop

  // TASK_UNKNOWN (the master knows no such task: a launch lost in a crash) ends it too.
  bool terminal() const { return ended(state); }
  static bool ended(TaskState s) { return isTerminal(s) || s == TaskState::UNKNOWN; }
  // Counts toward the app's instances: neither ended nor given up as unreachable.
  bool live() const { return !terminal() && !inactive; }
  // Live and not on its way out.
  bool staying() const { return live() && !killing; }
  bool running() const { return state == TaskState::RUNNING; }
  // Running, and passing its checks where it has them.
  bool healthyFor(bool hasHealthCheck, bool hasReadinessCheck) const {
    return staying() && running() && (!hasHealthCheck || healthy.value_or(false)) &&
           (!hasReadinessCheck || ready.value_or(false));
  }
};

std::string newInstanceId(const std::string& appId);

// The record as stored.
nlohmann::json instanceToJson(const Instance& i);
Try<Instance> instanceFromJson(const nlohmann::json& j);

}  // namespace agora::marathon
