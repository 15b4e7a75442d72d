// Guarantees across a master failure: the master is SIGKILLed and restarted while tasks run;
// agents and the framework re-register, and every task's final state still reaches the
// framework exactly as the agent reported it.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

TEST(MasterFailoverTest, TasksFinalStatesSurviveMasterSigkillAndRestart) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(2);
  TestFramework fw(cluster.master(), "survivor");
  ASSERT_TRUE(fw.waitRegistered());
  std::string frameworkId = fw.driver->frameworkId();
  std::string gate = cluster.workDir() + "/go";
  // Tasks block until the test creates the gate file, so that they all end while the master
  // is down or just back; exit codes differ so that a mixed-up status would show.
  constexpr int kTasks = 10;
  for (int i = 0; i < kTasks; ++i)
    fw.scheduler.queue(shellTask("t" + std::to_string(i),
                                 "while [ ! -e " + gate + " ]; do sleep 0.05; done; exit " + std::to_string(i % 3)));
  ASSERT_TRUE(fw.scheduler.waitFor([&] {
    int running = 0;
    for (int i = 0; i < kTasks; ++i) {
      auto l = fw.scheduler.latest("t" + std::to_string(i));
      running += l && l->state == TaskState::RUNNING;
    }
    return running == kTasks;
  }));

  cluster.stopMaster(SIGKILL);
  // Half the tasks end while no master runs: their updates wait on the agents.
  { std::ofstream(gate) << "go"; }
  cluster.startMaster();

  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 2; })) << "agents did not re-register";
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.reregistrations >= 1; }))
      << "the framework did not re-subscribe";
  EXPECT_EQ(fw.driver->frameworkId(), frameworkId);
  // The agents' own final updates, not the master's reconciliation answers (no uuid, reason
  // RECONCILIATION) that the driver asks for after re-subscribing.
  auto reportedByAgent = [&](const std::string& id) {
    for (const auto& u : fw.scheduler.updatesFor(id))
      if (isTerminal(u.state) && u.reason != TaskReason::RECONCILIATION) return true;
    return false;
  };
  ASSERT_TRUE(fw.scheduler.waitFor([&] {
    for (int i = 0; i < kTasks; ++i)
      if (!reportedByAgent("t" + std::to_string(i))) return false;
    return true;
  }, std::chrono::seconds(30)));

  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  for (int i = 0; i < kTasks; ++i) {
    std::string id = "t" + std::to_string(i);
    int terminal = 0;
    for (const auto& u : fw.scheduler.updatesFor(id)) {
      if (!isTerminal(u.state) || u.reason == TaskReason::RECONCILIATION) continue;
      ++terminal;
      EXPECT_FALSE(u.fromMaster) << id << ": the final state must be the agent's report";
      EXPECT_EQ(u.exitCode.value_or(-1), i % 3) << id;
      EXPECT_EQ(u.state, i % 3 == 0 ? TaskState::FINISHED : TaskState::FAILED) << id << ": " << u.message;
    }
    EXPECT_EQ(terminal, 1) << id << " should reach the framework exactly once";
  }
}

TEST(MasterFailoverTest, RestartedMasterRemembersFrameworksAndAgentsInItsRegistry) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(1);
  std::string frameworkId;
  {
    TestFramework fw(cluster.master(), "remembered");
    ASSERT_TRUE(fw.waitRegistered());
    frameworkId = fw.driver->frameworkId();
  }
  cluster.stopMaster(SIGKILL);
  cluster.startMaster();
  auto state = cluster.state();
  ASSERT_FALSE(state.is_null());
  bool found = false;
  for (const auto& f : state["frameworks"]) found |= f["id"] == frameworkId;
  EXPECT_TRUE(found) << "framework " << frameworkId << " is not in the recovered registry: " << state.dump();
  EXPECT_EQ(state["agents"].size(), 1u);
  EXPECT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
}

TEST(MasterFailoverTest, RecoveredFrameworkWaitsItsOwnFailoverTimeoutNotTheAgentsOne) {
  TestCluster cluster({"--agent_reregister_timeout=0.5"});
  cluster.startMaster();
  cluster.startAgents(1);
  std::string frameworkId;
  {
    TestFramework fw(cluster.master(), "patient");  // failover timeout 60 s
    ASSERT_TRUE(fw.waitRegistered());
    frameworkId = fw.driver->frameworkId();
  }
  cluster.stopAgent(0, SIGKILL);
  cluster.stopMaster(SIGKILL);
  cluster.startMaster();
  // The agent does not come back: it is removed once the re-registration time is over...
  ASSERT_TRUE(eventually([&] {
    auto state = cluster.state();
    return !state.is_null() && state["agents"].empty();
  }));
  // ...but the framework has its own, longer failover timeout.
  auto state = cluster.state();
  bool found = false;
  for (const auto& f : state["frameworks"]) found |= f["id"] == frameworkId;
  EXPECT_TRUE(found) << "the framework was removed with the agents' timeout: " << state.dump();
}

}  // namespace
}  // namespace agora::testing
