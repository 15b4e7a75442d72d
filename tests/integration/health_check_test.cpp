// Health and readiness checks on real processes: run by the task's supervisor on the agent,
// reported in the task's statuses, and ending the task after too many failures in a row,
// whether or not the agent is up.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

class HealthCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster.startMaster();
    cluster.startAgents(1);
    port = cluster.state()["agents"][0]["resources"]["ports"][0][0];
  }

  // A task serving its sandbox over HTTP on $PORT0 (python's server), beside a sleep that
  // keeps the task alive when the server stops; the server's pid is in server.pid.
  TaskInfo webTask(const std::string& id) {
    TaskInfo task = shellTask(id, "python3 -m http.server $PORT0 --bind 127.0.0.1 >/dev/null 2>&1 & "
                                  "echo $! > server.pid; exec sleep 600");
    (void)task.resources.add(Resource::range("ports", {{port, port}}));
    task.ports = {{port, "http"}};
    return task;
  }

  static HealthCheck quickCheck(CheckKind kind) {
    HealthCheck h;
    h.kind = kind;
    h.delaySeconds = 0;
    h.intervalSeconds = 0.2;
    h.timeoutSeconds = 0.5;
    h.gracePeriodSeconds = 60;  // until the first success: the server takes a moment to listen
    h.maxConsecutiveFailures = 3;
    return h;
  }

  // The first RUNNING update that says the task's health is `healthy`.
  static std::optional<TaskStatus> waitForHealth(TestFramework& fw, const std::string& id, bool healthy) {
    std::optional<TaskStatus> found;
    fw.scheduler.waitFor([&] {
      for (const TaskStatus& s : fw.scheduler.updatesFor(id))
        if (s.reason == TaskReason::HEALTH_CHECK_STATUS_UPDATED && s.healthy == healthy) found = s;
      return found.has_value();
    });
    return found;
  }

  // The agent's own FAILED update (not a reconciliation answer).
  static std::optional<TaskStatus> waitForAgentFailure(TestFramework& fw, const std::string& id) {
    std::optional<TaskStatus> found;
    fw.scheduler.waitFor([&] {
      for (const TaskStatus& s : fw.scheduler.updatesFor(id))
        if (s.state == TaskState::FAILED && !s.fromMaster) found = s;
      return found.has_value();
    });
    return found;
  }

  static pid_t serverPid(const TaskStatus& status) {
    pid_t pid = 0;
    eventually([&] {
      std::ifstream in(status.sandbox + "/server.pid");
      return static_cast<bool>(in >> pid);
    });
    return pid;
  }

  static void touch(const std::string& path) { std::ofstream(path) << "x"; }

  TestCluster cluster;
  uint64_t port = 0;
};

TEST_F(HealthCheckTest, AnHttpServerIsHealthyUntilItStopsAnsweringThenItIsKilled) {
  TestFramework fw(cluster.master(), "health-http");
  TaskInfo task = webTask("web");
  task.healthCheck = quickCheck(CheckKind::HTTP);
  task.healthCheck->port.index = 0;
  fw.scheduler.queue(task);
  auto healthy = waitForHealth(fw, "web", true);
  ASSERT_TRUE(healthy) << "never healthy";
  EXPECT_EQ(healthy->state, TaskState::RUNNING);
  EXPECT_NE(healthy->message.find("answered 200"), std::string::npos) << healthy->message;
  ASSERT_TRUE(eventually([&] {
    nlohmann::json state = cluster.state();  // held: the loop below reads into it
    for (const auto& t : state["tasks"])
      if (t["id"] == "web") return t["status"].value("healthy", false);
    return false;
  })) << "the state API does not show the task healthy";

  // Stopped, the server still accepts connections (the kernel does) but answers nothing.
  ASSERT_EQ(kill(serverPid(*healthy), SIGSTOP), 0);
  auto failed = waitForAgentFailure(fw, "web");
  ASSERT_TRUE(failed) << "the task was not killed";
  EXPECT_EQ(failed->reason, TaskReason::HEALTH_CHECK_FAILED) << failed->message;
  EXPECT_NE(failed->message.find("failed 3 times in a row"), std::string::npos) << failed->message;
  EXPECT_NE(failed->message.find("timeout of 0.5 s"), std::string::npos) << failed->message;
  EXPECT_EQ(failed->healthy, false);
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  int unhealthy = 0;
  for (const TaskStatus& s : fw.scheduler.updatesFor("web"))
    unhealthy += s.reason == TaskReason::HEALTH_CHECK_STATUS_UPDATED && s.healthy == false;
  EXPECT_EQ(unhealthy, 1) << "health news is sent when health changes, not on each failure";
}

TEST_F(HealthCheckTest, ACommandCheckRunsInTheSandboxAndEndsTheTaskWhenItFails) {
  TestFramework fw(cluster.master(), "health-command");
  TaskInfo task = shellTask("worker", "exec sleep 600");
  task.healthCheck = quickCheck(CheckKind::COMMAND);
  task.healthCheck->command.value = "test ! -e sick && test \"$AGORA_TASK_ID\" = worker";
  task.healthCheck->maxConsecutiveFailures = 2;
  fw.scheduler.queue(task);
  auto healthy = waitForHealth(fw, "worker", true);
  ASSERT_TRUE(healthy) << "never healthy";
  touch(healthy->sandbox + "/sick");
  auto failed = waitForAgentFailure(fw, "worker");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->reason, TaskReason::HEALTH_CHECK_FAILED) << failed->message;
  EXPECT_NE(failed->message.find("failed 2 times in a row (its maximum); last: the check command exited with status 1"),
            std::string::npos)
      << failed->message;
}

TEST_F(HealthCheckTest, ATcpCheckFailsOnceNothingListens) {
  TestFramework fw(cluster.master(), "health-tcp");
  TaskInfo task = webTask("tcp");
  task.healthCheck = quickCheck(CheckKind::TCP);
  task.healthCheck->port.name = "http";
  fw.scheduler.queue(task);
  auto healthy = waitForHealth(fw, "tcp", true);
  ASSERT_TRUE(healthy) << "never healthy";
  EXPECT_NE(healthy->message.find("connected to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << healthy->message;
  ASSERT_EQ(kill(serverPid(*healthy), SIGKILL), 0);
  auto failed = waitForAgentFailure(fw, "tcp");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->reason, TaskReason::HEALTH_CHECK_FAILED) << failed->message;
  EXPECT_NE(failed->message.find("Connection refused"), std::string::npos) << failed->message;
}

TEST_F(HealthCheckTest, TheSupervisorKeepsCheckingWhileTheAgentIsDown) {
  TestFramework fw(cluster.master(), "health-restart");
  TaskInfo task = shellTask("svc", "exec sleep 600");
  task.healthCheck = quickCheck(CheckKind::COMMAND);
  task.healthCheck->command.value = "test ! -e sick";
  fw.scheduler.queue(task);
  auto healthy = waitForHealth(fw, "svc", true);
  ASSERT_TRUE(healthy) << "never healthy";

  cluster.stopAgent(0, SIGKILL);
  touch(healthy->sandbox + "/sick");
  // With no agent to tell, the supervisor ends the task and records why.
  namespace fs = std::filesystem;
  ASSERT_TRUE(eventually([&] {
    std::error_code ec;
    for (const auto& c : fs::directory_iterator(cluster.agentWorkDir(0) + "/meta/containers", ec))
      if (fs::exists(c.path() / "exit.json")) return true;
    return false;
  })) << "the supervisor did not end the task while the agent was down";

  cluster.restartAgent(0);
  auto failed = waitForAgentFailure(fw, "svc");
  ASSERT_TRUE(failed) << "the restarted agent did not report the end";
  EXPECT_EQ(failed->reason, TaskReason::HEALTH_CHECK_FAILED) << failed->message;
  EXPECT_EQ(failed->healthy, false);
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  int healthyNews = 0;
  for (const TaskStatus& s : fw.scheduler.updatesFor("svc"))
    healthyNews += s.reason == TaskReason::HEALTH_CHECK_STATUS_UPDATED && s.healthy == true;
  EXPECT_EQ(healthyNews, 1) << "the restarted agent told the framework again what it knew";
}

TEST_F(HealthCheckTest, ReadinessIsReportedOnceAndKillsNothing) {
  TestFramework fw(cluster.master(), "readiness");
  TaskInfo task = webTask("app");
  ReadinessCheck ready;
  ready.path = "/ready";  // python's server answers 404 until the sandbox has that file
  ready.port.name = "http";
  ready.intervalSeconds = 0.2;
  ready.timeoutSeconds = 0.5;
  task.readinessCheck = ready;
  fw.scheduler.queue(task);
  auto running = fw.scheduler.waitForState("app", TaskState::RUNNING);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->ready, false);
  touch(running->sandbox + "/ready");
  std::optional<TaskStatus> news;
  ASSERT_TRUE(fw.scheduler.waitFor([&] {
    for (const TaskStatus& s : fw.scheduler.updatesFor("app"))
      if (s.reason == TaskReason::READINESS_CHECK_STATUS_UPDATED) news = s;
    return news.has_value();
  }));
  EXPECT_EQ(news->state, TaskState::RUNNING);
  EXPECT_EQ(news->ready, true);
  EXPECT_FALSE(news->healthy.has_value()) << "the task has no health check";
  // Not ready again is not news (the check is done), and never a kill.
  std::filesystem::remove(running->sandbox + "/ready");
  fw.driver->killTask("app");
  auto killed = fw.scheduler.waitForState("app", TaskState::KILLED);
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->ready, true);
}

}  // namespace
}  // namespace agora::testing
