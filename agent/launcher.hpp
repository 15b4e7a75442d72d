#pragma once
// The one door through which the agent starts processes. A task's process leads a new
// session and process group (so a kill reaches everything it forked), runs in its sandbox
// with stdout and stderr in files there, and gets exactly the environment it is given.

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/try.hpp"

namespace agora {

struct LaunchSpec {
  std::vector<std::string> argv;  // argv[0] is the program; searched in PATH if it has no '/'
  std::map<std::string, std::string> environment;
  std::string workingDirectory;
  std::string stdoutPath;
  std::string stderrPath;
  // When not -1, the child's stdout/stderr instead of the paths (e.g. pipes the parent reads).
  int stdoutFd = -1;
  int stderrFd = -1;
  // When not 0, the child gets this signal when the thread that started it ends: a task never
  // outlives its supervisor (SIGKILL), a dev cluster never outlives `agora dev`.
  int parentDeathSignal = 0;
  // Set: the child drops to this user, with these supplementary groups, before it execs
  // (looked up by the caller: the child may only make system calls).
  std::optional<uint32_t> uid, gid;
  std::vector<uint32_t> groups;
  std::string user;  // for messages
  // Runs in the parent while the child waits to exec (e.g. to put it in cgroups). An error
  // kills the child and fails the launch.
  std::function<Status(pid_t)> beforeExec;
};

// Starts the process and returns its pid once it has exec'd. If exec fails, the child is
// reaped and the error says why (e.g. "no such file: /bin/nosuch").
Try<pid_t> launchProcess(const LaunchSpec& spec);

// This process's own environment, for children that should inherit it.
std::map<std::string, std::string> inheritedEnvironment();

// Signals a whole process group; true if at least one process received it.
bool signalGroup(pid_t pgid, int signal);

}  // namespace agora
