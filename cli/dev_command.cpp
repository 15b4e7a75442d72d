// agora dev: a whole local cluster — a master and N agents on loopback — in one command,
// stopped cleanly (every process by its pid) on Ctrl-C.
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <thread>

#include <gflags/gflags.h>
#include <nlohmann/json.hpp>

#include "agent/launcher.hpp"
#include "cli/commands.hpp"
#include "cli/dev_secure.hpp"
#include "cli/batch_client.hpp"
#include "cli/marathon_client.hpp"
#include "cli/master_client.hpp"
#include "common/etcd_client.hpp"
#include "common/signals.hpp"
#include "isolators/cgroup_fs.hpp"

DEFINE_int32(agents, 2, "agora dev: number of agents to start.");
DEFINE_string(work_dir, "", "agora dev: directory for the cluster's state and logs (default: a new one in /tmp).");
DEFINE_int32(port, 5050, "agora dev: the master's ZeroMQ port (0: any free port).");
DEFINE_int32(http_port, 5055, "agora dev: the master's HTTP port (0: any free port).");
DEFINE_int32(marathon_port, 8080, "agora dev: agora-marathon's HTTP port, as Marathon's (0: any free port).");
DEFINE_int32(batch_port, 9000, "agora dev: agora-batch's HTTP port, as Metronome's (0: any free port).");
DEFINE_string(services_role, "services", "agora dev: the role agora-marathon subscribes in.");
DEFINE_string(batch_role, "batch", "agora dev: the role agora-batch subscribes in.");
DEFINE_bool(ha, false, "agora dev: high availability: etcd and 3 masters electing a leader on it (ZeroMQ ports --port, "
                       "+10, +20; HTTP ports --http_port, +10, +20), and 2 instances of each framework electing theirs "
                       "(ports --marathon_port, +10; --batch_port, +10); agents, frameworks and the CLI follow the leaders.");
DEFINE_bool(secure, false, "agora dev: CURVE keys, an allow-list, ACLs and bearer tokens, made in WORK_DIR/secure and "
                           "given to every process; `agora` commands on this machine find them (~/.agora/credentials.json).");
DEFINE_int32(etcd_port, 2379, "agora dev --ha: etcd's client port (its peer port is the next one).");
DECLARE_string(marathon);
DECLARE_string(batch);

namespace agora::cli {
namespace fs = std::filesystem;
namespace {

struct Child {
  std::string name;
  pid_t pid = -1;
  std::string log;
};

std::string findBinary(const std::string& name) {
  fs::path self = fs::read_symlink("/proc/self/exe").parent_path();
  for (const fs::path& dir : {self, self / ".." / "master", self / ".." / "agent", self / ".." / "frameworks" / "marathon-like",
                              self / ".." / "frameworks" / "batch"})
    if (fs::exists(dir / name)) return fs::canonical(dir / name).string();
  return "";
}

// Each agent of the machine gets its own cgroups root, removed when the cluster stops.
std::string cgroupsRoot(int index) {
  return "agora-dev-" + std::to_string(getpid()) + "-agent-" + std::to_string(index + 1);
}

// `deathSignal` reaches the child if agora dev ends without stopping it (SIGKILL, a crash):
// the cluster never outlives the command that started it.
Try<Child> spawn(const std::string& name, std::vector<std::string> argv, const std::string& logDir,
                 int deathSignal) {
  LaunchSpec spec;
  spec.parentDeathSignal = deathSignal;
  spec.argv = std::move(argv);
  spec.environment = inheritedEnvironment();
  spec.workingDirectory = logDir;
  spec.stdoutPath = logDir + "/" + name + ".log";
  spec.stderrPath = spec.stdoutPath;
  Try<pid_t> pid = launchProcess(spec);
  if (pid.isError()) return Error("cannot start " + name + ": " + pid.error());
  return Child{name, *pid, spec.stdoutPath};
}

// Reaps children that ended; returns the first one that did, if any.
std::optional<std::string> reapEnded(std::vector<Child>& children) {
  std::optional<std::string> ended;
  for (Child& c : children) {
    int status;
    if (c.pid > 0 && waitpid(c.pid, &status, WNOHANG) == c.pid) {
      c.pid = -1;
      if (!ended) ended = c.name + " exited; see " + c.log;
    }
  }
  return ended;
}

// Children still running whose names start with `prefix`.
int left(const std::vector<Child>& children, const std::string& prefix) {
  int n = 0;
  for (const Child& c : children) n += c.pid > 0 && c.name.rfind(prefix, 0) == 0;
  return n;
}

void stopWaiting(std::vector<Child>& children);

void stopAll(std::vector<Child>& children) {
  // etcd after everything else: masters resign on it as they stop.
  std::vector<Child> engine;
  for (Child& c : children)
    if (c.name == "etcd") engine.push_back(std::exchange(c, Child{}));
  // Agents first, so that they stop their tasks while the master still runs: SIGUSR1 makes
  // an agent kill its tasks (SIGTERM would leave them for its next start to recover).
  for (auto it = children.rbegin(); it != children.rend(); ++it)
    if (it->pid > 0) kill(it->pid, it->name.rfind("agent-", 0) == 0 ? SIGUSR1 : SIGTERM);
  stopWaiting(children);
  for (Child& c : engine) kill(c.pid, SIGTERM);
  stopWaiting(engine);
  for (int i = 0; i < FLAGS_agents; ++i) cgroups::removeRootEverywhere("/", cgroupsRoot(i));
}

// Waits for signalled children to end, and SIGKILLs what is left after 10 s.
void stopWaiting(std::vector<Child>& children) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (Child& c : children) {
    while (c.pid > 0) {
      if (waitpid(c.pid, nullptr, WNOHANG) == c.pid) { c.pid = -1; break; }
      if (std::chrono::steady_clock::now() > deadline) {
        kill(c.pid, SIGKILL);
        waitpid(c.pid, nullptr, 0);
        c.pid = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

// Why `port` on loopback cannot be the cluster's, or nothing if it is free. A port that
// answers as an Agora master is most likely another `agora dev`.
std::optional<std::string> portTaken(int port, const std::string& flag) {
  if (port == 0) return std::nullopt;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool taken = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno == EADDRINUSE;
  close(fd);
  if (!taken) return std::nullopt;
  std::string why = "port " + std::to_string(port) + " is taken";
  auto info = callMaster("127.0.0.1:" + std::to_string(FLAGS_port), "GET", "/api/v1/info", "",
                         std::chrono::milliseconds(500));
  nlohmann::json master = info.ok() && info->status == 200 ? nlohmann::json::parse(info->body, nullptr, false)
                                                           : nlohmann::json();
  if (master.is_object() && master.contains("id") && master["id"].is_string())
    why += " by another Agora cluster (master " + master["id"].get<std::string>() +
           "; `agora status` shows it): stop that one first";
  else
    why += " by another program";
  return why + ", or start this one elsewhere with --" + flag + "=0 (any free port)";
}

// Polls the master until `ready` holds for its state, a child dies, or time runs out.
Status waitFor(std::vector<Child>& children, const std::string& master, const std::string& what,
               const std::function<bool(const nlohmann::json&)>& ready) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto ended = reapEnded(children)) return Error(*ended);
    auto reply = callMaster(master, "GET", "/api/v1/state", "", std::chrono::milliseconds(500));
    if (reply.ok() && reply->status == 200 && ready(nlohmann::json::parse(reply->body))) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Error("timed out waiting for " + what);
}

// A framework to start beside the cluster, and how to tell it has subscribed.
struct FrameworkToStart {
  std::string name;     // agora-marathon, agora-batch
  std::string binary;
  std::vector<std::string> flags;
  std::string infoPath;  // its GET that says whether it is connected
  std::function<bool(const nlohmann::json&)> connected;
  std::function<Try<ApiReply>(const std::string&, const std::string&, const std::string&)> call;
  std::string* address;  // the CLI's flag for it, set once it listens
  bool standby = false;  // one of several instances, started after the leader: waits only until it listens
};

// Starts the framework for the master at `master`; its host:port once it is subscribed.
Try<std::string> startFramework(std::vector<Child>& children, const FrameworkToStart& f, const std::string& master,
                                const std::string& workDir, const std::string& logDir) {
  std::string endpointFile = workDir + "/" + f.name + "-endpoint.json";
  fs::remove(endpointFile);
  std::vector<std::string> argv = {f.binary, "--master=" + master, "--endpoint_file=" + endpointFile};
  argv.insert(argv.end(), f.flags.begin(), f.flags.end());
  auto m = spawn(f.name, argv, logDir, SIGTERM);
  if (m.isError()) return Error(m.error());
  children.push_back(*m);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!fs::exists(endpointFile)) {
    if (auto ended = reapEnded(children)) return Error(*ended);
    if (std::chrono::steady_clock::now() > deadline) return Error(f.name + " did not start; see " + m->log);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string http = nlohmann::json::parse(std::ifstream(endpointFile))["http"];
  if (f.standby) return http;
  *f.address = http;  // the CLI's own calls below go there
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto ended = reapEnded(children)) return Error(*ended);
    auto info = f.call("GET", f.infoPath, "");
    if (info.ok() && info->status == 200 && f.connected(nlohmann::json::parse(info->body, nullptr, false))) return http;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Error(f.name + " did not subscribe with the master; see " + m->log);
}

constexpr int kHaMasters = 3;

std::vector<std::string> withFlags(std::vector<std::string> flags, const std::vector<std::string>& more) {
  flags.insert(flags.end(), more.begin(), more.end());
  return flags;
}

// Where the started masters are: what peers are given as --master, and their HTTP APIs.
struct MastersUp {
  std::string address;
  std::vector<std::string> http;
};

// Waits for a master's endpoint file: its bound addresses (ports may be 0: "any free one").
Try<nlohmann::json> waitForEndpoint(std::vector<Child>& children, const std::string& file, const Child& m) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!fs::exists(file)) {
    if (auto ended = reapEnded(children)) return Error(*ended);
    if (std::chrono::steady_clock::now() > deadline) return Error(m.name + " did not start; see " + m.log);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return nlohmann::json::parse(std::ifstream(file));
}

// One master on RocksDB in the work dir.
Try<MastersUp> startMaster(std::vector<Child>& children, const std::string& binary, const std::string& workDir,
                           const std::string& logDir, const std::vector<std::string>& extraFlags) {
  std::string endpointFile = workDir + "/master-endpoint.json";
  fs::remove(endpointFile);
  std::vector<std::string> argv = {binary, "--work_dir=" + workDir + "/master", "--ip=127.0.0.1",
                                   "--port=" + std::to_string(FLAGS_port), "--http_port=" + std::to_string(FLAGS_http_port),
                                   "--endpoint_file=" + endpointFile};
  argv.insert(argv.end(), extraFlags.begin(), extraFlags.end());
  auto m = spawn("master", argv, logDir, SIGTERM);
  if (m.isError()) return Error(m.error());
  children.push_back(*m);
  Try<nlohmann::json> endpoint = waitForEndpoint(children, endpointFile, *m);
  if (endpoint.isError()) return Error(endpoint.error());
  std::string zmq = (*endpoint)["zmq"];
  int httpPort = (*endpoint)["http_port"];
  return MastersUp{"127.0.0.1:" + zmq.substr(zmq.rfind(':') + 1), {"http://127.0.0.1:" + std::to_string(httpPort)}};
}

// etcd with its data in the work dir, and three masters standing for election on it.
Try<MastersUp> startHaMasters(std::vector<Child>& children, const std::string& binary, const std::string& workDir,
                              const std::string& logDir, const std::vector<std::string>& extraFlags) {
  std::string etcdBinary = fs::exists("/usr/bin/etcd") ? "/usr/bin/etcd" : "";
  if (etcdBinary.empty()) return Error("agora dev --ha needs etcd (Debian's etcd-server; ./scripts/install-deps installs it)");
  std::string client = "http://127.0.0.1:" + std::to_string(FLAGS_etcd_port);
  std::string peer = "http://127.0.0.1:" + std::to_string(FLAGS_etcd_port + 1);
  auto e = spawn("etcd", {etcdBinary, "--name=agora-dev", "--data-dir=" + workDir + "/etcd", "--listen-client-urls=" + client,
                          "--advertise-client-urls=" + client, "--listen-peer-urls=" + peer,
                          "--initial-advertise-peer-urls=" + peer, "--initial-cluster=agora-dev=" + peer},
                 logDir, SIGTERM);
  if (e.isError()) return Error(e.error());
  children.push_back(*e);
  std::string url = "etcd://127.0.0.1:" + std::to_string(FLAGS_etcd_port) + "/agora";
  EtcdClient etcd(*parseEtcdUrl(url), std::chrono::milliseconds(500));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!etcd.range("/agora/ready").ok()) {
    if (auto ended = reapEnded(children)) return Error(*ended);
    if (std::chrono::steady_clock::now() > deadline) return Error("etcd did not answer; see " + e->log);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  MastersUp up{url, {}};
  for (int i = 0; i < kHaMasters; ++i) {
    std::string name = "master-" + std::to_string(i + 1);
    std::string endpointFile = workDir + "/" + name + "-endpoint.json";
    fs::remove(endpointFile);
    auto port = [i](int base) { return std::to_string(base == 0 ? 0 : base + 10 * i); };
    std::vector<std::string> argv = {binary, "--etcd=" + url, "--ip=127.0.0.1", "--port=" + port(FLAGS_port),
                                     "--http_port=" + port(FLAGS_http_port), "--endpoint_file=" + endpointFile};
    argv.insert(argv.end(), extraFlags.begin(), extraFlags.end());
    auto m = spawn(name, argv, logDir, SIGTERM);
    if (m.isError()) return Error(m.error());
    children.push_back(*m);
    Try<nlohmann::json> endpoint = waitForEndpoint(children, endpointFile, *m);
    if (endpoint.isError()) return Error(endpoint.error());
    up.http.push_back("http://127.0.0.1:" + std::to_string((*endpoint)["http_port"].get<int>()));
  }
  return up;
}

}  // namespace

int devCommand() {
  int signals = blockSignalsToFd({SIGINT, SIGTERM, SIGHUP});
  std::string masterBinary = findBinary("agora-master"), agent = findBinary("agora-agent");
  std::string marathon = findBinary("agora-marathon"), batch = findBinary("agora-batch");
  if (masterBinary.empty() || agent.empty() || marathon.empty() || batch.empty()) {
    std::cerr << "agora dev: cannot find agora-master, agora-agent, agora-marathon and agora-batch next to this binary; build "
                 "them first (./scripts/dev does)\n";
    return 1;
  }
  std::string workDir = FLAGS_work_dir;
  if (workDir.empty()) {
    char tmpl[] = "/tmp/agora-dev-XXXXXX";
    if (!mkdtemp(tmpl)) { perror("agora dev: mkdtemp"); return 1; }
    workDir = tmpl;
  }
  workDir = fs::absolute(workDir).string();
  std::string logDir = workDir + "/logs";
  fs::create_directories(logDir);

  std::vector<Child> children;
  auto fail = [&](const std::string& why) {
    std::cerr << "agora dev: " << why << "\n";
    stopAll(children);
    if (FLAGS_secure) removeCredentialsFile(workDir);
    return 1;
  };
  // The cluster's own calls use its credentials (or none), whatever another cluster left in
  // the credentials file.
  SecureSetup secure;
  if (FLAGS_secure) {
    Try<SecureSetup> made = makeSecureSetup(workDir, FLAGS_services_role, FLAGS_batch_role);
    if (made.isError()) return fail(made.error());
    secure = std::move(*made);
  }
  useCredentials(secure.operatorCredentials);
  std::vector<std::pair<int, std::string>> ports = {{FLAGS_port, "port"}, {FLAGS_http_port, "http_port"},
                                                    {FLAGS_marathon_port, "marathon_port"}, {FLAGS_batch_port, "batch_port"}};
  if (FLAGS_ha) {
    for (int i = 1; i < kHaMasters; ++i) {
      if (FLAGS_port != 0) ports.push_back({FLAGS_port + 10 * i, "port"});
      if (FLAGS_http_port != 0) ports.push_back({FLAGS_http_port + 10 * i, "http_port"});
    }
    if (FLAGS_marathon_port != 0) ports.push_back({FLAGS_marathon_port + 10, "marathon_port"});
    if (FLAGS_batch_port != 0) ports.push_back({FLAGS_batch_port + 10, "batch_port"});
    ports.push_back({FLAGS_etcd_port, "etcd_port"});
    ports.push_back({FLAGS_etcd_port + 1, "etcd_port"});
  }
  for (const auto& [port, flag] : ports)
    if (auto taken = portTaken(port, flag)) return fail(*taken);
  Try<MastersUp> masters = FLAGS_ha ? startHaMasters(children, masterBinary, workDir, logDir, secure.masterFlags)
                                    : startMaster(children, masterBinary, workDir, logDir, secure.masterFlags);
  if (masters.isError()) return fail(masters.error());
  std::string address = masters->address;
  Status up = waitFor(children, address, "the master", [](const nlohmann::json&) { return true; });
  if (!up.ok()) return fail(up.error());
  for (int i = 0; i < FLAGS_agents; ++i) {
    // Agents share the machine: give each its own port range so their tasks never collide.
    int base = 31000 + 1000 * i;
    std::vector<std::string> argv = {agent, "--master=" + address, "--work_dir=" + workDir + "/agent-" + std::to_string(i + 1),
                                     "--resources=ports:[" + std::to_string(base) + "-" + std::to_string(base + 999) + "]",
                                     "--http_port=0", "--cgroups_root=" + cgroupsRoot(i)};
    argv.insert(argv.end(), secure.agentFlags.begin(), secure.agentFlags.end());
    auto a = spawn("agent-" + std::to_string(i + 1), argv, logDir, SIGUSR1);  // SIGUSR1: the agent kills its tasks first
    if (a.isError()) return fail(a.error());
    children.push_back(*a);
  }
  int want = FLAGS_agents;
  up = waitFor(children, address, std::to_string(want) + " agents to register", [want](const nlohmann::json& s) {
    int active = 0;
    for (const auto& a : s["agents"]) active += a["state"] == "active";
    return active >= want;
  });
  if (!up.ok()) return fail(up.error());

  // With --ha, two instances of each framework elect a leader on etcd and keep their state
  // there; the second listens on the port + 10.
  auto instances = [&](FrameworkToStart f, const std::string& dir, int port) -> Try<std::vector<std::string>> {
    std::vector<std::string> up;
    std::string name = f.name;
    std::vector<std::string> common = f.flags;
    for (int i = 0; i < (FLAGS_ha ? 2 : 1); ++i) {
      f.name = FLAGS_ha ? name + "-" + std::to_string(i + 1) : name;
      f.standby = i > 0;
      f.flags = common;
      f.flags.push_back("--http_port=" + std::to_string(port == 0 ? 0 : port + 10 * i));
      f.flags.push_back(FLAGS_ha ? "--etcd=" + address : "--work_dir=" + workDir + "/" + dir);
      Try<std::string> http = startFramework(children, f, address, workDir, logDir);
      if (http.isError()) return Error(http.error());
      up.push_back(*http);
    }
    return up;
  };
  Try<std::vector<std::string>> services = instances(
      {"agora-marathon", marathon, withFlags({"--role=" + FLAGS_services_role}, secure.marathonFlags), "/v2/info",
       [](const nlohmann::json& j) { return j.is_object() && j.value("connected_to_master", false); }, callMarathon,
       &FLAGS_marathon},
      "marathon", FLAGS_marathon_port);
  if (services.isError()) return fail(services.error());
  Try<std::vector<std::string>> jobs = instances(
      {"agora-batch", batch, withFlags({"--role=" + FLAGS_batch_role}, secure.batchFlags), "/info",
       [](const nlohmann::json& j) { return j.is_object() && j.value("connectedToMaster", false); }, callBatch,
       &FLAGS_batch},
      "batch", FLAGS_batch_port);
  if (jobs.isError()) return fail(jobs.error());

  std::cout << "Agora dev cluster is up: " << (FLAGS_ha ? "etcd and 3 masters electing a leader" : "1 master") << ", "
            << want << " agents, " << (FLAGS_ha ? "2 instances each of " : "") << "agora-marathon (role "
            << FLAGS_services_role << "), agora-batch (role " << FLAGS_batch_role << ").\n"
            << "  master (frameworks, agents, CLI): " << address << "\n";
  std::string redirects = FLAGS_ha ? "  (a standby redirects)" : "";
  for (const std::string& http : masters->http)
    std::cout << "  dashboard: " << http << "/" << redirects << "\n"
              << "  HTTP API:  " << http << "/api/v1/state, /api/v1/events, /api/v1/scheduler\n";
  for (const std::string& http : *services)
    std::cout << "  services (Marathon's API): http://" << http << "/v2/apps, page http://" << http << "/" << redirects << "\n";
  for (const std::string& http : *jobs)
    std::cout << "  jobs (Metronome's API):    http://" << http << "/v1/jobs, page http://" << http << "/" << redirects << "\n";
  if (FLAGS_secure) {
    Status written = writeCredentialsFile(secure, workDir, address, FLAGS_marathon, FLAGS_batch);
    if (!written.ok()) return fail("cannot write the CLI's credentials: " + written.error());
    std::cout << "  security: ON. CURVE keys, allow-list, ACLs and tokens in " << secure.dir << "\n"
              << "    `agora` commands on this machine use them (" << credentialsFile() << "); nothing else gets in.\n"
              << "    HTTP APIs need a bearer token: operator " << secure.operatorCredentials.token << ", read-only "
              << secure.readToken << "\n"
              << "    pages: open each once with ?token=TOKEN, e.g. " << masters->http.front() << "/?token="
              << secure.operatorCredentials.token << "\n";
  } else {
    std::cout << "  security: OFF. Anyone who reaches these ports can use the cluster as any role; "
                 "`agora dev --secure` turns on keys, ACLs and tokens\n";
  }
  std::cout
            << "  state and logs: " << workDir << "\n"
            << "Try:  agora run -- echo hello     agora status     agora app add APP.json     agora job add JOB.json\n"
            << "Ctrl-C stops the cluster." << std::endl;

  std::string why = "stopping";
  for (;;) {
    pollfd p{signals, POLLIN, 0};
    poll(&p, 1, 200);
    if (readSignal(signals) != 0) break;
    if (auto ended = reapEnded(children)) {
      // With --ha a master or a framework's instance may go (that is what it is for) while
      // another can lead.
      bool goesOn = false;
      for (const std::string prefix : {"master-", "agora-marathon-", "agora-batch-"}) {
        if (FLAGS_ha && ended->rfind(prefix, 0) == 0 && left(children, prefix) > 0) {
          std::cout << "agora dev: " << *ended << "; " << left(children, prefix) << " of its kind go on" << std::endl;
          goesOn = true;
        }
      }
      if (goesOn) continue;
      why = *ended + "; stopping the cluster";
      break;
    }
  }
  std::cout << "agora dev: " << why << std::endl;
  stopAll(children);
  if (FLAGS_secure) removeCredentialsFile(workDir);
  return 0;
}

}  // namespace agora::cli
