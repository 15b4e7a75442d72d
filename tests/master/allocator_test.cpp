// The hierarchical DRF allocator driven by a manual clock: no test waits for real time.
#include "master/allocator/hierarchical_allocator.hpp"

#include <gtest/gtest.h>

namespace agora {
namespace {

Resources res(const std::string& text) { return *Resources::parse(text); }

class AllocatorTest : public ::testing::Test {
 protected:
  ManualClock clock;
  HierarchicalAllocator allocator{clock};
};

TEST_F(AllocatorTest, OffersAnAgentsWholeAvailableResourcesToOneFramework) {
  allocator.addFramework("fw1", {"*"}, true);
  allocator.addAgent("a1", res("cpus:4;mem:1024"), {});
  auto out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frameworkId, "fw1");
  EXPECT_EQ(out[0].agentId, "a1");
  EXPECT_TRUE(out[0].resources == res("cpus:4;mem:1024"));
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kAll).empty()) << "allocated resources are not offered twice";
}

TEST_F(AllocatorTest, LowestDominantShareGoesFirst) {
  allocator.addFramework("fw1", {"*"}, true);
  allocator.addFramework("fw2", {"*"}, true);
  // fw1 already runs tasks worth a quarter of the cluster's cpus; fw2 holds nothing.
  allocator.addAgent("a1", res("cpus:10;mem:1000"), {{"fw1", res("cpus:5;mem:100")}});
  allocator.addAgent("a2", res("cpus:10;mem:1000"), {});
  EXPECT_NEAR(allocator.frameworkShare("fw1"), 0.25, 1e-9);
  auto out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 2u);
  // a1 comes first: fw2 has the lower share and gets what is left there (cpus:5;mem:900),
  // which makes its dominant share mem 900/2000 = 0.45 > 0.25, so a2 goes to fw1.
  EXPECT_EQ(out[0].frameworkId, "fw2");
  EXPECT_EQ(out[0].agentId, "a1");
  EXPECT_TRUE(out[0].resources == res("cpus:5;mem:900"));
  EXPECT_EQ(out[1].frameworkId, "fw1");
  EXPECT_EQ(out[1].agentId, "a2");
  EXPECT_NEAR(allocator.frameworkShare("fw2"), 0.45, 1e-9);
}

TEST_F(AllocatorTest, DeclineFilterHoldsUntilItExpires) {
  allocator.addFramework("fw1", {"*"}, true);
  allocator.addAgent("a1", res("cpus:4;mem:1024"), {});
  auto first = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(first.size(), 1u);
  allocator.recoverResources("fw1", "a1", first[0].resources, seconds(5));
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kAll).empty());
  clock.advance(seconds(4.9));
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kAll).empty());
  clock.advance(seconds(0.1));
  auto again = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].frameworkId, "fw1");
}

TEST_F(AllocatorTest, DeclinedResourcesGoToAnotherFramework) {
  allocator.addFramework("fw1", {"*"}, true);
  allocator.addAgent("a1", res("cpus:4;mem:1024"), {});
  auto first = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(first[0].frameworkId, "fw1");
  allocator.addFramework("fw2", {"*"}, true);
  allocator.recoverResources("fw1", "a1", first[0].resources, seconds(5));
  auto next = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].frameworkId, "fw2");
}

TEST_F(AllocatorTest, FilterDoesNotCoverMoreThanWasDeclined) {
  allocator.addFramework("fw1", {"*"}, true);
  allocator.addAgent("a1", res("cpus:4;mem:1024"), {{"fw1", res("cpus:2;mem:512")}});
  auto first = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(first.size(), 1u);
  allocator.recoverResources("fw1", "a1", first[0].resources, seconds(5));
  // A task ends: the agent now has more than the declined resources, so the filter no longer applies.
  allocator.recoverResources("fw1", "a1", res("cpus:2;mem:512"), std::nullopt);
  auto next = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_TRUE(next[0].resources == res("cpus:4;mem:1024"));
}

TEST_F(AllocatorTest, SuppressedAndInactiveFrameworksGetNothingUntilRevived) {
  allocator.addFramework("fw1", {"*"}, true);
  allocator.addFramework("fw2", {"*"}, false);
  allocator.suppressOffers("fw1", {});
  allocator.addAgent("a1", res("cpus:1;mem:10"), {});
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kAll).empty());
  allocator.reviveOffers("fw1", {});
  auto out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frameworkId, "fw1");
}

TEST_F(AllocatorTest, ReviveClearsDeclineFilters) {
  allocator.addFramework("fw1", {"*"}, true);
  allocator.addAgent("a1", res("cpus:1;mem:10"), {});
  auto first = allocator.allocate(Allocator::Scope::kAll);
  allocator.recoverResources("fw1", "a1", first[0].resources, seconds(3600));
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kAll).empty());
  allocator.reviveOffers("fw1", {});
  EXPECT_EQ(allocator.allocate(Allocator::Scope::kAll).size(), 1u);
}

TEST_F(AllocatorTest, ReservedResourcesAreOfferedOnlyToTheirRole) {
  allocator.addFramework("web", {"web"}, true);
  allocator.addFramework("batch", {"batch"}, true);
  allocator.addAgent("a1", res("cpus(web):2;cpus:1;mem:100"), {});
  auto out = allocator.allocate(Allocator::Scope::kAll);
  // Roles sort by share (both 0) then name: "batch" gets the unreserved part only, and
  // "web" then gets its reservation.
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].frameworkId, "batch");
  EXPECT_TRUE(out[0].resources == res("cpus:1;mem:100"));
  EXPECT_EQ(out[1].frameworkId, "web");
  EXPECT_TRUE(out[1].resources == res("cpus(web):2"));
  // When "web" gives its reservation back, "batch" still never sees it.
  allocator.recoverResources("web", "a1", out[1].resources, seconds(10));
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kAll).empty());
}

TEST_F(AllocatorTest, ReservationGoesToItsRoleWhenUnreservedAreTaken) {
  allocator.addFramework("web", {"web"}, true);
  allocator.addAgent("a1", res("cpus(web):2;cpus:1;mem:100"), {});
  auto out = allocator.allocate(Allocator::Scope::kAll);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].resources == res("cpus(web):2;cpus:1;mem:100"));
}

TEST_F(AllocatorTest, RemovedAgentIsNotOffered) {
  allocator.addFramework("fw1", {"*"}, true);
  allocator.addAgent("a1", res("cpus:1;mem:10"), {});
  allocator.removeAgent("a1");
  EXPECT_TRUE(allocator.allocate(Allocator::Scope::kAll).empty());
}

}  // namespace
}  // namespace agora
