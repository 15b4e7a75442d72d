// Roles, weights, quota and reservations in the hierarchical allocator, with a manual clock.
#include "master/allocator/hierarchical_allocator.hpp"

#include <gtest/gtest.h>

#include <map>

namespace agora {
namespace {

Resources res(const std::string& text) { return *Resources::parse(text); }

class HierarchicalAllocatorTest : public ::testing::Test {
 protected:
  void agents(int n, const std::string& each) {
    for (int i = 0; i < n; ++i) allocator.addAgent("a" + std::to_string(i), res(each), {});
  }
  // cpus allocated per framework in one full cycle.
  std::map<std::string, double> cycle(Allocator::Scope scope = Allocator::Scope::kAll) {
    std::map<std::string, double> cpus;
    for (const auto& a : allocator.allocate(scope)) cpus[a.frameworkId] += a.resources.scalar("cpus");
    return cpus;
  }

  ManualClock clock;
  HierarchicalAllocator allocator{clock};
};

TEST_F(HierarchicalAllocatorTest, WeightsSplitBetweenSiblingRoles) {
  allocator.setWeight("b", 3);
  allocator.addFramework("fa", {"a"}, true);
  allocator.addFramework("fb", {"b"}, true);
  agents(8, "cpus:1;mem:100");
  auto cpus = cycle();
  EXPECT_EQ(cpus["fa"], 2);
  EXPECT_EQ(cpus["fb"], 6);
}

TEST_F(HierarchicalAllocatorTest, FairShareGoesDownTheRoleTree) {
  // eng and ops split the cluster; eng's half is split again between its two children.
  allocator.addFramework("ml", {"eng/ml"}, true);
  allocator.addFramework("web", {"eng/web"}, true);
  allocator.addFramework("ops", {"ops"}, true);
  agents(8, "cpus:1;mem:100");
  auto cpus = cycle();
  EXPECT_EQ(cpus["ops"], 4);
  EXPECT_EQ(cpus["ml"], 2);
  EXPECT_EQ(cpus["web"], 2);
  EXPECT_NEAR(allocator.roleShare("eng"), 0.5, 1e-9);
  EXPECT_NEAR(allocator.roleShare("eng/ml"), 0.25, 1e-9);
}

TEST_F(HierarchicalAllocatorTest, FrameworksOfARoleShareItsPart) {
  allocator.addFramework("f1", {"eng"}, true);
  allocator.addFramework("f2", {"eng"}, true);
  allocator.addFramework("o", {"ops"}, true);
  agents(8, "cpus:1;mem:100");
  auto cpus = cycle();
  EXPECT_EQ(cpus["o"], 4);
  EXPECT_EQ(cpus["f1"], 2);
  EXPECT_EQ(cpus["f2"], 2);
}

TEST_F(HierarchicalAllocatorTest, QuotaGuaranteeIsMetBeforeFairShare) {
  allocator.setWeight("big", 100);  // fair share alone would give "big" nearly everything
  allocator.setQuota("small", Quota{res("cpus:6"), Resources()});
  allocator.addFramework("fbig", {"big"}, true);
  allocator.addFramework("fsmall", {"small"}, true);
  agents(8, "cpus:1;mem:100");
  auto cpus = cycle();
  EXPECT_EQ(cpus["fsmall"], 6);
  EXPECT_EQ(cpus["fbig"], 2);
}

TEST_F(HierarchicalAllocatorTest, UnmetGuaranteeHoldsBackUnreservedResourcesFromOtherRoles) {
  allocator.setQuota("q", Quota{res("cpus:2"), Resources()});
  allocator.addFramework("fq", {"q"}, true);
  allocator.suppressOffers("fq", {});
  allocator.addFramework("other", {"r"}, true);
  agents(4, "cpus:1;mem:100");
  EXPECT_EQ(cycle()["other"], 2) << "two cpus stay free for q's guarantee";
  allocator.reviveOffers("fq", {});
  EXPECT_EQ(cycle()["fq"], 2);
}

TEST_F(HierarchicalAllocatorTest, QuotaLimitIsNeverExceeded) {
  allocator.setQuota("capped", Quota{Resources(), res("cpus:2.5")});
  allocator.addFramework("f", {"capped"}, true);
  allocator.addAgent("a0", res("cpus:2;mem:1000"), {});
  allocator.addAgent("a1", res("cpus:2;mem:1000"), {});
  auto out = allocator.allocate(Allocator::Scope::kAll);
  double total = 0;
  for (const auto& a : out) total += a.resources.scalar("cpus");
  EXPECT_DOUBLE_EQ(total, 2.5);
  // Only cpus are limited: the memory of both agents is offered with them.
  double mem = 0;
  for (const auto& a : out) mem += a.resources.scalar("mem");
  EXPECT_DOUBLE_EQ(mem, 2000);
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kAll).empty());
  // What comes back can be offered again, still within the limit.
  allocator.recoverResources("f", out[0].agentId, out[0].resources, std::nullopt);
  auto again = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_DOUBLE_EQ(again[0].resources.scalar("cpus"), out[0].resources.scalar("cpus"));
}

TEST_F(HierarchicalAllocatorTest, LimitOfAParentRoleCapsItsChildren) {
  allocator.setQuota("eng", Quota{Resources(), res("cpus:1")});
  allocator.addFramework("ml", {"eng/ml"}, true);
  agents(3, "cpus:1;mem:100");
  EXPECT_EQ(cycle()["ml"], 1);
}

TEST_F(HierarchicalAllocatorTest, ReservedResourcesGoOnlyToTheirRoleAndItsChildren) {
  allocator.addFramework("ml", {"eng/ml"}, true);
  allocator.addFramework("ops", {"ops"}, true);
  allocator.addAgent("a0", res("cpus(eng):2;mem(eng):200"), {});
  auto out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frameworkId, "ml");
  EXPECT_EQ(out[0].role, "eng/ml");
  EXPECT_TRUE(out[0].resources == res("cpus(eng):2;mem(eng):200"));
}

TEST_F(HierarchicalAllocatorTest, SuppressionIsPerRole) {
  allocator.addFramework("f", {"a", "b"}, true);
  allocator.suppressOffers("f", {"a"});
  allocator.addAgent("a0", res("cpus:1;mem:100"), {});
  auto out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].role, "b");
  allocator.suppressOffers("f", {"b"});
  allocator.recoverResources("f", "a0", out[0].resources, std::nullopt);
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kAll).empty());
  allocator.reviveOffers("f", {"a"});
  out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].role, "a");
}

TEST_F(HierarchicalAllocatorTest, ChangedScopeVisitsOnlyAgentsWithNewResources) {
  allocator.addFramework("f", {"*"}, true);
  agents(3, "cpus:1;mem:100");
  auto out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 3u);
  allocator.recoverResources("f", "a1", out[1].resources, std::nullopt);
  auto changed = allocator.allocate(Allocator::Scope::kChanged);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].agentId, "a1");
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kChanged).empty());
}

TEST_F(HierarchicalAllocatorTest, ResourcesHeldAtAddAgentCountInTheFrameworksRole) {
  allocator.addFramework("busy", {"eng"}, true);
  allocator.addFramework("idle", {"ops"}, true);
  allocator.addAgent("a0", res("cpus:4;mem:400"), {{"busy", res("cpus:4;mem:400")}});
  allocator.addAgent("a1", res("cpus:4;mem:400"), {});
  auto out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frameworkId, "idle");
  EXPECT_NEAR(allocator.roleShare("eng"), 0.5, 1e-9);
}

TEST_F(HierarchicalAllocatorTest, AnAgentEveryFrameworkDeclinedWaitsForAFilterToExpireOrANewFramework) {
  allocator.addFramework("f1", {"*"}, true);
  allocator.addFramework("f2", {"*"}, true);
  allocator.addAgent("a0", res("cpus:1;mem:100"), {});
  for (int i = 0; i < 2; ++i) {
    auto out = allocator.allocate(Allocator::Scope::kAll);
    ASSERT_EQ(out.size(), 1u);
    allocator.recoverResources(out[0].frameworkId, "a0", out[0].resources, seconds(10));
  }
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kAll).empty()) << "both frameworks declined a0";
  allocator.addFramework("f3", {"*"}, true);
  auto out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frameworkId, "f3");
  allocator.recoverResources("f3", "a0", out[0].resources, std::nullopt);
  allocator.deactivateFramework("f3");
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kAll).empty()) << "the one framework not filtered is inactive";
  clock.advance(seconds(10));
  out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].frameworkId, "f3");
}

TEST_F(HierarchicalAllocatorTest, AFrameworkThatLeftARoleIsNotOfferedThereAndCanGoAway) {
  allocator.addFramework("a", {"*"}, true);
  allocator.addFramework("b", {"*"}, true);
  allocator.addAgent("a0", res("cpus:1;mem:100"), {});
  auto out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  std::string holder = out[0].frameworkId, other = holder == "a" ? "b" : "a";
  allocator.addFramework(holder, {"eng"}, true);  // re-subscribes in another role
  allocator.recoverResources(holder, "a0", out[0].resources, std::nullopt);
  out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].role, out[0].frameworkId == holder ? "eng" : "*") << "offered in a role it left";
  allocator.recoverResources(out[0].frameworkId, "a0", out[0].resources, std::nullopt);
  allocator.removeFramework(holder);
  out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frameworkId, other);
}

TEST_F(HierarchicalAllocatorTest, NestedGuaranteesHoldBackTheParentsOnly) {
  allocator.setQuota("eng", Quota{res("cpus:4"), Resources()});
  allocator.setQuota("eng/ml", Quota{res("cpus:2"), Resources()});
  allocator.addFramework("ml", {"eng/ml"}, true);
  allocator.suppressOffers("ml", {});
  allocator.addFramework("other", {"ops"}, true);
  agents(10, "cpus:1;mem:100");
  EXPECT_EQ(cycle()["other"], 6) << "eng's 4 cpus cover eng/ml's 2";
}

TEST_F(HierarchicalAllocatorTest, HeadroomForGuaranteesDoesNotHoldBackReservations) {
  allocator.setQuota("q", Quota{res("cpus:4"), Resources()});
  allocator.addFramework("fq", {"q"}, true);
  allocator.suppressOffers("fq", {});
  allocator.addFramework("eng", {"eng"}, true);
  allocator.addAgent("plain", res("cpus:4;mem:100"), {});
  allocator.addAgent("owned", res("cpus(eng):4;mem(eng):100"), {});
  std::map<std::string, Resources> offered;
  for (const auto& a : allocator.allocate(Allocator::Scope::kAll)) offered[a.agentId] += a.resources;
  EXPECT_TRUE(offered["owned"] == res("cpus(eng):4;mem(eng):100")) << offered["owned"];
  EXPECT_EQ(offered["plain"].scalar("cpus"), 0) << "the unreserved cpus are q's headroom";
}

TEST_F(HierarchicalAllocatorTest, TasksLargerThanARestartedAgentAreChargedOnlyWhatItHas) {
  allocator.addFramework("f", {"*"}, true);
  allocator.addAgent("a0", res("cpus:2;mem:100"), {{"f", res("cpus:4;mem:100")}});
  allocator.recoverResources("f", "a0", res("cpus:4;mem:100"), std::nullopt);
  auto out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].resources == res("cpus:2;mem:100")) << out[0].resources;
}

TEST_F(HierarchicalAllocatorTest, AConvertedAllocationComesBackReservedForItsRole) {
  allocator.addFramework("owner", {"eng"}, true);
  allocator.addFramework("other", {"ops"}, true);
  allocator.addAgent("a0", res("cpus:2;mem:100"), {});
  auto out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  std::string holder = out[0].frameworkId;
  if (holder != "owner") {  // let the owner hold it
    allocator.recoverResources(holder, "a0", out[0].resources, seconds(60));
    out = allocator.allocate(Allocator::Scope::kAll);
    ASSERT_EQ(out.size(), 1u);
  }
  ASSERT_EQ(out[0].frameworkId, "owner");
  allocator.convertAllocation("owner", "a0", res("cpus:1"), res("cpus(eng):1"));
  allocator.recoverResources("owner", "a0", res("cpus:1;cpus(eng):1;mem:100"), seconds(60));
  clock.advance(seconds(61));
  allocator.suppressOffers("owner", {});
  out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frameworkId, "other");
  EXPECT_TRUE(out[0].resources == res("cpus:1;mem:100")) << out[0].resources << ": the reservation went to ops";
  allocator.reviveOffers("owner", {});
  out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frameworkId, "owner");
  EXPECT_TRUE(out[0].resources == res("cpus(eng):1")) << out[0].resources;
}

TEST(RoleNameTest, ValidatesSegments) {
  EXPECT_TRUE(validateRole("*").ok());
  EXPECT_TRUE(validateRole("eng/ml/training").ok());
  EXPECT_TRUE(validateRole("team_a-1.x").ok());
  for (const char* bad : {"", "/eng", "eng/", "eng//ml", "eng/../x", ".", "eng ml", "eng/*"}) {
    Status s = validateRole(bad);
    EXPECT_FALSE(s.ok()) << bad;
  }
  EXPECT_EQ(roleAndAncestors("a/b/c"), (std::vector<std::string>{"a", "a/b", "a/b/c"}));
}

}  // namespace
}  // namespace agora

namespace agora {
namespace {

TEST(HierarchicalAllocatorOrderTest, AFrameworkThatComesAfterTheAgentsIsOfferedThem) {
  ManualClock clock;
  HierarchicalAllocator allocator{clock};
  allocator.addAgent("a0", *Resources::parse("cpus:2;mem:23081;disk:75192;ports:[31000-31999]"), {});
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kChanged).empty());
  allocator.addFramework("f", {"*"}, true);
  auto out = allocator.allocate(Allocator::Scope::kChanged);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].resources.ranges("ports").size(), 1u);
}

}  // namespace
}  // namespace agora
