@0xaff553d028fe0da8;
# The one definition of every message between schedulers, the master and agents.
# One ZeroMQ message carries one Cap'n Proto message whose root is an Envelope.
# Additions keep old field numbers; a change that breaks old peers bumps kProtocolVersion.

$import "/capnp/c++.capnp".namespace("agora::proto");

const protocolVersion :UInt32 = 1;

# ---------------------------------------------------------------- resources

struct Range {
  begin @0 :UInt64;
  end @1 :UInt64;   # inclusive
}

struct Resource {
  name @0 :Text;
  role @1 :Text;    # "*" when unreserved
  union {
    scalar @2 :Int64;          # thousandths: 1.5 cpus travels as 1500
    ranges @3 :List(Range);
    set @4 :List(Text);
  }
}

struct Attribute {
  name @0 :Text;
  value @1 :Text;
}

# ---------------------------------------------------------------- identities

struct AgentInfo {
  id @0 :Text;                  # empty on first registration: the master assigns it
  hostname @1 :Text;
  resources @2 :List(Resource);
  attributes @3 :List(Attribute);
  httpPort @4 :UInt16;
  isolation @5 :Text;           # the isolator the agent uses: cgroups-v1, cgroups-v2 or posix
  httpHost @6 :Text;            # where the agent's HTTP API (sandboxes, containers) answers
  httpTls @7 :Bool;             # that API is HTTPS (--tls_cert)
}

struct FrameworkInfo {
  id @0 :Text;                  # empty on first registration: the master assigns it
  name @1 :Text;
  principal @2 :Text;
  roles @3 :List(Text);
  failoverTimeoutSeconds @4 :Float64;
  capabilities @5 :List(Text);
  hostname @6 :Text;
  webuiUrl @7 :Text;            # the framework's own web page, linked from the dashboard
}

# ---------------------------------------------------------------- tasks

struct EnvironmentVariable {
  name @0 :Text;
  value @1 :Text;
}

struct CommandInfo {
  value @0 :Text;               # with shell: passed to /bin/sh -c; else the program path
  shell @1 :Bool = true;
  arguments @2 :List(Text);     # argv when not a shell command (argv[0] included)
  environment @3 :List(EnvironmentVariable);
}

struct Label {
  key @0 :Text;
  value @1 :Text;
}

# A port of the task, in the order of PORT0, PORT1, ...; a named one is also PORT_<NAME>.
struct TaskPort {
  number @0 :UInt64;
  name @1 :Text;
}

# Which port of the task a check reaches on 127.0.0.1: by index into the task's ports
# (PORT0..n), by name, or a literal number; exactly one is set.
struct PortRef {
  index @0 :Int32 = -1;
  name @1 :Text;
  number @2 :UInt64;
}

enum CheckKind {
  command @0;                   # healthy when the command exits 0
  http @1;                      # healthy when GET path answers 200..399
  tcp @2;                       # healthy when a connection opens
}

# Run on the agent by the task's supervisor (so it goes on while the agent is down). Defaults
# are Mesos' HealthCheck defaults.
struct HealthCheck {
  kind @0 :CheckKind;
  command @1 :CommandInfo;      # command: run in the task's sandbox, as its user, with its env
  path @2 :Text = "/";          # http
  port @3 :PortRef;             # http, tcp
  delaySeconds @4 :Float64 = 15;       # before the first check
  intervalSeconds @5 :Float64 = 10;    # between the starts of two checks
  timeoutSeconds @6 :Float64 = 20;     # a check that takes longer failed
  gracePeriodSeconds @7 :Float64 = 10; # failures this soon after the start, before the first
                                       # success, do not count
  maxConsecutiveFailures @8 :UInt32 = 3;  # then the task is killed; 0: never killed
}

# Reported as TaskStatus.ready; it kills nothing. Checked until the task is ready once.
struct ReadinessCheck {
  path @0 :Text = "/";
  port @1 :PortRef;
  intervalSeconds @2 :Float64 = 30;
  timeoutSeconds @3 :Float64 = 10;
  readyStatusCodes @4 :List(UInt16);   # empty: 200 only
}

struct TaskInfo {
  taskId @0 :Text;
  name @1 :Text;
  agentId @2 :Text;
  resources @3 :List(Resource);
  command @4 :CommandInfo;
  killGracePeriodSeconds @5 :Float64 = 3.0;   # the task's kill policy
  labels @6 :List(Label);                      # carried in every status of the task
  ports @7 :List(TaskPort);                    # empty: the ports resources, in ascending order
  maxCompletionTimeSeconds @8 :Float64;        # > 0: the agent fails the task after this long
  user @9 :Text;                               # empty: the agent's own user
  healthCheck @10 :HealthCheck;                # unset: none
  readinessCheck @11 :ReadinessCheck;          # unset: none
}

enum TaskState {
  staging @0;
  starting @1;
  running @2;
  finished @3;
  failed @4;
  killed @5;
  error @6;
  lost @7;
  dropped @8;
  gone @9;
  unreachable @10;
  unknown @11;                  # the master knows no such task (reconciliation)
  killing @12;
}

enum TaskReason {
  none @0;
  commandExited @1;
  commandSignaled @2;
  launchFailed @3;
  killedByFramework @4;
  memoryLimit @5;
  healthCheckFailed @6;
  agentRemoved @7;
  agentRestarted @8;
  agentUnreachable @9;
  agentDraining @10;
  executorTerminated @11;
  reconciliation @12;
  invalidTask @13;
  invalidOffers @14;
  frameworkRemoved @15;
  agentUnknown @16;
  taskUnknown @17;
  maxCompletionTimeReached @18;
  invalidUser @19;
  healthCheckStatusUpdated @20;     # a RUNNING update whose news is the task's health
  readinessCheckStatusUpdated @21;  # a RUNNING update whose news is the task's readiness
  masterDisconnected @22;           # the SDK could not send the launch: not subscribed, or
                                    # its queue to a saturated master is full
  taskUnauthorized @23;             # the ACL does not let the framework's principal run it
}

enum StatusSource {
  agent @0;
  master @1;
}

struct TaskStatus {
  taskId @0 :Text;
  frameworkId @1 :Text;
  agentId @2 :Text;
  state @3 :TaskState;
  reason @4 :TaskReason;
  message @5 :Text;
  source @6 :StatusSource;
  uuid @7 :Text;                # set on updates that must be acknowledged
  timestamp @8 :Float64;        # seconds since the epoch
  hasExitCode @9 :Bool;
  exitCode @10 :Int32;
  labels @11 :List(Label);
  # Where the task lives, so that nobody parses it out of messages.
  agentHostname @12 :Text;
  agentHttpAddress @13 :Text;   # base URL of the agent's HTTP API (sandbox files): http(s)://host:port
  sandbox @14 :Text;            # the sandbox's path on the agent
  hasHealthy @15 :Bool;         # the task has a health check with a result
  healthy @16 :Bool;
  hasReady @17 :Bool;           # the task has a readiness check
  ready @18 :Bool;
}

struct Offer {
  id @0 :Text;
  frameworkId @1 :Text;
  agentId @2 :Text;
  hostname @3 :Text;
  resources @4 :List(Resource);
  attributes @5 :List(Attribute);
  role @6 :Text;                # the role the resources are allocated to
}

# ---------------------------------------------------------------- agent <-> master

struct RegisterAgent {
  agent @0 :AgentInfo;
  tasks @1 :List(AgentTask);    # tasks the agent still has, when re-registering
}

struct AgentTask {
  frameworkId @0 :Text;
  task @1 :TaskInfo;
  state @2 :TaskState;          # latest state the agent knows
}

struct AgentRegistered {
  agentId @0 :Text;
  masterId @1 :Text;
  pingIntervalSeconds @2 :Float64;   # the peer takes the master for lost after
  maxMissedPings @3 :UInt32;         # this many intervals without a ping
}

struct RunTask {
  framework @0 :FrameworkInfo;
  task @1 :TaskInfo;
}

struct KillTask {
  frameworkId @0 :Text;
  taskId @1 :Text;
  gracePeriodSeconds @2 :Float64;   # negative: use the task's own
  reason @3 :TaskReason;            # none: the framework asked (KILLED_BY_FRAMEWORK)
}

struct StatusUpdate {
  status @0 :TaskStatus;
}

struct StatusAcknowledgement {
  frameworkId @0 :Text;
  agentId @1 :Text;
  taskId @2 :Text;
  uuid @3 :Text;
}

# ---------------------------------------------------------------- scheduler <-> master

struct Subscribe {
  framework @0 :FrameworkInfo;
}

struct Subscribed {
  frameworkId @0 :Text;
  masterId @1 :Text;
  pingIntervalSeconds @2 :Float64;
  reregistered @3 :Bool;
  maxMissedPings @4 :UInt32;
}

struct Offers {
  offers @0 :List(Offer);
}

struct Rescind {
  offerId @0 :Text;
}

struct Filters {
  refuseSeconds @0 :Float64 = 5.0;
}

struct Operation {
  union {
    launch @0 :List(TaskInfo);
    reserve @1 :List(Resource);      # dynamic reservations: refused until the roles issue
    unreserve @2 :List(Resource);
  }
}

struct Accept {
  frameworkId @0 :Text;
  offerIds @1 :List(Text);
  operations @2 :List(Operation);
  filters @3 :Filters;
}

struct Decline {
  frameworkId @0 :Text;
  offerIds @1 :List(Text);
  filters @2 :Filters;
}

struct Kill {
  frameworkId @0 :Text;
  taskId @1 :Text;
  gracePeriodSeconds @2 :Float64 = -1;   # negative: the task's own kill policy
}

struct ReconcileTask {
  taskId @0 :Text;
  agentId @1 :Text;
}

struct Reconcile {
  frameworkId @0 :Text;
  tasks @1 :List(ReconcileTask);  # empty: implicit reconciliation of all tasks
}

struct FrameworkCall {
  frameworkId @0 :Text;
  roles @1 :List(Text);         # suppress / revive: these of the framework's roles; empty: all
}

struct Error {
  message @0 :Text;
}

# A standby master's answer to every message: where the leader is. Empty addresses: no
# master leads at the moment (an election is under way); ask again shortly.
struct Redirect {
  zmq @0 :Text;       # tcp://host:port
  http @1 :Text;      # http://host:port
  message @2 :Text;
}

# ---------------------------------------------------------------- liveness and API

struct Ping {
  masterId @0 :Text;
  sequence @1 :UInt64;
}

struct Pong {
  sequence @0 :UInt64;
}

# A request for the operator API over the wire (the same handler serves HTTP),
# so that clients need only the master's one address.
struct ApiRequest {
  requestId @0 :UInt64;
  method @1 :Text;
  path @2 :Text;
  body @3 :Text;
}

struct ApiResponse {
  requestId @0 :UInt64;
  status @1 :UInt16;
  body @2 :Text;
}

# ---------------------------------------------------------------- usage

struct TaskUsage {
  frameworkId @0 :Text;
  taskId @1 :Text;
  cpuSeconds @2 :Float64;       # user + system since the task started
  memBytes @3 :UInt64;
  memPeakBytes @4 :UInt64;
  memLimitBytes @5 :UInt64;     # 0: none
  pids @6 :UInt64;
  timestamp @7 :Float64;        # seconds since the epoch when sampled
}

struct AgentUsage {
  tasks @0 :List(TaskUsage);    # every running task of the agent
}

# ---------------------------------------------------------------- agent <-> task supervisor
# Over a Unix socket (ZeroMQ ipc) under the agent's work dir. The supervisor repeats its
# status until the agent acknowledges its exit, so that an agent restarted meanwhile learns
# of it as soon as it binds the socket again.

struct SupervisorStatus {
  containerId @0 :Text;
  supervisorPid @1 :Int32;
  taskPid @2 :Int32;            # 0 until the task has been started
  exited @3 :Bool;
  waitStatus @4 :Int32;         # with exited: the task's wait(2) status
  launchError @5 :Text;         # with exited: why the task could not be started, if it could not
  limit @6 :Text;               # with exited: the supervisor's own limit that ended it
                                # ("max_completion_time"), if one did
  limitMessage @7 :Text;        # with limit: what the limit saw
  healthKnown @8 :Bool;         # the health check has counted a result
  healthy @9 :Bool;
  healthMessage @10 :Text;      # what the last counted check saw
  ready @11 :Bool;              # the readiness check passed (it is then no longer run)
}

struct SupervisorKill {
  containerId @0 :Text;
  gracePeriodSeconds @1 :Float64;
}

struct SupervisorAck {
  containerId @0 :Text;         # the agent has checkpointed the exit: the supervisor may end
}

# ---------------------------------------------------------------- agent checkpoint
# What the agent writes to its RocksDB before acting, one record per task.

struct CheckpointedTask {
  framework @0 :FrameworkInfo;
  task @1 :TaskInfo;
  state @2 :TaskState;
  containerId @3 :Text;
  sandbox @4 :Text;
  supervisorPid @5 :Int32;
  supervisorStartTime @6 :UInt64;   # /proc/<pid>/stat starttime: tells a reused pid apart
  taskPid @7 :Int32;
  killRequested @8 :Bool;
  pending @9 :List(TaskStatus);     # unacknowledged updates, oldest first
  exitHandled @10 :Bool;            # the supervisor's exit report has been turned into an update
  killReason @11 :TaskReason;
  hasHealthy @12 :Bool;             # the health last reported to the framework
  healthy @13 :Bool;
  ready @14 :Bool;
}

# The master removed an agent (it stayed unreachable, or an operator marked it gone) and has
# reported each of the framework's tasks there as GONE. Mesos' FAILURE event with an agent id.
# Sent once, to the frameworks connected then: the GONE updates are what must not be missed.
struct AgentLost {
  agentId @0 :Text;
}

struct Envelope {
  version @0 :UInt32;
  union {
    registerAgent @1 :RegisterAgent;
    agentRegistered @2 :AgentRegistered;
    runTask @3 :RunTask;
    killTask @4 :KillTask;
    statusUpdate @5 :StatusUpdate;
    statusAcknowledgement @6 :StatusAcknowledgement;
    subscribe @7 :Subscribe;
    subscribed @8 :Subscribed;
    offers @9 :Offers;
    rescind @10 :Rescind;
    accept @11 :Accept;
    decline @12 :Decline;
    kill @13 :Kill;
    reconcile @14 :Reconcile;
    suppress @15 :FrameworkCall;
    revive @16 :FrameworkCall;
    teardown @17 :FrameworkCall;
    error @18 :Error;
    ping @19 :Ping;
    pong @20 :Pong;
    reregisterRequired @21 :Error;   # the master does not know this peer
    apiRequest @22 :ApiRequest;
    apiResponse @23 :ApiResponse;
    update @24 :StatusUpdate;        # master -> scheduler
    acknowledge @25 :StatusAcknowledgement;  # scheduler -> master
    agentUsage @26 :AgentUsage;      # agent -> master
    supervisorStatus @27 :SupervisorStatus;
    supervisorKill @28 :SupervisorKill;
    supervisorAck @29 :SupervisorAck;
    agentRemoved @30 :Error;         # master -> agent: this agent id was removed; its tasks are
                                     # GONE to their frameworks. Kill them all, register anew.
    redirect @31 :Redirect;          # a standby master -> any peer: talk to the leader instead
    agentLost @32 :AgentLost;        # master -> scheduler
  }
}
