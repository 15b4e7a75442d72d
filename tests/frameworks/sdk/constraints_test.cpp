// Marathon's placement constraints, as a table of cases.
#include "frameworks/sdk/constraints.hpp"

#include <gtest/gtest.h>

namespace agora::sdk {
namespace {

Placed on(const std::string& host, Attributes attributes = {}) { return Placed{host, std::move(attributes)}; }

Status check(const std::vector<std::string>& spec, const std::string& host, const Attributes& attributes,
             const std::vector<Placed>& placed) {
  Try<Constraint> c = parseConstraint(spec);
  EXPECT_TRUE(c.ok()) << c.error();
  return satisfies(*c, host, attributes, placed);
}

TEST(ConstraintsTest, Unique) {
  EXPECT_TRUE(check({"hostname", "UNIQUE"}, "h1", {}, {on("h2")}).ok());
  Status s = check({"hostname", "UNIQUE"}, "h1", {}, {on("h1")});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "hostname h1 already runs a task of the app (UNIQUE)");
}

TEST(ConstraintsTest, ClusterWithAndWithoutAValue) {
  EXPECT_TRUE(check({"rack", "CLUSTER", "r1"}, "h", {{"rack", "r1"}}, {}).ok());
  EXPECT_FALSE(check({"rack", "CLUSTER", "r1"}, "h", {{"rack", "r2"}}, {}).ok());
  EXPECT_TRUE(check({"rack", "CLUSTER"}, "h", {{"rack", "r2"}}, {}).ok());  // the first picks
  EXPECT_FALSE(check({"rack", "CLUSTER"}, "h", {{"rack", "r2"}}, {on("x", {{"rack", "r1"}})}).ok());
}

TEST(ConstraintsTest, GroupBySpreadsEvenly) {
  std::vector<Placed> placed{on("a", {{"zone", "z1"}}), on("b", {{"zone", "z2"}})};
  EXPECT_TRUE(check({"zone", "GROUP_BY"}, "c", {{"zone", "z1"}}, placed).ok());
  placed.push_back(on("c", {{"zone", "z1"}}));
  EXPECT_FALSE(check({"zone", "GROUP_BY"}, "d", {{"zone", "z1"}}, placed).ok());
  EXPECT_TRUE(check({"zone", "GROUP_BY"}, "d", {{"zone", "z2"}}, placed).ok());
  EXPECT_TRUE(check({"zone", "GROUP_BY"}, "d", {{"zone", "z3"}}, placed).ok());
  // With three groups asked for, a third value must be used before z1 or z2 gets more.
  std::vector<Placed> two{on("a", {{"zone", "z1"}}), on("b", {{"zone", "z2"}})};
  EXPECT_FALSE(check({"zone", "GROUP_BY", "3"}, "c", {{"zone", "z1"}}, two).ok());
  EXPECT_TRUE(check({"zone", "GROUP_BY", "3"}, "c", {{"zone", "z3"}}, two).ok());
}

TEST(ConstraintsTest, LikeAndUnlikeMatchTheWholeValue) {
  EXPECT_TRUE(check({"rack", "LIKE", "r[12]"}, "h", {{"rack", "r1"}}, {}).ok());
  EXPECT_FALSE(check({"rack", "LIKE", "r[12]"}, "h", {{"rack", "r10"}}, {}).ok());
  EXPECT_FALSE(check({"rack", "UNLIKE", "r[12]"}, "h", {{"rack", "r1"}}, {}).ok());
  EXPECT_TRUE(check({"rack", "UNLIKE", "r[12]"}, "h", {{"rack", "r3"}}, {}).ok());
  EXPECT_TRUE(check({"hostname", "LIKE", ".*\\.prod"}, "web1.prod", {}, {}).ok());
}

TEST(ConstraintsTest, MaxPerAndIs) {
  std::vector<Placed> placed{on("a", {{"rack", "r1"}}), on("b", {{"rack", "r1"}})};
  EXPECT_FALSE(check({"rack", "MAX_PER", "2"}, "c", {{"rack", "r1"}}, placed).ok());
  EXPECT_TRUE(check({"rack", "MAX_PER", "3"}, "c", {{"rack", "r1"}}, placed).ok());
  EXPECT_TRUE(check({"os", "IS", "linux"}, "c", {{"os", "linux"}}, {}).ok());
  EXPECT_FALSE(check({"os", "IS", "linux"}, "c", {{"os", "linux2"}}, {}).ok());
}

TEST(ConstraintsTest, AnAgentWithoutTheAttributeSatisfiesOnlyUnlike) {
  Status s = check({"rack", "UNIQUE"}, "h", {}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "the agent has no attribute 'rack'");
  EXPECT_TRUE(check({"rack", "UNLIKE", "r1"}, "h", {}, {}).ok());
}

TEST(ConstraintsTest, BadConstraintsAreRefusedWithAReason) {
  struct Case {
    std::vector<std::string> spec;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {{"hostname"}, "a constraint is [field, operator] or [field, operator, value]"},
           {{"hostname", "NEAR"}, "constraint operator 'NEAR' is not one of UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS"},
           {{"hostname", "UNIQUE", "x"}, "UNIQUE takes no value"},
           {{"rack", "MAX_PER"}, "MAX_PER takes a positive number of tasks per value"},
           {{"rack", "MAX_PER", "0"}, "MAX_PER takes a positive number of tasks per value, not '0'"},
           {{"rack", "GROUP_BY", "x"}, "GROUP_BY takes a positive number of groups, not 'x'"},
           {{"rack", "LIKE"}, "LIKE takes a regular expression"},
           {{"rack", "IS"}, "IS takes a value"},
       }) {
    Try<Constraint> parsed = parseConstraint(c.spec);
    ASSERT_TRUE(parsed.isError()) << c.spec[0];
    EXPECT_EQ(parsed.error(), c.error);
  }
  Try<Constraint> regex = parseConstraint({"rack", "LIKE", "r[1"});
  ASSERT_TRUE(regex.isError());
  EXPECT_EQ(regex.error().rfind("'r[1' is not a valid regular expression", 0), 0u) << regex.error();
}

// Found by fuzzing: std::regex, used before RE2, overflowed a long reading this back-reference
// (UBSan). RE2 refuses back-references and counts above 1000, each with its reason.
TEST(ConstraintsTest, PatternsRE2CannotRunInLinearTimeAreRefused) {
  for (const auto& [pattern, why] : std::vector<std::pair<std::string, std::string>>{
           {"a\\18446744073709551615", "invalid escape sequence"},
           {"(a)\\1", "invalid escape sequence"},
           {"r{1,99999}", "invalid repetition size"},
           {"x{1001}", "invalid repetition size"},
           {"(?=a)", "invalid perl operator"}}) {
    Try<Constraint> parsed = parseConstraint({"rack", "LIKE", pattern});
    ASSERT_TRUE(parsed.isError()) << pattern;
    EXPECT_EQ(parsed.error().rfind("'" + pattern + "' is not a valid regular expression: " + why, 0), 0u) << parsed.error();
  }
  for (const char* pattern : {"r[0-9]{1,3}", "a\\{99999\\}", "12345678901234567890", "x{1000}", "\\Qa.b\\E"})
    EXPECT_TRUE(parseConstraint({"rack", "UNLIKE", pattern}).ok()) << pattern;
}

// A pattern that makes a backtracking engine take exponential time ("(.*)*x" on 18 characters
// took std::regex over 19 s) is matched in linear time.
TEST(ConstraintsTest, MatchingTakesLinearTime) {
  std::vector<Constraint> like{*parseConstraint({"hostname", "LIKE", "(.*)*x"})};
  std::string host(100000, 'a');
  EXPECT_FALSE(satisfiesAll(like, host, {}, {}).ok());
  EXPECT_TRUE(satisfiesAll(like, host + "x", {}, {}).ok());
}

TEST(ConstraintsTest, SatisfiesAllSaysWhichFailed) {
  std::vector<Constraint> all{*parseConstraint({"hostname", "UNIQUE"}), *parseConstraint({"rack", "IS", "r1"})};
  Status s = satisfiesAll(all, "h2", {{"rack", "r2"}}, {on("h1")});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "rack is r2, not r1 (IS)");
}

}  // namespace
}  // namespace agora::sdk
