#pragma once
// Five-field cron expressions, as cron(5) reads them: minute hour day-of-month month
// day-of-week, each a list of values, ranges and steps ("1-5", "*/15", "9-17/2", "MON-FRI",
// "JAN,JUL"), or one of the macros @yearly (@annually), @monthly, @weekly, @daily
// (@midnight) and @hourly. Day-of-week 0 and 7 are both Sunday; "?" is "*" in the day fields.
// When both day fields are restricted a day matches either (Vixie cron's rule, which
// cronie, Kubernetes and Metronome's cron-utils follow); when one starts with '*', the
// other alone decides.

#include <bitset>
#include <optional>
#include <string>

#include <date/date.h>

#include "common/try.hpp"

namespace agora::batch {

struct CronExpression {
  std::string text;  // as written
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;    // 1..31
  std::bitset<13> months;  // 1..12
  std::bitset<7> weekdays;  // 0 (Sunday) .. 6
  bool daysStar = false;
  bool weekdaysStar = false;
  // The minute or the hour field starts with '*': the job follows the wall clock across a
  // daylight-saving change; otherwise it is a fixed-time job (see schedule_time.hpp).
  bool wildcardTime = false;

  bool matchesDay(date::year_month_day day) const;
};

Try<CronExpression> parseCron(const std::string& text);

// The first local minute at or after `from` (rounded up to a whole minute) that the
// expression matches, looking one 400-year Gregorian cycle ahead (after which dates and
// weekdays repeat); nothing if it never matches.
std::optional<date::local_seconds> nextLocalMatch(const CronExpression& cron, date::local_seconds from);

}  // namespace agora::batch
