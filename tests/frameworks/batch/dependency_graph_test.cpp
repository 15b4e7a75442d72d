// Dependencies: cycles named, a diamond that fires its child once both sides succeed, and a
// failed parent that blocks until it succeeds again.
#include <gtest/gtest.h>

#include "frameworks/batch/dependency_graph.hpp"

namespace agora::batch {
namespace {

TEST(DependencyGraphTest, CyclesAreNamed) {
  EXPECT_FALSE(findCycle({{"a", {}}, {"b", {"a"}}, {"c", {"a", "b"}}}));
  std::optional<std::string> cycle = findCycle({{"a", {"c"}}, {"b", {"a"}}, {"c", {"b"}}});
  ASSERT_TRUE(cycle);
  EXPECT_EQ(*cycle, "a -> c -> b -> a");
}

TEST(DependencyGraphTest, DiamondFiresOnceBothSidesSucceed) {
  ParentsOf g = {{"top", {}}, {"left", {"top"}}, {"right", {"top"}}, {"bottom", {"left", "right"}}};
  EXPECT_EQ(childrenOf(g, "top"), (std::vector<std::string>{"left", "right"}));
  DependencyState bottom;
  EXPECT_FALSE(parentSucceeded(bottom, g["bottom"], "left"));
  EXPECT_TRUE(parentSucceeded(bottom, g["bottom"], "right"));
  started(bottom);
  EXPECT_FALSE(parentSucceeded(bottom, g["bottom"], "right")) << "a start needs both again";
}

TEST(DependencyGraphTest, AFailedParentBlocksUntilItSucceeds) {
  std::vector<std::string> parents = {"left", "right"};
  DependencyState d;
  EXPECT_FALSE(parentSucceeded(d, parents, "left"));
  parentFailed(d, "right", "run r1 of right failed");
  EXPECT_EQ(d.blockedBy.at("right"), "run r1 of right failed");
  parentFailed(d, "left", "run r2 of left failed");
  EXPECT_FALSE(parentSucceeded(d, parents, "right"));
  EXPECT_TRUE(d.blockedBy.count("left"));
  EXPECT_TRUE(parentSucceeded(d, parents, "left"));
  EXPECT_TRUE(d.blockedBy.empty());
}

}  // namespace
}  // namespace agora::batch
