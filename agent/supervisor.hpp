#pragma once
// The task supervisor (binary agora-supervisor), one per task, started by the agent in a
// session of its own so that it outlives an agent restart. It starts the task
// (attached to its container before it execs), owns the task's process group, copies the
// task's stdout and stderr into the sandbox with rotation, records the exit status durably,
// and reports to the agent over a Unix socket until the agent acknowledges the exit.

#include <optional>
#include <string>

#include <zmq.hpp>

#include "agent/container_files.hpp"
#include "agent/launcher.hpp"
#include "agent/task_checks.hpp"
#include "agent/rotating_log.hpp"
#include "common/event_loop.hpp"
#include "common/transport.hpp"

namespace agora {

class Supervisor {
 public:
  Supervisor(zmq::context_t& context, EventLoop& loop, std::string metaDir, SupervisorSpec spec);

  // Starts the task and the reports. `childSignalFd` is a signalfd for SIGCHLD. The loop
  // stops once the agent has the exit status (or stops waiting for it).
  Status start(int childSignalFd);

 private:
  struct Output {
    int fd = -1;
    std::unique_ptr<RotatingLog> log;
  };

  Status launchTask();
  LaunchSpec asTheTask(const std::vector<std::string>& argv);
  void startChecks();
  void healthCheckFailed(const std::string& why);
  void watchOutput(Output& out);
  void drain(Output& out);
  void onMessage(proto::Envelope::Reader message);
  void onKill(double gracePeriodSeconds);
  void completionTimeReached();
  void reap();
  void taskEnded(const ExitRecord& record);
  void report();
  void reportTick();

  EventLoop& loop_;
  std::string metaDir_;
  SupervisorSpec spec_;
  MessageSocket socket_;
  pid_t taskPid_ = -1;
  std::optional<ExitRecord> exit_;
  std::optional<TimePoint> exitedAt_;
  bool killing_ = false;
  std::string limit_;  // the supervisor's own limit that is ending the task
  std::string limitMessage_;
  Output stdout_, stderr_;
  std::unique_ptr<Isolator> isolator_;
  std::unique_ptr<TaskChecks> checks_;  // declared last: its probes use the loop until destroyed
};

// The whole of supervisor mode: returns the process's exit code.
int runSupervisor(const std::string& metaDir);

}  // namespace agora
