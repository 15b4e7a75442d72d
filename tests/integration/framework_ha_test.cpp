// agora-marathon and agora-batch as two instances each, electing a leader on a real etcd: a
// standby redirects to the leader, and when the leader is SIGKILLed at the worst moment (a
// rolling restart half done; a cron slot's run written but not launched), the standby takes
// the state from etcd and finishes the work with no duplicate instance or run.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <set>

#include "tests/support/batch.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/etcd.hpp"
#include "tests/support/marathon.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

using nlohmann::json;

// Short leases: a standby takes over about a second after its leader died.
std::vector<std::string> haFlags(const TestEtcd& etcd) { return {"--etcd=" + etcd.url(), "--etcd_lease_ttl=1"}; }

// A directory of its own for one instance's log and endpoint file.
std::string instanceDir(const TestCluster& cluster, const std::string& name) {
  std::string dir = cluster.workDir() + "/" + name;
  std::filesystem::create_directories(dir);
  return dir;
}

std::set<std::string> taskIds(const json& app) {
  std::set<std::string> ids;
  if (app.is_object())
    for (const json& t : app["tasks"]) ids.insert(t["id"].get<std::string>());
  return ids;
}

json webApp(const std::string& cmd) {
  return {{"id", "/web"},
          {"cmd", cmd},
          {"instances", 4},
          {"cpus", 0.1},
          {"mem", 32},
          {"upgradeStrategy", {{"minimumHealthCapacity", 1}, {"maximumOverCapacity", 0.5}}},
          {"healthChecks",
           {{{"protocol", "MESOS_HTTP"}, {"path", "/"}, {"gracePeriodSeconds", 60}, {"intervalSeconds", 2},
             {"timeoutSeconds", 1}, {"delaySeconds", 0}, {"maxConsecutiveFailures", 3}}}}};
}

TEST(FrameworkHaTest, AStandbyMarathonRedirectsThenFinishesTheRollingRestartItsLeaderDiedIn) {
  TestCluster cluster;
  TestEtcd etcd(cluster.workDir() + "/etcd", static_cast<int>(cluster.sparePorts()));
  etcd.start();
  cluster.startMaster();
  cluster.startAgents(2);
  MarathonProcess first(cluster.master(), instanceDir(cluster, "first"), haFlags(etcd));
  first.start();
  MarathonProcess second(cluster.master(), instanceDir(cluster, "second"), haFlags(etcd));
  second.startStandby();
  ASSERT_FALSE(second.leads());
  std::string leader = "127.0.0.1:" + std::to_string(first.port());
  HttpResult redirected;
  // 503 until the standby has seen who leads (its first look at etcd).
  EXPECT_TRUE(eventually([&] { return (redirected = second.call("GET", "/v2/apps?embed=apps.tasks")).status == 307; }))
      << redirected.status << " " << redirected.body;
  EXPECT_EQ(redirected.headers["Location"], "http://" + leader + "/v2/apps?embed=apps.tasks");
  EXPECT_EQ(second.call("GET", "/v2/leader").json, json({{"leader", leader}}));

  // Instances started once `restarting` exists are healthy only once `open` does too: the
  // rolling restart stops half done.
  std::string restarting = cluster.workDir() + "/restarting", gate = cluster.workDir() + "/open";
  std::string cmd = "while [ -e " + restarting + " ] && [ ! -e " + gate + " ]; do sleep 0.1; done; "
                    "exec python3 -m http.server $PORT0 --bind 127.0.0.1";
  HttpResult created = first.call("POST", "/v2/apps", webApp(cmd).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_TRUE(first.waitForApp("/web", 4)) << first.app("/web").dump();
  std::set<std::string> before = taskIds(first.app("/web"));
  std::filesystem::create_directories(restarting);
  HttpResult restart = first.call("POST", "/v2/apps/web/restart", "{}");
  ASSERT_EQ(restart.status, 200) << restart.body;
  ASSERT_TRUE(eventually([&] { return cluster.liveTasks() == 6; })) << cluster.state()["tasks"].dump();

  first.stop(SIGKILL);
  ASSERT_TRUE(eventually([&] { return second.leads(); })) << "the standby did not take over; see " << second.log();
  EXPECT_EQ(second.call("GET", "/v2/deployments").json.size(), 1u) << "the deployment in progress was not taken over";
  EXPECT_EQ(cluster.liveTasks(), 6) << "the new leader launched or killed before the deployment went on";
  std::filesystem::create_directories(gate);
  ASSERT_TRUE(second.waitForApp("/web", 4)) << second.app("/web").dump() << "; see " << second.log();
  std::set<std::string> after = taskIds(second.app("/web"));
  for (const std::string& id : after) EXPECT_FALSE(before.count(id)) << id << " was not restarted";
  EXPECT_TRUE(eventually([&] { return cluster.liveTasks() == 4; })) << "a duplicate instance: " << cluster.state()["tasks"].dump();
  EXPECT_TRUE(second.call("GET", "/v2/deployments").json.empty());

  // The killed instance comes back as a standby; the leader abdicates to it; the apps go on.
  first.startStandby();
  ASSERT_EQ(second.call("DELETE", "/v2/leader").status, 200);
  ASSERT_TRUE(eventually([&] { return first.leads(); })) << "see " << first.log();
  ASSERT_TRUE(first.waitForApp("/web", 4)) << first.app("/web").dump();
  EXPECT_EQ(taskIds(first.app("/web")), after);
  EXPECT_TRUE(eventually([&] { return second.call("GET", "/v2/leader").json == json({{"leader", "127.0.0.1:" + std::to_string(first.port())}}); }));
  EXPECT_EQ(cluster.liveTasks(), 4);
}

// The minute's run is written, but no agent has room, so it waits unlaunched; the leading
// instance is SIGKILLed then. The standby takes the run from etcd and runs it exactly once.
TEST(FrameworkHaTest, AStandbyBatchRunsTheSlotItsLeaderWroteButNeverLaunchedExactlyOnce) {
  TestCluster cluster;
  TestEtcd etcd(cluster.workDir() + "/etcd", static_cast<int>(cluster.sparePorts()));
  etcd.start();
  cluster.startMaster();
  BatchProcess first(cluster.master(), instanceDir(cluster, "first"), haFlags(etcd));
  first.start();
  BatchProcess second(cluster.master(), instanceDir(cluster, "second"), haFlags(etcd));
  second.startStandby();
  HttpResult redirected;
  EXPECT_TRUE(eventually([&] { return (redirected = second.call("GET", "/v1/jobs")).status == 307; }))
      << redirected.status << " " << redirected.body;
  EXPECT_EQ(redirected.headers["Location"], "http://127.0.0.1:" + std::to_string(first.port()) + "/v1/jobs");

  json job = {{"id", "tick"},
              {"run", {{"cmd", "true"}, {"cpus", 0.1}, {"mem", 32}}},
              {"schedules", {{{"id", "every-minute"}, {"cron", "* * * * *"}}}}};
  HttpResult created = first.call("POST", "/v1/jobs", job.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  json runs;
  ASSERT_TRUE(eventually([&] {
    runs = first.call("GET", "/v1/jobs/tick/runs").json;
    return runs.is_array() && !runs.empty();
  }, std::chrono::seconds(75))) << "no run for the minute's slot; see " << first.log();
  std::string runId = runs[0]["id"];
  ASSERT_EQ(runs[0]["status"], "INITIAL");

  first.stop(SIGKILL);
  ASSERT_TRUE(eventually([&] { return second.leads(); })) << "the standby did not take over; see " << second.log();
  cluster.startAgents(1);
  json run = second.waitForRunEnd("tick", runId);
  ASSERT_FALSE(run.is_null()) << "see " << second.log();
  EXPECT_EQ(run["status"], "SUCCESS");
  EXPECT_EQ(run["tasks"].size(), 1u) << run.dump(2);
  json history = second.call("GET", "/v1/jobs/tick?embed=history").json["history"];
  size_t forSlot = 0;
  for (const json& r : history["successfulFinishedRuns"]) forSlot += r["id"] == runId;
  EXPECT_EQ(forSlot, 1u) << history.dump(2);
  // The master launched one task in all.
  json state = cluster.state();
  EXPECT_EQ(state["completed_tasks"].size() + state["tasks"].size(), 1u) << state.dump();
}

}  // namespace
}  // namespace agora::testing
