#pragma once
// An app as Marathon's AppDefinition describes it: what to run, how many, where, how to tell
// that it is healthy and how to replace it. Defaults are Marathon's.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace agora::marathon {

struct PortDefinition {
  uint64_t port = 0;  // 0: any port of the offer
  std::string name;
  std::string protocol = "tcp";
  std::map<std::string, std::string> labels;
};

struct AppHealthCheck {
  // COMMAND, MESOS_HTTP, MESOS_TCP, and HTTP / TCP, which run as the agent-side forms.
  std::string protocol = "HTTP";
  std::string path = "/";
  std::optional<uint32_t> portIndex;  // neither: the first port
  std::optional<uint64_t> port;
  std::string command;  // COMMAND: {"command": {"value": "..."}}
  double gracePeriodSeconds = 300;
  double intervalSeconds = 60;
  double timeoutSeconds = 20;
  double delaySeconds = 15;
  uint32_t maxConsecutiveFailures = 3;
  bool ignoreHttp1xx = false;
};

struct AppReadinessCheck {
  std::string name = "readinessCheck";
  std::string protocol = "HTTP";
  std::string path = "/";
  std::string portName = "http-api";
  double intervalSeconds = 30;
  double timeoutSeconds = 10;
  std::vector<uint16_t> httpStatusCodesForReady{200};
  bool preserveLastResponse = false;
};

struct UpgradeStrategy {
  double minimumHealthCapacity = 1.0;
  double maximumOverCapacity = 1.0;
};

// "disabled", or a replacement after inactiveAfterSeconds and the original forgotten (and
// killed if it comes back) after expungeAfterSeconds.
struct UnreachableStrategy {
  bool enabled = true;
  double inactiveAfterSeconds = 0;
  double expungeAfterSeconds = 0;
};

enum class KillSelection { kYoungestFirst, kOldestFirst };

struct VersionInfo {
  std::string lastScalingAt;
  std::string lastConfigChangeAt;
};

struct AppDefinition {
  std::string id;  // absolute
  std::optional<std::string> cmd;
  std::optional<std::vector<std::string>> args;
  std::string user;
  uint32_t instances = 1;
  double cpus = 1;
  double mem = 128;
  double disk = 0;
  uint32_t gpus = 0;
  std::vector<PortDefinition> portDefinitions{PortDefinition{0, "default", "tcp", {}}};
  bool requirePorts = false;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> labels;
  std::vector<std::vector<std::string>> constraints;
  std::vector<std::string> acceptedResourceRoles;  // empty: any role the framework is offered
  std::vector<AppHealthCheck> healthChecks;
  std::vector<AppReadinessCheck> readinessChecks;
  UpgradeStrategy upgradeStrategy;
  double backoffSeconds = 1;
  double backoffFactor = 1.15;
  double maxLaunchDelaySeconds = 300;
  KillSelection killSelection = KillSelection::kYoungestFirst;
  UnreachableStrategy unreachableStrategy;
  std::optional<double> taskKillGracePeriodSeconds;
  std::vector<std::string> dependencies;  // absolute
  std::string version;  // ISO 8601, when this definition was stored
  VersionInfo versionInfo;
  std::string role;  // empty: the framework's role
};

}  // namespace agora::marathon
