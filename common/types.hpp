#pragma once
// Plain values for the things that cross the wire. Frameworks, the master and agents work
// with these; common/codec.hpp converts them to and from the Cap'n Proto messages.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/resources.hpp"
#include "proto/agora.capnp.h"

namespace agora {

using TaskState = proto::TaskState;
using TaskReason = proto::TaskReason;

using Attributes = std::map<std::string, std::string>;

struct AgentInfo {
  std::string id;
  std::string hostname;
  Resources resources;
  Attributes attributes;
  uint16_t httpPort = 0;
  std::string isolation;
  std::string httpHost;
  bool httpTls = false;
  bool operator==(const AgentInfo&) const = default;
};

// The base URL of an agent's HTTP API ("https://10.0.0.5:5051"), or "" when it has none.
std::string agentHttpUrl(const std::string& host, uint16_t port, bool tls);

// One week, as Marathon's: a scheduler may be away that long (a restart, a deploy, a bad
// night) before the master kills its tasks. A framework that wants less says so.
inline constexpr double kDefaultFailoverTimeoutSeconds = 7 * 24 * 3600;

struct FrameworkInfo {
  std::string id;
  std::string name;
  std::string principal;
  std::vector<std::string> roles{"*"};
  double failoverTimeoutSeconds = kDefaultFailoverTimeoutSeconds;
  std::vector<std::string> capabilities;
  std::string hostname;
  std::string webuiUrl;  // its own web page, linked from the master's dashboard
  bool operator==(const FrameworkInfo&) const = default;
};

struct CommandInfo {
  std::string value;
  bool shell = true;
  std::vector<std::string> arguments;
  std::map<std::string, std::string> environment;
};

using Labels = std::map<std::string, std::string>;

struct TaskPort {
  uint64_t number = 0;
  std::string name;  // empty: unnamed
  bool operator==(const TaskPort&) const = default;
};

using CheckKind = proto::CheckKind;

// The port a check reaches on 127.0.0.1: one of the task's ports by index or by name, or a
// literal number.
struct PortRef {
  int index = -1;
  std::string name;
  uint64_t number = 0;
  bool operator==(const PortRef&) const = default;
};

// Run by the task's supervisor on the agent; the defaults are Mesos'.
struct HealthCheck {
  CheckKind kind = CheckKind::HTTP;
  CommandInfo command;  // COMMAND
  std::string path = "/";  // HTTP
  PortRef port;            // HTTP, TCP
  double delaySeconds = 15;
  double intervalSeconds = 10;
  double timeoutSeconds = 20;
  double gracePeriodSeconds = 10;
  uint32_t maxConsecutiveFailures = 3;  // 0: report only, never kill
};

// HTTP, checked until it passes once; reported as TaskStatus::ready, kills nothing.
struct ReadinessCheck {
  std::string path = "/";
  PortRef port;
  double intervalSeconds = 30;
  double timeoutSeconds = 10;
  std::vector<uint16_t> readyStatusCodes;  // empty: 200
};

struct TaskInfo {
  std::string taskId;
  std::string name;
  std::string agentId;
  Resources resources;
  CommandInfo command;
  double killGracePeriodSeconds = 3.0;  // the task's kill policy
  Labels labels;
  std::vector<TaskPort> ports;  // PORT0..n in this order; empty: the ports resources ascending
  double maxCompletionTimeSeconds = 0;  // > 0: the agent fails the task after this long
  std::string user;                     // empty: the agent's user
  std::optional<HealthCheck> healthCheck;
  std::optional<ReadinessCheck> readinessCheck;
};

struct TaskStatus {
  std::string taskId;
  std::string frameworkId;
  std::string agentId;
  TaskState state = TaskState::STAGING;
  TaskReason reason = TaskReason::NONE;
  std::string message;
  bool fromMaster = false;
  std::string uuid;  // empty: not to be acknowledged
  double timestamp = 0;
  std::optional<int> exitCode;
  Labels labels;
  std::string agentHostname;
  std::string agentHttpAddress;  // base URL of the agent's HTTP API (agentHttpUrl)
  std::string sandbox;
  std::optional<bool> healthy;  // set once the task's health check has a result
  std::optional<bool> ready;    // set for a task with a readiness check
};

struct Offer {
  std::string id;
  std::string frameworkId;
  std::string agentId;
  std::string hostname;
  Resources resources;
  Attributes attributes;
  std::string role = "*";  // the role the resources are allocated to
};

// The task's ports in the order of PORT0..n: its own list, or else its ports resources
// ascending (the first kMaxImplicitPorts of them).
inline constexpr size_t kMaxImplicitPorts = 100;
std::vector<TaskPort> portsOf(const TaskInfo& task);
// "admin-api" -> "PORT_ADMIN_API"
std::string portVariable(const std::string& name);
// The number a check's port reference stands for in this task, or why it stands for none.
Try<uint64_t> resolvePort(const TaskInfo& task, const PortRef& port);

bool isTerminal(TaskState s);
const char* stateName(TaskState s);    // "TASK_RUNNING"
const char* reasonName(TaskReason r);  // "REASON_MEMORY_LIMIT"

// "rack:r1;zone:a"
Try<Attributes> parseAttributes(const std::string& text);

}  // namespace agora
