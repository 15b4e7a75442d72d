// Taking tasks' resources out of offers: packing, roles (reserved first), ports.
#include "frameworks/sdk/offer_matching.hpp"

#include <gtest/gtest.h>

namespace agora::sdk {
namespace {

Offer offer(const std::string& id, const std::string& agent, const std::string& resources) {
  Offer o;
  o.id = id;
  o.agentId = agent;
  o.hostname = agent + ".example";
  o.resources = *Resources::parse(resources);
  return o;
}

TaskNeeds needs(const std::string& scalars, std::vector<PortRequest> ports = {}, std::vector<std::string> roles = {}) {
  return TaskNeeds{*Resources::parse(scalars), std::move(ports), std::move(roles)};
}

TEST(OfferMatchingTest, OffersAreGroupedByAgentSoThatOneAcceptUsesThemAll) {
  auto groups = groupByAgent({offer("o1", "a1", "cpus:1;mem:256"), offer("o2", "a2", "cpus:4"),
                              offer("o3", "a1", "cpus(eng):2;mem:256")});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].agentId, "a1");
  EXPECT_EQ(groups[0].offerIds, (std::vector<std::string>{"o1", "o3"}));
  EXPECT_EQ(groups[0].available, *Resources::parse("cpus:1;mem:512;cpus(eng):2"));
  EXPECT_EQ(groups[0].hostname, "a1.example");
}

TEST(OfferMatchingTest, TasksArePackedUntilTheAgentIsFull) {
  auto group = groupByAgent({offer("o1", "a1", "cpus:1;mem:1024"), offer("o2", "a1", "cpus:1;mem:1024")})[0];
  int placed = 0;
  while (take(group, needs("cpus:0.5;mem:300")).ok()) ++placed;
  EXPECT_EQ(placed, 4);  // cpus run out first: 2 / 0.5
  EXPECT_EQ(group.available, *Resources::parse("mem:848"));
}

TEST(OfferMatchingTest, ReservedResourcesAreTakenBeforeUnreservedOnes) {
  auto group = groupByAgent({offer("o1", "a1", "cpus:4;cpus(eng):1;mem:1024")})[0];
  Try<Taken> t = take(group, needs("cpus:1.5;mem:128"));
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->resources, *Resources::parse("cpus(eng):1;cpus:0.5;mem:128"));
  EXPECT_EQ(group.available, *Resources::parse("cpus:3.5;mem:896"));
}

TEST(OfferMatchingTest, OnlyAcceptedRolesAreUsedAndAFailureTakesNothing) {
  auto group = groupByAgent({offer("o1", "a1", "cpus:4;cpus(eng):1;mem:1024")})[0];
  Try<Taken> t = take(group, needs("cpus:2;mem:128", {}, {"eng"}));
  ASSERT_TRUE(t.isError());
  EXPECT_EQ(t.error(), "needs cpus:2 but the offers have cpus(eng):1 in the accepted roles");
  EXPECT_EQ(group.available, *Resources::parse("cpus:4;cpus(eng):1;mem:1024"));
  Try<Taken> star = take(group, needs("cpus:2;mem:128", {}, {"*"}));
  ASSERT_TRUE(star.ok()) << star.error();
  EXPECT_EQ(star->resources, *Resources::parse("cpus:2;mem:128"));
}

TEST(OfferMatchingTest, PortsAreAnyFreeOneOrTheLiteralOneAsked) {
  auto group = groupByAgent({offer("o1", "a1", "cpus:4;mem:1024;ports:[31000-31002,8080-8080]")})[0];
  Try<Taken> t = take(group, needs("cpus:0.1", {{0, "http"}, {8080, "admin"}, {0, ""}}));
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->ports, (std::vector<uint64_t>{31000, 8080, 31001}));
  EXPECT_EQ(t->resources.ranges("ports"), (Ranges{{8080, 8080}, {31000, 31001}}));
  // 8080 is gone now; a second task asking for it does not fit, and takes nothing.
  Try<Taken> again = take(group, needs("cpus:0.1", {{8080, "admin"}}));
  ASSERT_TRUE(again.isError());
  EXPECT_EQ(again.error(), "needs port 8080 ('admin') but the offers have not that one free");
  Try<Taken> last = take(group, needs("cpus:0.1", {{0, ""}, {0, ""}}));
  ASSERT_TRUE(last.isError());
  EXPECT_EQ(group.available.ranges("ports"), (Ranges{{31002, 31002}}));
}

TEST(OfferMatchingTest, ALiteralPortIsNotTakenByAnAnyPortOfTheSameTask) {
  auto group = groupByAgent({offer("o1", "a1", "cpus:1;ports:[31000-31001]")})[0];
  Try<Taken> t = take(group, needs("cpus:0.1", {{0, "any"}, {31000, "fixed"}}));
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->ports, (std::vector<uint64_t>{31001, 31000}));
}

}  // namespace
}  // namespace agora::sdk
