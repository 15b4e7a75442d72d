// agora-agent: offers this machine's resources to the master and runs tasks, each under an
// agora-supervisor.
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "agent/agent.hpp"
#include "agent/detect.hpp"
#include "common/http_server.hpp"
#include "common/signals.hpp"
#include "isolators/cgroup_fs.hpp"

DEFINE_string(master, "127.0.0.1:5050", "Where the master is: its ZeroMQ address host:port, a comma-separated "
                                        "list of masters (a standby points to the leader), or "
                                        "etcd://HOST:PORT[,HOST:PORT...]/PREFIX where the leading master is "
                                        "published.");
DEFINE_string(curve_key, "", "This agent's CURVE key pair (from `agora keygen`), for a master that admits only "
                             "CURVE peers; with --master_public_key.");
DEFINE_string(master_public_key, "", "The master's CURVE public key: its Z85 text, or its .pub file.");
DEFINE_string(tokens, "", "Bearer tokens for the HTTP API (the master's token file: lines 'TOKEN,PRINCIPAL,SCOPE'); "
                          "unset: the HTTP API, task files included, is open.");
DEFINE_string(acls, "", "The ACL file (as the master's): who may read task files (read_files). Unset: any caller "
                        "the tokens let in.");
DEFINE_string(tls_cert, "", "Serve HTTPS with this certificate (PEM, with its chain); with --tls_key.");
DEFINE_string(tls_key, "", "The private key (PEM) of --tls_cert.");
DEFINE_string(work_dir, "", "Directory for sandboxes, the checkpoint and container metadata. Required.");
DEFINE_string(hostname, "", "Hostname to advertise; detected when empty.");
DEFINE_string(resources, "",
              "Resources to offer, overriding detection by name, e.g. 'cpus:2;mem:4096;ports:[31000-31999]'.");
DEFINE_string(attributes, "", "Attributes of this machine, e.g. 'rack:r1;zone:a'.");
DEFINE_double(status_update_retry_max, 10.0, "Longest wait in seconds between resends of an unacknowledged update.");
DEFINE_double(registration_retry, 0.5, "Seconds between registration attempts while the master does not answer.");
DEFINE_string(http_ip, "127.0.0.1", "Address for the agent's HTTP API (sandbox files, containers, state).");
DEFINE_int32(http_port, 5051, "Port for the agent's HTTP API; 0 picks a free port.");
DEFINE_string(advertise_ip, "", "Address clients use to reach the HTTP API (default: --http_ip, or the hostname "
                                "when that is 0.0.0.0).");
DEFINE_string(isolation, "auto",
              "How tasks are isolated: auto (the best available), cgroups (v2 where usable, else v1), cgroups-v1, "
              "cgroups-v2 or posix (rlimits and /proc accounting only).");
DEFINE_string(cgroups_root, "agora", "Cgroup, below the agent's own cgroup in each hierarchy, that holds the "
                                     "tasks' cgroups. Give each agent on one machine its own.");
DEFINE_bool(cgroups_enable_cfs, false, "Cap each task's cpu time at its cpus (CFS quota / cpu.max), not only weight it.");
DEFINE_uint64(task_pids_max, 0, "Most processes a task may have at once (pids cgroup); 0: no limit.");
DEFINE_uint64(sandbox_log_max_bytes, 10 << 20, "A task's stdout or stderr is rotated at this size; 0: never.");
DEFINE_int32(sandbox_log_keep, 2, "Rotated stdout/stderr files kept per task (stdout.1, stdout.2, ...).");
DEFINE_double(gc_delay, 7 * 24 * 3600, "Seconds a finished task's sandbox is kept (from its last write) for its logs.");
DEFINE_double(gc_max_disk_usage, 0.9, "When the work dir's disk is fuller than this fraction, finished sandboxes are "
                                      "removed oldest first, whatever their age.");
DEFINE_double(gc_interval, 60, "Seconds between sandbox garbage collections.");
DEFINE_bool(forbid_root_tasks, false, "Refuse (TASK_FAILED, REASON_INVALID_USER) every task that would run as root: "
                                      "one that names root as its user, or names none while the agent runs as root.");
DEFINE_double(usage_interval, 5.0, "Seconds between samples of the tasks' usage (sent to the master).");
DEFINE_string(recover, "reconnect",
              "After a restart: reconnect (re-attach to the running tasks and carry on) or cleanup (kill every task "
              "left by the earlier run, forget them and the agent id, and exit).");
DEFINE_string(supervisor, "", "The agora-supervisor binary that runs each task (default: the one next to this "
                              "agent binary).");

namespace {

agora::AgentOptions optionsFromFlags(const agora::Resources& resources, const agora::Attributes& attributes) {
  agora::AgentOptions options;
  options.master = FLAGS_master;
  options.workDir = std::filesystem::absolute(FLAGS_work_dir).string();
  options.hostname = FLAGS_hostname.empty() ? agora::detectHostname() : FLAGS_hostname;
  options.resources = resources;
  options.attributes = attributes;
  options.statusRetryMax = agora::seconds(FLAGS_status_update_retry_max);
  options.registrationRetry = agora::seconds(FLAGS_registration_retry);
  options.httpHost = !FLAGS_advertise_ip.empty() ? FLAGS_advertise_ip
                     : FLAGS_http_ip == "0.0.0.0" ? options.hostname
                                                  : FLAGS_http_ip;
  options.supervisorBinary =
      !FLAGS_supervisor.empty()
          ? std::filesystem::absolute(FLAGS_supervisor).string()
          : (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "agora-supervisor").string();
  options.isolatorOptions.cgroupsRoot = FLAGS_cgroups_root;
  options.isolatorOptions.cpuHardCap = FLAGS_cgroups_enable_cfs;
  options.taskPidsMax = FLAGS_task_pids_max;
  options.logMaxBytes = FLAGS_sandbox_log_max_bytes;
  options.logKeep = FLAGS_sandbox_log_keep;
  options.usageInterval = agora::seconds(FLAGS_usage_interval);
  options.forbidRootTasks = FLAGS_forbid_root_tasks;
  options.gc.maxAge = agora::seconds(FLAGS_gc_delay);
  options.gc.maxDiskUsage = FLAGS_gc_max_disk_usage;
  options.gcInterval = agora::seconds(FLAGS_gc_interval);
  options.recover = FLAGS_recover == "cleanup" ? agora::RecoverMode::kCleanup : agora::RecoverMode::kReconnect;
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora-agent --master=HOST:PORT --work_dir=DIR [--resources=...] [--isolation=auto]\n"
                          "Offers this machine's resources to the master and runs the tasks it is sent.\n"
                          "SIGTERM/SIGINT stop the agent and leave its tasks running for the next start to "
                          "recover; SIGUSR1 kills every task first.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  // Before any thread starts: these arrive through a signalfd in the event loop.
  int stopSignals = agora::blockSignalsToFd({SIGINT, SIGTERM, SIGUSR1});
  int childSignals = agora::blockSignalsToFd({SIGCHLD});
  signal(SIGPIPE, SIG_IGN);
  if (FLAGS_work_dir.empty()) {
    LOG(ERROR) << "--work_dir is required: sandboxes live there (e.g. --work_dir=/var/lib/agora/agent)";
    return 2;
  }
  if (FLAGS_recover != "reconnect" && FLAGS_recover != "cleanup") {
    LOG(ERROR) << "--recover='" << FLAGS_recover << "' is not one of reconnect, cleanup";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(FLAGS_work_dir + "/meta/containers", ec);
  if (ec) {
    LOG(ERROR) << "Cannot create --work_dir=" << FLAGS_work_dir << ": " << ec.message();
    return 1;
  }
  auto resources = agora::detectResources(FLAGS_work_dir, FLAGS_resources);
  if (resources.isError()) {
    LOG(ERROR) << resources.error();
    return 2;
  }
  auto attributes = agora::parseAttributes(FLAGS_attributes);
  if (attributes.isError()) {
    LOG(ERROR) << "--attributes: " << attributes.error();
    return 2;
  }
  agora::AgentOptions options = optionsFromFlags(*resources, *attributes);
  auto curve = agora::loadCurveClient(FLAGS_curve_key, FLAGS_master_public_key);
  if (curve.isError()) {
    LOG(ERROR) << curve.error();
    return 2;
  }
  options.curve = *curve;
  agora::HttpServerOptions httpOptions;
  httpOptions.tlsCert = FLAGS_tls_cert;
  httpOptions.tlsKey = FLAGS_tls_key;
  auto tokens = agora::tokensFromFlag(FLAGS_tokens);
  if (tokens.isError()) {
    LOG(ERROR) << tokens.error();
    return 2;
  }
  httpOptions.tokens = *tokens;
  if (!FLAGS_acls.empty()) {
    auto acl = agora::Acl::load(FLAGS_acls);
    if (acl.isError()) {
      LOG(ERROR) << "--acls: " << acl.error();
      return 2;
    }
    options.acl = std::make_shared<const agora::Acl>(std::move(*acl));
  }
  if (access(options.supervisorBinary.c_str(), X_OK) != 0) {
    LOG(ERROR) << "Cannot run " << options.supervisorBinary << ", which starts each task: build and install "
               << "agora-supervisor next to agora-agent, or point --supervisor at it";
    return 2;
  }
  auto isolator = agora::makeIsolator(FLAGS_isolation, options.isolatorOptions);
  if (isolator.isError()) {
    LOG(ERROR) << "--isolation=" << FLAGS_isolation << ": " << isolator.error();
    return 2;
  }
  LOG(INFO) << "Isolating tasks with " << (*isolator)->name() << " (--isolation=" << FLAGS_isolation << ")";
  auto checkpoint = agora::AgentCheckpoint::open(options.workDir + "/meta/checkpoint");
  if (checkpoint.isError()) {
    LOG(ERROR) << checkpoint.error() << " (is another agent using --work_dir=" << FLAGS_work_dir << "?)";
    return 1;
  }

  agora::RealClock clock;
  agora::EventLoop loop(clock);
  zmq::context_t context(1);
  if (options.recover == agora::RecoverMode::kCleanup) {
    agora::Agent agent(context, loop, options, std::move(*isolator), std::move(*checkpoint));
    agora::Status cleaned = agent.cleanupEverything();
    if (!cleaned.ok()) LOG(ERROR) << cleaned.error();
    return cleaned.ok() ? 0 : 1;
  }
  // Requests are answered on the loop thread, which runs only once the agent exists.
  agora::Agent* running = nullptr;
  agora::HttpServer http(loop, [&running](const agora::ApiCall& call) {
    agora::ApiReply reply = running->handleApi(call);
    // The agent answers reads only; the master's dashboard, served from another origin,
    // tails task logs from here.
    reply.headers.emplace("Access-Control-Allow-Origin", "*");
    return reply;
  }, httpOptions);
  auto httpPort = http.listen(FLAGS_http_ip, FLAGS_http_port);
  if (httpPort.isError()) {
    LOG(ERROR) << httpPort.error() << " (--http_port=0 picks a free port)";
    return 1;
  }
  options.httpPort = static_cast<uint16_t>(*httpPort);
  options.httpTls = !FLAGS_tls_cert.empty();
  agora::Agent agent(context, loop, options, std::move(*isolator), std::move(*checkpoint));
  running = &agent;
  agora::Status started = agent.start(childSignals);
  if (!started.ok()) {
    LOG(ERROR) << started.error();
    return 1;
  }
  LOG(INFO) << "HTTP API on " << agora::agentHttpUrl(options.httpHost, options.httpPort, options.httpTls) << "/api/v1/state";
  bool shutdown = false;
  loop.watchFd(stopSignals, [&] {
    int sig = agora::readSignal(stopSignals);
    if (sig == 0) return;
    shutdown = sig == SIGUSR1;
    loop.stop();
  });
  loop.run();
  http.stop();
  if (shutdown) {
    LOG(INFO) << "Agent shutting down: killing its tasks";
    agent.shutdownTasks(std::chrono::seconds(10));
    // Whoever started the agent may be gone (agora dev, SIGKILLed): leave no empty root.
    agora::cgroups::removeRootEverywhere("/", FLAGS_cgroups_root);
  } else {
    LOG(INFO) << "Agent stopping; its tasks keep running for the next start to recover";
  }
  return 0;
}
