// Scheduler calls decoded at the master's edge into typed calls, with the codec's caps.
#include "master/scheduler_calls.hpp"

#include <gtest/gtest.h>

#include "common/codec.hpp"
#include "common/envelope.hpp"
#include "tests/support/in_process_master.hpp"

namespace agora::testing {
namespace {

TEST(SchedulerCallsTest, AnAcceptKeepsItsStepsAndTheTasksThatCannotBeRead) {
  OutboundEnvelope out;
  auto a = out.get().initAccept();
  auto ids = a.initOfferIds(2);
  ids.set(0, "o1");
  ids.set(1, "o2");
  auto ops = a.initOperations(2);
  auto reserve = ops[0].initReserve(1);
  reserve[0].setName("cpus");
  reserve[0].setRole("eng");
  reserve[0].setScalar(1000);
  auto launch = ops[1].initLaunch(2);
  launch[0].setTaskId("good");
  auto bad = launch[1].initResources(1);
  bad[0].setName("cpus");
  bad[0].setScalar(-5);  // a negative amount cannot be read
  a.initFilters().setRefuseSeconds(std::nan(""));
  Try<std::optional<calls::Call>> call = calls::decode(out.get().asReader());
  ASSERT_TRUE(call.ok()) << call.error();
  ASSERT_TRUE(call->has_value());
  const auto& accept = std::get<calls::Accept>(**call);
  EXPECT_EQ(accept.offerIds, (std::vector<std::string>{"o1", "o2"}));
  EXPECT_EQ(accept.refuseSeconds, 0) << "a refusal that is not a number is none";
  ASSERT_EQ(accept.steps.size(), 2u);
  ASSERT_TRUE(accept.steps[0].reserve.has_value());
  EXPECT_TRUE(accept.steps[0].reserve->ok());
  ASSERT_EQ(accept.steps[1].launch.size(), 2u);
  EXPECT_TRUE(accept.steps[1].launch[0].ok());
  EXPECT_FALSE(accept.steps[1].launch[1].ok());
  EXPECT_EQ(accept.tasks().size(), 2u);
}

TEST(SchedulerCallsTest, ListsOverTheCapsAreRefusedAsAWhole) {
  OutboundEnvelope out;
  out.get().initAccept().initOfferIds(static_cast<unsigned>(codec::kMaxOfferIds + 1));
  Try<std::optional<calls::Call>> call = calls::decode(out.get().asReader());
  ASSERT_FALSE(call.ok());
  EXPECT_NE(call.error().find("offer ids of an accept"), std::string::npos) << call.error();

  OutboundEnvelope many;
  auto ops = many.get().initAccept().initOperations(3);
  for (unsigned i = 0; i < 3; ++i) ops[i].initLaunch(static_cast<unsigned>(codec::kMaxTasksPerCall / 2));
  call = calls::decode(many.get().asReader());
  ASSERT_FALSE(call.ok());
  EXPECT_NE(call.error().find("tasks of an accept"), std::string::npos) << call.error();
}

TEST(SchedulerCallsTest, KillsTellTheirOwnGraceFromNoneAndOtherMessagesAreNoCall) {
  OutboundEnvelope kill;
  kill.get().initKill().setTaskId("t");
  auto own = calls::decode(kill.get().asReader());
  ASSERT_TRUE(own.ok() && own->has_value());
  EXPECT_FALSE(std::get<calls::Kill>(**own).gracePeriodSeconds.has_value()) << "-1 (the default) is the task's own";
  kill.get().getKill().setGracePeriodSeconds(0);
  auto now = calls::decode(kill.get().asReader());
  EXPECT_EQ(std::get<calls::Kill>(**now).gracePeriodSeconds, 0.0);

  OutboundEnvelope other;
  other.get().initRegisterAgent();
  auto none = calls::decode(other.get().asReader());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

// On the landed code the caps were defined but not applied: a framework's accept naming
// more offers than the cap went through. Now it is refused with the reason and counted.
class SchedulerCallsMasterTest : public InProcessMasterTest {};

TEST_F(SchedulerCallsMasterTest, AnAcceptOverTheCapIsRefusedWithTheReason) {
  startAndGetOffer();
  size_t before = framework->count();
  OutboundEnvelope accept;
  auto a = accept.get().initAccept();
  a.setFrameworkId(frameworkId);
  auto ids = a.initOfferIds(static_cast<unsigned>(codec::kMaxOfferIds + 1));
  for (unsigned i = 0; i < ids.size(); ++i) ids.set(i, "offer-" + std::to_string(i));
  framework->send(accept);
  ASSERT_TRUE(pump([&] { return framework->find(proto::Envelope::ERROR, before) >= 0; }));
  std::string error = framework->at(framework->find(proto::Envelope::ERROR, before)).getError().getMessage().cStr();
  EXPECT_NE(error.find("'accept' refused: offer ids of an accept"), std::string::npos) << error;
  EXPECT_EQ(metrics()["counters"]["calls_invalid"], 1);
}

}  // namespace
}  // namespace agora::testing
