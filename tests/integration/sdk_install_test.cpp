// A framework outside this tree: the SDK is installed with `cmake --install`, the example
// framework in frameworks/examples/hello is configured against it with find_package and
// built, and it runs a task on a real cluster. Its binary links no RocksDB: the SDK stands
// on common/ alone.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>

#include "tests/support/cli.hpp"
#include "tests/support/cluster.hpp"

namespace agora::testing {
namespace {

// Runs argv with its output in `log`; true if it exited 0.
bool runs(const std::vector<std::string>& argv, const std::string& log) {
  auto p = Process::start(argv, log);
  if (p.isError()) return false;
  int status = p->wait();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(SdkInstallTest, TheExampleFrameworkBuildsAgainstTheInstalledSdkAndRunsATask) {
  TestCluster cluster;
  std::string dir = cluster.workDir(), prefix = dir + "/prefix", build = dir + "/hello-build";
  ASSERT_TRUE(runs({AGORA_CMAKE, "--install", AGORA_BUILD_DIR, "--component", "sdk", "--prefix", prefix},
                   dir + "/install.log"))
      << slurp(dir + "/install.log");
  EXPECT_TRUE(std::filesystem::exists(prefix + "/lib/cmake/agora_sdk/agora_sdkConfig.cmake"));
  EXPECT_TRUE(std::filesystem::exists(prefix + "/include/agora/frameworks/sdk/scheduler.hpp"));
  ASSERT_TRUE(runs({AGORA_CMAKE, "-S", std::string(AGORA_SOURCE_DIR) + "/frameworks/examples/hello", "-B", build,
                    "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_BUILD_TYPE=Release",
                    std::string("-DCMAKE_CXX_FLAGS=") + AGORA_SANITIZE_FLAGS,
                    std::string("-DCMAKE_EXE_LINKER_FLAGS=") + AGORA_SANITIZE_FLAGS},
                   dir + "/configure.log"))
      << slurp(dir + "/configure.log");
  ASSERT_TRUE(runs({AGORA_CMAKE, "--build", build}, dir + "/build.log")) << slurp(dir + "/build.log");
  std::string binary = build + "/agora-hello";
  ASSERT_TRUE(runs({"/usr/bin/ldd", binary}, dir + "/ldd.log"));
  EXPECT_EQ(slurp(dir + "/ldd.log").find("rocksdb"), std::string::npos) << slurp(dir + "/ldd.log");

  cluster.startMaster();
  cluster.startAgents(1);
  bool finished = runs({binary, cluster.master(), "echo hello from outside"}, dir + "/hello.log");
  std::string out = slurp(dir + "/hello.log");
  EXPECT_TRUE(finished) << out;
  EXPECT_NE(out.find("hello-1: TASK_FINISHED"), std::string::npos) << out;
  EXPECT_NE(out.find("launched on "), std::string::npos) << out;
}

}  // namespace
}  // namespace agora::testing
