// Backoff, the event log's ids and resume, the journal, and offer matching with its reasons:
// each on a manual clock and a real RocksDB store.
#include <gtest/gtest.h>

#include "frameworks/marathon-like/backoff.hpp"
#include "frameworks/marathon-like/events.hpp"
#include "common/journal.hpp"
#include "frameworks/marathon-like/offer_matcher.hpp"
#include "tests/support/temp_dir.hpp"

namespace agora::marathon {
namespace {

using nlohmann::json;

TEST(BackoffTest, GrowsByTheFactorUpToTheMaximumAndResets) {
  ManualClock clock;
  AppDefinition app;
  app.id = "/a";
  app.backoffSeconds = 2;
  app.backoffFactor = 3;
  app.maxLaunchDelaySeconds = 10;
  LaunchDelays delays;
  EXPECT_EQ(delays.remaining("/a", clock.now()), Duration::zero());
  delays.failed(app, clock.now(), "exit 1");
  EXPECT_EQ(delays.remaining("/a", clock.now()), seconds(2));
  delays.failed(app, clock.now(), "exit 1");
  EXPECT_EQ(delays.remaining("/a", clock.now()), seconds(6));
  delays.failed(app, clock.now(), "exit 1");
  EXPECT_EQ(delays.remaining("/a", clock.now()), seconds(10)) << "capped at maxLaunchDelaySeconds";
  clock.advance(seconds(4));
  EXPECT_EQ(delays.remaining("/a", clock.now()), seconds(6));
  EXPECT_EQ(delays.find("/a")->lastFailure, "exit 1");
  delays.reset("/a");
  EXPECT_EQ(delays.remaining("/a", clock.now()), Duration::zero());
}

struct Log {
  testing::TempDir dir;
  ManualClock clock;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<EventLog> events;
  explicit Log(size_t capacity) { open(capacity); }
  void open(size_t capacity) {
    events.reset();
    journal.reset();
    auto store = openRocksDbStore(dir.path() + "/db");
    ASSERT_TRUE(store.ok()) << store.error();
    journal = std::make_unique<Journal>(std::move(*store));
    events = std::make_unique<EventLog>(*journal, clock, capacity);
    ASSERT_TRUE(events->load().ok());
  }
};

// The ids and types of the events in what a stream has been sent.
std::vector<std::pair<uint64_t, std::string>> drain(HttpStream& stream) {
  std::vector<std::pair<uint64_t, std::string>> out;
  while (auto chunk = stream.next(std::chrono::milliseconds(0))) {
    std::string type, id;
    size_t e = chunk->find("event: "), i = chunk->find("id: ");
    if (e != std::string::npos) type = chunk->substr(e + 7, chunk->find('\n', e) - e - 7);
    if (i != std::string::npos) id = chunk->substr(i + 4, chunk->find('\n', i) - i - 4);
    out.emplace_back(id.empty() ? 0 : std::stoull(id), type);
  }
  return out;
}

TEST(EventLogTest, IdsIncreaseAndEventsGoOutOnlyOnceDurable) {
  Log log(100);
  auto live = log.events->subscribe(std::nullopt, {});
  log.events->publish("deployment_info", {{"x", 1}});
  log.events->publish("deployment_success", {{"x", 2}});
  EXPECT_TRUE(drain(*live).empty()) << "sent before the commit";
  ASSERT_TRUE(log.journal->commit().ok());
  auto sent = drain(*live);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], std::make_pair(uint64_t{1}, std::string("deployment_info")));
  EXPECT_EQ(sent[1], std::make_pair(uint64_t{2}, std::string("deployment_success")));
}

TEST(EventLogTest, AReconnectingClientGetsWhatItMissedExactlyOnceAcrossARestart) {
  Log log(100);
  for (int i = 0; i < 5; ++i) log.events->publish(i % 2 ? "status_update_event" : "instance_changed_event", {{"i", i}});
  ASSERT_TRUE(log.journal->commit().ok());
  log.open(100);  // a restart: the log comes back from the store
  EXPECT_EQ(log.events->lastId(), 5u);
  auto resumed = log.events->subscribe(3, {});
  log.events->publish("deployment_success", {});
  ASSERT_TRUE(log.journal->commit().ok());
  auto got = drain(*resumed);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first, 4u);
  EXPECT_EQ(got[1].first, 5u);
  EXPECT_EQ(got[2].first, 6u);
  // With a type filter, only those.
  auto filtered = log.events->subscribe(0, {"status_update_event"});
  auto kept = drain(*filtered);
  EXPECT_EQ(kept.size(), 2u) << "events 2 and 4";
  for (const auto& [id, type] : kept) EXPECT_EQ(type, "status_update_event");
}

TEST(EventLogTest, AClientTooFarBehindIsToldSo) {
  Log log(3);
  for (int i = 0; i < 10; ++i) log.events->publish("status_update_event", {{"i", i}});
  ASSERT_TRUE(log.journal->commit().ok());
  auto stream = log.events->subscribe(2, {});
  auto got = drain(*stream);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].second, "events_lost");
  EXPECT_EQ(got[1].first, 8u);
  EXPECT_EQ(got[3].first, 10u);
  log.open(3);
  EXPECT_EQ(log.events->since(0).size(), 3u) << "the store keeps only the bounded log";
}

TEST(JournalTest, ActionsRunOnlyAfterTheirWritesAreDurable) {
  testing::TempDir dir;
  auto store = openRocksDbStore(dir.path() + "/db");
  ASSERT_TRUE(store.ok());
  Journal journal(std::move(*store));
  bool acted = false;
  journal.put("instance/a", {{"x", 1}});
  journal.then([&] {
    acted = true;
    auto stored = journal.get("instance/a");
    ASSERT_TRUE(stored.ok() && stored->has_value()) << "acted before the write was made";
  });
  EXPECT_FALSE(acted);
  ASSERT_TRUE(journal.commit().ok());
  EXPECT_TRUE(acted);
  EXPECT_FALSE(journal.pending());
}

Offer offer(const std::string& agent, const std::string& host, const std::string& resources, Attributes attributes = {}) {
  Offer o;
  o.id = "offer-" + agent;
  o.agentId = agent;
  o.hostname = host;
  o.resources = *Resources::parse(resources);
  o.attributes = std::move(attributes);
  return o;
}

TEST(OfferMatcherTest, PacksManyInstancesPerAgentAndKeepsConstraints) {
  AppDefinition app;
  app.id = "/web";
  app.cpus = 1;
  app.mem = 128;
  app.constraints = {{"hostname", "UNIQUE"}};
  std::vector<sdk::AgentOffers> agents =
      sdk::groupByAgent({offer("a1", "h1", "cpus:4;mem:1024;ports:[31000-31010]"),
                         offer("a2", "h2", "cpus:4;mem:1024;ports:[31000-31010]")});
  std::vector<LaunchRequest> requests(1);
  requests[0].app = &app;
  requests[0].count = 3;
  requests[0].constraints = {*sdk::parseConstraint({"hostname", "UNIQUE"})};
  std::map<std::string, OfferReasons> reasons;
  auto planned = matchOffers(agents, requests, reasons, 100);
  ASSERT_EQ(planned.size(), 2u) << "UNIQUE hostname: one per agent";
  EXPECT_EQ(requests[0].count, 1u);
  ASSERT_EQ(planned[0].taken.ports.size(), 1u);
  EXPECT_EQ(planned[0].taken.ports[0], 31000u);
  // Without the constraint, one agent takes all three.
  app.constraints.clear();
  requests[0].constraints.clear();
  requests[0].placed.clear();
  requests[0].count = 3;
  agents = sdk::groupByAgent({offer("a1", "h1", "cpus:4;mem:1024;ports:[31000-31010]")});
  planned = matchOffers(agents, requests, reasons, 100);
  EXPECT_EQ(planned.size(), 3u);
}

TEST(OfferMatcherTest, SaysWhyAnOfferDidNotFitAndWhatCameClosest) {
  AppDefinition app;
  app.id = "/big";
  app.cpus = 1;
  app.mem = 2048;
  std::vector<sdk::AgentOffers> agents = sdk::groupByAgent(
      {offer("agent-3", "h3", "cpus:4;mem:1024;ports:[31000-31010]"), offer("agent-4", "h4", "cpus:4;mem:512;ports:[1-2]")});
  std::vector<LaunchRequest> requests(1);
  requests[0].app = &app;
  requests[0].count = 1;
  std::map<std::string, OfferReasons> reasons;
  EXPECT_TRUE(matchOffers(agents, requests, reasons, 100).empty());
  const OfferReasons& why = reasons["/big"];
  EXPECT_EQ(why.processed, 2u);
  EXPECT_EQ(why.declined.at("InsufficientMemory"), 2u);
  EXPECT_EQ(why.closest(), "needs mem 2048, largest offer had 1024 (agent agent-3)");
  // Ports and roles have reasons of their own.
  app.mem = 128;
  app.portDefinitions = {{0, "a", "tcp", {}}, {0, "b", "tcp", {}}, {0, "c", "tcp", {}}};
  agents = sdk::groupByAgent({offer("agent-4", "h4", "cpus:4;mem:512;ports:[1-2]")});
  reasons.clear();
  EXPECT_TRUE(matchOffers(agents, requests, reasons, 100).empty());
  EXPECT_EQ(reasons["/big"].declined.at("InsufficientPorts"), 1u);
  app.acceptedResourceRoles = {"eng"};
  reasons.clear();
  EXPECT_TRUE(matchOffers(agents, requests, reasons, 100).empty());
  EXPECT_EQ(reasons["/big"].declined.at("UnfulfilledRole"), 1u);
}

}  // namespace
}  // namespace agora::marathon
