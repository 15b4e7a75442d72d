#include "tests/support/cluster.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "cli/master_client.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {

namespace fs = std::filesystem;

TestCluster::TestCluster(std::vector<std::string> extraMasterFlags)
    : workDir_(makeTempDir("agora-test")), masterFlags_(std::move(extraMasterFlags)) {}

TestCluster::~TestCluster() {
  // SIGTERM: an agent kills its tasks before it exits, so no task outlives the test.
  for (auto& a : agents_) a.stop(SIGTERM);
  master_.stop(SIGKILL);
  std::error_code ec;
  fs::remove_all(workDir_, ec);
}

void TestCluster::startMaster() {
  std::string endpointFile = workDir_ + "/master-endpoint.json";
  fs::remove(endpointFile);
  std::vector<std::string> argv = {AGORA_MASTER_BIN,          "--work_dir=" + workDir_ + "/master",
                                   "--ip=127.0.0.1",          "--port=" + std::to_string(port_),
                                   "--http_port=0",           "--endpoint_file=" + endpointFile,
                                   "--ping_interval=0.1",     "--max_missed_pings=10",
                                   "--allocation_interval=0.1"};
  argv.insert(argv.end(), masterFlags_.begin(), masterFlags_.end());
  auto p = Process::start(argv, workDir_ + "/master.log");
  ASSERT_TRUE(p.ok()) << p.error();
  master_ = std::move(*p);
  ASSERT_TRUE(eventually([&] { return fs::exists(endpointFile) || !master_.running(); }))
      << "the master did not start; see " << workDir_ << "/master.log";
  ASSERT_TRUE(master_.running()) << "the master exited; see " << workDir_ << "/master.log";
  std::ifstream in(endpointFile);
  auto endpoint = nlohmann::json::parse(in)["zmq"].get<std::string>();  // tcp://127.0.0.1:PORT
  port_ = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  address_ = "127.0.0.1:" + std::to_string(port_);
}

void TestCluster::stopMaster(int signal) { master_.stop(signal); }

void TestCluster::startAgent(const std::vector<std::string>& extraFlags) {
  int index = static_cast<int>(agents_.size()) + 1;
  std::string dir = workDir_ + "/agent-" + std::to_string(index);
  std::vector<std::string> argv = {AGORA_AGENT_BIN,
                                   "--master=" + address_,
                                   "--work_dir=" + dir,
                                   "--resources=cpus:4;mem:4096;ports:[" + std::to_string(31000 + index * 100) + "-" +
                                       std::to_string(31099 + index * 100) + "]",
                                   "--registration_retry=0.1",
                                   "--status_update_retry_max=1"};
  argv.insert(argv.end(), extraFlags.begin(), extraFlags.end());
  auto p = Process::start(argv, workDir_ + "/agent-" + std::to_string(index) + ".log");
  ASSERT_TRUE(p.ok()) << p.error();
  agents_.push_back(std::move(*p));
}

void TestCluster::stopAgent(size_t index, int signal) { agents_.at(index).stop(signal); }

void TestCluster::startAgents(int n) {
  for (int i = 0; i < n; ++i) startAgent();
  ASSERT_TRUE(eventually([&] { return activeAgents() == n; })) << "agents did not register; see " << workDir_;
}

nlohmann::json TestCluster::state() const {
  auto reply = cli::callMaster(address_, "GET", "/api/v1/state", "", std::chrono::seconds(2));
  if (reply.isError() || reply->status != 200) return nullptr;
  return nlohmann::json::parse(reply->body);
}

int TestCluster::activeAgents() const {
  auto s = state();
  if (s.is_null()) return -1;
  int n = 0;
  for (const auto& a : s["agents"]) n += a["state"] == "active";
  return n;
}

}  // namespace agora::testing
