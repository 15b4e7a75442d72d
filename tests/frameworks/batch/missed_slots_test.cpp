// The catch-up policies after an outage of an hour for a minutely schedule, the starting
// deadline while running, and a long outage that never stops a schedule.
#include <gtest/gtest.h>

#include "frameworks/batch/missed_slots.hpp"

namespace agora::batch {
namespace {

Instant at(const std::string& text) { return *parseInstant(text); }

struct MissedSlotsTest : ::testing::Test {
  CronSchedule minutely = *CronSchedule::make("* * * * *", "UTC");
  ScheduleSpec spec;
  MissedSlotsTest() { spec.startingDeadlineSeconds = 600; }
  // Down from 10:00:30 to 11:00:30: the cursor is the 10:00 slot.
  SlotDecision afterOutage(CatchUp policy) {
    spec.catchUp = policy;
    return dueSlots(minutely, spec, at("2026-05-05T10:00:00Z"), at("2026-05-05T11:00:30Z"), true);
  }
};

TEST_F(MissedSlotsTest, SkipRunsNoneOfAnHoursSlots) {
  SlotDecision d = afterOutage(CatchUp::kSkip);
  EXPECT_TRUE(d.run.empty());
  EXPECT_EQ(d.missed, 60u);
  EXPECT_EQ(d.cursor, at("2026-05-05T11:00:00Z"));
  EXPECT_EQ(d.lastMissed, at("2026-05-05T11:00:00Z"));
}

TEST_F(MissedSlotsTest, OnceRunsTheLatestSlot) {
  SlotDecision d = afterOutage(CatchUp::kOnce);
  EXPECT_EQ(d.run, std::vector<Instant>{at("2026-05-05T11:00:00Z")});
  EXPECT_EQ(d.missed, 59u);
  EXPECT_EQ(d.cursor, at("2026-05-05T11:00:00Z"));
}

TEST_F(MissedSlotsTest, AllRunsEverySlotWithinTheStartingDeadline) {
  SlotDecision d = afterOutage(CatchUp::kAll);
  ASSERT_EQ(d.run.size(), 10u);  // 10:51 .. 11:00 are within 600 s of 11:00:30
  EXPECT_EQ(d.run.front(), at("2026-05-05T10:51:00Z"));
  EXPECT_EQ(d.run.back(), at("2026-05-05T11:00:00Z"));
  EXPECT_EQ(d.missed, 50u);
}

TEST_F(MissedSlotsTest, WhileRunningOnlyTheDeadlineApplies) {
  spec.catchUp = CatchUp::kSkip;  // not used: these slots came due while running
  SlotDecision d = dueSlots(minutely, spec, at("2026-05-05T10:00:00Z"), at("2026-05-05T10:01:00Z"), false);
  EXPECT_EQ(d.run, std::vector<Instant>{at("2026-05-05T10:01:00Z")});
  spec.startingDeadlineSeconds = 30;
  d = dueSlots(minutely, spec, at("2026-05-05T10:00:00Z"), at("2026-05-05T10:01:45Z"), false);
  EXPECT_TRUE(d.run.empty());
  EXPECT_EQ(d.missed, 1u);
}

TEST_F(MissedSlotsTest, NothingDueLeavesTheCursor) {
  SlotDecision d = dueSlots(minutely, spec, at("2026-05-05T10:00:00Z"), at("2026-05-05T10:00:59Z"), false);
  EXPECT_TRUE(d.run.empty());
  EXPECT_EQ(d.missed, 0u);
  EXPECT_EQ(d.cursor, at("2026-05-05T10:00:00Z"));
}

TEST_F(MissedSlotsTest, AYearDownNeverStopsTheSchedule) {
  spec.catchUp = CatchUp::kOnce;
  SlotDecision d = dueSlots(minutely, spec, at("2025-05-05T10:00:00Z"), at("2026-05-05T10:00:30Z"), true);
  EXPECT_EQ(d.run, std::vector<Instant>{at("2026-05-05T10:00:00Z")});
  EXPECT_GT(d.missed, 100000u);  // counted, not a cliff
  EXPECT_EQ(d.cursor, at("2026-05-05T10:00:00Z"));
}

}  // namespace
}  // namespace agora::batch
