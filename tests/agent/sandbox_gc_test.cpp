#include "agent/sandbox_gc.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.hpp"

namespace agora {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class SandboxGcTest : public ::testing::Test {
 protected:
  // A sandbox whose last activity was `age` before now.
  std::string sandbox(const std::string& name, std::chrono::hours age) {
    fs::path p = fs::path(dir.path()) / "framework-1" / name;
    fs::create_directories(p);
    std::ofstream(p / "stdout") << "output of " << name;
    fs::last_write_time(p / "stdout", now - age);
    fs::last_write_time(p, now - age);
    return p.string();
  }
  bool exists(const std::string& p) { return fs::exists(p); }

  testing::TempDir dir;
  fs::file_time_type now = fs::file_time_type::clock::now();
  SandboxGcPolicy policy{std::chrono::hours(24), 0.9};
};

TEST_F(SandboxGcTest, OldSandboxesGoAndYoungOnesStay) {
  std::string old = sandbox("old.1", 48h), young = sandbox("young.1", 1h);
  auto removed = collectSandboxes(dir.path(), {}, now, policy, [] { return 0.1; });
  EXPECT_EQ(removed, std::vector<std::string>{old});
  EXPECT_FALSE(exists(old));
  EXPECT_TRUE(exists(young));
}

TEST_F(SandboxGcTest, SandboxesInUseAreNeverCollected) {
  std::string running = sandbox("running.1", 100h);
  auto removed = collectSandboxes(dir.path(), {running}, now, policy, [] { return 0.99; });
  EXPECT_TRUE(removed.empty());
  EXPECT_TRUE(exists(running));
}

TEST_F(SandboxGcTest, AFullDiskTakesTheOldestFirstUntilBelowTheLimit) {
  std::string a = sandbox("a.1", 3h), b = sandbox("b.1", 2h), c = sandbox("c.1", 1h);
  // Each removal frees a tenth of the disk: two go before usage is under 0.9.
  double usage = 1.0;
  auto removed = collectSandboxes(dir.path(), {}, now, policy, [&] {
    double now = usage;
    usage -= 0.06;
    return now;
  });
  EXPECT_EQ(removed, (std::vector<std::string>{a, b}));
  EXPECT_TRUE(exists(c));
}

TEST_F(SandboxGcTest, AnEmptyFrameworkDirectoryGoesWithItsLastSandbox) {
  std::string old = sandbox("old.1", 48h);
  collectSandboxes(dir.path(), {}, now, policy, [] { return 0.1; });
  EXPECT_FALSE(exists(fs::path(old).parent_path().string()));
}

}  // namespace
}  // namespace agora
