#pragma once
// The Isolator: what keeps a task to its share of the machine. The agent prepares a
// container with its limits, attaches the task's first process to it before that process
// execs, reads its usage, learns after the task ends whether a limit ended it, kills every
// process in it, and cleans it up. Implementations: cgroups v1, cgroups v2, posix.

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/types.hpp"

namespace agora {

struct ContainerLimits {
  double cpus = 0;          // a weight proportional to cpus; a hard cap too with cpuHardCap
  bool cpuHardCap = false;
  uint64_t memBytes = 0;    // 0: no limit
  uint64_t pidsMax = 0;     // 0: no limit
};

struct ContainerUsage {
  double cpuSeconds = 0;    // user + system
  uint64_t memBytes = 0;
  uint64_t memPeakBytes = 0;
  uint64_t pids = 0;
};

struct Limitation {
  TaskReason reason = TaskReason::NONE;
  std::string message;
};

class Isolator {
 public:
  virtual ~Isolator() = default;

  // "cgroups-v1", "cgroups-v2" or "posix".
  virtual std::string name() const = 0;

  virtual Status prepare(const std::string& containerId, const ContainerLimits& limits) = 0;
  // Puts `pid` in the container. Called while the process waits to exec.
  virtual Status attach(const std::string& containerId, pid_t pid) = 0;
  // Adopts a container whose first process `pid` was attached by another process (the task's
  // supervisor) or before the agent restarted. Fails if the container does not exist here.
  virtual Status recover(const std::string& containerId, const ContainerLimits& limits, pid_t pid) = 0;
  virtual Status update(const std::string& containerId, const ContainerLimits& limits) = 0;
  virtual Try<ContainerUsage> usage(const std::string& containerId) const = 0;
  // After the container's first process ended: the limit that ended it, if one did.
  virtual std::optional<Limitation> limitation(const std::string& containerId) const = 0;
  // Kills every process of the container, also those that left the task's process group.
  virtual Status killAll(const std::string& containerId) = 0;
  // Removes the container. Fails while processes remain: call killAll() and retry.
  virtual Status cleanup(const std::string& containerId) = 0;
  // Containers that exist now, including ones left by an earlier run of the agent.
  virtual std::vector<std::string> containers() const = 0;
};

struct IsolatorOptions {
  // Where the containers go, below the agent's own cgroup in each hierarchy.
  std::string cgroupsRoot = "agora";
  // The filesystem root under which /proc and /sys/fs/cgroup are read: "/" except in tests
  // that lay out a temporary directory like cgroupfs.
  std::string fsRoot = "/";
  bool cpuHardCap = false;
};

// `kind`: "auto" (the best available), "cgroups" (v2 where usable, else v1), "cgroups-v1",
// "cgroups-v2" or "posix". The error says why a requested kind cannot be used here.
Try<std::unique_ptr<Isolator>> makeIsolator(const std::string& kind, const IsolatorOptions& options);

std::unique_ptr<Isolator> makePosixIsolator();

}  // namespace agora
