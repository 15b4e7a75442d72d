#include "common/resources.hpp"

#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace agora {
namespace {

Resources parse(const std::string& text) {
  auto r = Resources::parse(text);
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? *r : Resources();
}

TEST(ResourcesTest, ParsesScalarsRangesSetsAndRoles) {
  Resources r = parse("cpus:4;mem:8192.5;disk(eng):100;ports:[31000-32000,80];zones:{a,b}");
  EXPECT_DOUBLE_EQ(r.scalar("cpus"), 4);
  EXPECT_DOUBLE_EQ(r.scalar("mem"), 8192.5);
  EXPECT_DOUBLE_EQ(r.reservedFor("eng").scalar("disk"), 100);
  EXPECT_DOUBLE_EQ(r.reservedFor("*").scalar("disk"), 0);
  EXPECT_EQ(r.ranges("ports"), (Ranges{{80, 80}, {31000, 32000}}));
  EXPECT_EQ(r.toString(), "cpus:4;mem:8192.5;disk(eng):100;ports:[80-80,31000-32000];zones:{a,b}");
}

TEST(ResourcesTest, ParseErrorsNameTheEntry) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"cpus", "'cpus' is not 'name:value'"},
      {"cpus:abc", "'abc' is not a number"},
      {"cpus:-1", "must not be negative"},
      {"cpus:", "has no value"},
      {"ports:[10-5]", "ends before it begins"},
      {"ports:[a-5]", "'a' is not a non-negative integer"},
      {"ports:[1-5", "must end with ']'"},
      {"disk():5", "empty role"},
      {":5", "empty name"},
      {"x:1;x:[1-2]", "two different types"},
  };
  for (const auto& c : cases) {
    auto r = Resources::parse(c.text);
    ASSERT_TRUE(r.isError()) << c.text;
    EXPECT_NE(r.error().find(c.message), std::string::npos) << c.text << " -> " << r.error();
  }
}

TEST(ResourcesTest, ScalarsKeepThreeDecimalsExactly) {
  Resources a = parse("cpus:0.1");
  Resources sum;
  for (int i = 0; i < 10; ++i) sum += a;
  EXPECT_EQ(sum.scalarMilli("cpus"), 1000);
  EXPECT_TRUE(sum == parse("cpus:1"));
  EXPECT_EQ(parse("cpus:0.0004").scalarMilli("cpus"), 0);
  EXPECT_TRUE(parse("cpus:0.0004").empty());
  EXPECT_EQ(parse("cpus:1.2345").toString(), "cpus:1.235");
}

TEST(ResourcesTest, SubtractionNeverGoesNegative) {
  Resources r = parse("cpus:1;mem:100") - parse("cpus:3;mem:40;gpus:1");
  EXPECT_EQ(r.toString(), "mem:60");
}

TEST(ResourcesTest, RangeArithmeticIsExact) {
  Resources all = parse("ports:[1000-2000]");
  Resources taken = parse("ports:[1000-1000,1500-1600,2000-2000]");
  Resources left = all - taken;
  EXPECT_EQ(left.ranges("ports"), (Ranges{{1001, 1499}, {1601, 1999}}));
  EXPECT_TRUE(all.contains(taken));
  EXPECT_FALSE(left.contains(taken));
  EXPECT_TRUE((left + taken) == all);
  EXPECT_EQ(rangesSize(left.ranges("ports")), 499u + 399u);
  EXPECT_EQ(parse("ports:[5-6,1-2,3-4]").ranges("ports"), (Ranges{{1, 6}}));
}

TEST(ResourcesTest, TheSizeOfEveryValueSaturatesInsteadOfWrappingToZero) {
  EXPECT_EQ(rangesSize({{0, UINT64_MAX}}), UINT64_MAX);
  EXPECT_EQ(rangesSize({{1, UINT64_MAX}}), UINT64_MAX);
  EXPECT_EQ(rangesSize({{0, 0}, {2, UINT64_MAX}}), UINT64_MAX);
  EXPECT_EQ(rangesSize({{0, UINT64_MAX - 1}}), UINT64_MAX);
  EXPECT_EQ(rangesSize({{10, 19}, {30, 30}}), 11u);
}

TEST(ResourcesTest, ContainsRespectsRolesAndSets) {
  Resources r = parse("cpus(eng):2;cpus:1;zones:{a,b}");
  EXPECT_TRUE(r.contains(parse("cpus:1")));
  EXPECT_FALSE(r.contains(parse("cpus:2")));
  EXPECT_TRUE(r.contains(parse("cpus(eng):2")));
  EXPECT_TRUE(r.contains(parse("zones:{a}")));
  EXPECT_FALSE(r.contains(parse("zones:{c}")));
  EXPECT_DOUBLE_EQ(r.flatten().scalar("cpus"), 3);
  EXPECT_EQ(r.flatten().items().size(), 2u);
}

TEST(ResourcesTest, JsonRoundTripAndErrors) {
  Resources r = parse("cpus:1.5;mem:64;ports:[31000-31010];disk(eng):5;zones:{a}");
  auto back = Resources::fromJson(r.toJson());
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(*back == r);
  EXPECT_TRUE(Resources::fromJson(nlohmann::json("cpus:1;mem:2")).ok());
  auto bad = Resources::fromJson(nlohmann::json::parse(R"({"cpus": -1})"));
  ASSERT_TRUE(bad.isError());
  EXPECT_NE(bad.error().find("non-negative"), std::string::npos) << bad.error();
  bad = Resources::fromJson(nlohmann::json::parse(R"({"ports": [[5, 1]]})"));
  ASSERT_TRUE(bad.isError());
  EXPECT_NE(bad.error().find("ends before it begins"), std::string::npos);
  bad = Resources::fromJson(nlohmann::json::parse(R"([1,2])"));
  ASSERT_TRUE(bad.isError());
  bad = Resources::fromJson(nlohmann::json::parse(R"({"x": true})"));
  ASSERT_TRUE(bad.isError());
}

// Fuzzing: two scalars of 9e15 overflowed int64 thousandths when summed (parse, fromList,
// flatten, operator+=). Every held scalar is now at most kMaxScalar, and sums past it are
// refused where an error can be returned and saturate in operator+=.
TEST(ResourcesTest, ScalarSumsCannotOverflow) {
  auto sum = Resources::parse("cpus:9e15;cpus:9e15");
  ASSERT_TRUE(sum.isError());
  EXPECT_NE(sum.error().find("too large"), std::string::npos) << sum.error();
  sum = Resources::parse("cpus:1e12;cpus:0.001");
  ASSERT_TRUE(sum.isError());
  EXPECT_NE(sum.error().find("adds up to more than 1000000000000"), std::string::npos) << sum.error();
  EXPECT_EQ(parse("cpus:6e11;cpus:4e11").scalarMilli("cpus"), kMaxScalarMilli);
  // The limit is on a name over all its roles, so the default role makes no difference.
  for (const char* role : {"*", "eng"}) {
    auto roles = Resources::parse("cpus:6e11;cpus(eng):6e11", role);
    ASSERT_TRUE(roles.isError()) << role;
    EXPECT_NE(roles.error().find("over all its roles"), std::string::npos) << roles.error();
  }
  Resources split = parse("cpus:6e11;cpus(eng):4e11");
  EXPECT_EQ(split.flatten().scalarMilli("cpus"), kMaxScalarMilli);

  // From the wire (thousandths as given) and from the scheduler API (doubles).
  auto wire = Resources::fromList({Resource::scalar("cpus", 1), Resource::scalar("cpus", 1)});
  ASSERT_TRUE(wire.ok()) << wire.error();
  Resource big;
  big.name = "cpus";
  big.milli = 5'000'000'000'000'000'000;
  auto list = Resources::fromList({big, big});
  ASSERT_TRUE(list.isError());
  EXPECT_NE(list.error().find("too large"), std::string::npos) << list.error();
  big.milli = kMaxScalarMilli;
  list = Resources::fromList({big, Resource::scalar("cpus", 0.001)});
  ASSERT_TRUE(list.isError());
  EXPECT_NE(list.error().find("adds up to more than"), std::string::npos) << list.error();
  list = Resources::fromList({Resource::scalar("cpus", 0.001), Resource::scalar("cpus", 1e12, "eng")});
  ASSERT_TRUE(list.isError());
  EXPECT_NE(list.error().find("over all its roles"), std::string::npos) << list.error();
  list = Resources::fromList({Resource::scalar("cpus", 9e15), Resource::scalar("cpus", 9e15)});
  ASSERT_TRUE(list.isError());
  list = Resources::fromList({Resource::scalar("cpus", 1e300)});
  ASSERT_TRUE(list.isError());
  EXPECT_NE(list.error().find("too large"), std::string::npos) << list.error();

  // Already-checked values saturate at the maximum: operator+=, flatten() and the sum over roles.
  Resources most = parse("cpus:1e12") + parse("cpus(eng):1e12");
  Resources total = most;
  for (int i = 0; i < 20000; ++i) total += most;
  EXPECT_EQ(total.scalarMilli("cpus"), kMaxScalarMilli);
  EXPECT_EQ(most.flatten().scalarMilli("cpus"), kMaxScalarMilli);
  EXPECT_EQ(most.scalarMilli("cpus"), kMaxScalarMilli);
}

// Fuzzing: a range ending at 2^64-1 made end + 1 wrap to 0, so overlapping ranges stayed apart.
TEST(ResourcesTest, RangesEndingAtTheLargestValueMerge) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(parse("ports:[5-18446744073709551615,10-20]").ranges("ports"), (Ranges{{5, kMax}}));
  EXPECT_EQ(normalizeRanges({{kMax, kMax}, {0, kMax - 1}}), (Ranges{{0, kMax}}));
  EXPECT_EQ(normalizeRanges({{kMax - 1, kMax}, {kMax, kMax}}), (Ranges{{kMax - 1, kMax}}));
  EXPECT_EQ(normalizeRanges({{1, 2}, {4, 5}}), (Ranges{{1, 2}, {4, 5}}));
  EXPECT_EQ(normalizeRanges({{1, 2}, {3, 5}}), (Ranges{{1, 5}}));
}

// Fuzzing: the old limit (9e15) let thousandths through that a double cannot hold, so
// cpus:9000000000000;cpus:0.001 came back from JSON as another value. Up to kMaxScalar every
// thousandth survives text and JSON.
TEST(ResourcesTest, ScalarsUpToTheMaximumRoundTripExactly) {
  auto old = Resources::parse("cpus:9000000000000;cpus:0.001");
  ASSERT_TRUE(old.isError());
  EXPECT_NE(old.error().find("too large; give at most 1000000000000"), std::string::npos) << old.error();
  for (const char* text : {"cpus:999999999999.999", "cpus:1000000000000", "cpus:123456789012.345", "cpus:0.001",
                           "cpus:999999999999;cpus:0.999"}) {
    Resources r = parse(text);
    auto fromText = Resources::parse(r.toString());
    ASSERT_TRUE(fromText.ok()) << fromText.error();
    EXPECT_EQ(fromText->scalarMilli("cpus"), r.scalarMilli("cpus")) << text;
    auto fromJson = Resources::fromJson(nlohmann::json::parse(r.toJson().dump()));
    ASSERT_TRUE(fromJson.ok()) << fromJson.error();
    EXPECT_EQ(fromJson->scalarMilli("cpus"), r.scalarMilli("cpus")) << text;
  }
  EXPECT_EQ(parse("cpus:999999999999;cpus:0.999").scalarMilli("cpus"), kMaxScalarMilli - 1);
}

// Fuzzing: {"cpus": 1e17} was refused as "negative", since llround overflowed first.
TEST(ResourcesTest, HugeJsonScalarsAreTooLargeNotNegative) {
  for (const char* text : {R"({"cpus": 1e17})", R"({"cpus": 1e300})", R"({"cpus": 1000000000000.001})"}) {
    auto r = Resources::fromJson(nlohmann::json::parse(text));
    ASSERT_TRUE(r.isError()) << text;
    EXPECT_NE(r.error().find("too large"), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find("negative"), std::string::npos) << r.error();
  }
  EXPECT_TRUE(Resources::fromJson(nlohmann::json::parse(R"({"cpus": 1e12})")).ok());
}

}  // namespace
}  // namespace agora
