// The cgroups v1 isolator against the machine's real hierarchies. Skipped, with the reason,
// where this process cannot create cgroups. Every cgroup is made below this process's own
// cgroup, under a root named for the test, and removed at the end.
#include "isolators/cgroups_v1_isolator.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "agent/launcher.hpp"
#include "common/ids.hpp"
#include "isolators/cgroup_fs.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace agora {
namespace {

namespace fs = std::filesystem;

class CgroupsV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    options.cgroupsRoot = "agora-test-" + newUuid().substr(0, 12);
    auto iso = CgroupsV1Isolator::create(options);
    if (iso.isError()) GTEST_SKIP() << "cannot use cgroups v1 here: " << iso.error();
    isolator = std::move(*iso);
  }
  void TearDown() override {
    if (!isolator) return;
    for (const auto& id : isolator->containers()) {
      (void)isolator->killAll(id);
      testing::eventually([&] { return isolator->cleanup(id).ok(); }, std::chrono::seconds(5));
    }
    cgroups::removeRootEverywhere("/", options.cgroupsRoot);
  }

  // Starts `command` under /bin/sh -c inside container `id`.
  pid_t start(const std::string& id, const std::string& command) {
    LaunchSpec spec;
    spec.argv = {"/bin/sh", "-c", command};
    spec.environment = {{"PATH", "/usr/bin:/bin"}};
    spec.workingDirectory = dir.path();
    spec.stdoutPath = dir.path() + "/" + id + ".out";
    spec.stderrPath = dir.path() + "/" + id + ".err";
    spec.beforeExec = [&](pid_t pid) { return isolator->attach(id, pid); };
    auto pid = launchProcess(spec);
    EXPECT_TRUE(pid.ok()) << pid.error();
    return pid.ok() ? *pid : -1;
  }

  std::string cgroupDir(const std::string& controller, const std::string& id) {
    cgroups::Layout layout = cgroups::readLayout("/");
    std::string own = layout.own.count(controller) ? layout.own[controller] : "/";
    return layout.v1Mounts[controller] + (own == "/" ? "" : own) + "/" + options.cgroupsRoot + "/" + id;
  }

  IsolatorOptions options;
  std::unique_ptr<Isolator> isolator;
  testing::TempDir dir;
};

TEST_F(CgroupsV1Test, MemoryLimitKillsAHogAndSaysSo) {
  ASSERT_TRUE(isolator->prepare("hog", ContainerLimits{0.5, false, 32ull << 20, 0}).ok());
  pid_t pid = start("hog", "exec tail /dev/zero");  // tail buffers an endless line
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  auto limit = isolator->limitation("hog");
  ASSERT_TRUE(limit.has_value());
  EXPECT_EQ(limit->reason, TaskReason::MEMORY_LIMIT);
  EXPECT_NE(limit->message.find("memory limit of 32 MiB reached (peak 32 MiB)"), std::string::npos) << limit->message;
  ASSERT_TRUE(isolator->cleanup("hog").ok());
  EXPECT_FALSE(fs::exists(cgroupDir("memory", "hog")));
  EXPECT_FALSE(fs::exists(cgroupDir("freezer", "hog")));
}

TEST_F(CgroupsV1Test, ATaskThatEndsNormallyHasNoLimitation) {
  ASSERT_TRUE(isolator->prepare("ok", ContainerLimits{0.5, false, 64ull << 20, 0}).ok());
  pid_t pid = start("ok", "exit 0");
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_FALSE(isolator->limitation("ok").has_value());
}

TEST_F(CgroupsV1Test, PidsLimitHolds) {
  ASSERT_TRUE(isolator->prepare("forky", ContainerLimits{0.5, false, 0, 8}).ok());
  pid_t pid = start("forky", "i=0; while [ $i -lt 30 ]; do sleep 30 & i=$((i+1)); done; wait");
  ASSERT_TRUE(testing::eventually([&] {
    std::ifstream err(dir.path() + "/forky.err");
    std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    return text.find("fork") != std::string::npos || text.find("unavailable") != std::string::npos;
  })) << "forks past the limit should fail";
  auto usage = isolator->usage("forky");
  ASSERT_TRUE(usage.ok()) << usage.error();
  EXPECT_LE(usage->pids, 8u);
  EXPECT_LE(cgroups::processes(cgroupDir("pids", "forky")).size(), 8u);
  ASSERT_TRUE(isolator->killAll("forky").ok());
  waitpid(pid, nullptr, 0);
}

TEST_F(CgroupsV1Test, KillAllTakesDaemonizedGrandchildren) {
  // Orphans come back to this process, so that it can see them die.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  std::string pidFile = dir.path() + "/daemon.pid";
  ASSERT_TRUE(isolator->prepare("d", ContainerLimits{0.5, false, 0, 0}).ok());
  pid_t pid = start("d", "setsid sh -c 'echo $$ > " + pidFile + ".tmp; mv " + pidFile + ".tmp " + pidFile +
                             "; exec sleep 1000' & exec sleep 1000");
  ASSERT_TRUE(testing::eventually([&] { return fs::exists(pidFile); }));
  pid_t daemon = 0;
  std::ifstream(pidFile) >> daemon;
  ASSERT_GT(daemon, 1);
  ASSERT_EQ(kill(daemon, 0), 0);
  ASSERT_TRUE(isolator->killAll("d").ok());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(waitpid(daemon, &status, 0), daemon) << "the daemon should be reaped here, killed";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_TRUE(testing::eventually([&] { return isolator->cleanup("d").ok(); }));
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_F(CgroupsV1Test, CpuTimeFollowsCpusUnderContention) {
  // Four busy loops on one core: one task with cpus 1, one with cpus 3, two loops each. Under
  // contention cpu.shares split the time about 1:3. On one core, because spread over a
  // loaded 2-core machine the scheduler's balancing between cores blurs the split (1.4 seen
  // while other tests ran).
  ASSERT_TRUE(isolator->prepare("one", ContainerLimits{1, false, 0, 0}).ok());
  ASSERT_TRUE(isolator->prepare("three", ContainerLimits{3, false, 0, 0}).ok());
  std::string busy = "exec taskset -c 0 sh -c 'while :; do :; done & while :; do :; done'";
  pid_t a = start("one", busy), b = start("three", busy);
  // Counted from when both run: the first started has the machine to itself for a moment,
  // longer when other tests load it.
  auto cpu = [&](const char* c) {
    auto u = isolator->usage(c);
    return u.ok() ? u->cpuSeconds : 0.0;
  };
  ASSERT_TRUE(testing::eventually([&] { return cpu("one") > 0.1 && cpu("three") > 0.1; }, std::chrono::seconds(60)));
  double oneAtStart = cpu("one"), threeAtStart = cpu("three");
  ASSERT_TRUE(testing::eventually(
      [&] { return cpu("one") - oneAtStart + cpu("three") - threeAtStart >= 4.0; }, std::chrono::seconds(60)));
  double one = cpu("one") - oneAtStart, three = cpu("three") - threeAtStart;
  (void)isolator->killAll("one");
  (void)isolator->killAll("three");
  waitpid(a, nullptr, 0);
  waitpid(b, nullptr, 0);
  double ratio = three / one;
  std::cout << "cpu seconds: cpus=1 got " << one << ", cpus=3 got " << three << " (ratio " << ratio << ")\n";
  // Loose: the machine has other work, and a 2-core box cannot give 3 cores to one task.
  EXPECT_GT(ratio, 1.5);
  EXPECT_LT(ratio, 6.0);
}

}  // namespace
}  // namespace agora
