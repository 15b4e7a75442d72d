#include "agent/rotating_log.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.hpp"

namespace agora {
namespace {

namespace fs = std::filesystem;

std::string contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(RotatingLogTest, RotatesAtTheCapAndKeepsTheNewestFiles) {
  testing::TempDir dir;
  std::string path = dir.path() + "/stdout";
  RotatingLog log(path, 10, 2);
  ASSERT_TRUE(log.append("0123456789abcdefghij", 20).ok());  // two full files
  ASSERT_TRUE(log.append("KLMNO", 5).ok());
  EXPECT_EQ(contents(path), "KLMNO");
  EXPECT_EQ(contents(path + ".1"), "abcdefghij");
  EXPECT_EQ(contents(path + ".2"), "0123456789");
  ASSERT_TRUE(log.append("pqrstuvwxyz", 11).ok());
  EXPECT_EQ(contents(path), "uvwxyz");
  EXPECT_EQ(contents(path + ".1"), "KLMNOpqrst");
  EXPECT_EQ(contents(path + ".2"), "abcdefghij");
  EXPECT_FALSE(fs::exists(path + ".3"));
}

TEST(RotatingLogTest, KeepingNoFilesDropsOldOutput) {
  testing::TempDir dir;
  std::string path = dir.path() + "/stderr";
  RotatingLog log(path, 4, 0);
  ASSERT_TRUE(log.append("abcdefg", 7).ok());
  EXPECT_EQ(contents(path), "efg");
  EXPECT_FALSE(fs::exists(path + ".1"));
}

TEST(RotatingLogTest, NoCapMeansOneGrowingFileThatExistsBeforeAnyWrite) {
  testing::TempDir dir;
  std::string path = dir.path() + "/stdout";
  RotatingLog log(path, 0, 3);
  ASSERT_TRUE(log.open().ok());
  EXPECT_TRUE(fs::exists(path));
  std::string big(100000, 'x');
  ASSERT_TRUE(log.append(big.data(), big.size()).ok());
  EXPECT_EQ(fs::file_size(path), big.size());
}

TEST(RotatingLogTest, AnUnwritablePlaceIsAnError) {
  RotatingLog log("/nonexistent-dir/stdout", 10, 1);
  Status s = log.append("x", 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("/nonexistent-dir/stdout"), std::string::npos) << s.error();
}

}  // namespace
}  // namespace agora
