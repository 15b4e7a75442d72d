// An agent the master removed (it stayed unreachable past --agent_removal_timeout) wakes up:
// its frameworks were told TASK_GONE, so its tasks must die and never be listed as running
// again. Real processes; the agent is frozen with SIGSTOP, as a long GC pause or a hung
// machine would.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

TEST(AgentRemovalTest, AGoneTaskNeverRunsAgainWhenItsAgentWakesUp) {
  TestCluster cluster({"--agent_removal_timeout=3", "--ping_interval=0.2", "--max_missed_pings=3"});
  cluster.startMaster();
  cluster.startAgents(1);
  std::string oldAgentId = cluster.state()["agents"][0]["id"];
  std::string pidFile = cluster.workDir() + "/task.pid";
  TestFramework fw(cluster.master(), "removal");
  fw.scheduler.queue(shellTask("t1", "echo $$ > " + pidFile + ".tmp; mv " + pidFile + ".tmp " + pidFile +
                                         "; exec sleep 600"));
  ASSERT_TRUE(fw.scheduler.waitForState("t1", TaskState::RUNNING));
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(pidFile); }));
  pid_t taskPid = 0;
  std::ifstream(pidFile) >> taskPid;
  ASSERT_GT(taskPid, 1);

  ASSERT_EQ(kill(cluster.agentPid(0), SIGSTOP), 0);
  auto gone = fw.scheduler.waitForState("t1", TaskState::GONE);
  kill(cluster.agentPid(0), SIGCONT);
  ASSERT_TRUE(gone) << "the task was never reported GONE";
  EXPECT_EQ(gone->reason, TaskReason::AGENT_REMOVED);
  // After the GONE updates, the framework hears that the agent itself is lost.
  EXPECT_TRUE(fw.scheduler.waitFor([&] {
    return fw.scheduler.lostAgents == std::vector<std::string>{oldAgentId};
  })) << "agentLost never came for " << oldAgentId;

  // Refused, the agent kills its task and comes back as a new agent.
  ASSERT_TRUE(eventually([&] { return kill(taskPid, 0) != 0; })) << "the GONE task still runs";
  ASSERT_TRUE(eventually([&] {
    auto state = cluster.state();
    return !state.is_null() && state["agents"].size() == 1 && state["agents"][0]["id"] != oldAgentId &&
           state["agents"][0]["state"] == "active";
  })) << cluster.state().dump();
  nlohmann::json state = cluster.state();
  for (const auto& task : state["tasks"]) EXPECT_NE(task["id"], "t1") << task.dump();
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  auto updates = fw.scheduler.updatesFor("t1");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state, TaskState::GONE) << "the framework heard of t1 after TASK_GONE";
}

}  // namespace
}  // namespace agora::testing
