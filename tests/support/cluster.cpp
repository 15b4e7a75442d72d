#include "tests/support/cluster.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <httplib.h>

#include "cli/agent_client.hpp"
#include "cli/master_client.hpp"
#include "common/ids.hpp"
#include "isolators/cgroup_fs.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {

namespace fs = std::filesystem;

namespace {

// The `agora` tool finds the credentials of a `agora dev --secure` on this machine by itself;
// tests (and the tools they start) use only what they are given.
[[maybe_unused]] const bool kNoDevCredentials = setenv("AGORA_CREDENTIALS", "/nonexistent/agora-tests-use-their-own", 1) == 0;

// Slots of 1,000 ports (ten agents of 100) from 11000 up, below the kernel's ephemeral range.
constexpr int kPortSlots = 20;
constexpr uint64_t kFirstSlotPort = 11000;

}  // namespace

// Takes the first free slot from one that depends on the pid (so concurrent tests rarely
// try the same one first): an flock that the kernel releases when this process ends, however.
std::pair<int, uint64_t> takePortSlot() {
  for (int k = 0; k < kPortSlots; ++k) {
    int slot = (getpid() + k) % kPortSlots;
    std::string path = "/tmp/agora-test-ports-" + std::to_string(slot) + ".lock";
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return {fd, kFirstSlotPort + 1000 * static_cast<uint64_t>(slot)};
    close(fd);
  }
  ADD_FAILURE() << "all " << kPortSlots << " port slots of /tmp/agora-test-ports-*.lock are taken";
  return {-1, kFirstSlotPort};
}

TestCluster::TestCluster(std::vector<std::string> extraMasterFlags)
    : workDir_(makeTempDir("agora-test")), masterFlags_(std::move(extraMasterFlags)) {
  std::tie(portLock_, portBase_) = takePortSlot();
}

TestCluster::~TestCluster() {
  for (size_t i = 0; i < agents_.size(); ++i) stopAgentAndItsTasks(i);
  master_.stop(SIGKILL);
  for (Process& m : haMasters_) m.stop(SIGKILL);
  if (portLock_ >= 0) close(portLock_);
  std::error_code ec;
  fs::remove_all(workDir_, ec);
}

// SIGUSR1 makes a running agent kill its tasks before it exits; an agent that is down gets a
// --recover=cleanup run, which kills what it left. Then its cgroups root goes.
void TestCluster::stopAgentAndItsTasks(size_t index) {
  AgentProcess& agent = agents_.at(index);
  if (agent.process.running())
    agent.process.stop(SIGUSR1);
  else
    cleanupAgent(index);
  cgroups::removeRootEverywhere("/", agent.cgroupsRoot);
}

int TestCluster::cleanupAgent(size_t index) {
  AgentProcess& agent = agents_.at(index);
  if (agent.process.running()) return -1;
  std::vector<std::string> argv = agent.argv;
  argv.push_back("--recover=cleanup");
  auto cleanup = Process::start(argv, agent.log + ".cleanup");
  return cleanup.ok() ? cleanup->wait() : -1;
}

void TestCluster::startMaster() {
  std::string endpointFile = workDir_ + "/master-endpoint.json";
  fs::remove(endpointFile);
  std::vector<std::string> argv = {AGORA_MASTER_BIN,          "--work_dir=" + workDir_ + "/master",
                                   "--ip=127.0.0.1",          "--port=" + std::to_string(port_),
                                   "--http_port=0",           "--endpoint_file=" + endpointFile,
                                   "--ping_interval=0.1",     "--max_missed_pings=30",
                                   "--allocation_interval=0.1"};
  argv.insert(argv.end(), masterFlags_.begin(), masterFlags_.end());
  auto p = Process::start(argv, workDir_ + "/master.log");
  ASSERT_TRUE(p.ok()) << p.error();
  master_ = std::move(*p);
  ASSERT_TRUE(eventually([&] { return fs::exists(endpointFile) || !master_.running(); }))
      << "the master did not start; see " << workDir_ << "/master.log";
  ASSERT_TRUE(master_.running()) << "the master exited; see " << workDir_ << "/master.log";
  std::ifstream in(endpointFile);
  nlohmann::json endpoints = nlohmann::json::parse(in);
  httpAddress_ = "127.0.0.1:" + std::to_string(endpoints["http_port"].get<int>());
  auto endpoint = endpoints["zmq"].get<std::string>();  // tcp://127.0.0.1:PORT
  port_ = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  address_ = "127.0.0.1:" + std::to_string(port_);
}

void TestCluster::stopMaster(int signal) { master_.stop(signal); }

// Master i listens on ZeroMQ port base+20+i and HTTP port base+40+i.
void TestCluster::startHaMasters(int n, const std::string& etcdUrl, const std::vector<std::string>& extraFlags,
                                 const std::vector<std::string>& ownEtcdUrls) {
  address_ = etcdUrl;
  for (int i = 0; i < n; ++i) {
    std::string own = static_cast<size_t>(i) < ownEtcdUrls.size() ? ownEtcdUrls[static_cast<size_t>(i)] : etcdUrl;
    std::vector<std::string> argv = {AGORA_MASTER_BIN,
                                     "--etcd=" + own,
                                     "--ip=127.0.0.1",
                                     "--port=" + std::to_string(portBase_ + 20 + i),
                                     "--http_port=" + std::to_string(portBase_ + 40 + i),
                                     "--ping_interval=0.1",
                                     "--max_missed_pings=10",
                                     "--allocation_interval=0.1"};
    argv.insert(argv.end(), masterFlags_.begin(), masterFlags_.end());
    argv.insert(argv.end(), extraFlags.begin(), extraFlags.end());
    haArgv_.push_back(argv);
    haMasters_.emplace_back();
    restartHaMaster(haMasters_.size() - 1);
  }
  ASSERT_TRUE(eventually([&] { return leadingHaMaster() >= 0; })) << "no master took the lead; see " << workDir_;
}

void TestCluster::restartHaMaster(size_t index) {
  auto p = Process::start(haArgv_.at(index), workDir_ + "/master-" + std::to_string(index) + ".log");
  ASSERT_TRUE(p.ok()) << p.error();
  haMasters_.at(index) = std::move(*p);
}

void TestCluster::stopHaMaster(size_t index, int signal) { haMasters_.at(index).stop(signal); }

std::string TestCluster::haMasterHttp(size_t index) const {
  return "http://127.0.0.1:" + std::to_string(portBase_ + 40 + index);
}

int TestCluster::leadingHaMaster() const {
  for (size_t i = 0; i < haMasters_.size(); ++i) {
    httplib::Client client("127.0.0.1", static_cast<int>(portBase_ + 40 + i));
    client.set_connection_timeout(0, 300000);
    client.set_read_timeout(1, 0);
    auto res = client.Get("/api/v1/info");
    if (!res || res->status != 200) continue;
    auto info = nlohmann::json::parse(res->body, nullptr, false);
    if (info.is_object() && info.value("leading", false)) return static_cast<int>(i);
  }
  return -1;
}

void TestCluster::startAgent(const std::vector<std::string>& extraFlags) {
  int index = static_cast<int>(agents_.size()) + 1;
  AgentProcess agent;
  agent.dir = workDir_ + "/agent-" + std::to_string(index);
  agent.log = workDir_ + "/agent-" + std::to_string(index) + ".log";
  agent.cgroupsRoot = "agora-test-" + newUuid().substr(0, 12) + "-" + std::to_string(index);
  agent.argv = {AGORA_AGENT_BIN,
                "--master=" + address_,
                "--work_dir=" + agent.dir,
                "--resources=cpus:4;mem:4096;ports:[" + std::to_string(portBase_ + index * 100) + "-" +
                    std::to_string(portBase_ + index * 100 + 99) + "]",
                "--registration_retry=0.1",
                "--status_update_retry_max=1",
                "--http_port=0",
                "--usage_interval=0.2",
                "--cgroups_root=" + agent.cgroupsRoot};
  agent.argv.insert(agent.argv.end(), extraFlags.begin(), extraFlags.end());
  auto p = Process::start(agent.argv, agent.log);
  ASSERT_TRUE(p.ok()) << p.error();
  agent.process = std::move(*p);
  agents_.push_back(std::move(agent));
}

void TestCluster::stopAgent(size_t index, int signal) { agents_.at(index).process.stop(signal); }

void TestCluster::restartAgent(size_t index) {
  AgentProcess& agent = agents_.at(index);
  ASSERT_FALSE(agent.process.running()) << "agent " << index << " still runs";
  auto p = Process::start(agent.argv, agent.log);
  ASSERT_TRUE(p.ok()) << p.error();
  agent.process = std::move(*p);
}

void TestCluster::startAgents(int n) {
  for (int i = 0; i < n; ++i) startAgent();
  ASSERT_TRUE(eventually([&] { return activeAgents() == n; })) << "agents did not register; see " << workDir_;
}

nlohmann::json TestCluster::state() const {
  auto reply = cli::callMaster(address_, "GET", "/api/v1/state", "", std::chrono::seconds(2));
  if (reply.isError() || reply->status != 200) return nullptr;
  return nlohmann::json::parse(reply->body);
}

int TestCluster::liveTasks() const {
  nlohmann::json s = state();  // held: a range over a temporary's member would dangle
  int n = 0;
  for (const auto& t : s["tasks"]) {
    std::string taskState = t.value("state", "");
    n += taskState == "TASK_RUNNING" || taskState == "TASK_STAGING" || taskState == "TASK_STARTING";
  }
  return n;
}

int TestCluster::activeAgents() const {
  auto s = state();
  if (s.is_null()) return -1;
  int n = 0;
  for (const auto& a : s["agents"]) n += a["state"] == "active";
  return n;
}

nlohmann::json TestCluster::agentApi(const std::string& agentId, const std::string& target) const {
  auto s = state();
  if (s.is_null()) return nullptr;
  auto agent = cli::findAgent(s, agentId);
  if (agent.isError()) return nullptr;
  auto reply = cli::callAgent(*agent, target);
  if (reply.isError() || reply->status != 200) return nullptr;
  return nlohmann::json::parse(reply->body);
}

}  // namespace agora::testing
