// The cgroups v2 isolator against a temporary directory laid out like a cgroup2 mount: the
// files it writes are what the kernel would read, and the files the test writes are what the
// kernel would report. Then the real path, where this machine has a delegated cgroup2.
#include "isolators/cgroups_v2_isolator.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "agent/launcher.hpp"
#include "common/ids.hpp"
#include "isolators/cgroup_fs.hpp"
#include "tests/support/temp_dir.hpp"

namespace agora {
namespace {

namespace fs = std::filesystem;

class CgroupsV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root.path() + "/proc/self");
    write("/proc/self/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n");
    write("/proc/self/cgroup", "0::/agent.slice\n");
    fs::create_directories(own());
    write("/sys/fs/cgroup/agent.slice/cgroup.controllers", "cpuset cpu io memory pids\n");
    write("/sys/fs/cgroup/agent.slice/cgroup.subtree_control", "cpu memory pids\n");
    options.fsRoot = root.path();
    options.cgroupsRoot = "agora";
  }
  void write(const std::string& rel, const std::string& text) { std::ofstream(root.path() + rel) << text; }
  std::string read(const std::string& rel) { return *cgroups::readFile(root.path() + rel); }
  std::string own() const { return root.path() + "/sys/fs/cgroup/agent.slice"; }
  std::string container(const std::string& id) const { return own() + "/agora/" + id; }

  testing::TempDir root;
  IsolatorOptions options;
};

TEST_F(CgroupsV2Test, PrepareWritesLimitsBelowTheAgentsOwnCgroup) {
  auto iso = CgroupsV2Isolator::create(options);
  ASSERT_TRUE(iso.ok()) << iso.error();
  EXPECT_EQ(read("/sys/fs/cgroup/agent.slice/agora/cgroup.subtree_control"), "+cpu +memory +pids");
  ContainerLimits limits{2.0, true, 256ull << 20, 64};
  ASSERT_TRUE((*iso)->prepare("c1", limits).ok());
  EXPECT_EQ(read("/sys/fs/cgroup/agent.slice/agora/c1/cpu.weight"), std::to_string(cpuWeight(2.0)));
  EXPECT_EQ(read("/sys/fs/cgroup/agent.slice/agora/c1/cpu.max"), "200000 100000");
  EXPECT_EQ(read("/sys/fs/cgroup/agent.slice/agora/c1/memory.max"), std::to_string(256ull << 20));
  EXPECT_EQ(read("/sys/fs/cgroup/agent.slice/agora/c1/pids.max"), "64");
  ASSERT_TRUE((*iso)->attach("c1", 4242).ok());
  EXPECT_EQ(read("/sys/fs/cgroup/agent.slice/agora/c1/cgroup.procs"), "4242");
  EXPECT_EQ((*iso)->containers(), std::vector<std::string>{"c1"});
}

TEST_F(CgroupsV2Test, NoHardCapAndNoLimitsWriteMax) {
  auto iso = CgroupsV2Isolator::create(options);
  ASSERT_TRUE(iso.ok()) << iso.error();
  ASSERT_TRUE((*iso)->prepare("c1", ContainerLimits{0.5, false, 0, 0}).ok());
  EXPECT_EQ(read("/sys/fs/cgroup/agent.slice/agora/c1/cpu.max"), "max 100000");
  EXPECT_EQ(read("/sys/fs/cgroup/agent.slice/agora/c1/memory.max"), "max");
  EXPECT_EQ(read("/sys/fs/cgroup/agent.slice/agora/c1/pids.max"), "max");
  EXPECT_EQ(cpuWeight(1.0), 39u);  // the kernel's mapping of 1024 shares
  EXPECT_EQ(cpuWeight(0.001), 1u);
}

TEST_F(CgroupsV2Test, UsageAndOutOfMemoryKillsAreReadFromTheKernelsFiles) {
  auto iso = CgroupsV2Isolator::create(options);
  ASSERT_TRUE(iso.ok()) << iso.error();
  ASSERT_TRUE((*iso)->prepare("c1", ContainerLimits{1, false, 64ull << 20, 0}).ok());
  write("/sys/fs/cgroup/agent.slice/agora/c1/cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
  write("/sys/fs/cgroup/agent.slice/agora/c1/memory.current", "1048576\n");
  write("/sys/fs/cgroup/agent.slice/agora/c1/memory.peak", "67108864\n");
  write("/sys/fs/cgroup/agent.slice/agora/c1/pids.current", "3\n");
  write("/sys/fs/cgroup/agent.slice/agora/c1/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\n");
  auto usage = (*iso)->usage("c1");
  ASSERT_TRUE(usage.ok()) << usage.error();
  EXPECT_DOUBLE_EQ(usage->cpuSeconds, 2.5);
  EXPECT_EQ(usage->memBytes, 1048576u);
  EXPECT_EQ(usage->memPeakBytes, 67108864u);
  EXPECT_EQ(usage->pids, 3u);
  EXPECT_FALSE((*iso)->limitation("c1").has_value());
  write("/sys/fs/cgroup/agent.slice/agora/c1/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n");
  auto limit = (*iso)->limitation("c1");
  ASSERT_TRUE(limit.has_value());
  EXPECT_EQ(limit->reason, TaskReason::MEMORY_LIMIT);
  EXPECT_NE(limit->message.find("memory limit of 64 MiB reached (peak 64 MiB)"), std::string::npos) << limit->message;
}

TEST_F(CgroupsV2Test, KillAllUsesCgroupKillAndCleanupRemovesTheContainer) {
  auto iso = CgroupsV2Isolator::create(options);
  ASSERT_TRUE(iso.ok()) << iso.error();
  ASSERT_TRUE((*iso)->prepare("c1", ContainerLimits{1, false, 0, 0}).ok());
  write("/sys/fs/cgroup/agent.slice/agora/c1/cgroup.kill", "");  // Linux 5.14+ has it
  ASSERT_TRUE((*iso)->killAll("c1").ok());
  EXPECT_EQ(read("/sys/fs/cgroup/agent.slice/agora/c1/cgroup.kill"), "1");
  write("/sys/fs/cgroup/agent.slice/agora/c1/cgroup.procs", "77\n");
  Status busy = (*iso)->cleanup("c1");
  EXPECT_FALSE(busy.ok()) << "a container with processes is not removed";
  write("/sys/fs/cgroup/agent.slice/agora/c1/cgroup.procs", "");
  ASSERT_TRUE((*iso)->cleanup("c1").ok());
  EXPECT_FALSE(fs::exists(container("c1")));
}

TEST_F(CgroupsV2Test, RefusesWhenControllersAreNotDelegated) {
  write("/sys/fs/cgroup/agent.slice/cgroup.controllers", "cpuset io\n");
  auto iso = CgroupsV2Isolator::create(options);
  ASSERT_TRUE(iso.isError());
  EXPECT_NE(iso.error().find("controller 'cpu' is not available"), std::string::npos) << iso.error();
}

TEST_F(CgroupsV2Test, RefusesWithoutACgroup2Mount) {
  write("/proc/self/mounts", "proc /proc proc rw 0 0\n");
  auto iso = CgroupsV2Isolator::create(options);
  ASSERT_TRUE(iso.isError());
  EXPECT_NE(iso.error().find("no cgroup2 filesystem"), std::string::npos) << iso.error();
}

TEST(CgroupsV2RealTest, MemoryLimitKillsAHogOnThisMachinesCgroup2) {
  IsolatorOptions options;
  options.cgroupsRoot = "agora-test-" + newUuid().substr(0, 12);
  auto iso = CgroupsV2Isolator::create(options);
  if (iso.isError()) GTEST_SKIP() << "no usable cgroup2 here: " << iso.error();
  Isolator& isolator = **iso;
  ASSERT_TRUE(isolator.prepare("hog", ContainerLimits{0.5, false, 32ull << 20, 16}).ok());
  testing::TempDir dir;
  LaunchSpec spec;
  spec.argv = {"/bin/sh", "-c", "exec tail /dev/zero"};
  spec.environment = {{"PATH", "/usr/bin:/bin"}};
  spec.workingDirectory = dir.path();
  spec.stdoutPath = spec.stderrPath = dir.path() + "/out";
  spec.beforeExec = [&](pid_t pid) { return isolator.attach("hog", pid); };
  auto pid = launchProcess(spec);
  ASSERT_TRUE(pid.ok()) << pid.error();
  int status = 0;
  ASSERT_EQ(waitpid(*pid, &status, 0), *pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  auto limit = isolator.limitation("hog");
  ASSERT_TRUE(limit.has_value());
  EXPECT_EQ(limit->reason, TaskReason::MEMORY_LIMIT) << limit->message;
  EXPECT_TRUE(isolator.cleanup("hog").ok());
  cgroups::removeRootEverywhere("/", options.cgroupsRoot);
}

}  // namespace
}  // namespace agora
