// The operator's event stream (/api/v1/events) on a real cluster: agents, frameworks and task
// changes in order with increasing ids, resume by Last-Event-ID, type filters, and the CLI
// commands that read the cluster (agora events, agents, frameworks, tasks, top).
#include <gtest/gtest.h>
#include <signal.h>

#include <httplib.h>

#include "tests/support/cli.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/http_stream_reader.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

using nlohmann::json;

std::vector<std::string> typesOf(const std::vector<SseEvent>& events) {
  std::vector<std::string> out;
  for (const SseEvent& e : events)
    if (!e.id.empty()) out.push_back(e.type);
  return out;
}

bool has(const HttpStreamReader& reader, const std::string& type, const std::string& needle = "") {
  for (const SseEvent& e : sseEvents(reader.body()))
    if (e.type == type && e.data.dump().find(needle) != std::string::npos) return true;
  return false;
}

// Runs `agora run` in the background (a task that sleeps) and gives its process.
Process runInBackground(const TestCluster& cluster, const std::string& name) {
  auto p = Process::start({AGORA_CLI_BIN, "run", "--master=" + cluster.master(), "--name=" + name, "--", "sleep 60"},
                          cluster.workDir() + "/" + name + ".log");
  EXPECT_TRUE(p.ok()) << p.error();
  return std::move(*p);
}

TEST(OperatorEventsTest, ReportsChangesInOrderAndResumesFromLastEventId) {
  TestCluster cluster;
  cluster.startMaster();
  HttpStreamReader all(cluster.masterHttp(), "GET", "/api/v1/events");
  ASSERT_EQ(all.status(), 200);
  EXPECT_EQ(all.header("Content-Type"), "text/event-stream");
  HttpStreamReader tasksOnly(cluster.masterHttp(), "GET", "/api/v1/events?type=TASK_ADDED,TASK_UPDATED");
  cluster.startAgents(1);
  ASSERT_TRUE(all.waitFor([&](const std::string&) { return has(all, "AGENT_ADDED"); })) << all.body();

  Process run = runInBackground(cluster, "evented");
  ASSERT_TRUE(all.waitFor([&](const std::string&) { return has(all, "TASK_UPDATED", "TASK_RUNNING"); })) << all.body();
  EXPECT_TRUE(has(all, "FRAMEWORK_ADDED"));
  run.stop(15);  // agora run kills its task as it goes
  ASSERT_TRUE(all.waitFor([&](const std::string&) { return has(all, "TASK_UPDATED", "TASK_KILLED"); })) << all.body();
  EXPECT_TRUE(all.waitFor([&](const std::string&) { return has(all, "UTILIZATION"); }, std::chrono::seconds(10)));

  std::vector<SseEvent> events = sseEvents(all.body());
  std::vector<SseEvent> kept;
  for (const SseEvent& e : events)
    if (!e.id.empty()) kept.push_back(e);
  for (size_t i = 1; i < kept.size(); ++i) EXPECT_LT(std::stoull(kept[i - 1].id), std::stoull(kept[i].id));
  // A task is added before it changes, and it runs before it is killed.
  std::vector<std::string> order;
  for (const SseEvent& e : kept)
    if (e.type == "TASK_ADDED") order.push_back("added");
    else if (e.type == "TASK_UPDATED") order.push_back(e.data["state"]);
  ASSERT_GE(order.size(), 3u);
  EXPECT_EQ(order.front(), "added");
  EXPECT_EQ(order.back(), "TASK_KILLED");
  EXPECT_EQ(kept.front().type, "AGENT_ADDED");
  EXPECT_EQ(kept.front().data["agent"]["state"], "active");
  for (const std::string& type : typesOf(sseEvents(tasksOnly.body()))) EXPECT_TRUE(type == "TASK_ADDED" || type == "TASK_UPDATED");
  EXPECT_FALSE(typesOf(sseEvents(tasksOnly.body())).empty());

  // A client that saw up to the agent's arrival gets exactly what followed, in order.
  HttpStreamReader resumed(cluster.masterHttp(), "GET", "/api/v1/events", "", {{"Last-Event-ID", kept.front().id}});
  ASSERT_TRUE(resumed.waitFor([&](const std::string&) { return typesOf(sseEvents(resumed.body())).size() >= kept.size() - 1; }))
      << resumed.body();
  std::vector<SseEvent> replay = sseEvents(resumed.body());
  std::erase_if(replay, [](const SseEvent& e) { return e.id.empty(); });
  ASSERT_GE(replay.size(), kept.size() - 1);
  for (size_t i = 1; i < kept.size(); ++i) {
    EXPECT_EQ(replay[i - 1].id, kept[i].id);
    EXPECT_EQ(replay[i - 1].type, kept[i].type);
  }
  // An id this master never gave (another master's, or garbage) is said so first.
  HttpStreamReader foreign(cluster.masterHttp(), "GET", "/api/v1/events", "", {{"Last-Event-ID", "99999999999999999"}});
  EXPECT_TRUE(foreign.waitFor([&](const std::string&) { return has(foreign, "EVENTS_LOST"); })) << foreign.body();
  httplib::Client client("http://" + cluster.masterHttp());
  auto bad = client.Get("/api/v1/events", httplib::Headers{{"Last-Event-ID", "yesterday"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto badType = client.Get("/api/v1/events?type=TASK_EXPLODED");
  ASSERT_TRUE(badType);
  EXPECT_EQ(badType->status, 400);
  EXPECT_NE(badType->body.find("TASK_UPDATED"), std::string::npos) << "the error lists the types";
}

TEST(OperatorEventsTest, DrainIsAnAgentUpdateAndPendingSaysWhy) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(1);
  std::string agentId = cluster.state()["agents"][0]["id"];
  HttpStreamReader events(cluster.masterHttp(), "GET", "/api/v1/events?type=AGENT_UPDATED");
  ASSERT_EQ(events.status(), 200);
  auto [code, out] = agora(cluster.workDir(), {"drain", "--master=" + cluster.master(), agentId, "--deadline=600"});
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(events.waitFor([&](const std::string&) { return has(events, "AGENT_UPDATED", "\"draining\":true"); }))
      << events.body();
  httplib::Client client("http://" + cluster.masterHttp());
  auto pending = client.Get("/api/v1/pending");
  ASSERT_TRUE(pending);
  EXPECT_NE(pending->body.find("\"kind\":\"draining\""), std::string::npos) << pending->body;
}

// A framework the operator tears down is reported removed; an agent that stops answering is
// reported unreachable and, past --agent_removal_timeout, removed.
TEST(OperatorEventsTest, TornDownFrameworksAndLostAgentsAreReported) {
  TestCluster cluster({"--agent_removal_timeout=2"});
  cluster.startMaster();
  cluster.startAgents(1);
  std::string agentId = cluster.state()["agents"][0]["id"];
  HttpStreamReader events(cluster.masterHttp(), "GET",
                          "/api/v1/events?type=FRAMEWORK_ADDED,FRAMEWORK_REMOVED,AGENT_UNREACHABLE,AGENT_REMOVED");
  ASSERT_EQ(events.status(), 200);

  Process run = runInBackground(cluster, "torn-down");
  ASSERT_TRUE(events.waitFor([&](const std::string&) { return has(events, "FRAMEWORK_ADDED"); })) << events.body();
  std::string frameworkId;
  for (const SseEvent& e : sseEvents(events.body()))
    if (e.type == "FRAMEWORK_ADDED") frameworkId = e.data["framework"]["id"];
  ASSERT_FALSE(frameworkId.empty()) << events.body();
  auto [code, out] = agora(cluster.workDir(), {"teardown", "--master=" + cluster.master(), frameworkId});
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(events.waitFor([&](const std::string&) { return has(events, "FRAMEWORK_REMOVED", frameworkId); }))
      << events.body();

  // Frozen, as a hung machine is: it misses its pings, then stays away past the timeout.
  ASSERT_EQ(kill(cluster.agentPid(0), SIGSTOP), 0);
  bool removed = events.waitFor([&](const std::string&) { return has(events, "AGENT_REMOVED", agentId); });
  kill(cluster.agentPid(0), SIGCONT);
  ASSERT_TRUE(removed) << events.body();
  std::vector<std::string> order;
  for (const SseEvent& e : sseEvents(events.body()))
    if (!e.id.empty() && e.data.dump().find(agentId) != std::string::npos) order.push_back(e.type);
  EXPECT_EQ(order, (std::vector<std::string>{"AGENT_UNREACHABLE", "AGENT_REMOVED"})) << events.body();
}

TEST(OperatorCliTest, ListsFollowsAndWatchesTheCluster) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(2);
  std::string master = "--master=" + cluster.master();
  Process run = runInBackground(cluster, "listed");
  ASSERT_TRUE(eventually([&] { return cluster.liveTasks() == 1 && cluster.state()["tasks"][0]["state"] == "TASK_RUNNING"; }));

  auto [agentsCode, agents] = agora(cluster.workDir(), {"agents", master});
  EXPECT_EQ(agentsCode, 0) << agents;
  EXPECT_NE(agents.find("active"), std::string::npos) << agents;
  auto [jsonCode, agentsJson] = agora(cluster.workDir(), {"agents", master, "--json"});
  ASSERT_EQ(jsonCode, 0) << agentsJson;
  EXPECT_EQ(json::parse(agentsJson).size(), 2u);
  auto [fwCode, frameworks] = agora(cluster.workDir(), {"frameworks", master});
  EXPECT_EQ(fwCode, 0) << frameworks;
  EXPECT_NE(frameworks.find("agora-run"), std::string::npos) << frameworks;
  auto [tasksCode, tasks] = agora(cluster.workDir(), {"tasks", master, "--state=TASK_RUNNING", "--json"});
  ASSERT_EQ(tasksCode, 0) << tasks;
  ASSERT_EQ(json::parse(tasks).size(), 1u) << tasks;
  auto [noneCode, none] = agora(cluster.workDir(), {"tasks", master, "--state=TASK_FINISHED", "--json"});
  EXPECT_EQ(json::parse(none).size(), 0u) << none;
  auto [topCode, top] = agora(cluster.workDir(), {"top", master, "--rounds=1", "--json"});
  ASSERT_EQ(topCode, 0) << top;
  json sample = json::parse(top);
  EXPECT_GT(sample["utilization"]["total"]["cpus"].get<double>(), 0);
  EXPECT_NEAR(sample["utilization"]["allocated"]["cpus"].get<double>(), 0.1, 1e-9);
  auto [topText, topOut] = agora(cluster.workDir(), {"top", master, "--rounds=1"});
  EXPECT_EQ(topText, 0) << topOut;
  EXPECT_NE(topOut.find("cpus"), std::string::npos) << topOut;

  // agora events follows the stream; a task launched meanwhile shows up.
  auto follower = Process::start({AGORA_CLI_BIN, "events", master, "--type=TASK_ADDED", "--max_events=1"},
                                 cluster.workDir() + "/events.log");
  ASSERT_TRUE(follower.ok());
  httplib::Client client("http://" + cluster.masterHttp());
  ASSERT_TRUE(eventually([&] {
    auto metrics = client.Get("/api/v1/metrics");
    return metrics && json::parse(metrics->body)["event_stream_subscribers"].get<int>() >= 1;
  })) << "agora events did not subscribe";
  Process second = runInBackground(cluster, "followed");
  EXPECT_EQ(follower->wait(), 0) << slurp(cluster.workDir() + "/events.log");
  EXPECT_NE(slurp(cluster.workDir() + "/events.log").find("(followed) TASK_STAGING"), std::string::npos)
      << slurp(cluster.workDir() + "/events.log");
  run.stop(15);
  second.stop(15);
}

}  // namespace
}  // namespace agora::testing
