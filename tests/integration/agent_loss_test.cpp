// An agent that dies: its offers are rescinded and its tasks reported unreachable.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

TEST(AgentLossTest, OffersAreRescindedAndTasksBecomeUnreachable) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(1);
  std::string pidFile = cluster.workDir() + "/pid";
  // Declared before the framework, whose driver thread writes to them until the driver stops.
  std::atomic<bool> launched{false};
  std::mutex m;
  std::vector<std::string> held;
  TestFramework fw(cluster.master(), "holder");
  // The first offer runs a long task; later offers are held, never answered.
  fw.scheduler.onOffers = [&](sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) {
    for (const auto& o : offers) {
      if (!launched.exchange(true)) {
        driver.launchTasks({o.id}, {shellTask("long", "echo $$ > " + pidFile + ".tmp; mv " + pidFile + ".tmp " +
                                                          pidFile + "; exec sleep 1000")}, 0);
      } else {
        std::lock_guard<std::mutex> lock(m);
        held.push_back(o.id);
      }
    }
  };
  ASSERT_TRUE(fw.scheduler.waitFor([&] {
    auto l = fw.scheduler.latest("long");
    std::lock_guard<std::mutex> lock(m);
    return l && l->state == TaskState::RUNNING && !held.empty();
  }));
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(pidFile); }));
  pid_t pgid = 0;
  std::ifstream(pidFile) >> pgid;

  cluster.stopAgent(0, SIGKILL);
  ASSERT_TRUE(fw.scheduler.waitFor([&] {
    auto l = fw.scheduler.latest("long");
    return l && l->state == TaskState::UNREACHABLE;
  })) << "the task was not reported unreachable";
  {
    std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
    auto l = fw.scheduler.latest("long");
    EXPECT_EQ(l->reason, TaskReason::AGENT_UNREACHABLE);
    EXPECT_TRUE(l->fromMaster);
  }
  auto state = cluster.state();
  ASSERT_FALSE(state.is_null());
  EXPECT_EQ(state["agents"][0]["state"], "unreachable");
  EXPECT_TRUE(state["offers"].empty()) << "the held offer should have been rescinded: " << state["offers"].dump();
  {
    std::lock_guard<std::mutex> lockHeld(m);
    std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
    EXPECT_EQ(fw.scheduler.rescinded, held);
  }

  // The killed agent's task is an orphan now: end it here, by its process group.
  if (pgid > 1) kill(-pgid, SIGKILL);
}

}  // namespace
}  // namespace agora::testing
