#pragma once
// The agent: registers this machine with the master, runs each task it is sent under a task
// supervisor in a container of the isolator, kills tasks on request, and reports every state
// change as a status update that it resends until the framework's acknowledgement comes back.
// Updates of one task go out one at a time, in order. Every task and every pending update is
// checkpointed before the agent acts on it, so that a restarted agent recovers its tasks,
// which keep running meanwhile. Everything runs on one EventLoop thread.

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "agent/agent_metrics.hpp"
#include "agent/checkpoint.hpp"
#include "common/acl.hpp"
#include "agent/sandbox_gc.hpp"
#include "common/event_loop.hpp"
#include "common/http_server.hpp"
#include "common/master_locator.hpp"
#include "common/transport.hpp"
#include "common/types.hpp"
#include "isolators/isolator.hpp"

namespace agora {

enum class RecoverMode { kReconnect, kCleanup };

struct AgentOptions {
  // host:port, a comma-separated list of masters, or etcd://HOST:PORT[,...]/PREFIX.
  std::string master = "127.0.0.1:5050";
  // This agent's key and the master's, when the master admits only CURVE peers.
  std::optional<CurveClient> curve;
  // Who may read task files over HTTP (read_files); null: anyone the HTTP API lets in.
  std::shared_ptr<const Acl> acl;
  std::string workDir;
  std::string hostname;
  Resources resources;
  Attributes attributes;
  std::string httpHost;   // the agent's HTTP API, as the master tells clients
  uint16_t httpPort = 0;
  bool httpTls = false;   // the HTTP API is HTTPS
  Duration registrationRetry = std::chrono::milliseconds(500);
  // Until the master says otherwise at registration.
  Duration masterTimeout = std::chrono::seconds(5);
  Duration statusRetryInitial = std::chrono::seconds(1);
  Duration statusRetryMax = std::chrono::seconds(10);
  DecodeLimits limits;
  // Containers.
  std::string supervisorBinary;  // agora-supervisor
  IsolatorOptions isolatorOptions;
  uint64_t taskPidsMax = 0;  // 0: no pids limit
  uint64_t logMaxBytes = 10 << 20;
  int logKeep = 2;
  Duration usageInterval = std::chrono::seconds(5);
  RecoverMode recover = RecoverMode::kReconnect;
  bool forbidRootTasks = false;  // refuse tasks that would run as root
  SandboxGcPolicy gc;
  Duration gcInterval = std::chrono::minutes(1);
};

class Agent {
 public:
  Agent(zmq::context_t& context, EventLoop& loop, AgentOptions options, std::unique_ptr<Isolator> isolator,
        std::unique_ptr<AgentCheckpoint> checkpoint);

  // Recovers the checkpointed tasks, binds the supervisors' socket, connects to the master
  // and starts registering. `childSignalFd` is a signalfd for SIGCHLD.
  Status start(int childSignalFd);

  // --recover=cleanup: kills every task and container left by an earlier run and forgets
  // them and the agent id, so that the next start is a new agent.
  Status cleanupEverything();

  // Kills every task and waits (up to `timeout`) until their containers are gone: for an
  // agent that shuts down for good (SIGUSR1). A plain stop leaves the tasks running.
  void shutdownTasks(Duration timeout);

  // The agent's HTTP API: /api/v1/state, /api/v1/containers, /api/v1/files/read.
  ApiReply handleApi(const ApiCall& call);

  const std::string& id() const { return agentId_; }

 private:
  struct TaskRecord : TaskCheckpoint {
    std::string supervisorPeer;  // routing id on the supervisors' socket, once it reported
    int pidfd = -1;              // readable when the supervisor ends
    bool checkpointed = true;    // the last checkpoint write succeeded
    std::optional<EventLoop::TimerId> retryTimer;
    Duration retryDelay{};
    std::optional<TimePoint> launchedAt;  // set from the run request until it runs or ends
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
  // Looks for the leading master (the next of a list, or the leader etcd names) and moves
  // there; a standby's redirect names it outright.
  void relocateMaster();
  void moveToMaster(const std::string& endpoint);
  void onRedirect(proto::Redirect::Reader message);
  void onRemoved(const std::string& why);
  void send(OutboundEnvelope& message);

  // agent_tasks.cpp: running and killing tasks.
  void onRunTask(proto::RunTask::Reader message);
  void onKillTask(proto::KillTask::Reader message);
  void launch(TaskRecord& task);
  // The user the task runs as (uid, gid, name, home), or why it cannot run.
  struct TaskUser {
    std::optional<uint32_t> uid, gid;
    std::string name, home;
  };
  Try<TaskUser> userOf(const TaskInfo& info) const;
  Status startSupervisor(TaskRecord& task, const std::string& metaDir, const TaskUser& user);
  static Status resolveChecks(const TaskInfo& info, SupervisorSpec& spec);
  std::map<std::string, std::string> taskEnvironment(const TaskRecord& task) const;
  ContainerLimits limitsOf(const TaskInfo& info) const;
  std::string metaDir(const std::string& containerId) const;
  // False (and logged) if the write failed: then nothing may rely on it, e.g. the exit
  // status stays with the supervisor.
  bool checkpoint(TaskRecord& task);

  // agent_supervisors.cpp: the tasks' supervisors and the end of containers.
  void onSupervisorMessage(const std::string& peer, proto::Envelope::Reader message);
  void watchSupervisor(TaskRecord& task);
  void supervisorEnded(const TaskKey& key);
  void taskExited(TaskRecord& task, const ExitRecord& exit);
  void checksReported(TaskRecord& task, proto::SupervisorStatus::Reader report);
  void sendKill(TaskRecord& task, double gracePeriodSeconds);
  // keepMeta: the exit record must stay (it is not checkpointed yet).
  void destroyContainer(const std::string& containerId, bool keepMeta = false, int attempt = 0);
  void reap();

  // agent_recovery.cpp: what an earlier run left.
  Status recover();
  void recoverTask(TaskRecord& task);
  void cleanupOrphanContainers();

  // status_updates.cpp: the per-task stream of updates.
  void updateStatus(TaskRecord& task, TaskState state, TaskReason reason, const std::string& message,
                    std::optional<int> exitCode = std::nullopt);
  void transmit(const TaskKey& key);
  void onAcknowledgement(proto::StatusAcknowledgement::Reader message);
  void resendAllPending();

  // agent_api.cpp: usage sampling and the HTTP API.
  void usageTick();
  nlohmann::json containersJson() const;
  // /metrics: the counters, and the gauges read now.
  std::string metricsText() const;

  // agent_sandboxes.cpp: sandboxes after their tasks.
  ApiReply readFile(const ApiCall& call) const;
  void gcTick();

  TaskRecord* findByContainer(const std::string& containerId);

  EventLoop& loop_;
  AgentOptions options_;
  std::unique_ptr<Isolator> isolator_;
  std::unique_ptr<AgentCheckpoint> checkpoint_;
  MessageSocket socket_;
  MessageSocket supervisors_;
  std::unique_ptr<MasterLocator> locator_;
  TimePoint lastRelocation_{};
  std::string agentId_;
  std::string masterId_;
  bool registered_ = false;
  bool recovering_ = false;  // while recover() runs: a supervisor found gone died during the outage
  TimePoint lastHeardFromMaster_;
  Duration masterTimeout_;
  std::optional<EventLoop::TimerId> registrationTimer_;
  std::map<TaskKey, TaskRecord> tasks_;
  std::unordered_map<std::string, TaskKey> containers_;  // container id -> task
  AgentCounters counters_;
};

}  // namespace agora
