// Three masters on etcd with work in flight: agora-marathon half way through a rolling
// upgrade, and agora-batch running the run of a cron slot. The leading master is SIGKILLed
// (or stopped with SIGTERM, a planned handover); a standby leads, the agents and both
// frameworks follow it, the upgrade finishes, the slot's run ends once, and every task's
// final state reaches its framework exactly once.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <set>

#include "tests/support/batch.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/etcd.hpp"
#include "tests/support/marathon.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

using nlohmann::json;

json webApp(const std::string& cmd) {
  return {{"id", "/web"},
          {"cmd", cmd},
          {"instances", 2},
          {"cpus", 0.1},
          {"mem", 32},
          {"upgradeStrategy", {{"minimumHealthCapacity", 1}, {"maximumOverCapacity", 0.5}}},
          {"healthChecks",
           {{{"protocol", "MESOS_HTTP"}, {"path", "/"}, {"gracePeriodSeconds", 60}, {"intervalSeconds", 2},
             {"timeoutSeconds", 1}, {"delaySeconds", 0}, {"maxConsecutiveFailures", 3}}}}};
}

// Final states agora-marathon published, by task id.
std::map<std::string, int> finalStates(const EventClient& events) {
  std::map<std::string, int> finals;
  for (const MarathonEvent& e : events.events()) {
    if (e.type != "status_update_event") continue;
    static const std::set<std::string> terminal = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR",
                                                   "TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR"};
    if (terminal.count(e.data.value("taskStatus", ""))) ++finals[e.data.value("taskId", "")];
  }
  return finals;
}

void failOverWithWorkInFlight(int signal) {
  TestCluster cluster;
  TestEtcd etcd(cluster.workDir() + "/etcd", static_cast<int>(cluster.sparePorts()));
  etcd.start();
  cluster.startHaMasters(3, etcd.url(), {"--etcd_lease_ttl=2", "--agent_reregister_timeout=30"});
  cluster.startAgents(2);
  MarathonProcess marathon(cluster);
  marathon.start();
  BatchProcess batch(cluster);
  batch.start();
  const std::string gate = cluster.workDir() + "/gate";
  const std::string serve = "exec python3 -m http.server $PORT0 --bind 127.0.0.1";
  ASSERT_EQ(marathon.call("POST", "/v2/apps", webApp(serve).dump()).status, 201);
  ASSERT_TRUE(marathon.waitForApp("/web", 2)) << marathon.app("/web").dump();
  std::set<std::string> oldTasks;
  json before = marathon.app("/web");
  for (const json& t : before["tasks"]) oldTasks.insert(t["id"].get<std::string>());
  ASSERT_EQ(oldTasks.size(), 2u);
  EventClient events(marathon.port());

  // The minute's slot: its run's task waits for the gate.
  json job = {{"id", "tick"},
              {"run", {{"cmd", "while [ ! -e " + gate + " ]; do sleep 0.1; done"}, {"cpus", 0.1}, {"mem", 32}}},
              {"schedules", {{{"id", "every-minute"}, {"cron", "* * * * *"}}}}};
  ASSERT_EQ(batch.call("POST", "/v1/jobs", job.dump()).status, 201);
  std::string runId;
  ASSERT_TRUE(eventually([&] {
    json runs = batch.call("GET", "/v1/jobs/tick/runs").json;
    if (!runs.is_array() || runs.empty() || runs[0]["tasks"].empty()) return false;
    runId = runs[0]["id"];
    return runs[0]["tasks"][0]["status"] == "TASK_RUNNING";
  }, std::chrono::seconds(75))) << "no run for the minute's slot; see " << batch.log();

  // Half way through a rolling upgrade: one new instance waits for the gate to be healthy.
  ASSERT_EQ(marathon.call("PUT", "/v2/apps/web", webApp("while [ ! -e " + gate + " ]; do sleep 0.1; done; " + serve).dump()).status, 200);
  ASSERT_TRUE(eventually([&] { return cluster.liveTasks() == 4; })) << cluster.state()["tasks"].dump();

  int leader = cluster.leadingHaMaster();
  ASSERT_GE(leader, 0);
  cluster.stopHaMaster(static_cast<size_t>(leader), signal);
  ASSERT_TRUE(eventually([&] {
    int now = cluster.leadingHaMaster();
    return now >= 0 && now != leader;
  })) << "no standby took the lead";
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 2; })) << "the agents did not follow the new leader";
  ASSERT_TRUE(eventually([&] { return marathon.leads() && batch.leads(); })) << "a framework did not follow the new leader";
  EXPECT_EQ(cluster.liveTasks(), 4) << "a task was killed or launched by the failover";

  std::filesystem::create_directories(gate);
  ASSERT_TRUE(marathon.waitForApp("/web", 2)) << marathon.app("/web").dump() << "; see " << marathon.log();
  json after = marathon.app("/web");
  for (const json& t : after["tasks"]) EXPECT_FALSE(oldTasks.count(t["id"].get<std::string>()));
  json run = batch.waitForRunEnd("tick", runId);
  ASSERT_FALSE(run.is_null()) << "see " << batch.log();
  EXPECT_EQ(run["status"], "SUCCESS");
  EXPECT_EQ(run["tasks"].size(), 1u) << run.dump(2);

  // Every old instance's end reached agora-marathon once; nothing else ended.
  ASSERT_TRUE(events.waitFor([&](const auto&) { return finalStates(events).size() >= oldTasks.size(); }));
  std::map<std::string, int> finals = finalStates(events);
  for (const std::string& id : oldTasks) EXPECT_EQ(finals[id], 1) << id;
  EXPECT_EQ(finals.size(), oldTasks.size());
  // The slot's run: one task, ended once, at the master too.
  json state = cluster.state();
  std::string taskId = run["tasks"][0]["id"];
  int ended = 0;
  for (const json& t : state["completed_tasks"]) ended += t["id"] == taskId;
  EXPECT_EQ(ended, 1) << state["completed_tasks"].dump();
  json history = batch.call("GET", "/v1/jobs/tick?embed=history").json["history"];
  int forSlot = 0;
  for (const json& r : history["successfulFinishedRuns"]) forSlot += r["id"] == runId;
  EXPECT_EQ(forSlot, 1) << history.dump(2);
}

TEST(HaWorkInFlightTest, LeaderSigkilledDuringAnUpgradeAndACronRun) { failOverWithWorkInFlight(SIGKILL); }

TEST(HaWorkInFlightTest, PlannedHandoverDuringAnUpgradeAndACronRun) { failOverWithWorkInFlight(SIGTERM); }

}  // namespace
}  // namespace agora::testing
