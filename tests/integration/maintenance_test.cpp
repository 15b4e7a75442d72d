// Maintenance end to end: a drained agent is offered to nobody, its tasks are killed at the
// deadline with reason AGENT_DRAINING, it comes back with undrain, and a drain survives a
// master restart.
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/support/cli.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

bool draining(TestCluster& cluster, const std::string& agentId) {
  auto state = cluster.state();
  for (const auto& a : state["agents"])
    if (a["id"] == agentId) return a.value("draining", false);
  return false;
}

TEST(MaintenanceTest, DrainedAgentGetsNoOffersAndItsTasksAreKilledAtTheDeadline) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(2);
  TestFramework fw(cluster.master(), "tenant");
  fw.scheduler.queue(shellTask("resident", "exec sleep 1000"));
  auto running = fw.scheduler.waitForState("resident", TaskState::RUNNING);
  ASSERT_TRUE(running.has_value());
  std::string drained = running->agentId;

  std::string master = "--master=" + cluster.master();
  auto drainedAt = std::chrono::steady_clock::now();
  auto [code, out] = agora(cluster.workDir(), {"drain", master, "--deadline=0.5", drained});
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(draining(cluster, drained));
  auto killed = fw.scheduler.waitForState("resident", TaskState::KILLED);
  ASSERT_TRUE(killed.has_value()) << "the drained agent's task was not killed";
  EXPECT_EQ(killed->reason, TaskReason::AGENT_DRAINING) << killed->message;
  EXPECT_GE(std::chrono::steady_clock::now() - drainedAt, std::chrono::milliseconds(500)) << "killed before the deadline";

  // Offers made after the drain come from the other agent only.
  size_t seen;
  {
    std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
    seen = fw.scheduler.offers.size();
  }
  fw.scheduler.queue(shellTask("newcomer", "exec sleep 1000"));
  auto placed = fw.scheduler.waitForState("newcomer", TaskState::RUNNING);
  ASSERT_TRUE(placed.has_value());
  EXPECT_NE(placed->agentId, drained);
  {
    std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
    for (size_t i = seen; i < fw.scheduler.offers.size(); ++i)
      EXPECT_NE(fw.scheduler.offers[i].offer.agentId, drained) << "a draining agent was offered";
  }

  auto [back, backOut] = agora(cluster.workDir(), {"undrain", master, drained});
  ASSERT_EQ(back, 0) << backOut;
  EXPECT_TRUE(fw.scheduler.waitFor([&] {
    for (const auto& o : fw.scheduler.offers)
      if (o.offer.agentId == drained && o.at > drainedAt + std::chrono::milliseconds(500)) return true;
    return false;
  })) << "the agent was not offered again after undrain";
}

TEST(MaintenanceTest, DrainSurvivesAMasterRestartAndBadCallsSayWhy) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(1);
  std::string agentId = cluster.state()["agents"][0]["id"];
  std::string master = "--master=" + cluster.master();
  auto [unknown, unknownOut] = agora(cluster.workDir(), {"drain", master, "agent-nosuch"});
  EXPECT_EQ(unknown, 1);
  EXPECT_NE(unknownOut.find("no agent agent-nosuch"), std::string::npos) << unknownOut;
  auto [notDraining, notDrainingOut] = agora(cluster.workDir(), {"undrain", master, agentId});
  EXPECT_EQ(notDraining, 1);
  EXPECT_NE(notDrainingOut.find("is not draining"), std::string::npos) << notDrainingOut;

  auto [code, out] = agora(cluster.workDir(), {"drain", master, "--deadline=3600", agentId});
  ASSERT_EQ(code, 0) << out;
  cluster.stopMaster(SIGKILL);
  cluster.startMaster();
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  EXPECT_TRUE(draining(cluster, agentId)) << "the drain was lost with the master";
}

}  // namespace
}  // namespace agora::testing
