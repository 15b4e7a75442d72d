// The master's own timers with a manual clock: an in-process master on a ManualClock, with an
// agent and a framework as ZeroMQ peers on loopback. Time moves only when the test says, so
// "not yet" is checked exactly: a request answered over the same connection proves that
// nothing was sent to that peer before it.
#include <capnp/message.h>
#include <gtest/gtest.h>

#include <memory>

#include "common/codec.hpp"
#include "common/transport.hpp"
#include "master/master.hpp"
#include "tests/support/temp_dir.hpp"

namespace agora {
namespace {

// A DEALER that keeps a copy of every message it receives.
class Peer {
 public:
  Peer(zmq::context_t& context, EventLoop& loop, const std::string& endpoint)
      : socket_(context, loop, MessageSocket::Kind::kDealer) {
    EXPECT_TRUE(socket_.connect(endpoint).ok());
    socket_.onMessage([this](const std::string&, proto::Envelope::Reader m) {
      auto copy = std::make_unique<capnp::MallocMessageBuilder>();
      copy->setRoot(m);
      received_.push_back(std::move(copy));
    });
  }

  void send(OutboundEnvelope& message) { EXPECT_TRUE(socket_.send(message)); }
  size_t count() const { return received_.size(); }
  proto::Envelope::Reader at(size_t i) { return received_[i]->getRoot<proto::Envelope>().asReader(); }
  // The index of the first message of `kind` from `from` on, or -1.
  int find(proto::Envelope::Which kind, size_t from = 0) {
    for (size_t i = from; i < received_.size(); ++i)
      if (at(i).which() == kind) return static_cast<int>(i);
    return -1;
  }

 private:
  MessageSocket socket_;
  std::vector<std::unique_ptr<capnp::MallocMessageBuilder>> received_;
};

class MasterTimersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MasterOptions options;
    options.endpoint = "tcp://127.0.0.1:*";
    options.pingInterval = std::chrono::hours(1);  // liveness is not under test
    options.allocationInterval = std::chrono::seconds(1);
    options.offerTimeout = std::chrono::seconds(30);
    auto registry = openRocksDbRegistry(dir.path() + "/registry");
    ASSERT_TRUE(registry.ok()) << registry.error();
    master = std::make_unique<Master>(context, loop, options, std::move(*registry), makeHierarchicalAllocator(clock));
    auto bound = master->start();
    ASSERT_TRUE(bound.ok()) << bound.error();
    agent = std::make_unique<Peer>(context, loop, *bound);
    framework = std::make_unique<Peer>(context, loop, *bound);
  }

  // Runs the loop (without moving the clock) until `done`; false after ten real seconds.
  bool pump(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      loop.runOnce(std::chrono::milliseconds(5));
    }
    return true;
  }

  // Everything the master sent `peer` so far has arrived once this returns.
  void roundTrip(Peer& peer) {
    size_t before = peer.count();
    OutboundEnvelope request;
    auto r = request.get().initApiRequest();
    r.setMethod("GET");
    r.setPath("/health");
    peer.send(request);
    ASSERT_TRUE(pump([&] { return peer.find(proto::Envelope::API_RESPONSE, before) >= 0; }));
  }

  void advance(Duration d) {
    clock.advance(d);
    loop.runOnce(Duration::zero());
  }

  // Registers the agent and subscribes the framework; returns the first offer's id.
  std::string startAndGetOffer() {
    AgentInfo info;
    info.hostname = "agent-host";
    info.resources = *Resources::parse("cpus:4;mem:1024");
    OutboundEnvelope reg;
    codec::write(info, reg.get().initRegisterAgent().initAgent());
    agent->send(reg);
    EXPECT_TRUE(pump([&] { return agent->find(proto::Envelope::AGENT_REGISTERED) >= 0; }));
    agentId = agent->at(agent->find(proto::Envelope::AGENT_REGISTERED)).getAgentRegistered().getAgentId();
    FrameworkInfo fw;
    fw.name = "timers";
    OutboundEnvelope sub;
    codec::write(fw, sub.get().initSubscribe().initFramework());
    framework->send(sub);
    EXPECT_TRUE(pump([&] { return framework->find(proto::Envelope::OFFERS) >= 0; }));
    auto subscribed = framework->find(proto::Envelope::SUBSCRIBED);
    EXPECT_GE(subscribed, 0);
    frameworkId = framework->at(subscribed).getSubscribed().getFrameworkId();
    return framework->at(framework->find(proto::Envelope::OFFERS)).getOffers().getOffers()[0].getId();
  }

  // Accepts `offerId` with one task and waits until the agent is told to run it.
  void launchOn(const std::string& offerId, const std::string& taskId) {
    TaskInfo task;
    task.taskId = taskId;
    task.resources = *Resources::parse("cpus:1;mem:128");
    task.command.value = "sleep 600";
    OutboundEnvelope accept;
    auto a = accept.get().initAccept();
    a.setFrameworkId(frameworkId);
    a.initOfferIds(1).set(0, offerId);
    codec::write(task, a.initOperations(1)[0].initLaunch(1)[0]);
    framework->send(accept);
    ASSERT_TRUE(pump([&] { return agent->find(proto::Envelope::RUN_TASK) >= 0; }));
  }

  testing::TempDir dir{"agora-master-timers"};
  ManualClock clock;
  EventLoop loop{clock};
  zmq::context_t context;
  std::unique_ptr<Master> master;
  std::unique_ptr<Peer> agent, framework;
  std::string agentId, frameworkId;
};

TEST_F(MasterTimersTest, AnOfferNobodyAnswersIsRescindedAtTheTimeoutAndOfferedAgain) {
  std::string offerId = startAndGetOffer();
  size_t offersSoFar = framework->count();

  advance(std::chrono::seconds(29));
  roundTrip(*framework);
  EXPECT_EQ(framework->find(proto::Envelope::RESCIND), -1) << "rescinded before the timeout";

  advance(std::chrono::seconds(2));
  ASSERT_TRUE(pump([&] { return framework->find(proto::Envelope::RESCIND) >= 0; }));
  EXPECT_EQ(std::string(framework->at(framework->find(proto::Envelope::RESCIND)).getRescind().getOfferId().cStr()),
            offerId);
  // The resources come back in the next cycle, in a new offer.
  advance(std::chrono::seconds(1));
  ASSERT_TRUE(pump([&] { return framework->find(proto::Envelope::OFFERS, offersSoFar) >= 0; }));
  auto again = framework->at(framework->find(proto::Envelope::OFFERS, offersSoFar)).getOffers().getOffers()[0];
  EXPECT_NE(std::string(again.getId().cStr()), offerId);
  EXPECT_EQ(*codec::read(again.getResources()), *Resources::parse("cpus:4;mem:1024"));
}

TEST_F(MasterTimersTest, AnAnsweredOfferIsNotRescinded) {
  std::string offerId = startAndGetOffer();
  OutboundEnvelope decline;
  auto d = decline.get().initDecline();
  d.setFrameworkId(frameworkId);
  d.initOfferIds(1).set(0, offerId);
  framework->send(decline);
  roundTrip(*framework);
  advance(std::chrono::seconds(31));
  roundTrip(*framework);
  EXPECT_EQ(framework->find(proto::Envelope::RESCIND), -1);
}

TEST_F(MasterTimersTest, ADrainedAgentsTasksAreKilledAtTheDeadlineAndNotBefore) {
  std::string offerId = startAndGetOffer();
  launchOn(offerId, "t1");

  ApiReply drained = master->handleApi(
      parseApiTarget("POST", "/api/v1/agents/" + agentId + "/drain", R"({"deadline_seconds": 60})"));
  ASSERT_EQ(drained.status, 200) << drained.body;
  advance(std::chrono::seconds(59));
  roundTrip(*agent);
  EXPECT_EQ(agent->find(proto::Envelope::KILL_TASK), -1) << "killed before the deadline";

  advance(std::chrono::seconds(2));
  ASSERT_TRUE(pump([&] { return agent->find(proto::Envelope::KILL_TASK) >= 0; }));
  auto kill = agent->at(agent->find(proto::Envelope::KILL_TASK)).getKillTask();
  EXPECT_EQ(std::string(kill.getTaskId().cStr()), "t1");
  EXPECT_EQ(kill.getReason(), proto::TaskReason::AGENT_DRAINING);
}

TEST_F(MasterTimersTest, UndrainBeforeTheDeadlineKillsNothing) {
  std::string offerId = startAndGetOffer();
  launchOn(offerId, "t1");
  ASSERT_EQ(master->handleApi(parseApiTarget("POST", "/api/v1/agents/" + agentId + "/drain",
                                             R"({"deadline_seconds": 10})")).status, 200);
  ASSERT_EQ(master->handleApi(parseApiTarget("POST", "/api/v1/agents/" + agentId + "/undrain", "")).status, 200);
  advance(std::chrono::seconds(11));
  roundTrip(*agent);
  EXPECT_EQ(agent->find(proto::Envelope::KILL_TASK), -1);
}

}  // namespace
}  // namespace agora
