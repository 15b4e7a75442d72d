#pragma once
// A real cluster for integration tests: an agora-master and agora-agents as child processes
// on loopback, in a fresh work directory, with short liveness intervals so that failures are
// noticed within about a second. Each agent isolates its tasks in cgroups of its own below
// this process's cgroup; when the cluster goes, every task, supervisor and cgroup goes too.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace agora::testing {

// A slot of 1,000 loopback ports of its own for this process, held (an flock) until `fd` is
// closed: {fd, first port}.
std::pair<int, uint64_t> takePortSlot();

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
  // Starts agent `index` again with the same flags and work dir (after stopAgent).
  void restartAgent(size_t index);
  pid_t agentPid(size_t index) const { return agents_.at(index).process.pid(); }
  const std::string& agentWorkDir(size_t index) const { return agents_.at(index).dir; }
  const std::string& agentLog(size_t index) const { return agents_.at(index).log; }
  const std::string& agentCgroupsRoot(size_t index) const { return agents_.at(index).cgroupsRoot; }
  // Runs agent `index` (which must be down) once with --recover=cleanup; returns its wait status.
  int cleanupAgent(size_t index);
  // Starts n agents and waits until the master shows them active.
  void startAgents(int n);

  // The first port of agent `index`'s range (0-based); each agent has 100. Clusters that run
  // at once (ctest -j) each hold a range of their own, so their tasks never share a port.
  uint64_t agentPortBase(size_t index) const { return portBase_ + 100 * (index + 1); }

  // Several masters electing a leader on etcd at `etcdUrl` (which the test runs), each
  // with the given flags too; agents started later, state() and the CLI find the leader
  // through etcd. Ports come from this cluster's slot. `ownEtcdUrls[i]`, if given, is where
  // master i reaches etcd (a proxy the test partitions).
  void startHaMasters(int n, const std::string& etcdUrl, const std::vector<std::string>& extraFlags = {},
                      const std::vector<std::string>& ownEtcdUrls = {});
  void stopHaMaster(size_t index, int signal);
  void restartHaMaster(size_t index);
  pid_t haMasterPid(size_t index) const { return haMasters_.at(index).pid(); }
  size_t haMasterCount() const { return haMasters_.size(); }
  // The HTTP address of HA master `index` (http://127.0.0.1:PORT).
  std::string haMasterHttp(size_t index) const;
  // The index of the master whose /api/v1/info says it leads, or -1.
  int leadingHaMaster() const;
  // Ports of this cluster's slot that neither masters nor agents use: [base, base + 10).
  uint64_t sparePorts() const { return portBase_ + 10; }

  // host:port of the master's ZeroMQ socket (with HA masters: the etcd:// address).
  const std::string& master() const { return address_; }
  // 127.0.0.1:PORT of the (single) master's HTTP API.
  const std::string& masterHttp() const { return httpAddress_; }
  const std::string& workDir() const { return workDir_; }
  // The master's /api/v1/state, or null if it does not answer.
  nlohmann::json state() const;
  int activeAgents() const;
  // Tasks the master holds that are staging, starting or running.
  int liveTasks() const;
  // GET `target` on the HTTP API of agent `agentId`, or null if it does not answer 200.
  nlohmann::json agentApi(const std::string& agentId, const std::string& target) const;

 private:
  std::string workDir_;
  std::vector<std::string> masterFlags_;
  int portLock_ = -1;     // an flock on this cluster's slot of ports, held for its lifetime
  uint64_t portBase_ = 0;
  int port_ = 0;
  std::string address_;
  std::string httpAddress_;
  struct AgentProcess {
    Process process;
    std::vector<std::string> argv;
    std::string dir;
    std::string log;
    std::string cgroupsRoot;
  };
  void stopAgentAndItsTasks(size_t index);

  Process master_;
  std::vector<AgentProcess> agents_;
  std::vector<Process> haMasters_;
  std::vector<std::vector<std::string>> haArgv_;
};


}  // namespace agora::testing
