#pragma once
// A cron expression read in an IANA time zone (the system's tz database, through Howard
// Hinnant's date library), and the instants at which it fires.
//
// Daylight saving follows cronie (cron.c, "DST" in cron(8)):
//   - a wall-clock time skipped by the spring-forward change: a fixed-time job (neither its
//     minute nor its hour field starts with '*') fires once at the instant the change happens
//     (02:30 on a day the clocks jump from 02:00 to 03:00 fires at 03:00 new time); a job
//     with a wildcard minute or hour follows the new clock, and its skipped minutes do not
//     fire;
//   - a wall-clock time that occurs twice in the fall-back change: a fixed-time job fires at
//     the first occurrence only; a wildcard job fires at both, as the clock shows them.
// Each instant is a whole minute of UTC, so a slot has one key however it is written.

#include <optional>
#include <string>
#include <vector>

#include <date/tz.h>

#include "frameworks/batch/cron.hpp"

namespace agora::batch {

using Instant = date::sys_seconds;

class CronSchedule {
 public:
  // "Europe/Berlin", "UTC", ...; an unknown zone is an error that says where names come from.
  static Try<CronSchedule> make(const std::string& cron, const std::string& timezone);

  // The first instant strictly after `after` at which it fires; nothing if it never will.
  std::optional<Instant> nextAfter(Instant after) const;
  // The first `count` of them.
  std::vector<Instant> next(size_t count, Instant after) const;

  const CronExpression& expression() const { return cron_; }
  const date::time_zone* zone() const { return zone_; }

 private:
  // The instants the local minute `local` stands for under the rule above, earliest first.
  std::vector<Instant> instantsOf(date::local_seconds local) const;
  bool nearChange(Instant t) const;

  CronExpression cron_;
  const date::time_zone* zone_ = nullptr;
};

Try<const date::time_zone*> findZone(const std::string& name);

// RFC 3339 with the offset of `zone` at that instant: "2026-03-29T03:00:00+02:00".
std::string formatInZone(Instant t, const date::time_zone* zone);
// "2026-03-29T01:00:00Z"
std::string formatUtc(Instant t);
// RFC 3339 with "Z" or an offset, seconds optional ("2026-03-29T01:00Z"), fractions dropped.
Try<Instant> parseInstant(const std::string& text);

}  // namespace agora::batch
