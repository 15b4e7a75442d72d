#pragma once
// A real cluster for integration tests: an agora-master and agora-agents as child processes
// on loopback, in a fresh work directory, with short liveness intervals so that failures are
// noticed within about a second.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace agora::testing {

class TestCluster {
 public:
  explicit TestCluster(std::vector<std::string> extraMasterFlags = {});
  ~TestCluster();

  // Starts the master; the first start picks a free port, later ones reuse it.
  void startMaster();
  // Kills the master with `signal` (SIGKILL by default) and reaps it.
  void stopMaster(int signal = 9);
  void startAgent(const std::vector<std::string>& extraFlags = {});
  // Stops agent `index` (0-based, in start order) with `signal` and reaps it.
  void stopAgent(size_t index, int signal);
  // Starts n agents and waits until the master shows them active.
  void startAgents(int n);

  // host:port of the master's ZeroMQ socket.
  const std::string& master() const { return address_; }
  const std::string& workDir() const { return workDir_; }
  // The master's /api/v1/state, or null if it does not answer.
  nlohmann::json state() const;
  int activeAgents() const;

 private:
  std::string workDir_;
  std::vector<std::string> masterFlags_;
  int port_ = 0;
  std::string address_;
  Process master_;
  std::vector<Process> agents_;
};


}  // namespace agora::testing
