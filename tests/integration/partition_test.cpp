// An agent cut off from the master by a TCP proxy the test controls (never the machine's
// network): the master takes it for unreachable and its framework hears TASK_UNREACHABLE.
// Back within --agent_removal_timeout, its tasks are reconciled and RUNNING again; back
// later, it is refused, its tasks die, and it comes back as a new agent.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

// Fast pings: a cut-off agent is unreachable after about 0.6 s.
std::vector<std::string> masterFlags(double removalTimeout) {
  return {"--agent_removal_timeout=" + std::to_string(removalTimeout), "--ping_interval=0.2", "--max_missed_pings=3"};
}

// Starts the agent behind `proxy`, and task `id` on it (its pid written to `pidFile`).
std::unique_ptr<TestFramework> runBehindProxy(TestCluster& cluster, TcpProxy& proxy, const std::string& id,
                                              const std::string& pidFile) {
  cluster.startAgent({"--master=127.0.0.1:" + std::to_string(proxy.port())});
  if (!eventually([&] { return cluster.activeAgents() == 1; })) return nullptr;
  auto fw = std::make_unique<TestFramework>(cluster.master(), "partition");
  fw->scheduler.queue(shellTask(id, "echo $$ > " + pidFile + ".tmp; mv " + pidFile + ".tmp " + pidFile + "; exec sleep 600"));
  if (!fw->scheduler.waitForState(id, TaskState::RUNNING)) return nullptr;
  if (!eventually([&] { return std::filesystem::exists(pidFile); })) return nullptr;
  return fw;
}

int masterPort(const TestCluster& cluster) {
  return std::stoi(cluster.master().substr(cluster.master().rfind(':') + 1));
}

TEST(PartitionTest, AnAgentBackWithinTheRemovalTimeoutHasItsTasksRunningAgain) {
  TestCluster cluster(masterFlags(60));
  cluster.startMaster();
  TcpProxy proxy(static_cast<int>(cluster.sparePorts()), masterPort(cluster));
  std::string pidFile = cluster.workDir() + "/task.pid";
  auto fw = runBehindProxy(cluster, proxy, "t1", pidFile);
  ASSERT_NE(fw, nullptr) << "see " << cluster.workDir();
  std::string agentId = cluster.state()["agents"][0]["id"];

  // Held: whatever either side sends waits unanswered, as across a link that lost its packets.
  proxy.setMode(TcpProxy::Mode::kHold);
  ASSERT_TRUE(fw->scheduler.waitFor([&] {
    auto l = fw->scheduler.latest("t1");
    return l && l->state == TaskState::UNREACHABLE;
  })) << "the task was not reported unreachable";
  EXPECT_EQ(cluster.state()["agents"][0]["state"], "unreachable");

  proxy.setMode(TcpProxy::Mode::kForward);
  ASSERT_TRUE(fw->scheduler.waitFor([&] {
    auto l = fw->scheduler.latest("t1");
    return l && l->state == TaskState::RUNNING;
  })) << "the task did not come back RUNNING; see " << cluster.agentLog(0);
  ASSERT_TRUE(eventually([&] {
    nlohmann::json state = cluster.state();
    return state["agents"].size() == 1 && state["agents"][0]["id"] == agentId && state["agents"][0]["state"] == "active";
  })) << cluster.state().dump();
  pid_t taskPid = 0;
  std::ifstream(pidFile) >> taskPid;
  EXPECT_EQ(kill(taskPid, 0), 0) << "the task was killed across the partition";
  std::lock_guard<std::mutex> lock(fw->scheduler.mutex);
  for (const auto& u : fw->scheduler.updatesFor("t1"))
    EXPECT_FALSE(isTerminal(u.state)) << "a final state for a task that runs on: " << static_cast<int>(u.state);
}

TEST(PartitionTest, AnAgentBackAfterTheRemovalTimeoutIsRefusedAndItsTasksAreKilled) {
  TestCluster cluster(masterFlags(2));
  cluster.startMaster();
  TcpProxy proxy(static_cast<int>(cluster.sparePorts()), masterPort(cluster));
  std::string pidFile = cluster.workDir() + "/task.pid";
  auto fw = runBehindProxy(cluster, proxy, "t1", pidFile);
  ASSERT_NE(fw, nullptr) << "see " << cluster.workDir();
  std::string agentId = cluster.state()["agents"][0]["id"];
  pid_t taskPid = 0;
  std::ifstream(pidFile) >> taskPid;
  ASSERT_GT(taskPid, 1);

  // Dropped: every connection is closed, and each new one at once.
  proxy.setMode(TcpProxy::Mode::kDrop);
  auto gone = fw->scheduler.waitForState("t1", TaskState::GONE);
  ASSERT_TRUE(gone) << "the task was never reported GONE";
  EXPECT_EQ(gone->reason, TaskReason::AGENT_REMOVED);

  proxy.setMode(TcpProxy::Mode::kForward);
  ASSERT_TRUE(eventually([&] { return kill(taskPid, 0) != 0; })) << "the GONE task still runs";
  ASSERT_TRUE(eventually([&] {
    nlohmann::json state = cluster.state();
    return state["agents"].size() == 1 && state["agents"][0]["id"] != agentId && state["agents"][0]["state"] == "active";
  })) << "the agent did not come back as a new one: " << cluster.state().dump();
  std::lock_guard<std::mutex> lock(fw->scheduler.mutex);
  EXPECT_EQ(fw->scheduler.updatesFor("t1").back().state, TaskState::GONE) << "the framework heard of t1 after TASK_GONE";
}

}  // namespace
}  // namespace agora::testing
