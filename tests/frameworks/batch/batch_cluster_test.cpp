// agora-batch on a real cluster: a master, agents and the framework as processes on loopback,
// killed with SIGKILL where the guarantees are about crashes.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <set>

#include "frameworks/batch/run.hpp"
#include "frameworks/batch/schedule_time.hpp"
#include "tests/support/batch.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

using nlohmann::json;

// "2026-12-03T21:00:00.123+0000" -> seconds since the epoch.
double secondsOf(const json& t) {
  if (!t.is_string()) return 0;
  std::string s = t.get<std::string>();
  std::string utc = s.substr(0, 19) + "Z";
  Try<batch::Instant> whole = batch::parseInstant(utc);
  if (whole.isError()) return 0;
  return static_cast<double>(whole->time_since_epoch().count()) + std::stod("0" + s.substr(19, 4));
}

class BatchClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.startMaster();
    cluster_.startAgents(2);
    batch_ = std::make_unique<BatchProcess>(cluster_);
    batch_->start();
  }
  HttpResult post(const std::string& target, const json& body) { return batch_->call("POST", target, body.dump()); }
  std::string startRun(const std::string& jobId) {
    HttpResult r = post("/v1/jobs/" + jobId + "/runs", json::object());
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json.value("id", "");
  }
  void addJob(const json& spec) {
    HttpResult r = post("/v1/jobs", spec);
    ASSERT_EQ(r.status, 201) << r.body;
  }

  TestCluster cluster_;
  std::unique_ptr<BatchProcess> batch_;
};

TEST_F(BatchClusterTest, IndexedJobRunsTwentyTasksNeverMoreThanFourAtOnce) {
  addJob({{"id", "array"},
          {"run", {{"cmd", "echo index=$AGORA_JOB_INDEX of $AGORA_JOB_COMPLETIONS; sleep 0.2"}, {"cpus", 0.1}, {"mem", 32},
                   {"completions", 20}, {"parallelism", 4}}}});
  std::string runId = startRun("array");
  json run = batch_->waitForRunEnd("array", runId);
  ASSERT_FALSE(run.is_null()) << "see " << batch_->log();
  EXPECT_EQ(run["status"], "SUCCESS") << run.dump(2);
  ASSERT_EQ(run["tasks"].size(), 20u) << "one task per index, none again";
  // Launched-to-ended intervals (the framework's view, which holds every real process) never
  // overlap more than four deep.
  std::vector<std::pair<double, int>> edges;
  std::set<int> indexes;
  for (const json& t : run["tasks"]) {
    EXPECT_EQ(t["status"], "TASK_FINISHED");
    indexes.insert(t["index"].get<int>());
    edges.push_back({secondsOf(t["createdAt"]), +1});
    edges.push_back({secondsOf(t["completedAt"]), -1});
  }
  EXPECT_EQ(indexes.size(), 20u);
  std::sort(edges.begin(), edges.end(), [](auto a, auto b) { return a.first != b.first ? a.first < b.first : a.second < b.second; });
  int live = 0, most = 0;
  for (const auto& e : edges) most = std::max(most, live += e.second);
  EXPECT_LE(most, 4);
  EXPECT_GE(most, 2) << "the tasks did not run in parallel at all";
  // Each task's log link reaches its stdout through the agent's file API.
  const json& t = run["tasks"][7];
  std::string link = t["logs"]["stdout"];
  ASSERT_EQ(link.rfind("http://127.0.0.1:", 0), 0u) << link;
  std::string hostPort = link.substr(7, link.find('/', 7) - 7);
  httplib::Client agent("127.0.0.1", std::stoi(hostPort.substr(hostPort.find(':') + 1)));
  auto page = agent.Get(link.substr(link.find('/', 7)).c_str());
  ASSERT_TRUE(page) << link;
  EXPECT_NE(page->body.find("index=" + std::to_string(t["index"].get<int>()) + " of 20"), std::string::npos) << page->body;
}

TEST_F(BatchClusterTest, AFailingTaskIsRetriedWithBackoffAndTheRunFailsWithItsExitCodes) {
  addJob({{"id", "flaky"},
          {"run", {{"cmd", "exit 3"}, {"cpus", 0.1}, {"mem", 32},
                   {"restart", {{"policy", "ON_FAILURE"}, {"maxRetries", 2}, {"backoffSeconds", 0.5}, {"backoffFactor", 2}}}}}});
  std::string runId = startRun("flaky");
  json run = batch_->waitForRunEnd("flaky", runId);
  ASSERT_FALSE(run.is_null()) << "see " << batch_->log();
  EXPECT_EQ(run["status"], "FAILED");
  EXPECT_NE(run["reason"].get<std::string>().find("restart.maxRetries is 2"), std::string::npos) << run.dump(2);
  ASSERT_EQ(run["tasks"].size(), 3u);
  for (size_t i = 1; i < 3; ++i) {
    double waited = secondsOf(run["tasks"][i]["createdAt"]) - secondsOf(run["tasks"][i - 1]["completedAt"]);
    EXPECT_GE(waited, 0.5 * (1 << (i - 1)) - 0.01) << "retry " << i << " came before its backoff";
  }
  HttpResult job = batch_->call("GET", "/v1/jobs/flaky?embed=history");
  ASSERT_EQ(job.status, 200);
  const json& history = job.json["history"];
  EXPECT_EQ(history["failureCount"], 1);
  ASSERT_EQ(history["failedFinishedRuns"].size(), 1u);
  const json& entry = history["failedFinishedRuns"][0];
  EXPECT_EQ(entry["id"], runId);
  ASSERT_EQ(entry["taskResults"].size(), 3u);
  for (const json& t : entry["taskResults"]) {
    EXPECT_EQ(t["exitCode"], 3);
    EXPECT_FALSE(t["agentId"].get<std::string>().empty());
    EXPECT_TRUE(t.contains("logs"));
  }
}

TEST_F(BatchClusterTest, KilledWhileARunIsActiveItAdoptsTheTaskInsteadOfLaunchingAgain) {
  addJob({{"id", "long"}, {"run", {{"cmd", "sleep 3"}, {"cpus", 0.1}, {"mem", 32}}}});
  std::string runId = startRun("long");
  ASSERT_TRUE(eventually([&] { return batch_->run("long", runId).value("status", "") == "ACTIVE"; })) << batch_->log();
  batch_->stop(SIGKILL);
  batch_->start();
  json run = batch_->waitForRunEnd("long", runId);
  ASSERT_FALSE(run.is_null()) << "see " << batch_->log();
  EXPECT_EQ(run["status"], "SUCCESS");
  EXPECT_EQ(run["tasks"].size(), 1u) << "a second task was launched for the run: " << run.dump(2);
}

TEST_F(BatchClusterTest, ADependantFiresAcrossARestart) {
  addJob({{"id", "parent"}, {"run", {{"cmd", "sleep 2"}, {"cpus", 0.1}, {"mem", 32}}}});
  addJob({{"id", "child"}, {"run", {{"cmd", "true"}, {"cpus", 0.1}, {"mem", 32}}}, {"dependencies", {{{"id", "parent"}}}}});
  std::string parentRun = startRun("parent");
  ASSERT_TRUE(eventually([&] { return batch_->run("parent", parentRun).value("status", "") == "ACTIVE"; }));
  batch_->stop(SIGKILL);
  batch_->start();
  ASSERT_FALSE(batch_->waitForRunEnd("parent", parentRun).is_null());
  json child;
  ASSERT_TRUE(eventually([&] {
    child = batch_->call("GET", "/v1/jobs/child?embed=historySummary").json;
    return child.is_object() && child["historySummary"]["successCount"] == 1;
  })) << child.dump(2) << " see " << batch_->log();
  HttpResult graph = batch_->call("GET", "/v1/jobs/child/graph");
  ASSERT_EQ(graph.status, 200);
  EXPECT_EQ(graph.json["edges"], json::array({{{"from", "parent"}, {"to", "child"}}}));
}

TEST_F(BatchClusterTest, TheMasterKilledDuringARunLeavesItCompletedAndRecordedOnce) {
  addJob({{"id", "steady"}, {"run", {{"cmd", "sleep 3"}, {"cpus", 0.1}, {"mem", 32}}}});
  std::string runId = startRun("steady");
  ASSERT_TRUE(eventually([&] { return batch_->run("steady", runId).value("status", "") == "ACTIVE"; }));
  cluster_.stopMaster(SIGKILL);
  ASSERT_TRUE(eventually([&] { return !batch_->call("GET", "/info").json.value("connectedToMaster", true); }));
  cluster_.startMaster();
  json run = batch_->waitForRunEnd("steady", runId);
  ASSERT_FALSE(run.is_null()) << "see " << batch_->log();
  EXPECT_EQ(run["status"], "SUCCESS") << run.dump(2);
  EXPECT_EQ(run["tasks"].size(), 1u) << run.dump(2);
  json summary = batch_->call("GET", "/v1/jobs/steady?embed=historySummary").json["historySummary"];
  EXPECT_EQ(summary["successCount"], 1);
  EXPECT_EQ(summary["failureCount"], 0);
}

TEST_F(BatchClusterTest, InvalidSpecsAndUnknownIdsGetMetronomesErrorShapes) {
  HttpResult bad = post("/v1/jobs", {{"id", "Not Valid"}, {"run", {{"cpus", -1}, {"mem", 16}, {"docker", {{"image", "x"}}}}}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.json["message"], "Object is not valid");
  std::set<std::string> paths;
  for (const json& d : bad.json["details"]) paths.insert(d["path"].get<std::string>());
  EXPECT_EQ(paths, (std::set<std::string>{"/id", "/run", "/run/cpus", "/run/mem", "/run/docker"})) << bad.body;
  HttpResult notJson = batch_->call("POST", "/v1/jobs", "{\"id\": ");
  EXPECT_EQ(notJson.status, 400);
  EXPECT_EQ(notJson.json["message"].get<std::string>().rfind("Invalid Json: ", 0), 0u) << notJson.body;
  HttpResult missing = batch_->call("GET", "/v1/jobs/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json, json({{"id", "nope"}, {"message", "Job not found"}}));
  addJob({{"id", "ok"}, {"run", {{"cmd", "true"}, {"cpus", 0.1}, {"mem", 32}}}});
  EXPECT_EQ(post("/v1/jobs", {{"id", "ok"}, {"run", {{"cmd", "true"}}}}).json["message"], "Job with this id already exists");
  HttpResult noRun = batch_->call("GET", "/v1/jobs/ok/runs/20260101000000abcde");
  EXPECT_EQ(noRun.json, json({{"jobSpec", "ok"}, {"id", "20260101000000abcde"}, {"message", "Job Run not found"}}));
  HttpResult cycle = post("/v1/jobs", {{"id", "loop"}, {"run", {{"cmd", "true"}}}, {"dependencies", {{{"id", "ghost"}}}}});
  EXPECT_EQ(cycle.status, 422);
  EXPECT_EQ(cycle.json["message"], "Dependencies contain unknown jobs. unknown=[ghost]");
  EXPECT_EQ(batch_->call("GET", "/v1/nothing").json["message"], "Unknown route.");
}

// The slot's run is written, but no agent has room: killed then, and started again once an
// agent can take it, agora-batch runs that slot exactly once.
TEST(BatchSlotTest, ASlotWrittenBeforeItsLaunchRunsExactlyOnceAfterAKill) {
  TestCluster cluster;
  cluster.startMaster();
  BatchProcess batch(cluster);
  batch.start();
  HttpResult created = batch.call("POST", "/v1/jobs", json({{"id", "tick"}, {"run", {{"cmd", "true"}, {"cpus", 0.1}, {"mem", 32}}},
                                                            {"schedules", {{{"id", "every-minute"}, {"cron", "* * * * *"}}}}}).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  json runs;
  ASSERT_TRUE(eventually([&] {
    runs = batch.call("GET", "/v1/jobs/tick/runs").json;
    return runs.is_array() && !runs.empty();
  }, std::chrono::seconds(75))) << "no run for the minute's slot; see " << batch.log();
  std::string runId = runs[0]["id"];
  EXPECT_EQ(runs[0]["status"], "INITIAL");
  batch.stop(SIGKILL);
  cluster.startAgents(1);
  batch.start();
  json run = batch.waitForRunEnd("tick", runId);
  ASSERT_FALSE(run.is_null()) << "see " << batch.log();
  EXPECT_EQ(run["status"], "SUCCESS");
  EXPECT_EQ(run["tasks"].size(), 1u);
  json history = batch.call("GET", "/v1/jobs/tick?embed=history").json["history"];
  size_t forSlot = 0;
  for (const json& r : history["successfulFinishedRuns"]) forSlot += r["id"] == runId;
  EXPECT_EQ(forSlot, 1u);
}

// Services and batch on one pool: with a quota guarantee of 2 cpus on `services`, a batch
// backlog larger than the cluster leaves those 2 cpus free, and a service scaled up while the
// backlog runs gets its instances at once, not when a batch task ends.
TEST(MixedWorkloadTest, AServicesGuaranteeIsNeverTakenByABatchBacklog) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(2);  // 8 cpus in all
  auto [quota, quotaOut] = agora(cluster.workDir(), {"quota", "set", "--master=" + cluster.master(), "services", "cpus:2;mem:256"});
  ASSERT_EQ(quota, 0) << quotaOut;
  MarathonProcess marathon(cluster, {"--role=services"});
  marathon.start();
  BatchProcess batch(cluster, {"--role=batch"});
  batch.start();
  ASSERT_EQ(marathon.call("POST", "/v2/apps", json({{"id", "/web"}, {"cmd", "sleep 1000"}, {"instances", 0}, {"cpus", 1}, {"mem", 32}}).dump()).status, 201);
  ASSERT_EQ(batch.call("POST", "/v1/jobs", json({{"id", "backlog"}, {"run", {{"cmd", "sleep 60"}, {"cpus", 1}, {"mem", 32},
                                                                               {"completions", 12}, {"parallelism", 12}}}}).dump()).status, 201);
  std::string runId = batch.call("POST", "/v1/jobs/backlog/runs", "{}").json.value("id", "");
  auto batchCpus = [&] {
    double cpus = 0;
    json state = cluster.state();
    for (const json& f : state["frameworks"])
      if (f.value("name", "") == "batch") cpus += f["used_resources"].value("cpus", 0.0);
    return cpus;
  };
  auto running = [&] {
    int n = 0;
    json run = batch.run("backlog", runId);
    for (const json& t : run["tasks"]) n += t["status"] == "TASK_RUNNING";
    return n;
  };
  ASSERT_TRUE(eventually([&] { return running() == 6; })) << running() << " running: " << batch.run("backlog", runId).dump(2);
  // Over several allocation cycles (counted by the master), the 2 guaranteed cpus stay out of
  // batch's hands.
  auto cycles = [&] { return cluster.state()["counters"].value("allocation_cycles", 0); };
  const int start = cycles();
  double most = 0;
  ASSERT_TRUE(eventually([&] {
    most = std::max(most, batchCpus());
    return cycles() >= start + 3;
  })) << "the master ran no allocation cycle";
  EXPECT_LE(most, 6.0);
  EXPECT_EQ(running(), 6);
  ASSERT_EQ(marathon.call("PUT", "/v2/apps/web", json({{"instances", 2}}).dump()).status, 200);
  EXPECT_TRUE(marathon.waitForApp("/web", 2, std::chrono::seconds(20))) << marathon.log();
  json run = batch.run("backlog", runId);
  for (const json& t : run["tasks"]) EXPECT_NE(t["status"], "TASK_FINISHED") << "a batch task ended first: " << run.dump(2);
  EXPECT_LE(batchCpus(), 6.0);
}

}  // namespace
}  // namespace agora::testing
