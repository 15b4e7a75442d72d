// The master's own timers with a manual clock: an in-process master on a ManualClock, with an
// agent and a framework as ZeroMQ peers on loopback (tests/support/in_process_master.hpp).
#include "tests/support/in_process_master.hpp"

namespace agora::testing {
namespace {

class MasterTimersTest : public InProcessMasterTest {
 protected:
  MasterTimersTest() { options.offerTimeout = std::chrono::seconds(30); }
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

  ApiReply drained = api("POST", "/api/v1/agents/" + agentId + "/drain", R"({"deadline_seconds": 60})");
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
  ASSERT_EQ(api("POST", "/api/v1/agents/" + agentId + "/drain", R"({"deadline_seconds": 10})").status, 200);
  ASSERT_EQ(api("POST", "/api/v1/agents/" + agentId + "/undrain").status, 200);
  advance(std::chrono::seconds(11));
  roundTrip(*agent);
  EXPECT_EQ(agent->find(proto::Envelope::KILL_TASK), -1);
}

}  // namespace
}  // namespace agora::testing
