// Cron parsing (every field form and each error) and fire times across the daylight-saving
// changes of three zones, under cronie's rule (schedule_time.hpp).
#include <gtest/gtest.h>

#include "frameworks/batch/cron.hpp"
#include "frameworks/batch/schedule_time.hpp"

namespace agora::batch {
namespace {

Instant at(const std::string& text) {
  Try<Instant> t = parseInstant(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.error();
  return t.ok() ? *t : Instant{};
}

std::vector<std::string> fires(const std::string& cron, const std::string& zone, const std::string& from, size_t n) {
  Try<CronSchedule> s = CronSchedule::make(cron, zone);
  EXPECT_TRUE(s.ok()) << s.error();
  std::vector<std::string> out;
  if (s.ok())
    for (Instant t : s->next(n, at(from))) out.push_back(formatInZone(t, s->zone()));
  return out;
}

std::string errorOf(const std::string& cron) {
  Try<CronExpression> c = parseCron(cron);
  return c.ok() ? "" : c.error();
}

TEST(CronTest, FieldForms) {
  Try<CronExpression> c = parseCron("5,10-12,*/20 9-17/4 1,15 JAN,jul-Aug MON-FRI");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->minutes.count(), 1u + 3u + 3u);  // 5; 10 11 12; 0 20 40
  EXPECT_TRUE(c->minutes.test(40));
  EXPECT_TRUE(c->hours.test(9) && c->hours.test(13) && c->hours.test(17) && !c->hours.test(10));
  EXPECT_TRUE(c->days.test(1) && c->days.test(15) && !c->days.test(2));
  EXPECT_TRUE(c->months.test(1) && c->months.test(7) && c->months.test(8) && !c->months.test(2));
  EXPECT_EQ(c->weekdays.count(), 5u);
  EXPECT_FALSE(c->weekdays.test(0));
  EXPECT_FALSE(c->wildcardTime);

  Try<CronExpression> sunday = parseCron("0 0 * * 7");
  ASSERT_TRUE(sunday.ok());
  EXPECT_TRUE(sunday->weekdays.test(0));
  Try<CronExpression> from = parseCron("5/15 * ? * ?");
  ASSERT_TRUE(from.ok()) << from.error();
  EXPECT_TRUE(from->minutes.test(5) && from->minutes.test(50) && !from->minutes.test(0));
  EXPECT_TRUE(from->wildcardTime);
}

TEST(CronTest, Macros) {
  for (auto [macro, fields] : std::vector<std::pair<std::string, std::string>>{{"@yearly", "0 0 1 1 *"},
                                                                               {"@annually", "0 0 1 1 *"},
                                                                               {"@monthly", "0 0 1 * *"},
                                                                               {"@weekly", "0 0 * * 0"},
                                                                               {"@daily", "0 0 * * *"},
                                                                               {"@midnight", "0 0 * * *"},
                                                                               {"@hourly", "0 * * * *"}}) {
    EXPECT_EQ(fires(macro, "UTC", "2026-05-05T10:10:00Z", 3), fires(fields, "UTC", "2026-05-05T10:10:00Z", 3)) << macro;
  }
  EXPECT_EQ(fires("@hourly", "UTC", "2026-05-05T10:10:00Z", 2),
            (std::vector<std::string>{"2026-05-05T11:00:00+00:00", "2026-05-05T12:00:00+00:00"}));
}

TEST(CronTest, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(errorOf("* * * *"), "cron expression '* * * *' has 4 fields; it needs 5: minute hour day-of-month month "
                                "day-of-week (or a macro such as @daily)");
  EXPECT_EQ(errorOf("60 * * * *"), "minute field '60': 60 is out of range 0-59");
  EXPECT_EQ(errorOf("* 24 * * *"), "hour field '24': 24 is out of range 0-23");
  EXPECT_EQ(errorOf("* * 0 * *"), "day-of-month field '0': 0 is out of range 1-31");
  EXPECT_EQ(errorOf("* * * 13 *"), "month field '13': 13 is out of range 1-12");
  EXPECT_EQ(errorOf("* * * * 8"), "day-of-week field '8': 8 is out of range 0-7");
  EXPECT_EQ(errorOf("* * * FOO *"), "month field 'FOO': 'FOO' is not a value (use JAN-DEC or 1-12)");
  EXPECT_EQ(errorOf("* * * * MON-FUN"), "day-of-week field 'MON-FUN': 'FUN' is not a value (use SUN-SAT or 0-7)");
  EXPECT_EQ(errorOf("*/0 * * * *"), "minute field '*/0': a step of 0 never advances");
  EXPECT_EQ(errorOf("*/x * * * *"), "minute field '*/x': the step 'x' is not a number");
  EXPECT_EQ(errorOf("5-3 * * * *"), "minute field '5-3': the range 5-3 runs backwards");
  EXPECT_EQ(errorOf("1,,2 * * * *"), "minute field '1,,2': an empty item in the list");
  EXPECT_EQ(errorOf("1- * * * *"), "minute field '1-': a value is missing");
  EXPECT_EQ(errorOf("? * * * *"), "minute field '?': '?' stands only in the day fields");
  EXPECT_EQ(errorOf("0 0 30 2 *"), "cron expression '0 0 30 2 *' never fires (no such day in any year)");
  EXPECT_EQ(errorOf("@reboot"), "@reboot has no meaning for a cluster job: give a schedule such as @daily");
  EXPECT_EQ(errorOf("@often"),
            "unknown macro '@often': use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly");
}

TEST(CronTest, DayOfMonthOrDayOfWeek) {
  // Both restricted: either matches (the 13th, or any Friday).
  EXPECT_EQ(fires("0 12 13 * FRI", "UTC", "2026-02-01T00:00:00Z", 3),
            (std::vector<std::string>{"2026-02-06T12:00:00+00:00", "2026-02-13T12:00:00+00:00",
                                      "2026-02-20T12:00:00+00:00"}));
  // One starts with '*': both must match (odd days that are Fridays).
  EXPECT_EQ(fires("0 12 */2 * FRI", "UTC", "2026-02-01T00:00:00Z", 2),
            (std::vector<std::string>{"2026-02-13T12:00:00+00:00", "2026-02-27T12:00:00+00:00"}));
  EXPECT_EQ(fires("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", 1), (std::vector<std::string>{"2028-02-29T00:00:00+00:00"}));
}

TEST(CronTest, UnknownZone) {
  Try<CronSchedule> s = CronSchedule::make("* * * * *", "Mars/Olympus");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Berlin or America/New_York "
                       "(the names under /usr/share/zoneinfo)");
}

TEST(CronTest, InstantsParseAndFormat) {
  EXPECT_EQ(formatUtc(at("2026-03-29T03:30:00+02:00")), "2026-03-29T01:30:00Z");
  EXPECT_EQ(formatUtc(at("2026-03-29T01:30Z")), "2026-03-29T01:30:00Z");
  EXPECT_EQ(formatUtc(at("2026-03-29T01:30:00.250Z")), "2026-03-29T01:30:00Z");
  EXPECT_FALSE(parseInstant("yesterday").ok());
  EXPECT_FALSE(parseInstant("2026-03-29T01:30:00").ok());  // no offset: which zone?
}

// Spring forward: 02:00 -> 03:00 local. A fixed 02:30 fires once at 03:00 new time; the
// wildcard job's skipped minutes do not fire.
TEST(CronDaylightSavingTest, BerlinSpringForward) {
  EXPECT_EQ(fires("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 3),
            (std::vector<std::string>{"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00",
                                      "2026-03-31T02:30:00+02:00"}));
  EXPECT_EQ(fires("0,30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 2),
            (std::vector<std::string>{"2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"}));
  EXPECT_EQ(fires("*/30 * * * *", "Europe/Berlin", "2026-03-29T00:40:00Z", 3),  // 01:40 CET
            (std::vector<std::string>{"2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00",
                                      "2026-03-29T04:00:00+02:00"}));
}

// Fall back: 03:00 -> 02:00 local, so 02:xx happens twice. Fixed: the first only; wildcard: both.
TEST(CronDaylightSavingTest, BerlinFallBack) {
  EXPECT_EQ(fires("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2),
            (std::vector<std::string>{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}));
  EXPECT_EQ(fires("30 * * * *", "Europe/Berlin", "2026-10-24T23:00:00Z", 4),  // 01:00 CEST
            (std::vector<std::string>{"2026-10-25T01:30:00+02:00", "2026-10-25T02:30:00+02:00",
                                      "2026-10-25T02:30:00+01:00", "2026-10-25T03:30:00+01:00"}));
}

TEST(CronDaylightSavingTest, NewYork) {
  // 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
  EXPECT_EQ(fires("15 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 2),
            (std::vector<std::string>{"2026-03-08T03:00:00-04:00", "2026-03-09T02:15:00-04:00"}));
  EXPECT_EQ(fires("15 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2),
            (std::vector<std::string>{"2026-11-01T01:15:00-04:00", "2026-11-02T01:15:00-05:00"}));
  EXPECT_EQ(fires("0,30 * * * *", "America/New_York", "2026-11-01T04:45:00Z", 5),  // 00:45 EDT
            (std::vector<std::string>{"2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00",
                                      "2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-05:00",
                                      "2026-11-01T02:00:00-05:00"}));
  // Starting inside the repeated hour's second pass: what is left of it, then on.
  EXPECT_EQ(fires("*/30 * * * *", "America/New_York", "2026-11-01T06:10:00Z", 2),  // 01:10 EST
            (std::vector<std::string>{"2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00"}));
}

TEST(CronDaylightSavingTest, Sydney) {
  // Southern hemisphere: 2026-04-05 03:00 AEDT -> 02:00 AEST; 2026-10-04 02:00 AEST -> 03:00 AEDT.
  EXPECT_EQ(fires("30 2 * * *", "Australia/Sydney", "2026-04-04T00:00:00Z", 2),
            (std::vector<std::string>{"2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"}));
  EXPECT_EQ(fires("30 2 * * *", "Australia/Sydney", "2026-10-03T00:00:00Z", 2),
            (std::vector<std::string>{"2026-10-04T03:00:00+11:00", "2026-10-05T02:30:00+11:00"}));
}

TEST(CronTest, StepsThroughAYearOfMinutes) {
  Try<CronSchedule> s = CronSchedule::make("* * * * *", "Europe/Berlin");
  ASSERT_TRUE(s.ok());
  // Every instant is a whole minute after the one before, across both changes of 2026.
  Instant t = at("2026-01-01T00:00:00Z");
  for (int i = 0; i < 366 * 24 * 60; ++i) {
    std::optional<Instant> n = s->nextAfter(t);
    ASSERT_TRUE(n.has_value());
    ASSERT_EQ(*n - t, std::chrono::minutes(1)) << formatUtc(t);
    t = *n;
  }
}

// Fuzzing: the look-ahead was eight years, so "0 0 */31 1 mon" (the 1st of January when it is
// a Monday: '*' in day-of-month makes both day fields count) parsed, but found nothing after
// 2037-01-01, though it fires in 2046, and "0 0 */31 2 1" was refused as never firing. The
// look-ahead is now a whole 400-year cycle, for parsing and for every next time alike.
TEST(CronTest, RareDaysAreFoundHowEverFarApart) {
  EXPECT_EQ(fires("0 0 */31 1 mon", "UTC", "2037-01-01T00:00:00Z", 2),
            (std::vector<std::string>{"2046-01-01T00:00:00+00:00", "2052-01-01T00:00:00+00:00"}));
  EXPECT_EQ(errorOf("0 0 */31 2 1"), "");
  EXPECT_EQ(fires("0 0 */31 2 1", "UTC", "2000-01-01T00:00:00Z", 1), (std::vector<std::string>{"2010-02-01T00:00:00+00:00"}));
  // The 29th of February on a Sunday ('*' in day-of-week: both fields count): 40 years from 2088
  // to 2128, as 2100 is no leap year.
  EXPECT_EQ(fires("0 0 29 2 */7", "UTC", "2088-03-01T00:00:00Z", 1), (std::vector<std::string>{"2128-02-29T00:00:00+00:00"}));
  // Still refused: what no year has.
  EXPECT_EQ(errorOf("0 0 30 2 *"), "cron expression '0 0 30 2 *' never fires (no such day in any year)");
  EXPECT_EQ(errorOf("0 0 31 4,6,9,11 mon"), "");  // both restricted: any Monday of those months
  EXPECT_EQ(errorOf("0 0 */31 4,6,9,11 mon"), "");  // the 1st, a Monday
}

}  // namespace
}  // namespace agora::batch
