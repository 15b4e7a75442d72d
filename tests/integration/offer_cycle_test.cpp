// The offer cycle end to end: real master and agent processes on loopback, a framework on
// the SDK, real task processes.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "cli/master_client.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

class OfferCycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster.startMaster();
    cluster.startAgents(2);
  }
  TestCluster cluster;
};

TEST_F(OfferCycleTest, FiftyShortTasksFinishOnTwoAgents) {
  TestFramework fw(cluster.master(), "fifty");
  ASSERT_TRUE(fw.waitRegistered());
  for (int i = 0; i < 50; ++i) fw.scheduler.queue(shellTask("t" + std::to_string(i), "echo task " + std::to_string(i)));
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.terminalCount() == 50; }, std::chrono::seconds(60)));
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  std::set<std::string> agentsOffered, agentsUsed;
  for (const auto& o : fw.scheduler.offers) agentsOffered.insert(o.offer.agentId);
  EXPECT_EQ(agentsOffered.size(), 2u) << "offers should come from both agents";
  for (int i = 0; i < 50; ++i) {
    auto last = fw.scheduler.latest("t" + std::to_string(i));
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->state, TaskState::FINISHED) << last->message;
    EXPECT_EQ(last->exitCode.value_or(-1), 0);
    // Every task went through the states in order, each exactly once.
    std::vector<TaskState> states;
    for (const auto& u : fw.scheduler.updatesFor("t" + std::to_string(i))) states.push_back(u.state);
    EXPECT_EQ(states, (std::vector<TaskState>{TaskState::STARTING, TaskState::RUNNING, TaskState::FINISHED}));
  }
}

TEST_F(OfferCycleTest, MetricsCountAgentsFrameworksAndTasksInJsonAndPrometheusText) {
  TestFramework fw(cluster.master(), "metrics");
  fw.scheduler.queue(shellTask("long", "exec sleep 600"));
  ASSERT_TRUE(fw.scheduler.waitFor([&] {
    auto l = fw.scheduler.latest("long");
    return l && l->state == TaskState::RUNNING;
  }));
  auto json = cli::callMaster(cluster.master(), "GET", "/api/v1/metrics", "", std::chrono::seconds(2));
  ASSERT_TRUE(json.ok()) << json.error();
  auto m = nlohmann::json::parse(json->body);
  EXPECT_EQ(m["agents"]["active"], 2);
  EXPECT_EQ(m["frameworks"]["connected"], 1);
  EXPECT_EQ(m["tasks"]["TASK_RUNNING"], 1);
  EXPECT_EQ(m["counters"]["tasks_launched"], 1);
  auto text = cli::callMaster(cluster.master(), "GET", "/metrics", "", std::chrono::seconds(2));
  ASSERT_TRUE(text.ok()) << text.error();
  for (const char* line : {"agora_master_agents{state=\"active\"} 2\n", "agora_master_frameworks{state=\"connected\"} 1\n",
                           "agora_master_tasks{state=\"TASK_RUNNING\"} 1\n", "agora_master_tasks_launched_total 1\n",
                           "# TYPE agora_master_agents gauge\n"})
    EXPECT_NE(text->body.find(line), std::string::npos) << line << " not in:\n" << text->body;
}

TEST_F(OfferCycleTest, NonZeroExitIsFailedWithItsCode) {
  TestFramework fw(cluster.master(), "failing");
  fw.scheduler.queue(shellTask("fails", "exit 7"));
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.terminalCount() == 1; }));
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  auto last = fw.scheduler.latest("fails");
  EXPECT_EQ(last->state, TaskState::FAILED);
  EXPECT_EQ(last->reason, TaskReason::COMMAND_EXITED);
  EXPECT_EQ(last->exitCode.value_or(-1), 7);
  EXPECT_NE(last->message.find("status 7"), std::string::npos) << last->message;
}

TEST_F(OfferCycleTest, TaskSeesItsEnvironmentAndSandbox) {
  std::string out = cluster.workDir() + "/env.txt";
  TestFramework fw(cluster.master(), "env");
  TaskInfo t = shellTask("env", "echo \"$AGORA_TASK_ID $PORT0 $(pwd)=$AGORA_SANDBOX\" > " + out);
  uint64_t first = cluster.agentPortBase(0);
  (void)t.resources.add(Resource::range("ports", {{first, first}}));
  fw.scheduler.queue(t);
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.terminalCount() == 1; }));
  std::ifstream in(out);
  std::string id, port, dirs;
  in >> id >> port >> dirs;
  EXPECT_EQ(id, "env");
  EXPECT_EQ(port, std::to_string(first));
  auto eq = dirs.find('=');
  ASSERT_NE(eq, std::string::npos);
  EXPECT_EQ(dirs.substr(0, eq), dirs.substr(eq + 1)) << "the task runs in its sandbox";
  EXPECT_TRUE(std::filesystem::exists(dirs.substr(0, eq) + "/stdout"));
}

TEST_F(OfferCycleTest, KillGivesKilledAndLeavesNoProcessBehind) {
  std::string pidFile = cluster.workDir() + "/pid";
  TestFramework fw(cluster.master(), "killer");
  // A shell that ignores SIGTERM, with two children: the kill must escalate to SIGKILL
  // after the grace period and take the whole process group.
  TaskInfo t = shellTask("sleeper", "trap '' TERM; echo $$ > " + pidFile + ".tmp; mv " + pidFile + ".tmp " + pidFile +
                                        "; sleep 1000 & sleep 1000 & wait; wait");
  t.killGracePeriodSeconds = 0.5;
  fw.scheduler.queue(t);
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(pidFile); }));
  pid_t pgid = 0;
  std::ifstream(pidFile) >> pgid;
  ASSERT_GT(pgid, 1);
  ASSERT_TRUE(eventually([&] { return livingProcessesInGroup(pgid).size() >= 3; }));
  fw.driver->killTask("sleeper");
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.terminalCount() == 1; }));
  {
    std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
    auto last = fw.scheduler.latest("sleeper");
    EXPECT_EQ(last->state, TaskState::KILLED);
    EXPECT_EQ(last->reason, TaskReason::KILLED_BY_FRAMEWORK);
  }
  // The final update is sent after the group was SIGKILLed; orphans may take a moment to be reaped.
  EXPECT_TRUE(eventually([&] { return livingProcessesInGroup(pgid).empty(); }, std::chrono::seconds(5)));
}

TEST_F(OfferCycleTest, InvalidTaskIsErrorAndItsResourcesAreOfferedAgain) {
  std::atomic<int> accepts{0};  // before the framework: its driver thread uses it until it stops
  TestFramework fw(cluster.master(), "invalid");
  fw.scheduler.onOffers = [&](sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) {
    for (const auto& o : offers) {
      if (accepts++ == 0) {
        driver.launchTasks({o.id}, {shellTask("too-big", "true", 64, 16), shellTask("bad id!", "true")}, 0);
      } else {
        driver.declineOffer(o.id, 0);
      }
    }
  };
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.terminalCount() == 2; }));
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  auto big = fw.scheduler.latest("too-big");
  EXPECT_EQ(big->state, TaskState::ERROR);
  EXPECT_EQ(big->reason, TaskReason::INVALID_TASK);
  EXPECT_NE(big->message.find("asks for cpus:64"), std::string::npos) << big->message;
  auto bad = fw.scheduler.latest("bad id!");
  EXPECT_EQ(bad->state, TaskState::ERROR);
  EXPECT_NE(bad->message.find("is invalid"), std::string::npos) << bad->message;
}

TEST_F(OfferCycleTest, DeclinedOfferGoesToOtherFrameworkAndReturnsAfterFilterExpires) {
  using Clock = std::chrono::steady_clock;
  constexpr double kRefuse = 3.0;
  // Before the framework: its driver thread uses them until it stops.
  std::mutex m;
  std::map<std::string, Clock::time_point> declinedAt;  // agent id -> when `a` declined it
  TestFramework a(cluster.master(), "decliner");
  a.scheduler.onOffers = [&](sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) {
    std::lock_guard<std::mutex> lock(m);
    for (const auto& o : offers) {
      if (!declinedAt.count(o.agentId)) declinedAt[o.agentId] = Clock::now();
      driver.declineOffer(o.id, kRefuse);
    }
  };
  ASSERT_TRUE(a.scheduler.waitFor([&] { return a.scheduler.offers.size() >= 2; }));
  TestFramework b(cluster.master(), "other");
  b.scheduler.onOffers = [](sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) {
    for (const auto& o : offers) driver.declineOffer(o.id, 0.05);
  };
  // `b` gets the agents that `a` refused ...
  ASSERT_TRUE(b.scheduler.waitFor([&] {
    std::set<std::string> agents;
    for (const auto& o : b.scheduler.offers) agents.insert(o.offer.agentId);
    return agents.size() == 2;
  }));
  // ... and `a` sees each agent again, but not before its filter expired.
  ASSERT_TRUE(a.scheduler.waitFor([&] { return a.scheduler.offers.size() >= 4; }, std::chrono::seconds(20)));
  std::lock_guard<std::mutex> lock(m);
  std::lock_guard<std::mutex> lockA(a.scheduler.mutex);
  std::map<std::string, int> seen;
  for (const auto& o : a.scheduler.offers) {
    if (++seen[o.offer.agentId] == 1) continue;
    double after = std::chrono::duration<double>(o.at - declinedAt[o.offer.agentId]).count();
    EXPECT_GE(after, kRefuse) << "agent " << o.offer.agentId << " was offered again after only " << after << " s";
  }
}

TEST_F(OfferCycleTest, ReconciliationReportsKnownAndUnknownTasks) {
  TestFramework fw(cluster.master(), "reconciler");
  fw.scheduler.queue(shellTask("long", "sleep 1000"));
  ASSERT_TRUE(fw.scheduler.waitForState("long", TaskState::RUNNING));
  fw.driver->reconcileTasks({"long", "never-launched"});
  ASSERT_TRUE(fw.scheduler.waitFor([&] {
    auto l = fw.scheduler.latest("never-launched");
    auto r = fw.scheduler.latest("long");
    return l && r && r->reason == TaskReason::RECONCILIATION;
  }));
  {
    std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
    EXPECT_EQ(fw.scheduler.latest("long")->state, TaskState::RUNNING);
    EXPECT_EQ(fw.scheduler.latest("never-launched")->state, TaskState::UNKNOWN);
    fw.scheduler.updates.clear();
  }
  fw.driver->reconcileTasks();  // implicit: every task the master knows for this framework
  ASSERT_TRUE(fw.scheduler.waitFor([&] {
    auto r = fw.scheduler.latest("long");
    return r && r->reason == TaskReason::RECONCILIATION && r->state == TaskState::RUNNING;
  }));
  fw.driver->killTask("long");
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.terminalCount() == 1; }));
}

}  // namespace
}  // namespace agora::testing
