#pragma once
// The master: admits agents and frameworks, turns the allocator's decisions into offers,
// launches and kills tasks on agents, and carries status updates from agents to frameworks
// and their acknowledgements back. Everything here runs on one EventLoop thread.

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "common/event_feed.hpp"
#include "common/event_loop.hpp"
#include "common/http_server.hpp"
#include "common/leader_election.hpp"
#include "common/transport.hpp"
#include "common/types.hpp"
#include "master/allocator.hpp"
#include "master/framework_connection.hpp"
#include "common/acl.hpp"
#include "common/curve_auth.hpp"
#include "master/offer_book.hpp"
#include "master/registry.hpp"
#include "master/scheduler_calls.hpp"
#include "master/task_book.hpp"
#include "master/validation.hpp"

namespace agora {

struct MasterOptions {
  std::string endpoint = "tcp://127.0.0.1:5050";
  Duration pingInterval = std::chrono::seconds(1);
  uint32_t maxMissedPings = 5;
  Duration allocationInterval = std::chrono::seconds(1);
  // After a master restart: how long admitted agents have to come back.
  Duration agentReregisterTimeout = std::chrono::minutes(2);
  // How long an unreachable agent may stay away before it is removed and its tasks are GONE.
  Duration agentRemovalTimeout = std::chrono::minutes(10);
  size_t maxCompletedTasks = 1000;
  // An offer outstanding this long is rescinded and its resources offered again; 0: never.
  Duration offerTimeout = std::chrono::seconds(60);
  DecodeLimits limits;
  // Messages read ahead from one peer; past it ZeroMQ stops reading that peer, so a
  // saturated master pushes back on its senders instead of queueing without bound.
  int peerQueueMessages = 1000;
  // Removed agents are remembered (and refused) this long, and at most this many, as Mesos'
  // registry_max_agent_age and registry_max_agent_count: an agent gone for two weeks is not
  // coming back with its tasks, and the registry must not grow for ever.
  Duration removedAgentsMaxAge = std::chrono::hours(24 * 14);
  size_t removedAgentsMaxCount = 102400;
  // The master's id (empty: a fresh one); with an election, the id it stands as.
  std::string masterId;
  // Events of /api/v1/events kept for clients that resume with Last-Event-ID.
  size_t eventsKept = 10000;
  // How often the stream carries a UTILIZATION sample while someone follows it.
  Duration utilizationInterval = std::chrono::seconds(2);
  // CURVE: the master's key pair, and the allow-list of its peers' keys; unset, the ZeroMQ
  // port is open to anyone who reaches it (as `agora dev`).
  std::optional<KeyPair> curve;
  std::shared_ptr<const PrincipalBook> allowList;
  // Who may do what; null: every principal (or anyone, without authentication) may all.
  std::shared_ptr<const Acl> acl;
};

// The metrics of Master's /api/v1/metrics in Prometheus's text format.
std::string prometheusText(const nlohmann::json& metrics);

class Master {
 public:
  Master(zmq::context_t& context, EventLoop& loop, MasterOptions options, std::unique_ptr<Registry> registry,
         std::unique_ptr<Allocator> allocator);

  // Recovers the registry, binds the socket and starts the timers. Returns the bound endpoint.
  // A master that leads alone: bind() then lead().
  Try<std::string> start();

  // master_ha.cpp: several masters, one elected to lead on etcd.
  // Binds the socket without leading: every peer is told where the leader is.
  Try<std::string> bind();
  // Takes office: loads the registry and starts acting on it. Once.
  Status lead();
  // The election this master stands in; without one it leads alone once it has started.
  void setElection(const LeaderElection* election) { election_ = election; }
  bool leads() const { return leading_; }
  // Tells every peer it has (agents, frameworks) to find the leader anew: on a resignation,
  // so that they follow the next leader at once instead of waiting out their ping timeout.
  void releasePeers(const std::string& why);

  // The operator API; serves HTTP and proto::ApiRequest alike. Loop thread only.
  ApiReply handleApi(const ApiCall& call);

  const std::string& id() const { return masterId_; }
  // Where this master serves HTTP (http://HOST:PORT), for /api/v1/info: the CLI's event
  // stream and the dashboard's link are found there.
  void setHttpAddress(std::string url) { httpAddress_ = std::move(url); }
  // The HTTP server in front of this master, whose token refusals /metrics counts.
  void setHttpServer(const HttpServer* http) { http_ = http; }
  // Messages wait that the loop has not read yet: the master is behind.
  bool behind() { return socket_.hasPendingInput(); }

 private:
  struct FrameworkRecord {
    FrameworkInfo info;
    std::string peer;  // its ZeroMQ routing id
    std::shared_ptr<FrameworkConnection> connection;  // set once subscribed
    std::string streamId;  // Mesos-Stream-Id of an HTTP scheduler; empty over ZeroMQ
    bool connected = false;
    bool recovered = false;  // known from the registry or an agent, not yet re-subscribed
    TimePoint lastSeen;
    double registeredAt = 0;
    std::optional<EventLoop::TimerId> failoverTimer;
  };

  enum class AgentState { kRecovered, kActive, kUnreachable };

  struct AgentRecord {
    AgentInfo info;
    std::string peer;
    AgentState state = AgentState::kActive;
    TimePoint lastSeen;
    double registeredAt = 0;
    std::optional<EventLoop::TimerId> removalTimer;
    std::optional<double> drainDeadline;  // seconds since the epoch; set while draining
    uint32_t pingSlice = 0;               // which of the ping ticks of an interval pings it
    Resources dynamic;                    // reservations made with RESERVE, kept by the master
    std::optional<EventLoop::TimerId> drainTimer;
    // Kills asked for while the agent was away, sent when it re-registers.
    struct PendingKill {
      TaskReason reason = TaskReason::KILLED_BY_FRAMEWORK;
      double gracePeriodSeconds = -1;  // negative: the task's own
    };
    std::map<TaskKey, PendingKill> pendingKills;
  };

  struct Peer {
    bool isAgent = false;
    std::string id;
    // The key it authenticated with (CURVE); every later message must come with the same.
    std::string principal{};
  };

  // master.cpp: wire, liveness, allocation.
  void onMessage(const std::string& peer, proto::Envelope::Reader message);
  void onPeerMessage(const std::string& peer, const Peer& who, proto::Envelope::Reader message);
  void pingTick();
  void triggerAllocation();
  void allocationTick();
  void allocate(Allocator::Scope scope);
  void rescindOffer(const std::string& offerId, bool recover);
  void sendTo(const std::string& peer, OutboundEnvelope& message);
  void sendError(const std::string& peer, const std::string& message);
  void sendReregisterRequired(const std::string& peer, const std::string& why);
  void recover(const RegistryState& state);
  void onApiRequest(const std::string& peer, proto::ApiRequest::Reader request);

  // master_ha.cpp.
  // Leads and surely still holds its lease: only then does it act on anything.
  bool acting() const;
  void sendRedirect(const std::string& peer, const std::string& why);
  // A standby's answer over HTTP: 307 to the leader, 503 while none leads.
  ApiReply standbyReply(const ApiCall& call) const;
  nlohmann::json leadershipJson() const;
  // /api/v1/info: who this master is, and who leads.
  nlohmann::json infoJson() const;

  // master_agents.cpp: agents, status updates.
  void onRegisterAgent(const std::string& peer, proto::RegisterAgent::Reader message);
  void admitAgent(const std::string& peer, const std::string& principal, const AgentInfo& info,
                  const std::vector<std::pair<std::string, TaskInfo>>& infos, const std::vector<TaskState>& states,
                  bool reregistering);
  void adoptAgentTasks(AgentRecord& agent, const std::vector<std::pair<std::string, TaskInfo>>& infos,
                       const std::vector<TaskState>& states);
  void onStatusUpdate(AgentRecord& agent, proto::StatusUpdate::Reader message);
  void refuseRemovedAgent(const std::string& peer, const std::string& agentId);
  void sendAgentRegistered(const std::string& peer, const std::string& agentId);
  void sendPendingKills(AgentRecord& agent);
  void onAgentUsage(AgentRecord& agent, proto::AgentUsage::Reader message);
  void agentUnreachable(AgentRecord& agent, const std::string& why);
  void removeAgent(const std::string& agentId, TaskState taskState, TaskReason reason, const std::string& why);
  void persistRemoval(const std::string& agentId, double when, std::vector<TaskStatus> ended, int attempt);
  // Removes a recovered or unreachable agent whose time is up, unless it is being admitted.
  void agentTimeUp(const std::string& agentId, const std::string& why);
  // Forgets removed agents past the age or beyond the count the options allow, oldest first.
  void pruneRemovedAgents();
  void releaseAgentFromAllocator(AgentRecord& agent);
  void addAgentToAllocator(AgentRecord& agent);

  // master_frameworks.cpp: scheduler calls.
  // Who asks to subscribe, and how to reach it once subscribed.
  // master_auth.cpp: what the ACL lets a principal do; each refusal says what and why, and
  // is counted. OK when no ACL is configured.
  Status authorizeAgent(const std::string& principal);
  Status authorizeSubscription(const std::string& principal, FrameworkInfo& info);
  Status authorizeTaskUser(const FrameworkRecord& fw, const TaskInfo& task);
  std::optional<ApiReply> authorizeOperator(const ApiCall& call);
  bool principalChanged(const std::string& peer, const Peer& who);

  struct Subscriber {
    std::string peer;      // its ZeroMQ routing id, or "http:" + its stream id
    std::string streamId;  // HTTP only
    std::string principal;  // authenticated (CURVE key or bearer token); empty: not
    std::function<std::unique_ptr<FrameworkConnection>()> connect;
    std::function<void(const std::string&)> refuse;  // the subscription failed
    // Whether it still listens (an HTTP client may be gone before its subscription is
    // written); empty: it does.
    std::function<bool()> alive;
  };
  void onSubscribe(const std::string& peer, proto::Subscribe::Reader message);
  // Checks `info` (an error says what is wrong, and nothing is done), then writes it to the
  // registry and subscribes the framework once it is there.
  Status subscribe(FrameworkInfo info, const Subscriber& who);
  void subscribed(const Subscriber& who, const FrameworkInfo& info, bool reregistered);
  // master_http_scheduler.cpp: POST /api/v1/scheduler.
  ApiReply schedulerReply(const ApiCall& call);
  ApiReply httpSubscribe(FrameworkInfo info, const std::string& principal);
  // An answer for a registry write nobody waits for: a failure is logged with `what`.
  static Registry::Done logFailure(const std::string& what);
  // A subscribed framework's call, however it came (decoded at the edge).
  void onCall(FrameworkRecord& fw, const calls::Call& call);
  void onAccept(FrameworkRecord& fw, const calls::Accept& call);
  void onDecline(FrameworkRecord& fw, const calls::Decline& call);
  void onKill(FrameworkRecord& fw, const calls::Kill& call);
  void onReconcile(FrameworkRecord& fw, const calls::Reconcile& call);
  // After a restart, agents of the registry that have not re-registered may hold the tasks a
  // framework asks about: "unknown" would be a lie that makes it launch them again. Those
  // answers wait until every such agent is back or given up.
  bool agentsRecovering() const;
  void answerDeferredAsks();
  void onAcknowledge(FrameworkRecord& fw, const calls::Acknowledge& call);
  // Counts an event that could not be queued for its framework.
  void counted(bool sent);
  void frameworkDisconnected(FrameworkRecord& fw, const std::string& why);
  void removeFramework(const std::string& frameworkId, const std::string& why);
  // POST /api/v1/frameworks/ID/teardown: an operator removes a framework and its tasks.
  ApiReply teardownReply(const ApiCall& call);
  // The framework's record, made (as recovered, waiting for its scheduler) if it is new;
  // `known` is what the registry holds of it, if anything.
  FrameworkRecord& ensureFramework(const std::string& frameworkId, const FrameworkInfo* known = nullptr);
  void launchTask(FrameworkRecord& fw, AgentRecord& agent, const TaskInfo& task);
  // RESERVE (reserve) or UNRESERVE (!reserve) of resources in an accepted offer; an error says
  // why nothing was done.
  Status convert(FrameworkRecord& fw, AgentRecord& agent, LaunchContext& context, const Resources& resources,
                 bool reserve);
  // The agent's resources as it reported them, with the master's dynamic reservations applied.
  void applyReservations(AgentRecord& agent);

  // master_maintenance.cpp: draining agents for maintenance.
  ApiReply handleMaintenance(const ApiCall& call);
  void drain(AgentRecord& agent, double deadline);
  void undrain(AgentRecord& agent);
  void drainDeadlineReached(const std::string& agentId);
  // master_reservations.cpp: an operator's reserve (reserve) or unreserve (!reserve).
  ApiReply handleReservation(const ApiCall& call, AgentRecord& agent, bool reserve);

  // master_tasks.cpp: task bookkeeping shared by both sides.
  void killOnAgent(AgentRecord& agent, const std::string& frameworkId, const std::string& taskId, TaskReason reason,
                   double gracePeriodSeconds = -1);
  // Fills in what every status says of its task: labels and where it lives.
  void describeTask(TaskStatus& status, const TaskRecord& task) const;
  void forwardStatus(const TaskStatus& status);
  TaskStatus masterStatus(const TaskRecord& task, TaskState state, TaskReason reason, const std::string& message);
  void completeTask(const TaskKey& key);
  void acknowledgeToAgent(const std::string& agentId, const std::string& frameworkId, const std::string& taskId,
                          const std::string& uuid);

  // master_state.cpp: the JSON view.
  ApiReply route(const ApiCall& call);
  nlohmann::json stateJson() const;
  static nlohmann::json taskJson(const TaskRecord& task);
  static nlohmann::json agentJson(const AgentRecord& agent, const Resources& used, const Resources& offered,
                                  size_t taskCount);
  // master_reads.cpp: light reads for pollers (agora logs -f, dashboards), which must not
  // rebuild the whole state each time.
  ApiReply tasksReply(const ApiCall& call) const;
  ApiReply agentsReply() const;
  nlohmann::json metricsJson() const;

  // master_events.cpp: the operator's event stream, and the reads a dashboard starts from.
  static EventFeed makeEventFeed(size_t capacity);
  void publish(const std::string& type, nlohmann::json data);
  // Every change of a task's latest status goes through here, so the stream misses none.
  void setTaskStatus(TaskRecord& task, TaskStatus status);
  void taskAdded(const TaskRecord& task);
  void agentEvent(const std::string& type, const AgentRecord& agent);
  void frameworkEvent(const std::string& type, const FrameworkRecord& fw);
  nlohmann::json agentJsonNow(const AgentRecord& agent) const;
  static nlohmann::json frameworkJson(const FrameworkRecord& fw, const Resources& used, const Resources& offered,
                                      size_t taskCount, size_t offerCount);
  nlohmann::json frameworkJsonNow(const FrameworkRecord& fw) const;
  ApiReply eventsReply(const ApiCall& call);
  ApiReply frameworksReply() const;
  ApiReply pendingReply();
  void utilizationTick();
  // Resources in total, allocated to tasks and offered, over the active agents.
  nlohmann::json utilizationJson() const;

  // master_roles.cpp: weights and quota, the operator's part of allocation.
  ApiReply handleRoles(const ApiCall& call);
  nlohmann::json rolesJson();
  void applyRole(const std::string& role, const RoleConfig& config);

  zmq::context_t& context_;
  EventLoop& loop_;
  MasterOptions options_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<Allocator> allocator_;
  // Answers ZeroMQ's questions about CURVE keys; before socket_, so that it outlives it.
  std::unique_ptr<CurveAuthenticator> authenticator_;
  const HttpServer* http_ = nullptr;
  MessageSocket socket_;
  std::string masterId_;
  std::string httpAddress_;
  double startedAt_ = 0;
  bool leading_ = false;
  const LeaderElection* election_ = nullptr;
  bool allocationPending_ = false;
  uint64_t pingSequence_ = 0;
  static constexpr uint32_t kPingSlices = 10;
  uint32_t pingSlice_ = 0;         // the turn of the next ping tick
  uint32_t nextAgentSlice_ = 0;    // the turn a newly registered agent gets
  std::optional<TimePoint> behindSince_;  // liveness checks have waited for the master since

  std::unordered_map<std::string, Peer> peers_;
  // Peers whose registration or subscription is being written, with the id they will have.
  std::unordered_map<std::string, std::string> admitting_;
  std::unordered_map<std::string, FrameworkInfo> subscribing_;
  std::map<std::string, AgentRecord> agents_;
  std::map<std::string, FrameworkRecord> frameworks_;
  TaskBook tasks_;
  OfferBook offers_;
  std::map<std::string, double> removedAgents_;  // agent id -> when it was removed
  // Questions about tasks the master does not know yet, answered once every agent has come
  // back or been given up durably: "unknown" before then could be wrong.
  struct DeferredAsk {
    std::string agentId;
    bool kill = false;
    std::optional<double> grace;
  };
  std::map<TaskKey, DeferredAsk> deferredAsks_;
  size_t removalsInFlight_ = 0;  // agent removals not yet in the registry
  std::map<std::string, RoleConfig> roleConfigs_;
  std::map<std::string, uint64_t> counters_;
  EventFeed events_;
};

}  // namespace agora
