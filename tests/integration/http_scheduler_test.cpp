// The HTTP scheduler API (Mesos v1 JSON) end to end on a real cluster: subscribe, offers, a
// launch, acknowledged updates, a reconnection under the framework id, malformed calls and
// wrong stream ids refused; and the Python example framework, which speaks only this API.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <set>

#include <httplib.h>

#include "tests/support/cli.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/http_stream_reader.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

using nlohmann::json;

std::pair<int, std::string> post(const std::string& master, const json& call, const std::string& streamId) {
  httplib::Client client("http://" + master);
  httplib::Headers headers;
  if (!streamId.empty()) headers.emplace("Mesos-Stream-Id", streamId);
  auto r = client.Post("/api/v1/scheduler", headers, call.dump(), "application/json");
  if (!r) return {0, httplib::to_string(r.error())};
  return {r->status, r->body};
}

json subscribeCall(const std::string& frameworkId = "") {
  json info = {{"user", "root"}, {"name", "http-test"}, {"roles", {"*"}}, {"failover_timeout", 60}};
  if (!frameworkId.empty()) info["id"] = {{"value", frameworkId}};
  json call = {{"type", "SUBSCRIBE"}, {"subscribe", {{"framework_info", info}}}};
  if (!frameworkId.empty()) call["framework_id"] = {{"value", frameworkId}};
  return call;
}

// The events of `reader` of `type`.
std::vector<json> eventsOf(const HttpStreamReader& reader, const std::string& type) {
  std::vector<json> out;
  for (json& e : recordIoEvents(reader.body()))
    if (e.value("type", "") == type) out.push_back(std::move(e));
  return out;
}

bool hasUpdate(const HttpStreamReader& reader, const std::string& taskId, const std::string& state) {
  for (const json& e : eventsOf(reader, "UPDATE")) {
    const json& s = e["update"]["status"];
    if (s["task_id"]["value"] == taskId && s["state"] == state) return true;
  }
  return false;
}

json task(const std::string& id, const json& agentId, const std::string& command) {
  return {{"name", id},
          {"task_id", {{"value", id}}},
          {"agent_id", agentId},
          {"command", {{"value", command}}},
          {"resources", json::array({{{"name", "cpus"}, {"type", "SCALAR"}, {"scalar", {{"value", 0.1}}}},
                                     {{"name", "mem"}, {"type", "SCALAR"}, {"scalar", {{"value", 32}}}}})}};
}

TEST(HttpSchedulerTest, SubscribesLaunchesAcknowledgesAndReconnects) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(1);
  const std::string master = cluster.masterHttp();

  auto stream = std::make_unique<HttpStreamReader>(master, "POST", "/api/v1/scheduler", subscribeCall().dump());
  ASSERT_EQ(stream->status(), 200) << stream->body();
  std::string streamId = stream->header("Mesos-Stream-Id");
  ASSERT_FALSE(streamId.empty());
  ASSERT_TRUE(stream->waitFor([&](const std::string&) { return !eventsOf(*stream, "OFFERS").empty(); })) << stream->body();
  json subscribed = eventsOf(*stream, "SUBSCRIBED").at(0)["subscribed"];
  std::string frameworkId = subscribed["framework_id"]["value"];
  EXPECT_GT(subscribed["heartbeat_interval_seconds"].get<double>(), 0);
  json offer = eventsOf(*stream, "OFFERS").at(0)["offers"]["offers"].at(0);
  EXPECT_EQ(offer["framework_id"]["value"], frameworkId);

  json launch = {{"type", "ACCEPT"},
                 {"framework_id", {{"value", frameworkId}}},
                 {"accept", {{"offer_ids", {offer["id"]}},
                             {"operations", {{{"type", "LAUNCH"},
                                              {"launch", {{"task_infos", {task("web-1", offer["agent_id"], "sleep 60")}}}}}}}}}};
  // A call on another stream's id, and one without an id, are refused; nothing is launched.
  auto [wrong, wrongBody] = post(master, launch, "stream-not-this-one");
  EXPECT_EQ(wrong, 400);
  EXPECT_NE(wrongBody.find("didn't match the stream ID"), std::string::npos) << wrongBody;
  auto [missing, missingBody] = post(master, launch, "");
  EXPECT_EQ(missing, 400);
  EXPECT_NE(missingBody.find("Mesos-Stream-Id"), std::string::npos) << missingBody;
  // A malformed call is answered 400 with the field named.
  json malformed = launch;
  malformed["accept"]["operations"][0]["launch"]["task_infos"][0].erase("task_id");
  auto [bad, badBody] = post(master, malformed, streamId);
  EXPECT_EQ(bad, 400);
  EXPECT_NE(badBody.find("accept.operations[0].launch.task_infos[0].task_id: missing"), std::string::npos) << badBody;
  auto [notJson, notJsonBody] = post(master, "{", streamId);
  EXPECT_EQ(notJson, 400) << notJsonBody;
  json badType = launch;
  badType["type"] = "LAUNCH_SOMETHING";
  EXPECT_EQ(post(master, badType, streamId).first, 400);

  auto [accepted, acceptedBody] = post(master, launch, streamId);
  ASSERT_EQ(accepted, 202) << acceptedBody;
  // Updates come in order, each resent until acknowledged: TASK_RUNNING follows only once
  // TASK_STARTING is acknowledged. `state` counts as reached only from the same read of the
  // stream whose updates were acknowledged, so the update that ends the wait is acknowledged too.
  std::set<std::string> acknowledged;
  auto acknowledging = [&](const std::string& id, const std::string& state) {
    return stream->waitFor([&](const std::string&) {
      bool reached = false;
      for (const json& e : eventsOf(*stream, "UPDATE")) {
        const json& s = e["update"]["status"];
        reached = reached || (s["task_id"]["value"] == "web-1" && s["state"] == state);
        if (!s.contains("uuid") || !acknowledged.insert(s["uuid"].get<std::string>()).second) continue;
        json ack = {{"type", "ACKNOWLEDGE"},
                    {"framework_id", {{"value", frameworkId}}},
                    {"acknowledge", {{"agent_id", s["agent_id"]}, {"task_id", s["task_id"]}, {"uuid", s["uuid"]}}}};
        EXPECT_EQ(post(master, ack, id).first, 202);
      }
      return reached;
    });
  };
  ASSERT_TRUE(acknowledging(streamId, "TASK_RUNNING")) << stream->body();
  std::string agentId = offer["agent_id"]["value"];
  EXPECT_TRUE(eventually([&] {
    json state = cluster.agentApi(agentId, "/api/v1/state");
    return state.is_object() && state["tasks"].size() == 1 && state["tasks"][0]["pending_updates"] == 0;
  })) << cluster.agentApi(agentId, "/api/v1/state").dump();

  // The scheduler goes away and comes back under its id: same framework, its task reconciled.
  stream->stop();
  stream = std::make_unique<HttpStreamReader>(master, "POST", "/api/v1/scheduler", subscribeCall(frameworkId).dump());
  ASSERT_EQ(stream->status(), 200) << stream->body();
  std::string newStreamId = stream->header("Mesos-Stream-Id");
  ASSERT_TRUE(stream->waitFor([&](const std::string&) { return !eventsOf(*stream, "SUBSCRIBED").empty(); }));
  EXPECT_EQ(eventsOf(*stream, "SUBSCRIBED")[0]["subscribed"]["framework_id"]["value"], frameworkId);
  EXPECT_EQ(post(master, {{"type", "RECONCILE"}, {"framework_id", {{"value", frameworkId}}}}, streamId).first, 400)
      << "the old stream's id no longer works";
  EXPECT_EQ(post(master, {{"type", "RECONCILE"}, {"framework_id", {{"value", frameworkId}}}, {"reconcile", {{"tasks", json::array()}}}},
                 newStreamId).first, 202);
  EXPECT_TRUE(stream->waitFor([&](const std::string&) { return hasUpdate(*stream, "web-1", "TASK_RUNNING"); }))
      << stream->body();

  json kill = {{"type", "KILL"}, {"framework_id", {{"value", frameworkId}}}, {"kill", {{"task_id", {{"value", "web-1"}}}}}};
  EXPECT_EQ(post(master, kill, newStreamId).first, 202);
  EXPECT_TRUE(acknowledging(newStreamId, "TASK_KILLED")) << stream->body();
  EXPECT_EQ(post(master, {{"type", "TEARDOWN"}, {"framework_id", {{"value", frameworkId}}}}, newStreamId).first, 202);
  EXPECT_TRUE(stream->waitFor([&](const std::string&) { return stream->ended(); })) << "teardown ends the stream";
  EXPECT_TRUE(eventually([&] { return cluster.state()["frameworks"].empty(); }));
}

// The kinds of reason the master gives for work that waits (GET /api/v1/pending).
std::set<std::string> pendingKinds(const std::string& master) {
  httplib::Client client("http://" + master);
  auto r = client.Get("/api/v1/pending");
  std::set<std::string> kinds;
  if (!r || r->status != 200) return kinds;
  json body = json::parse(r->body, nullptr, false);
  if (!body.is_object()) return kinds;
  for (const json& reason : body["reasons"]) kinds.insert(reason["kind"].get<std::string>());
  return kinds;
}

// DECLINE with a filter holds the agent back, SUPPRESS stops offers, and REVIVE lifts both:
// the declined agent is offered again. The master's pending reasons show each step.
TEST(HttpSchedulerTest, DeclineSuppressAndReviveShapeTheOffers) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(1);
  const std::string master = cluster.masterHttp();
  HttpStreamReader stream(master, "POST", "/api/v1/scheduler", subscribeCall().dump());
  ASSERT_EQ(stream.status(), 200) << stream.body();
  std::string streamId = stream.header("Mesos-Stream-Id");
  ASSERT_TRUE(stream.waitFor([&](const std::string&) { return !eventsOf(stream, "OFFERS").empty(); })) << stream.body();
  json fw = eventsOf(stream, "SUBSCRIBED").at(0)["subscribed"]["framework_id"];
  json offer = eventsOf(stream, "OFFERS").at(0)["offers"]["offers"].at(0);

  json decline = {{"type", "DECLINE"},
                  {"framework_id", fw},
                  {"decline", {{"offer_ids", {offer["id"]}}, {"filters", {{"refuse_seconds", 3600}}}}}};
  ASSERT_EQ(post(master, decline, streamId).first, 202);
  EXPECT_TRUE(eventually([&] { return pendingKinds(master).count("filtered") == 1; }));
  ASSERT_EQ(post(master, {{"type", "SUPPRESS"}, {"framework_id", fw}}, streamId).first, 202);
  EXPECT_TRUE(eventually([&] { return pendingKinds(master).count("suppressed") == 1; }));
  size_t offersBefore = eventsOf(stream, "OFFERS").size();

  ASSERT_EQ(post(master, {{"type", "REVIVE"}, {"framework_id", fw}}, streamId).first, 202);
  ASSERT_TRUE(stream.waitFor([&](const std::string&) { return eventsOf(stream, "OFFERS").size() > offersBefore; }))
      << "no offer after REVIVE: " << stream.body();
  json again = eventsOf(stream, "OFFERS").back()["offers"]["offers"].at(0);
  EXPECT_EQ(again["agent_id"], offer["agent_id"]) << "the filtered agent is offered again";
  EXPECT_NE(again["id"], offer["id"]);
  std::set<std::string> after = pendingKinds(master);
  EXPECT_EQ(after.count("filtered"), 0u);
  EXPECT_EQ(after.count("suppressed"), 0u);
}

TEST(HttpSchedulerTest, AnInvalidSubscriptionIsRefusedWithTheReason) {
  TestCluster cluster;
  cluster.startMaster();
  json call = subscribeCall();
  call["subscribe"]["framework_info"].erase("name");
  auto [code, body] = post(cluster.masterHttp(), call, "");
  EXPECT_EQ(code, 400);
  EXPECT_NE(body.find("subscribe.framework_info.name: missing"), std::string::npos) << body;
  call = subscribeCall();
  call["subscribe"]["framework_info"]["roles"] = {"no/../good"};
  std::tie(code, body) = post(cluster.masterHttp(), call, "");
  EXPECT_EQ(code, 400) << body;
  EXPECT_EQ(post(cluster.masterHttp(), {{"type", "KILL"}, {"framework_id", {{"value", "nobody"}}}, {"kill", {{"task_id", {{"value", "x"}}}}}}, "s").first,
            400);
}

// A scheduler that vanishes without a word (its connection cut) is taken for disconnected,
// as a ZeroMQ scheduler that stops answering pings is.
TEST(HttpSchedulerTest, ASchedulerWhoseStreamBreaksIsDisconnected) {
  TestCluster cluster;
  cluster.startMaster();
  auto stream = std::make_unique<HttpStreamReader>(cluster.masterHttp(), "POST", "/api/v1/scheduler", subscribeCall().dump());
  ASSERT_EQ(stream->status(), 200);
  ASSERT_TRUE(eventually([&] {
    json s = cluster.state();
    return s.is_object() && s["frameworks"].size() == 1 && s["frameworks"][0]["connected"] == true;
  }));
  EXPECT_EQ(cluster.state()["frameworks"][0]["transport"], "http");
  stream->stop();
  EXPECT_TRUE(eventually([&] { return cluster.state()["frameworks"][0]["connected"] == false; }));
}

// Mesos' FAILURE event: an agent the master removed is reported with its id.
TEST(HttpSchedulerTest, ARemovedAgentIsReportedAsAFailure) {
  TestCluster cluster({"--agent_removal_timeout=2"});
  cluster.startMaster();
  cluster.startAgents(1);
  std::string agentId = cluster.state()["agents"][0]["id"];
  HttpStreamReader stream(cluster.masterHttp(), "POST", "/api/v1/scheduler", subscribeCall().dump());
  ASSERT_EQ(stream.status(), 200) << stream.body();
  ASSERT_TRUE(stream.waitFor([&](const std::string&) { return !eventsOf(stream, "SUBSCRIBED").empty(); }));

  // Frozen, as a hung machine is: it misses its pings, then stays away past the timeout.
  ASSERT_EQ(kill(cluster.agentPid(0), SIGSTOP), 0);
  bool failed = stream.waitFor([&](const std::string&) { return !eventsOf(stream, "FAILURE").empty(); });
  kill(cluster.agentPid(0), SIGCONT);
  ASSERT_TRUE(failed) << stream.body();
  EXPECT_EQ(eventsOf(stream, "FAILURE"), std::vector<json>{json::parse(R"({"type": "FAILURE", "failure": {"agent_id": {"value": ")" + agentId + R"("}}})")})
      << stream.body();
}

TEST(PythonFrameworkTest, RunsTasksOnARealClusterAndExitsWithTheirResults) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(2);
  std::string script = std::string(AGORA_SOURCE_DIR) + "/frameworks/examples/python/run_tasks.py";
  std::string log = cluster.workDir() + "/python.log";
  auto run = [&](const std::string& command) {
    auto p = Process::start({"/usr/bin/python3", script, "--master=" + cluster.masterHttp(), "--tasks=4", "--command=" + command}, log);
    EXPECT_TRUE(p.ok()) << p.error();
    int status = p->wait();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_EQ(run("echo hello from $AGORA_TASK_ID"), 0) << slurp(log);
  std::string out = slurp(log);
  for (int i = 0; i < 4; ++i)
    EXPECT_NE(out.find("python-" + std::to_string(i) + " TASK_FINISHED"), std::string::npos) << out;
  EXPECT_EQ(run("exit 7"), 1) << slurp(log);
  EXPECT_NE(slurp(log).find("TASK_FAILED"), std::string::npos) << slurp(log);
}

}  // namespace
}  // namespace agora::testing
