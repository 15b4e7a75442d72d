// Isolation end to end: a real agent that isolates its tasks with the best isolator this
// machine allows (cgroups on the CI machine), the limits and clean-up it promises, the usage
// it reports, and the sandbox logs it keeps and serves.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "isolators/cgroup_fs.hpp"
#include "isolators/proc_stat.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

namespace fs = std::filesystem;

bool alive(pid_t pid) { return readProcess(pid).has_value(); }

class IsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster.startMaster();
    cluster.startAgent({"--sandbox_log_max_bytes=4096", "--sandbox_log_keep=1"});
    ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; })) << "see " << cluster.agentLog(0);
    isolation = cluster.state()["agents"][0]["isolation"];
  }

  void requireCgroups() {
    if (isolation.rfind("cgroups", 0) != 0)
      GTEST_SKIP() << "the agent isolates with " << isolation << " here: this process cannot create cgroups";
  }

  std::optional<TaskStatus> finalStatus(TestFramework& fw, const std::string& taskId) {
    if (!fw.scheduler.waitFor([&] {
          auto l = fw.scheduler.latest(taskId);
          return l && isTerminal(l->state);
        }))
      return std::nullopt;
    std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
    return fw.scheduler.latest(taskId);
  }

  TestCluster cluster;
  std::string isolation;
};

TEST_F(IsolationTest, AgentSaysWhichIsolatorItUses) {
  EXPECT_TRUE(isolation == "cgroups-v1" || isolation == "cgroups-v2" || isolation == "posix") << isolation;
}

TEST_F(IsolationTest, MemoryHogIsFailedWithMemoryLimitAndItsPeak) {
  requireCgroups();
  TestFramework fw(cluster.master(), "hog");
  fw.scheduler.queue(shellTask("hog", "exec tail /dev/zero", 0.1, 32));  // tail buffers one endless line
  auto last = finalStatus(fw, "hog");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->state, TaskState::FAILED);
  EXPECT_EQ(last->reason, TaskReason::MEMORY_LIMIT) << last->message;
  EXPECT_NE(last->message.find("memory limit of 32 MiB"), std::string::npos) << last->message;
  EXPECT_NE(last->message.find("peak"), std::string::npos) << last->message;
}

TEST_F(IsolationTest, KillLeavesNoProcessIncludingADaemonizedGrandchild) {
  requireCgroups();
  std::string daemonPid = cluster.workDir() + "/daemon.pid";
  TestFramework fw(cluster.master(), "daemons");
  // The grandchild leaves the task's session and process group: only the cgroup still holds it.
  TaskInfo t = shellTask("parent", "(setsid sleep 1000 & echo $! > " + daemonPid + ".tmp; mv " + daemonPid + ".tmp " +
                                       daemonPid + "); exec sleep 1000");
  t.killGracePeriodSeconds = 0.2;
  fw.scheduler.queue(t);
  ASSERT_TRUE(eventually([&] { return fs::exists(daemonPid); }));
  pid_t daemon = 0;
  std::ifstream(daemonPid) >> daemon;
  ASSERT_GT(daemon, 1);
  ASSERT_TRUE(alive(daemon));
  ASSERT_TRUE(fw.scheduler.waitForState("parent", TaskState::RUNNING));
  fw.driver->killTask("parent");
  auto last = finalStatus(fw, "parent");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->state, TaskState::KILLED) << last->message;
  EXPECT_TRUE(eventually([&] { return !alive(daemon); })) << "the daemonized grandchild " << daemon << " survived";
}

TEST_F(IsolationTest, ContainerCgroupsAreRemovedWhenTheTaskEnds) {
  requireCgroups();
  TestFramework fw(cluster.master(), "tidy");
  fw.scheduler.queue(shellTask("tidy", "echo $AGORA_CONTAINER_ID"));
  auto last = finalStatus(fw, "tidy");
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->state, TaskState::FINISHED) << last->message;
  std::string sandboxes = cluster.agentWorkDir(0) + "/sandboxes";
  std::string containerId;
  for (const auto& fwDir : fs::directory_iterator(sandboxes))
    for (const auto& dir : fs::directory_iterator(fwDir.path())) std::ifstream(dir.path() / "stdout") >> containerId;
  ASSERT_FALSE(containerId.empty());
  cgroups::Layout layout = cgroups::readLayout("/");
  std::vector<std::string> dirs;
  for (const auto& [controller, mount] : layout.v1Mounts) {
    std::string own = layout.own.count(controller) ? layout.own[controller] : "/";
    dirs.push_back(mount + (own == "/" ? "" : own) + "/" + cluster.agentCgroupsRoot(0) + "/" + containerId);
  }
  dirs.push_back(cluster.agentWorkDir(0) + "/meta/containers/" + containerId);
  EXPECT_TRUE(eventually([&] {
    for (const auto& d : dirs)
      if (fs::exists(d)) return false;
    return true;
  })) << "a cgroup or the meta directory of container " << containerId << " is left";
}

TEST_F(IsolationTest, UsageReachesTheAgentAndTheMasterState) {
  TestFramework fw(cluster.master(), "usage");
  fw.scheduler.queue(shellTask("busy", "while :; do :; done", 0.5, 64));
  nlohmann::json usage;
  ASSERT_TRUE(eventually([&] {
    auto state = cluster.state();
    for (const auto& t : state["tasks"])
      if (t["id"] == "busy" && t.contains("usage")) usage = t["usage"];
    return !usage.is_null() && usage["cpu_seconds"].get<double>() > 0.05;
  })) << "no usage in the master's state";
  EXPECT_GT(usage["mem_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(usage["mem_limit_bytes"].get<uint64_t>(), 64ull << 20);
  EXPECT_GE(usage["pids"].get<uint64_t>(), 1u);
  std::string agentId = cluster.state()["agents"][0]["id"];
  auto containers = cluster.agentApi(agentId, "/api/v1/containers");
  ASSERT_EQ(containers.size(), 1u) << containers.dump();
  EXPECT_EQ(containers[0]["task_id"], "busy");
  EXPECT_GT(containers[0]["usage"]["cpu_seconds"].get<double>(), 0.0);
  fw.driver->killTask("busy");
  ASSERT_TRUE(finalStatus(fw, "busy").has_value());
}

TEST_F(IsolationTest, SandboxLogsAreCappedRotatedAndReadableWithAgoraLogs) {
  TestFramework fw(cluster.master(), "chatty");
  fw.scheduler.queue(shellTask("chatty", "seq 1 3000; echo oops >&2"));  // 13,893 bytes of stdout
  auto last = finalStatus(fw, "chatty");
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->state, TaskState::FINISHED) << last->message;
  fs::path sandbox;
  for (const auto& fwDir : fs::directory_iterator(cluster.agentWorkDir(0) + "/sandboxes"))
    for (const auto& dir : fs::directory_iterator(fwDir.path())) sandbox = dir.path();
  EXPECT_LE(fs::file_size(sandbox / "stdout"), 4096u);
  EXPECT_EQ(fs::file_size(sandbox / "stdout.1"), 4096u);
  EXPECT_FALSE(fs::exists(sandbox / "stdout.2")) << "only one rotated file is kept";

  std::string master = "--master=" + cluster.master();
  auto [code, out] = agora(cluster.workDir(), {"logs", master, "chatty"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out.substr(out.size() - 10), "2999\n3000\n") << out;
  auto [errCode, err] = agora(cluster.workDir(), {"logs", master, "--stderr", "chatty"});
  EXPECT_EQ(errCode, 0) << err;
  EXPECT_EQ(err, "oops\n");
  auto [unknownCode, unknown] = agora(cluster.workDir(), {"logs", master, "nosuch"});
  EXPECT_EQ(unknownCode, 1);
  EXPECT_NE(unknown.find("no task 'nosuch'"), std::string::npos) << unknown;
}

TEST_F(IsolationTest, SandboxFilesAreServedOnlyWhenTheyAreRegularFilesInside) {
  TestFramework fw(cluster.master(), "tricks");
  // A task may point a sandbox file out of the sandbox, or make it a FIFO that would block.
  fw.scheduler.queue(shellTask("tricks", "ln -s /etc/hostname leak; mkfifo pipe; echo fine > ok"));
  auto last = finalStatus(fw, "tricks");
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->state, TaskState::FINISHED) << last->message;
  std::string agentId = last->agentId;
  EXPECT_TRUE(cluster.agentApi(agentId, "/api/v1/files/read?task_id=tricks&file=leak").is_null());
  EXPECT_TRUE(cluster.agentApi(agentId, "/api/v1/files/read?task_id=tricks&file=pipe").is_null());
  EXPECT_TRUE(cluster.agentApi(agentId, "/api/v1/files/read?task_id=tricks&file=..").is_null());
  auto ok = cluster.agentApi(agentId, "/api/v1/files/read?task_id=tricks&file=ok");
  ASSERT_FALSE(ok.is_null()) << "the agent stopped answering";
  EXPECT_EQ(ok["data"], "fine\n");
  EXPECT_EQ(ok["next_offset"], 5);
}

TEST_F(IsolationTest, TaskInheritsNoDescriptorOfTheAgentOrItsSupervisor) {
  TestFramework fw(cluster.master(), "fds");
  fw.scheduler.queue(shellTask("fds", "ls /proc/$$/fd"));
  auto last = finalStatus(fw, "fds");
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->state, TaskState::FINISHED) << last->message;
  auto out = cluster.agentApi(last->agentId, "/api/v1/files/read?task_id=fds");
  ASSERT_FALSE(out.is_null());
  EXPECT_EQ(out["data"], "0\n1\n2\n") << "the task holds more than stdin, stdout and stderr";
}

TEST_F(IsolationTest, AgoraLogsFollowsARunningTaskUntilItEnds) {
  std::string gate = cluster.workDir() + "/gate";
  TestFramework fw(cluster.master(), "follow");
  fw.scheduler.queue(shellTask("talker", "echo first; while [ ! -e " + gate + " ]; do sleep 0.05; done; echo last"));
  ASSERT_TRUE(fw.scheduler.waitForState("talker", TaskState::RUNNING));
  std::string log = cluster.workDir() + "/follow.log";
  auto follower = Process::start({AGORA_CLI_BIN, "logs", "-f", "--master=" + cluster.master(), "talker"}, log);
  ASSERT_TRUE(follower.ok()) << follower.error();
  ASSERT_TRUE(eventually([&] { return slurp(log).find("first") != std::string::npos; })) << slurp(log);
  EXPECT_TRUE(follower->running()) << "agora logs -f ended while the task runs: " << slurp(log);
  { std::ofstream(gate) << "go"; }
  int status = follower->wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(log);
  EXPECT_EQ(slurp(log), "first\nlast\n");
}

TEST(SandboxGarbageCollectionTest, FinishedSandboxesGoAfterTheDelayWhileRunningOnesStay) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgent({"--gc_delay=0.3", "--gc_interval=0.05"});
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents() == 1; }));
  TestFramework fw(cluster.master(), "gc");
  fw.scheduler.queue(shellTask("stays", "exec sleep 1000"));
  fw.scheduler.queue(shellTask("goes", "echo bye"));
  ASSERT_TRUE(fw.scheduler.waitForState("goes", TaskState::FINISHED));
  ASSERT_TRUE(fw.scheduler.waitForState("stays", TaskState::RUNNING));
  auto sandboxes = [&] {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(cluster.agentWorkDir(0) + "/sandboxes", ec))
      for (const auto& d : fs::directory_iterator(f.path(), ec)) names.insert(d.path().filename().string().substr(0, 5));
    return names;
  };
  EXPECT_TRUE(eventually([&] { return sandboxes() == std::set<std::string>{"stays"}; }))
      << "the finished task's sandbox was not collected, or the running one was";
}

}  // namespace
}  // namespace agora::testing
