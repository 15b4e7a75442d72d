// What a task carries and what its agent enforces, on real processes: labels and where the
// task lives in every status, named ports, a kill's own grace period, the maximum
// completion time (kept by the supervisor while the framework is away), and the task's user.
#include <gtest/gtest.h>
#include <pwd.h>

#include <filesystem>

#include "tests/support/cli.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

// A master; each test starts the agents it needs.
class TaskProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override { cluster.startMaster(); }
  TestCluster cluster;
};

// The task's stdout, read where its statuses say its sandbox is.
std::string stdoutOf(const TaskStatus& status) { return slurp(status.sandbox + "/stdout"); }

TEST_F(TaskProtocolTest, LabelsAndWhereTheTaskLivesAreInEveryStatus) {
  cluster.startAgents(1);
  TestFramework fw(cluster.master(), "labels");
  TaskInfo task = shellTask("t1", "true");
  task.labels = {{"team", "web"}, {"tier", "front"}};
  fw.scheduler.queue(task);
  ASSERT_TRUE(fw.scheduler.waitForState("t1", TaskState::FINISHED));
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  for (const TaskStatus& s : fw.scheduler.updatesFor("t1")) {
    EXPECT_EQ(s.labels, task.labels) << stateName(s.state);
    EXPECT_FALSE(s.agentHostname.empty()) << stateName(s.state);
    EXPECT_EQ(s.agentHttpAddress.rfind("http://127.0.0.1:", 0), 0u) << s.agentHttpAddress;
    EXPECT_TRUE(std::filesystem::is_directory(s.sandbox)) << s.sandbox;
  }
  // The state API has them too (the task moves to completed_tasks once the acknowledgement
  // of its last update is through).
  nlohmann::json record;
  ASSERT_TRUE(eventually([&] {
    auto state = cluster.state();
    for (const char* list : {"tasks", "completed_tasks"})
      for (const auto& t : state.value(list, nlohmann::json::array()))
        if (t["id"] == "t1" && t["state"] == "TASK_FINISHED") record = t;
    return !record.is_null();
  }));
  EXPECT_EQ(record["labels"]["team"], "web");
  EXPECT_EQ(record["status"]["labels"]["tier"], "front");
}

TEST_F(TaskProtocolTest, NamedPortsAreExportedInTheTasksOrder) {
  cluster.startAgents(1);
  TestFramework fw(cluster.master(), "ports");
  uint64_t first = cluster.state()["agents"][0]["resources"]["ports"][0][0];
  TaskInfo task = shellTask("t1", "echo \"$PORT0 $PORT1 $PORT_ADMIN_API $PORTS\"");
  (void)task.resources.add(Resource::range("ports", {{first, first + 1}}));
  task.ports = {{first + 1, "admin-api"}, {first, ""}};
  fw.scheduler.queue(task);
  auto done = fw.scheduler.waitForState("t1", TaskState::FINISHED);
  ASSERT_TRUE(done) << [&] {
    std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
    std::string all;
    for (const TaskStatus& s : fw.scheduler.updatesFor("t1")) all += std::string(stateName(s.state)) + " " + s.message + "\n";
    return all;
  }();
  std::string a = std::to_string(first), b = std::to_string(first + 1);
  EXPECT_EQ(stdoutOf(*done), b + " " + a + " " + b + " " + b + "," + a + "\n");
}

TEST_F(TaskProtocolTest, AKillCarriesAGracePeriodOfItsOwn) {
  cluster.startAgents(1);
  TestFramework fw(cluster.master(), "grace");
  TaskInfo task = shellTask("t1", "trap '' TERM; while true; do sleep 0.1; done");
  task.killGracePeriodSeconds = 3600;  // its own policy would wait an hour for SIGTERM to work
  fw.scheduler.queue(task);
  ASSERT_TRUE(fw.scheduler.waitForState("t1", TaskState::RUNNING));
  fw.driver->killTask("t1", 0.2);
  auto killed = fw.scheduler.waitForState("t1", TaskState::KILLED);
  ASSERT_TRUE(killed) << "the kill waited for the task's own grace period";
  EXPECT_EQ(killed->reason, TaskReason::KILLED_BY_FRAMEWORK);
}

TEST_F(TaskProtocolTest, MaxCompletionTimeIsEnforcedWhileTheFrameworkIsStopped) {
  cluster.startAgents(1);
  std::string frameworkId;
  {
    TestFramework fw(cluster.master(), "deadline");
    TaskInfo task = shellTask("t1", "sleep 600");
    task.maxCompletionTimeSeconds = 1;
    fw.scheduler.queue(task);
    ASSERT_TRUE(fw.scheduler.waitForState("t1", TaskState::RUNNING));
    frameworkId = fw.driver->frameworkId();
  }  // the framework stops; its failover timeout keeps its tasks
  ASSERT_TRUE(eventually([&] {
    auto state = cluster.state();
    for (const auto& t : state["tasks"])
      if (t["id"] == "t1") return t["state"] == "TASK_FAILED";
    return false;
  })) << cluster.state()["tasks"].dump();

  // The agent's own update (it resends it until acknowledged), beside reconciliation answers.
  TestFramework again(cluster.master(), "deadline", frameworkId);
  std::optional<TaskStatus> fromAgent;
  ASSERT_TRUE(again.scheduler.waitFor([&] {
    for (const TaskStatus& s : again.scheduler.updatesFor("t1"))
      if (s.state == TaskState::FAILED && s.reason != TaskReason::RECONCILIATION) fromAgent = s;
    return fromAgent.has_value();
  })) << "the agent's own update was not delivered after the restart";
  EXPECT_EQ(fromAgent->reason, TaskReason::MAX_COMPLETION_TIME_REACHED) << fromAgent->message;
  EXPECT_NE(fromAgent->message.find("maxCompletionTimeSeconds (1 s)"), std::string::npos) << fromAgent->message;
}

TEST_F(TaskProtocolTest, ATaskRunsAsItsUserAndAnUnknownUserIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  passwd* nobody = getpwnam("nobody");
  if (!nobody) GTEST_SKIP() << "this machine has no user 'nobody'";
  cluster.startAgents(1);
  TestFramework fw(cluster.master(), "users");
  TaskInfo task = shellTask("as-nobody", "id -un; echo $HOME; touch file-of-mine && stat -c %U file-of-mine");
  task.user = "nobody";
  fw.scheduler.queue(task);
  auto done = fw.scheduler.waitForState("as-nobody", TaskState::FINISHED);
  ASSERT_TRUE(done);
  EXPECT_EQ(stdoutOf(*done), "nobody\n" + std::string(nobody->pw_dir) + "\nnobody\n");

  TaskInfo stranger = shellTask("stranger", "true");
  stranger.user = "no-such-user-agora";
  fw.scheduler.queue(stranger);
  auto refused = fw.scheduler.waitForState("stranger", TaskState::FAILED);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reason, TaskReason::INVALID_USER);
  EXPECT_EQ(refused->message.rfind("user 'no-such-user-agora' does not exist on ", 0), 0u) << refused->message;
}

TEST_F(TaskProtocolTest, AnAgentCanForbidTasksAsRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "the agent runs as root only when the tests do";
  cluster.startAgent({"--forbid_root_tasks"});
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  TestFramework fw(cluster.master(), "root");
  fw.scheduler.queue(shellTask("as-root", "true"));
  auto refused = fw.scheduler.waitForState("as-root", TaskState::FAILED);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reason, TaskReason::INVALID_USER);
  EXPECT_NE(refused->message.find("--forbid_root_tasks"), std::string::npos) << refused->message;
}

}  // namespace
}  // namespace agora::testing
