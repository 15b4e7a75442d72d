#pragma once
// The task side of Marathon's JSON: tasks as /v2/tasks shows them, the payloads of status and
// instance events, and the translation of an app's checks into the agent's.

#include <nlohmann/json.hpp>

#include "common/types.hpp"
#include "frameworks/marathon-like/app.hpp"
#include "frameworks/marathon-like/instance.hpp"

namespace agora::marathon {

// The agent runs the check: HTTP and MESOS_HTTP alike as an HTTP GET from the agent, TCP and
// MESOS_TCP as a connect, COMMAND in the task's environment.
HealthCheck agentHealthCheck(const AppHealthCheck& check);
ReadinessCheck agentReadinessCheck(const AppReadinessCheck& check, const AppDefinition& app);

// Marathon's instance condition for a task state: "Running", "Staging", "Failed", ...
const char* conditionName(TaskState state);

nlohmann::json taskJson(const Instance& i, bool hasHealthCheck);
nlohmann::json statusUpdateJson(const Instance& i, const TaskStatus& status);
nlohmann::json instanceChangedJson(const Instance& i, const std::string& condition);

}  // namespace agora::marathon
