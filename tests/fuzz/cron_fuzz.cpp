// agora-batch's cron expressions: any bytes as a schedule's "cron" field (parseCron), and for
// an expression that parses, when it fires next from fixed instants in a few time zones
// (CronSchedule, schedule_time.hpp), around daylight-saving changes and across years.
//
// Checked: the instants come strictly after the time asked about, in order, on whole minutes,
// and read back from their RFC 3339 form; a fixed-time job's local times never repeat (it fires
// at the first of two equal wall-clock times only); in UTC, where wall clock and instants are
// the same, the next instant is the next matching minute; and an expression that parses fires
// again from any instant (parseCron refuses one that never fires, and the Gregorian calendar
// repeats every 400 years, so "nothing if it never will" may not happen to it).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "frameworks/batch/cron.hpp"
#include "frameworks/batch/schedule_time.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace agora;
using namespace agora::batch;

namespace {

Instant at(int64_t secondsSinceEpoch) { return Instant{std::chrono::seconds(secondsSinceEpoch)}; }

// Zones with a daylight-saving change in each hemisphere and one of half an hour.
const char* const kZones[] = {"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"};

// Half an hour before Europe's clocks go forward (2026-03-29T00:30:00Z); in New York's repeated
// hour (2026-11-01T05:30:00Z, 01:30 EDT).
const Instant kNearChanges[] = {at(1774744200), at(1793511000)};

// 2031-07-15T12:00:00Z, 2037-01-01T00:00:00Z, 2044-06-30T23:59:30Z, 2051-02-28T12:00:00Z,
// 2100-02-28T23:59:59Z: years apart, so that an expression with years between its days lands
// in a gap.
const Instant kAcrossYears[] = {at(1941883200), at(2114380800), at(2350943970), at(2561198400), at(4107542399)};

std::string utc(Instant t) { return formatUtc(t); }

void checkSequence(const CronSchedule& schedule, const std::string& cron, const std::string& zone, Instant from) {
  std::vector<Instant> next = schedule.next(3, from);
  Instant previous = from;
  std::optional<date::local_seconds> previousLocal;
  for (Instant t : next) {
    std::string what = "'" + cron + "' in " + zone + " from " + utc(from) + ": " + utc(t);
    FUZZ_CHECK(t > previous, what + " is not after " + utc(previous));
    FUZZ_CHECK(t.time_since_epoch() % std::chrono::minutes(1) == std::chrono::seconds(0), what + " is not a whole minute");
    Try<Instant> shown = parseInstant(formatInZone(t, schedule.zone()));
    FUZZ_CHECK(shown.ok() && *shown == t, what + " is shown as " + formatInZone(t, schedule.zone()) + ", which reads as " +
                                              (shown.ok() ? utc(*shown) : shown.error()));
    Try<Instant> inUtc = parseInstant(utc(t));
    FUZZ_CHECK(inUtc.ok() && *inUtc == t, what + " does not read back from its UTC form");
    date::local_seconds local = schedule.zone()->to_local(t);
    if (!schedule.expression().wildcardTime && previousLocal)
      FUZZ_CHECK(local > *previousLocal, what + ": a fixed-time job fired twice at one wall-clock time");
    previous = t;
    previousLocal = local;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Try<CronExpression> cron = parseCron(text);
  if (cron.isError()) {
    FUZZ_CHECK(!cron.error().empty(), "an error without a message for '" + text + "'");
    return 0;
  }
  FUZZ_CHECK(cron->minutes.any() && cron->hours.any() && cron->months.any() && (cron->days.any() || cron->weekdays.any()),
             "'" + text + "' parsed with a field that matches nothing");
  FUZZ_CHECK(!cron->days.test(0) && !cron->months.test(0), "'" + text + "' matches day or month 0");

  for (const char* zone : kZones) {
    Try<CronSchedule> schedule = CronSchedule::make(text, zone);
    FUZZ_CHECK(schedule.ok(), "'" + text + "' parses, but not in " + zone + ": " + (schedule.ok() ? "" : schedule.error()));
    for (Instant from : kNearChanges) checkSequence(*schedule, text, zone, from);
  }

  Try<CronSchedule> utcSchedule = CronSchedule::make(text, "UTC");
  for (Instant from : kAcrossYears) {
    std::optional<Instant> next = utcSchedule->nextAfter(from);
    FUZZ_CHECK(next.has_value(), "'" + text + "' parses but never fires after " + utc(from));
    // In UTC the next instant is the next matching minute strictly after `from`.
    std::optional<date::local_seconds> minute =
        nextLocalMatch(*cron, date::local_seconds((from + std::chrono::seconds(1)).time_since_epoch()));
    FUZZ_CHECK(minute.has_value() && next->time_since_epoch() == minute->time_since_epoch(),
               "'" + text + "' in UTC after " + utc(from) + ": " + utc(*next) + ", but the next matching minute is " +
                   (minute ? utc(Instant(minute->time_since_epoch())) : std::string("none")));
  }
  return 0;
}
