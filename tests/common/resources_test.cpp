#include "common/resources.hpp"

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

}  // namespace
}  // namespace agora
