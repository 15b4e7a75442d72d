// A durable agent: tasks run under supervisors that outlive the agent; an agent SIGKILLed
// and restarted re-attaches to them, learns how tasks that ended meanwhile ended, and loses
// or doubles no status update. A supervisor that dies takes its task with it, and says so.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "agent/checkpoint.hpp"
#include "isolators/proc_stat.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

bool alive(pid_t pid) { return readProcess(pid).has_value(); }

// The task's pid, from its RUNNING update ("pid N").
pid_t runningPid(RecordingScheduler& s, const std::string& taskId) {
  std::lock_guard<std::mutex> lock(s.mutex);
  for (const auto& u : s.updatesFor(taskId))
    if (u.state == TaskState::RUNNING && !u.fromMaster && u.message.rfind("pid ", 0) == 0)
      return std::stoi(u.message.substr(4));
  return -1;
}

class AgentRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster.startMaster();
    cluster.startAgents(1);
  }

  // Waits until every update of the agent is acknowledged, so that a resend after the
  // restart would show at the framework as a double.
  void waitUntilAcknowledged(const std::string& agentId) {
    ASSERT_TRUE(eventually([&] {
      auto state = cluster.agentApi(agentId, "/api/v1/state");
      if (state.is_null()) return false;
      for (const auto& t : state["tasks"])
        if (t["pending_updates"] != 0) return false;
      return true;
    })) << "updates stay unacknowledged";
  }

  nlohmann::json container(const std::string& agentId, const std::string& taskId) {
    auto containers = cluster.agentApi(agentId, "/api/v1/containers");
    for (const auto& c : containers)
      if (c["task_id"] == taskId) return c;
    return nullptr;
  }

  TestCluster cluster;
};

TEST_F(AgentRecoveryTest, TwentyTasksKeepRunningAcrossAgentSigkillAndRestart) {
  TestFramework fw(cluster.master(), "durable");
  std::string outage = cluster.workDir() + "/outage", end = cluster.workDir() + "/end";
  constexpr int kTasks = 20, kEndDuringOutage = 5;
  auto id = [](int i) { return "t" + std::to_string(i); };
  for (int i = 0; i < kTasks; ++i) {
    // The first five end while the agent is down, each with its own exit code.
    bool early = i < kEndDuringOutage;
    std::string gate = early ? outage : end;
    fw.scheduler.queue(shellTask(id(i), "while [ ! -e " + gate + " ]; do sleep 0.05; done; exit " +
                                            std::to_string(early ? i + 1 : 0)));
  }
  ASSERT_TRUE(fw.scheduler.waitFor([&] {
    for (int i = 0; i < kTasks; ++i) {
      auto l = fw.scheduler.latest(id(i));
      if (!l || l->state != TaskState::RUNNING) return false;
    }
    return true;
  }));
  std::map<std::string, pid_t> pids;
  for (int i = 0; i < kTasks; ++i) pids[id(i)] = runningPid(fw.scheduler, id(i));
  std::string agentId;
  {
    std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
    agentId = fw.scheduler.latest(id(0))->agentId;
  }
  waitUntilAcknowledged(agentId);

  cluster.stopAgent(0, SIGKILL);
  for (const auto& [task, pid] : pids) EXPECT_TRUE(alive(pid)) << task << " (pid " << pid << ") died with the agent";
  { std::ofstream(outage) << "go"; }
  ASSERT_TRUE(eventually([&] {
    for (int i = 0; i < kEndDuringOutage; ++i)
      if (alive(pids[id(i)])) return false;
    return true;
  })) << "the tasks released during the outage did not end";
  cluster.restartAgent(0);

  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.terminalCount() == kEndDuringOutage; }));
  for (int i = kEndDuringOutage; i < kTasks; ++i)
    EXPECT_TRUE(alive(pids[id(i)])) << id(i) << " (pid " << pids[id(i)] << ") did not survive the restart";
  ASSERT_TRUE(eventually([&] { return !container(agentId, id(kTasks - 1)).is_null(); }));
  EXPECT_EQ(container(agentId, id(kTasks - 1))["pid"], pids[id(kTasks - 1)]) << "the agent re-attached to the task";
  { std::ofstream(end) << "go"; }
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.terminalCount() == kTasks; }));

  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  for (int i = 0; i < kTasks; ++i) {
    // The agent's own updates: each state exactly once, in order. (The master may add its
    // view, UNREACHABLE, while the agent is away.)
    std::vector<TaskStatus> fromAgent;
    for (const auto& u : fw.scheduler.updatesFor(id(i)))
      if (!u.fromMaster) fromAgent.push_back(u);
    ASSERT_EQ(fromAgent.size(), 3u) << id(i) << ": expected STARTING, RUNNING and the end, each once";
    EXPECT_EQ(fromAgent[0].state, TaskState::STARTING);
    EXPECT_EQ(fromAgent[1].state, TaskState::RUNNING);
    bool early = i < kEndDuringOutage;
    EXPECT_EQ(fromAgent[2].state, early ? TaskState::FAILED : TaskState::FINISHED) << fromAgent[2].message;
    EXPECT_EQ(fromAgent[2].exitCode.value_or(-1), early ? i + 1 : 0) << id(i) << ": " << fromAgent[2].message;
  }
}

TEST_F(AgentRecoveryTest, SupervisorSigkillKillsTheTaskAndReportsIt) {
  TestFramework fw(cluster.master(), "orphan-free");
  fw.scheduler.queue(shellTask("victim", "sleep 1000 & sleep 1000; wait"));
  auto running = fw.scheduler.waitForState("victim", TaskState::RUNNING);
  ASSERT_TRUE(running.has_value());
  std::string agentId = running->agentId;
  nlohmann::json c;
  ASSERT_TRUE(eventually([&] { return !(c = container(agentId, "victim")).is_null(); }));
  pid_t supervisor = c["supervisor_pid"], task = c["pid"];
  ASSERT_GT(supervisor, 1);
  ASSERT_EQ(kill(supervisor, SIGKILL), 0);

  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.terminalCount() == 1; }));
  {
    std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
    auto last = fw.scheduler.latest("victim");
    EXPECT_EQ(last->state, TaskState::FAILED);
    EXPECT_EQ(last->reason, TaskReason::EXECUTOR_TERMINATED) << last->message;
    EXPECT_NE(last->message.find("supervisor"), std::string::npos) << last->message;
  }
  EXPECT_TRUE(eventually([&] { return !alive(task); })) << "the task outlived its supervisor";
  EXPECT_TRUE(eventually([&] {
    for (const ProcStat& p : listProcesses())
      if (p.session == task) return false;
    return true;
  })) << "a process of the task's session is left";
}

TEST_F(AgentRecoveryTest, TaskWhoseSupervisorDiedDuringTheOutageIsFailedAsAgentRestarted) {
  TestFramework fw(cluster.master(), "outage");
  fw.scheduler.queue(shellTask("lonely", "exec sleep 1000"));
  auto running = fw.scheduler.waitForState("lonely", TaskState::RUNNING);
  ASSERT_TRUE(running.has_value());
  std::string agentId = running->agentId;
  waitUntilAcknowledged(agentId);
  nlohmann::json c;
  ASSERT_TRUE(eventually([&] { return !(c = container(agentId, "lonely")).is_null(); }));
  pid_t supervisor = c["supervisor_pid"], task = c["pid"];

  cluster.stopAgent(0, SIGKILL);
  ASSERT_EQ(kill(supervisor, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return !alive(task); })) << "the task outlived its supervisor";
  cluster.restartAgent(0);

  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.terminalCount() == 1; }));
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  auto last = fw.scheduler.latest("lonely");
  EXPECT_EQ(last->state, TaskState::FAILED);
  EXPECT_EQ(last->reason, TaskReason::AGENT_RESTARTED) << last->message;
}

TEST_F(AgentRecoveryTest, RecoverCleanupKillsWhatTheEarlierRunLeft) {
  TestFramework fw(cluster.master(), "cleanup");
  fw.scheduler.queue(shellTask("leftover", "exec sleep 1000"));
  ASSERT_TRUE(fw.scheduler.waitForState("leftover", TaskState::RUNNING));
  pid_t task = runningPid(fw.scheduler, "leftover");
  ASSERT_GT(task, 1);
  cluster.stopAgent(0, SIGKILL);
  ASSERT_TRUE(alive(task));
  int status = cluster.cleanupAgent(0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "see " << cluster.agentLog(0) << ".cleanup";
  EXPECT_TRUE(eventually([&] { return !alive(task); })) << "--recover=cleanup left the task running";
  EXPECT_TRUE(std::filesystem::is_empty(cluster.agentWorkDir(0) + "/meta/containers"));
}

TEST_F(AgentRecoveryTest, ContainerThatNoTaskClaimsIsKilledAndRemovedAtRestart) {
  TestFramework fw(cluster.master(), "orphans");
  fw.scheduler.queue(shellTask("forgotten", "exec sleep 1000"));
  auto running = fw.scheduler.waitForState("forgotten", TaskState::RUNNING);
  ASSERT_TRUE(running.has_value());
  pid_t task = runningPid(fw.scheduler, "forgotten");
  ASSERT_GT(task, 1);
  cluster.stopAgent(0, SIGKILL);
  // A crash between creating a container and checkpointing its task leaves just this: a
  // container of the agent's own that no checkpointed task claims.
  {
    auto checkpoint = AgentCheckpoint::open(cluster.agentWorkDir(0) + "/meta/checkpoint");
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error();
    ASSERT_TRUE((*checkpoint)->remove(running->frameworkId, "forgotten").ok());
  }
  std::string containers = cluster.agentWorkDir(0) + "/meta/containers";
  ASSERT_FALSE(std::filesystem::is_empty(containers));
  cluster.restartAgent(0);
  EXPECT_TRUE(eventually([&] { return !alive(task); })) << "the orphan container's task still runs";
  EXPECT_TRUE(eventually([&] { return std::filesystem::is_empty(containers); })) << "the orphan container is left";
}

}  // namespace
}  // namespace agora::testing
