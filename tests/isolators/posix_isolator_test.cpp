// The posix isolator on its own: a task's session is its container.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <fstream>

#include "agent/launcher.hpp"
#include "common/ids.hpp"
#include "isolators/cgroup_fs.hpp"
#include "isolators/isolator.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace agora {
namespace {

TEST(PosixIsolatorTest, AccountsLimitsAndKillsTheWholeSession) {
  testing::TempDir dir;
  auto isolator = makePosixIsolator();
  EXPECT_EQ(isolator->name(), "posix");
  ASSERT_TRUE(isolator->prepare("c", ContainerLimits{1, false, 64ull << 20, 0}).ok());
  LaunchSpec spec;
  // A child that moves to its own process group stays in the session: posix still finds it.
  spec.argv = {"/bin/sh", "-c", "sleep 1000 & (set -m; sleep 1000 &) ; exec sleep 1000"};
  spec.environment = {{"PATH", "/usr/bin:/bin"}};
  spec.workingDirectory = dir.path();
  spec.stdoutPath = spec.stderrPath = dir.path() + "/out";
  spec.beforeExec = [&](pid_t pid) { return isolator->attach("c", pid); };
  auto pid = launchProcess(spec);
  ASSERT_TRUE(pid.ok()) << pid.error();
  ASSERT_TRUE(testing::eventually([&] {
    auto u = isolator->usage("c");
    return u.ok() && u->pids >= 3;
  }));
  auto usage = isolator->usage("c");
  EXPECT_GT(usage->memBytes, 0u);
  EXPECT_GE(usage->memPeakBytes, usage->memBytes);
  struct rlimit limit;
  ASSERT_EQ(prlimit(*pid, RLIMIT_DATA, nullptr, &limit), 0);
  EXPECT_EQ(limit.rlim_cur, 64ull << 20);
  EXPECT_FALSE(isolator->cleanup("c").ok()) << "processes still run";
  ASSERT_TRUE(isolator->killAll("c").ok());
  waitpid(*pid, nullptr, 0);
  EXPECT_TRUE(testing::eventually([&] { return isolator->cleanup("c").ok(); }));
  EXPECT_TRUE(isolator->containers().empty());
}

TEST(PosixIsolatorTest, UnknownContainersAreErrors) {
  auto isolator = makePosixIsolator();
  EXPECT_FALSE(isolator->attach("nope", 1).ok());
  EXPECT_FALSE(isolator->usage("nope").ok());
  EXPECT_TRUE(isolator->cleanup("nope").ok());
}

TEST(IsolatorFactoryTest, RejectsUnknownKinds) {
  auto iso = makeIsolator("magic", IsolatorOptions{});
  ASSERT_TRUE(iso.isError());
  EXPECT_NE(iso.error().find("is not one of auto, cgroups"), std::string::npos);
  IsolatorOptions options;
  options.cgroupsRoot = "agora-test-" + newUuid().substr(0, 12);
  auto autoIso = makeIsolator("auto", options);
  ASSERT_TRUE(autoIso.ok()) << autoIso.error();  // auto always finds something, posix at worst
  cgroups::removeRootEverywhere("/", options.cgroupsRoot);
}

}  // namespace
}  // namespace agora
