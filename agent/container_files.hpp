#pragma once
// The files of one container in the agent's meta directory (<work_dir>/meta/containers/<id>/),
// shared by the agent and the task's supervisor. They sit outside the sandbox so that a task
// can neither read its launch spec nor forge its own exit status.
//   spec.json        what the supervisor is to run, written by the agent before it starts it
//   supervisor.json  the supervisor's pid and start time, written by the supervisor
//   exit.json        the task's wait status, written durably by the supervisor when it ends

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/probe.hpp"
#include "common/try.hpp"
#include "isolators/isolator.hpp"

namespace agora {

struct SupervisorSpec {
  std::string containerId;
  std::string agentEndpoint;  // ipc://<work_dir>/agent.sock
  std::string isolation;      // the agent's isolator: the supervisor attaches the task to it
  IsolatorOptions isolatorOptions;
  ContainerLimits limits;
  std::vector<std::string> argv;
  std::map<std::string, std::string> environment;
  std::string sandbox;
  uint64_t logMaxBytes = 0;   // stdout/stderr rotation; 0: no cap
  int logKeep = 0;
  // After the task ended: how long to wait for the agent to take the exit status.
  double agentTimeoutSeconds = 900;
  // > 0: the supervisor kills the task this long after it started, whether or not the agent
  // or the framework are up.
  double maxCompletionTimeSeconds = 0;
  double killGracePeriodSeconds = 3;
  // Set: the task runs as this user (the agent checked that it exists).
  std::optional<uint32_t> uid, gid;
  std::string user;
  // Run by the supervisor, so that they go on while the agent is down.
  std::optional<HealthCheckSpec> health;
  std::optional<ReadinessCheckSpec> readiness;
};

// The limits the supervisor enforces itself; the isolator's are reported by the isolator.
inline constexpr char kMaxCompletionTimeLimit[] = "max_completion_time";
inline constexpr char kHealthCheckFailedLimit[] = "health_check_failed";

struct ExitRecord {
  int waitStatus = 0;
  std::string launchError;  // non-empty: the task never started
  std::string limit;        // the supervisor's limit that ended the task, if one did
  std::string limitMessage; // what that limit saw
};

struct ProcessIdentity {
  pid_t pid = -1;
  uint64_t startTime = 0;
};

Status writeSupervisorSpec(const std::string& dir, const SupervisorSpec& spec);
Try<SupervisorSpec> readSupervisorSpec(const std::string& dir);

// Durable: a temporary file, fsync, then rename, so a reader sees all of it or nothing.
Status writeExitRecord(const std::string& dir, const ExitRecord& record);
Try<std::optional<ExitRecord>> readExitRecord(const std::string& dir);

Status writeSupervisorIdentity(const std::string& dir, const ProcessIdentity& who);
std::optional<ProcessIdentity> readSupervisorIdentity(const std::string& dir);

// The identity of a live process, or nothing if it is gone.
std::optional<ProcessIdentity> identify(pid_t pid);
// True if `who` still runs: the same pid with the same start time (not a reused pid).
bool isAlive(const ProcessIdentity& who);

}  // namespace agora
