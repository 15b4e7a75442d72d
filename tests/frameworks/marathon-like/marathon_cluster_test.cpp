// agora-marathon on a real cluster: a master, two agents with hostnames and attributes, and
// agora-marathon as processes on loopback, driven through its REST API and event stream.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "tests/support/marathon.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

using nlohmann::json;

class MarathonClusterTest : public ::testing::Test {
 protected:
  void startCluster(std::vector<std::string> marathonFlags = {}) {
    cluster_.startMaster();
    cluster_.startAgent({"--hostname=host-1", "--attributes=rack:r1"});
    cluster_.startAgent({"--hostname=host-2", "--attributes=rack:r2"});
    ASSERT_TRUE(eventually([&] { return cluster_.activeAgents() == 2; }));
    marathon_ = std::make_unique<MarathonProcess>(cluster_, std::move(marathonFlags));
    marathon_->start();
  }

  // A web server on PORT0 with an agent-run HTTP health check that passes once it listens.
  static json webApp(const std::string& id, int instances) {
    return {{"id", id},
            {"cmd", "exec python3 -m http.server $PORT0 --bind 127.0.0.1"},
            {"instances", instances},
            {"cpus", 0.1},
            {"mem", 64},
            {"healthChecks",
             {{{"protocol", "MESOS_HTTP"}, {"path", "/"}, {"gracePeriodSeconds", 20}, {"intervalSeconds", 2},
               {"timeoutSeconds", 1}, {"delaySeconds", 0}, {"maxConsecutiveFailures", 3}}}}};
  }

  // The app's tasks (a copy: a range-for over a member of a temporary would dangle).
  json tasksOf(const std::string& id) { return marathon_->app(id)["tasks"]; }

  HttpResult post(const std::string& target, const json& body) { return marathon_->call("POST", target, body.dump()); }
  HttpResult put(const std::string& target, const json& body) { return marathon_->call("PUT", target, body.dump()); }

  // The framework's tasks the master has that are not terminal.
  int liveTasksAtMaster() {
    json s = cluster_.state();
    int n = 0;
    for (const json& t : s["tasks"]) {
      std::string state = t.value("state", "");
      n += state == "TASK_RUNNING" || state == "TASK_STAGING" || state == "TASK_STARTING";
    }
    return n;
  }

  TestCluster cluster_;
  std::unique_ptr<MarathonProcess> marathon_;
};

TEST_F(MarathonClusterTest, HealthCheckedAppBecomesHealthyAndScalesWithItsKillSelection) {
  startCluster();
  HttpResult created = post("/v2/apps", webApp("/web", 3));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.headers["Location"], "/v2/apps/web");
  EXPECT_FALSE(created.headers["Marathon-Deployment-Id"].empty());
  EXPECT_EQ(created.json["deployments"][0]["id"], created.headers["Marathon-Deployment-Id"]);
  ASSERT_TRUE(marathon_->waitForApp("/web", 3)) << marathon_->app("/web").dump() << "; see " << marathon_->log();

  std::set<std::string> firstThree;
  for (const json& t : tasksOf("/web")) firstThree.insert(t["id"]);
  HttpResult scaled = put("/v2/apps/web", {{"instances", 5}});
  ASSERT_EQ(scaled.status, 200) << scaled.body;
  EXPECT_TRUE(scaled.json.contains("deploymentId") && scaled.json.contains("version"));
  ASSERT_TRUE(marathon_->waitForApp("/web", 5)) << marathon_->app("/web").dump();

  ASSERT_EQ(put("/v2/apps/web", {{"instances", 2}}).status, 200);
  ASSERT_TRUE(marathon_->waitForApp("/web", 2)) << marathon_->app("/web").dump();
  // YOUNGEST_FIRST: the two launched by the scale-up (later than the first three) go first.
  for (const json& t : tasksOf("/web")) EXPECT_TRUE(firstThree.count(t["id"])) << t["id"] << " is one of the youngest";
  EXPECT_TRUE(eventually([&] { return liveTasksAtMaster() == 2; })) << cluster_.state()["tasks"].dump();
  json tasks = marathon_->call("GET", "/v2/apps/web/tasks").json["tasks"];
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0]["healthCheckResults"][0]["alive"], true);
  EXPECT_EQ(tasks[0]["state"], "TASK_RUNNING");
}

TEST_F(MarathonClusterTest, RollingRestartNeverHasFewerHealthyThanTheMinimum) {
  startCluster();
  json app = webApp("/roll", 4);
  app["upgradeStrategy"] = {{"minimumHealthCapacity", 0.5}, {"maximumOverCapacity", 0}};
  ASSERT_EQ(post("/v2/apps", app).status, 201);
  ASSERT_TRUE(marathon_->waitForApp("/roll", 4)) << marathon_->app("/roll").dump();
  EventClient events(marathon_->port());
  ASSERT_TRUE(events.waitFor([](const auto& e) { return !e.empty(); })) << "no event_stream_attached";
  std::set<std::string> healthy;
  for (const json& t : tasksOf("/roll")) healthy.insert(t["id"].get<std::string>().substr(0, t["id"].get<std::string>().find("._app")));
  HttpResult restart = post("/v2/apps/roll/restart", json::object());
  ASSERT_EQ(restart.status, 200) << restart.body;
  std::string id = restart.json["deploymentId"];
  ASSERT_TRUE(events.waitFor([&](const auto& list) {
    return std::any_of(list.begin(), list.end(),
                       [&](const MarathonEvent& e) { return e.type == "deployment_success" && e.data["id"] == id; });
  })) << marathon_->log();
  // Replay the stream: an instance is healthy from its health_status_changed_event (alive)
  // until it is unhealthy or its task leaves TASK_RUNNING.
  size_t lowest = healthy.size();
  for (const MarathonEvent& e : events.events()) {
    if (e.type == "health_status_changed_event") {
      if (e.data["alive"] == true) healthy.insert(e.data["instanceId"]);
      else healthy.erase(e.data["instanceId"]);
    } else if (e.type == "status_update_event" && e.data["taskStatus"] != "TASK_RUNNING") {
      healthy.erase(e.data["instanceId"]);
    }
    lowest = std::min(lowest, healthy.size());
  }
  EXPECT_GE(lowest, 2u) << "minimumHealthCapacity 0.5 of 4";
  EXPECT_EQ(healthy.size(), 4u);
  ASSERT_TRUE(marathon_->waitForApp("/roll", 4));
  EXPECT_TRUE(eventually([&] { return liveTasksAtMaster() == 4; }));
}

TEST_F(MarathonClusterTest, ADeploymentWhoseHealthCheckNeverPassesFailsWithAReasonAndRollsBack) {
  startCluster({"--deployment_progress_deadline=4"});
  ASSERT_EQ(post("/v2/apps", webApp("/svc", 2)).status, 201);
  ASSERT_TRUE(marathon_->waitForApp("/svc", 2));
  EventClient events(marathon_->port(), std::nullopt, "event_type=deployment_failed");
  // The new version listens nowhere: its check is refused, for ever.
  json broken = webApp("/svc", 2);
  broken["cmd"] = "exec sleep 1000";
  broken["healthChecks"][0]["path"] = "/health";
  broken["healthChecks"][0]["maxConsecutiveFailures"] = 0;
  broken["healthChecks"][0]["gracePeriodSeconds"] = 0;
  HttpResult update = put("/v2/apps/svc", broken);
  ASSERT_EQ(update.status, 200) << update.body;
  std::string id = update.json["deploymentId"];
  ASSERT_TRUE(events.waitFor([](const auto& e) { return !e.empty(); })) << marathon_->log();
  MarathonEvent failed = events.events().at(0);
  EXPECT_EQ(failed.data["id"], id);
  std::string reason = failed.data["reason"];
  EXPECT_NE(reason.find("2 of 2 new instances unhealthy (health check MESOS_HTTP GET /health)"), std::string::npos) << reason;
  EXPECT_NE(reason.find("Connection refused"), std::string::npos) << reason;
  // What ran keeps running; the failed deployment is listed until it is rolled back.
  EXPECT_EQ(marathon_->app("/svc")["tasksHealthy"], 2) << marathon_->app("/svc").dump();
  json listed = marathon_->call("GET", "/v2/deployments").json;
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["failureReason"], reason.substr(0, listed[0]["failureReason"].get<std::string>().size()));
  HttpResult rollback = marathon_->call("DELETE", "/v2/deployments/" + id);
  ASSERT_EQ(rollback.status, 200) << rollback.body;
  EXPECT_NE(rollback.json["deploymentId"], id);
  ASSERT_TRUE(marathon_->waitForApp("/svc", 2)) << marathon_->app("/svc").dump();
  EXPECT_EQ(marathon_->app("/svc")["cmd"], webApp("/svc", 2)["cmd"]);
  EXPECT_TRUE(eventually([&] { return liveTasksAtMaster() == 2; })) << "the broken version's tasks were not all killed";
}

TEST_F(MarathonClusterTest, UniqueHostnameRunsOnePerAgentAndTheQueueSaysWhyNotMore) {
  startCluster();
  json app = {{"id", "/uniq"}, {"cmd", "exec sleep 1000"}, {"instances", 3}, {"cpus", 0.1}, {"mem", 32},
              {"constraints", json::array({json::array({"hostname", "UNIQUE"})})}};
  HttpResult created = post("/v2/apps", app);
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_TRUE(eventually([&] { return marathon_->app("/uniq")["tasksRunning"] == 2; }));
  json entry;
  ASSERT_TRUE(eventually([&] {
    json q = marathon_->call("GET", "/v2/queue").json["queue"];
    if (q.size() != 1) return false;
    entry = q[0];
    return entry["declinedOffers"].value("UnfulfilledConstraint", 0) >= 2;
  })) << entry.dump();
  EXPECT_EQ(entry["app"]["id"], "/uniq");
  EXPECT_EQ(entry["count"], 1);
  std::string reasons = entry["reasons"].dump();
  EXPECT_NE(reasons.find("already runs a task of the app (UNIQUE)"), std::string::npos) << reasons;
  EXPECT_EQ(marathon_->app("/uniq")["tasksRunning"], 2) << "never more than one per hostname";
}

TEST_F(MarathonClusterTest, AGroupDeploysInDependencyOrderWithIndependentAppsInOneStep) {
  startCluster();
  json group = {{"id", "/shop"},
                {"apps",
                 {webApp("db", 1), webApp("cache", 1),
                  [] {
                    json web = webApp("web", 1);
                    web["dependencies"] = {"db", "cache"};
                    return web;
                  }()}}};
  HttpResult created = post("/v2/groups", group);
  ASSERT_EQ(created.status, 201) << created.body;
  json deployments = marathon_->call("GET", "/v2/deployments").json;
  ASSERT_EQ(deployments.size(), 1u);
  json steps = deployments[0]["steps"];
  ASSERT_EQ(steps.size(), 2u) << steps.dump();
  EXPECT_EQ(steps[0]["actions"].size(), 2u) << "db and cache deploy in the same step: " << steps.dump();
  EXPECT_EQ(steps[1]["actions"][0]["app"], "/shop/web");
  for (const char* id : {"/shop/db", "/shop/cache", "/shop/web"}) ASSERT_TRUE(marathon_->waitForApp(id, 1)) << id;
  // web started only once both of its dependencies were healthy.
  std::string webStaged = marathon_->app("/shop/web")["tasks"][0]["stagedAt"];
  for (const char* dep : {"/shop/db", "/shop/cache"})
    EXPECT_GT(webStaged, marathon_->app(dep)["tasks"][0]["startedAt"].get<std::string>()) << dep;
  json tree = marathon_->call("GET", "/v2/groups").json;
  ASSERT_EQ(tree["groups"].size(), 1u);
  EXPECT_EQ(tree["groups"][0]["id"], "/shop");
  EXPECT_EQ(tree["groups"][0]["apps"].size(), 3u);
  ASSERT_EQ(marathon_->call("DELETE", "/v2/groups/shop").status, 200);
  EXPECT_TRUE(eventually([&] { return liveTasksAtMaster() == 0; }))
      << marathon_->call("GET", "/v2/deployments").body << "\n" << cluster_.state()["tasks"].dump();
  EXPECT_EQ(marathon_->call("GET", "/v2/apps").json["apps"].size(), 0u);
}

TEST_F(MarathonClusterTest, SurvivesItsOwnSigkillMidDeploymentAndAnAgentRestartAndReplacesADeadTask) {
  TempDir pids("marathon-pids");
  startCluster();
  json app = webApp("/keep", 4);
  app["cmd"] = "echo $$ > " + pids.path() + "/$MESOS_TASK_ID; exec python3 -m http.server $PORT0 --bind 127.0.0.1";
  app["backoffSeconds"] = 1;
  ASSERT_EQ(post("/v2/apps", app).status, 201);
  ASSERT_TRUE(eventually([&] { return marathon_->app("/keep")["tasksRunning"].get<int>() >= 1; }));
  marathon_->stop(SIGKILL);  // in the middle of the deployment
  marathon_->start();
  ASSERT_TRUE(marathon_->waitForApp("/keep", 4)) << marathon_->app("/keep").dump() << "; see " << marathon_->log();
  EXPECT_TRUE(eventually([&] { return liveTasksAtMaster() == 4; })) << "a duplicate instance: " << cluster_.state()["tasks"].dump();
  std::set<std::string> before;
  for (const json& t : tasksOf("/keep")) before.insert(t["id"]);

  // An agent SIGKILLed and started again keeps its tasks: the same four run on.
  cluster_.stopAgent(0, SIGKILL);
  cluster_.restartAgent(0);
  ASSERT_TRUE(eventually([&] { return cluster_.activeAgents() == 2; }));
  ASSERT_TRUE(marathon_->waitForApp("/keep", 4));
  std::set<std::string> after;
  for (const json& t : tasksOf("/keep")) after.insert(t["id"]);
  EXPECT_EQ(after, before);

  // A task that dies is replaced (after its backoff) by a new instance.
  std::string victim = *before.begin();
  std::ifstream pidFile(pids.path() + "/" + victim);
  pid_t pid = 0;
  pidFile >> pid;
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] {
    json a = marathon_->app("/keep");
    return a.contains("lastTaskFailure") && a["lastTaskFailure"]["taskId"] == victim;
  })) << marathon_->app("/keep").dump();
  ASSERT_TRUE(marathon_->waitForApp("/keep", 4));
  std::set<std::string> replaced;
  for (const json& t : tasksOf("/keep")) replaced.insert(t["id"]);
  EXPECT_FALSE(replaced.count(victim));
  EXPECT_EQ(replaced.size(), 4u);
  EXPECT_TRUE(eventually([&] { return liveTasksAtMaster() == 4; }));
}

TEST_F(MarathonClusterTest, AnEventClientThatReconnectsGetsEveryEventOnceInOrder) {
  startCluster();
  EventClient whole(marathon_->port());
  ASSERT_TRUE(whole.waitFor([](const auto& e) { return !e.empty(); }));
  auto first = std::make_unique<EventClient>(marathon_->port());
  ASSERT_TRUE(first->waitFor([](const auto& e) { return !e.empty(); }));
  json app = {{"id", "/ev"}, {"cmd", "exec sleep 1000"}, {"instances", 2}, {"cpus", 0.1}, {"mem", 32}};
  ASSERT_EQ(post("/v2/apps", app).status, 201);
  ASSERT_TRUE(first->waitFor([](const auto& list) {
    return std::any_of(list.begin(), list.end(), [](const MarathonEvent& e) { return e.type == "deployment_success"; });
  }));
  std::vector<MarathonEvent> seen = first->events();
  first->close();
  // Changes while the client is away.
  ASSERT_EQ(put("/v2/apps/ev", {{"instances", 3}}).status, 200);
  ASSERT_TRUE(marathon_->waitForApp("/ev", 3));
  EventClient resumed(marathon_->port(), seen.back().id);
  ASSERT_EQ(marathon_->call("DELETE", "/v2/apps/ev").status, 200);
  auto done = [](const auto& list) {
    return std::any_of(list.begin(), list.end(), [](const MarathonEvent& e) { return e.type == "app_terminated_event"; });
  };
  ASSERT_TRUE(resumed.waitFor(done));
  ASSERT_TRUE(whole.waitFor(done));
  std::vector<MarathonEvent> joined = seen;
  for (const MarathonEvent& e : resumed.events()) joined.push_back(e);
  // The whole stream, from the first client's first event on, is what the two received.
  std::vector<MarathonEvent> all = whole.events();
  auto start = std::find_if(all.begin(), all.end(), [&](const MarathonEvent& e) { return e.id == seen.front().id; });
  ASSERT_NE(start, all.end());
  size_t k = 0;
  for (auto it = start; it != all.end() && k < joined.size(); ++it, ++k) {
    EXPECT_EQ(it->id, joined[k].id);
    EXPECT_EQ(it->type, joined[k].type);
  }
  for (size_t i = 1; i < joined.size(); ++i) EXPECT_EQ(joined[i].id, joined[i - 1].id + 1) << "a gap or a repeat";
}

TEST_F(MarathonClusterTest, BadDefinitionsGetMarathonsErrorShapes) {
  startCluster();
  HttpResult bad = marathon_->call("POST", "/v2/apps", "{\"id\": \"/x\",");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json["message"], "Invalid JSON");
  EXPECT_TRUE(bad.json["details"].is_string());
  HttpResult invalid = post("/v2/apps", {{"id", "/x"}, {"cmd", "y"}, {"instances", -1}});
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(invalid.json["message"], "Object is not valid");
  EXPECT_EQ(invalid.json["details"][0]["path"], "/instances");
  HttpResult typed = post("/v2/apps", {{"id", "/x"}, {"cmd", "y"}, {"mem", "lots"}});
  EXPECT_EQ(typed.status, 422);
  EXPECT_EQ(typed.json["message"], "Invalid JSON");
  EXPECT_EQ(typed.json["details"][0], json({{"path", "/mem"}, {"errors", {"error.expected.jsnumber"}}}));
  HttpResult docker = post("/v2/apps", {{"id", "/x"}, {"cmd", "y"}, {"container", {{"type", "DOCKER"}, {"docker", {{"image", "nginx"}}}}}});
  EXPECT_EQ(docker.status, 422);
  EXPECT_EQ(docker.json["details"][0]["path"], "/container");
  EXPECT_EQ(marathon_->call("GET", "/v2/apps/nope").json["message"], "App '/nope' does not exist");
  EXPECT_EQ(marathon_->call("GET", "/v2/apps/nope").status, 404);
  json slow = webApp("/slow", 1);
  slow["healthChecks"][0]["path"] = "/never";
  slow["cmd"] = "exec sleep 1000";
  ASSERT_EQ(post("/v2/apps", slow).status, 201);
  HttpResult again = post("/v2/apps", slow);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.json["message"], "An app with id [/slow] already exists.");
  HttpResult locked = put("/v2/apps/slow", {{"instances", 2}});
  EXPECT_EQ(locked.status, 409);
  EXPECT_EQ(locked.json["deployments"].size(), 1u);
  EXPECT_EQ(put("/v2/apps/slow?force=true", {{"instances", 0}}).status, 200) << "force=true overrides the lock";
  EXPECT_EQ(marathon_->call("GET", "/ping").body, "pong");
}

TEST_F(MarathonClusterTest, TheRestOfTheApiAnswersAsMarathonsDoes) {
  startCluster();
  json app = {{"id", "/api/svc"}, {"cmd", "exec sleep 1000"}, {"instances", 2}, {"cpus", 0.1}, {"mem", 32}};
  ASSERT_EQ(post("/v2/apps", app).status, 201);
  ASSERT_TRUE(marathon_->waitForApp("/api/svc", 2));
  std::string first = marathon_->app("/api/svc")["version"];
  // PATCH changes the fields it names; versions list newest first; PUT {"version"} rolls back.
  HttpResult patched = marathon_->call("PATCH", "/v2/apps/api/svc", json{{"cmd", "exec sleep 2000"}}.dump());
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.headers["Marathon-Deployment-Id"], patched.json["deploymentId"]);
  ASSERT_TRUE(marathon_->waitForApp("/api/svc", 2));
  json versions = marathon_->call("GET", "/v2/apps/api/svc/versions").json["versions"];
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[1], first);
  EXPECT_EQ(marathon_->call("GET", "/v2/apps/api/svc/versions/" + first).json["cmd"], "exec sleep 1000");
  ASSERT_EQ(put("/v2/apps/api/svc", {{"version", first}}).status, 200);
  ASSERT_TRUE(marathon_->waitForApp("/api/svc", 2));
  EXPECT_EQ(marathon_->app("/api/svc")["cmd"], "exec sleep 1000");
  EXPECT_EQ(marathon_->call("PATCH", "/v2/apps/api/nope", "{}").status, 404);

  // Killing a task with scale=true lowers the count; without, it is replaced; wipe too.
  json tasks = tasksOf("/api/svc");
  HttpResult scaled = marathon_->call("DELETE", "/v2/apps/api/svc/tasks/" + tasks[0]["id"].get<std::string>() + "?scale=true");
  ASSERT_EQ(scaled.status, 200) << scaled.body;
  EXPECT_TRUE(scaled.json.contains("deploymentId"));
  ASSERT_TRUE(marathon_->waitForApp("/api/svc", 1));
  EXPECT_EQ(marathon_->app("/api/svc")["instances"], 1);
  std::string only = tasksOf("/api/svc")[0]["id"];
  HttpResult wiped = marathon_->call("POST", "/v2/tasks/delete?wipe=true", json{{"ids", {only, only}}}.dump());
  ASSERT_EQ(wiped.status, 200) << wiped.body;
  EXPECT_EQ(wiped.json["tasks"].size(), 1u) << "an id given twice is one task";
  ASSERT_TRUE(eventually([&] {
    json t = tasksOf("/api/svc");
    return t.size() == 1 && t[0]["id"] != only && t[0]["state"] == "TASK_RUNNING";
  })) << "the wiped instance was not replaced";
  EXPECT_EQ(marathon_->call("DELETE", "/v2/apps/api/svc/tasks?scale=true&wipe=true").status, 400);

  // /v2/tasks as JSON and as Marathon's text; the group tree, a dry run and scaleBy.
  EXPECT_EQ(marathon_->call("GET", "/v2/tasks").json["tasks"].size(), 1u);
  HttpResult text = marathon_->call("GET", "/v2/tasks", "", {{"Accept", "text/plain"}});
  EXPECT_EQ(text.body.rfind("api_svc\t", 0), 0u) << text.body;
  HttpResult dry = marathon_->call("PUT", "/v2/groups/api?dryRun=true", json{{"scaleBy", 3}}.dump());
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(dry.json["steps"][0]["actions"][0], json({{"action", "ScaleApplication"}, {"app", "/api/svc"}}));
  EXPECT_EQ(marathon_->app("/api/svc")["instances"], 1) << "a dry run changes nothing";
  ASSERT_EQ(marathon_->call("PUT", "/v2/groups/api", json{{"scaleBy", 3}}.dump()).status, 200);
  ASSERT_TRUE(marathon_->waitForApp("/api/svc", 3));
  EXPECT_EQ(marathon_->call("GET", "/v2/groups/api").json["apps"].size(), 1u);
  EXPECT_EQ(marathon_->call("GET", "/v2/groups/nope").status, 404);

  // A crashing app waits in the queue with its backoff; DELETE on its delay launches it now.
  json crash = {{"id", "/api/crash"}, {"cmd", "exit 1"}, {"cpus", 0.1}, {"mem", 32}, {"backoffSeconds", 300}};
  ASSERT_EQ(post("/v2/apps", crash).status, 201);
  json entry;
  ASSERT_TRUE(eventually([&] {
    json q = marathon_->call("GET", "/v2/queue").json["queue"];
    for (const json& e : q)
      if (e["app"]["id"] == "/api/crash") entry = e;
    return !entry.is_null() && entry["delay"]["timeLeftSeconds"] > 0;
  })) << marathon_->call("GET", "/v2/queue").body;
  std::string crashed = marathon_->app("/api/crash")["lastTaskFailure"]["taskId"];
  EXPECT_EQ(marathon_->call("DELETE", "/v2/queue/api/crash/delay").status, 204);
  EXPECT_EQ(marathon_->call("DELETE", "/v2/queue/api/none/delay").json["message"], "Application /api/none not found in tasks queue.");
  EXPECT_TRUE(eventually([&] {
    json a = marathon_->app("/api/crash");
    return a.contains("lastTaskFailure") && a["lastTaskFailure"]["taskId"] != crashed;
  })) << "not launched again after the delay was reset";

  // The service endpoints.
  EXPECT_EQ(marathon_->call("GET", "/v2/info").json["name"], "agora-marathon");
  EXPECT_FALSE(marathon_->call("GET", "/v2/info").json["frameworkId"].get<std::string>().empty());
  EXPECT_EQ(marathon_->call("GET", "/v2/leader").json["leader"], "127.0.0.1:" + std::to_string(marathon_->port()));
  std::string metrics = marathon_->call("GET", "/metrics").body;
  EXPECT_NE(metrics.find("\nagora_marathon_apps 2\n"), std::string::npos) << metrics;
  EXPECT_EQ(marathon_->call("DELETE", "/v2/groups/api").status, 200);
  EXPECT_TRUE(eventually([&] { return liveTasksAtMaster() == 0; }));
}

}  // namespace
}  // namespace agora::testing
