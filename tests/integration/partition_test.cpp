// An agent cut off from the master by a TCP proxy the test controls (never the machine's
// network): the master takes it for unreachable and its framework hears TASK_UNREACHABLE.
// Back within --agent_removal_timeout, its tasks are reconciled and RUNNING again; back
// later, it is refused, its tasks die, and it comes back as a new agent.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

class PartitionTest : public ::testing::Test {
 protected:
  // A master with fast pings (a cut-off agent is unreachable after about 0.6 s), one agent
  // behind the proxy, and task t1 running on it.
  void start(double removalTimeout) {
    cluster_ = std::make_unique<TestCluster>(std::vector<std::string>{
        "--agent_removal_timeout=" + std::to_string(removalTimeout), "--ping_interval=0.2", "--max_missed_pings=3"});
    cluster_->startMaster();
    int masterPort = std::stoi(cluster_->master().substr(cluster_->master().rfind(':') + 1));
    proxy_ = std::make_unique<TcpProxy>(static_cast<int>(cluster_->sparePorts()), masterPort);
    cluster_->startAgent({"--master=127.0.0.1:" + std::to_string(proxy_->port())});
    ASSERT_TRUE(eventually([&] { return cluster_->activeAgents() == 1; })) << "see " << cluster_->agentLog(0);
    agentId_ = cluster_->state()["agents"][0]["id"];
    fw_ = std::make_unique<TestFramework>(cluster_->master(), "partition");
    std::string pidFile = cluster_->workDir() + "/task.pid";
    fw_->scheduler.queue(shellTask("t1", "echo $$ > " + pidFile + ".tmp; mv " + pidFile + ".tmp " + pidFile + "; exec sleep 600"));
    ASSERT_TRUE(fw_->scheduler.waitForState("t1", TaskState::RUNNING));
    ASSERT_TRUE(eventually([&] { return std::filesystem::exists(pidFile); }));
    std::ifstream(pidFile) >> taskPid_;
    ASSERT_GT(taskPid_, 1);
  }

  std::optional<TaskState> latest() {
    auto l = fw_->scheduler.latest("t1");
    return l ? std::optional<TaskState>(l->state) : std::nullopt;
  }

  std::unique_ptr<TestCluster> cluster_;
  std::unique_ptr<TcpProxy> proxy_;
  std::unique_ptr<TestFramework> fw_;
  std::string agentId_;
  pid_t taskPid_ = 0;
};

TEST_F(PartitionTest, AnAgentBackWithinTheRemovalTimeoutHasItsTasksRunningAgain) {
  start(60);
  // Held: whatever either side sends waits unanswered, as across a link that lost its packets.
  proxy_->setMode(TcpProxy::Mode::kHold);
  ASSERT_TRUE(fw_->scheduler.waitFor([&] { return latest() == TaskState::UNREACHABLE; }))
      << "the task was not reported unreachable";
  EXPECT_EQ(cluster_->state()["agents"][0]["state"], "unreachable");

  proxy_->setMode(TcpProxy::Mode::kForward);
  ASSERT_TRUE(fw_->scheduler.waitFor([&] { return latest() == TaskState::RUNNING; }))
      << "the task did not come back RUNNING; see " << cluster_->agentLog(0);
  ASSERT_TRUE(eventually([&] {
    nlohmann::json state = cluster_->state();
    return state["agents"].size() == 1 && state["agents"][0]["id"] == agentId_ && state["agents"][0]["state"] == "active";
  })) << cluster_->state().dump();
  EXPECT_EQ(kill(taskPid_, 0), 0) << "the task was killed across the partition";
  std::lock_guard<std::mutex> lock(fw_->scheduler.mutex);
  for (const auto& u : fw_->scheduler.updatesFor("t1"))
    EXPECT_FALSE(isTerminal(u.state)) << "a final state for a task that runs on: " << static_cast<int>(u.state);
}

TEST_F(PartitionTest, AnAgentBackAfterTheRemovalTimeoutIsRefusedAndItsTasksAreKilled) {
  start(2);
  // Dropped: every connection is closed, and each new one at once.
  proxy_->setMode(TcpProxy::Mode::kDrop);
  auto gone = fw_->scheduler.waitForState("t1", TaskState::GONE);
  ASSERT_TRUE(gone) << "the task was never reported GONE";
  EXPECT_EQ(gone->reason, TaskReason::AGENT_REMOVED);

  proxy_->setMode(TcpProxy::Mode::kForward);
  ASSERT_TRUE(eventually([&] { return kill(taskPid_, 0) != 0; })) << "the GONE task still runs";
  ASSERT_TRUE(eventually([&] {
    nlohmann::json state = cluster_->state();
    return state["agents"].size() == 1 && state["agents"][0]["id"] != agentId_ && state["agents"][0]["state"] == "active";
  })) << "the agent did not come back as a new one: " << cluster_->state().dump();
  std::lock_guard<std::mutex> lock(fw_->scheduler.mutex);
  EXPECT_EQ(fw_->scheduler.updatesFor("t1").back().state, TaskState::GONE) << "the framework heard of t1 after TASK_GONE";
}

}  // namespace
}  // namespace agora::testing
