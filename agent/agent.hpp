#pragma once
// The agent: registers this machine with the master, runs the tasks it is sent as real
// processes in sandboxes, kills them on request, and reports every state change as a status
// update that it resends until the framework's acknowledgement comes back. Updates of one
// task go out one at a time, in order. Everything runs on one EventLoop thread.

#include <sys/types.h>

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include <zmq.hpp>

#include "common/event_loop.hpp"
#include "common/transport.hpp"
#include "common/types.hpp"

namespace agora {

struct AgentOptions {
  std::string master = "tcp://127.0.0.1:5050";
  std::string workDir;
  std::string hostname;
  Resources resources;
  Attributes attributes;
  Duration registrationRetry = std::chrono::milliseconds(500);
  // Until the master says otherwise at registration.
  Duration masterTimeout = std::chrono::seconds(5);
  Duration statusRetryInitial = std::chrono::seconds(1);
  Duration statusRetryMax = std::chrono::seconds(10);
  DecodeLimits limits;
};

class Agent {
 public:
  Agent(zmq::context_t& context, EventLoop& loop, AgentOptions options);

  // Connects to the master and starts registering. `childSignalFd` is a signalfd for SIGCHLD.
  Status start(int childSignalFd);

  // Kills every task (SIGKILL to each process group) and reaps them: for a clean shutdown.
  void killAllTasks();

  const std::string& id() const { return agentId_; }

 private:
  struct TaskRecord {
    std::string frameworkId;
    FrameworkInfo framework;
    TaskInfo info;
    TaskState state = TaskState::STAGING;  // the state of the newest update
    pid_t pid = -1;
    std::string sandbox;
    bool killRequested = false;
    std::optional<EventLoop::TimerId> killTimer;
    std::deque<TaskStatus> pending;  // front is in flight; the rest wait for its ack
    std::optional<EventLoop::TimerId> retryTimer;
    Duration retryDelay{};
  };
  using TaskKey = std::pair<std::string, std::string>;

  // agent.cpp: the master connection.
  void onMessage(proto::Envelope::Reader message);
  void sendRegistration();
  void registrationTick();
  void onRegistered(proto::AgentRegistered::Reader message);
  void onPing(proto::Ping::Reader message);
  void masterWatchdog();
  void masterLost(const std::string& why);
  void send(OutboundEnvelope& message);

  // agent_tasks.cpp: running and killing tasks.
  void onRunTask(proto::RunTask::Reader message);
  void onKillTask(proto::KillTask::Reader message);
  void launch(TaskRecord& task);
  void escalateKill(const TaskKey& key);
  void reap();
  void taskExited(TaskRecord& task, int waitStatus);
  std::map<std::string, std::string> taskEnvironment(const TaskRecord& task) const;

  // status_updates.cpp: the per-task stream of updates.
  void updateStatus(TaskRecord& task, TaskState state, TaskReason reason, const std::string& message,
                    std::optional<int> exitCode = std::nullopt);
  void transmit(const TaskKey& key);
  void onAcknowledgement(proto::StatusAcknowledgement::Reader message);
  void resendAllPending();

  EventLoop& loop_;
  AgentOptions options_;
  MessageSocket socket_;
  std::string agentId_;
  std::string masterId_;
  bool registered_ = false;
  TimePoint lastHeardFromMaster_;
  Duration masterTimeout_;
  std::optional<EventLoop::TimerId> registrationTimer_;
  std::map<TaskKey, TaskRecord> tasks_;
  std::unordered_map<pid_t, TaskKey> pids_;
};

}  // namespace agora
