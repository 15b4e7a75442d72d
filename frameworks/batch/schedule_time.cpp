// date.h's parse of seconds reads into a long double that GCC 12 wrongly believes may be used
// uninitialized once inlined here; the warning is about the library's code, not ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "frameworks/batch/schedule_time.hpp"

#include <algorithm>
#include <sstream>

namespace agora::batch {
namespace {

// Longer than any daylight-saving change in the tz database (Lord Howe's is 30 minutes,
// Troll's 2 hours): within this of a change, local time may run backwards.
constexpr auto kChangeWindow = std::chrono::hours(3);

}  // namespace

Try<const date::time_zone*> findZone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return Error("unknown time zone '" + name +
                 "': use an IANA name such as Europe/Berlin or America/New_York (the names under /usr/share/zoneinfo)");
  }
}

Try<CronSchedule> CronSchedule::make(const std::string& cron, const std::string& timezone) {
  Try<CronExpression> parsed = parseCron(cron);
  if (parsed.isError()) return Error(parsed.error());
  Try<const date::time_zone*> zone = findZone(timezone);
  if (zone.isError()) return Error(zone.error());
  CronSchedule s;
  s.cron_ = std::move(*parsed);
  s.zone_ = *zone;
  return s;
}

std::vector<Instant> CronSchedule::instantsOf(date::local_seconds local) const {
  date::local_info info = zone_->get_info(local);
  Instant first = Instant(local.time_since_epoch()) - info.first.offset;
  switch (info.result) {
    case date::local_info::unique:
      return {first};
    case date::local_info::nonexistent:
      if (cron_.wildcardTime) return {};
      return {date::floor<std::chrono::seconds>(info.first.end)};
    default:  // ambiguous: first is the earlier offset's occurrence
      if (!cron_.wildcardTime) return {first};
      return {first, Instant(local.time_since_epoch()) - info.second.offset};
  }
}

bool CronSchedule::nearChange(Instant t) const {
  date::sys_info info = zone_->get_info(t);
  return t - info.begin < kChangeWindow || info.end - t < kChangeWindow;
}

std::optional<Instant> CronSchedule::nextAfter(Instant after) const {
  date::local_seconds local = zone_->to_local(after);
  // Away from a change, local time is monotonic and the search starts at `after`; near one, a
  // local minute before it may still lie ahead (the repeated hour), so it starts earlier.
  date::local_seconds start = nearChange(after) ? local - kChangeWindow : local;
  std::optional<Instant> best;
  for (auto c = nextLocalMatch(cron_, start); c; c = nextLocalMatch(cron_, *c + std::chrono::minutes(1))) {
    for (Instant t : instantsOf(*c))
      if (t > after && (!best || t < *best)) best = t;
    if (best && (!nearChange(*best) || *c > zone_->to_local(*best) + kChangeWindow)) break;
  }
  return best;
}

std::vector<Instant> CronSchedule::next(size_t count, Instant after) const {
  std::vector<Instant> out;
  while (out.size() < count) {
    std::optional<Instant> t = nextAfter(after);
    if (!t) break;
    out.push_back(*t);
    after = *t;
  }
  return out;
}

std::string formatInZone(Instant t, const date::time_zone* zone) {
  return date::format("%FT%T%Ez", date::make_zoned(zone, t));
}

std::string formatUtc(Instant t) { return date::format("%FT%TZ", t); }

Try<Instant> parseInstant(const std::string& text) {
  std::string s = text;
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s = s.substr(0, s.size() - 1) + "+00:00";
  for (const char* format : {"%FT%T%Ez", "%FT%R%Ez", "%F %T%Ez"}) {
    std::istringstream in(s);
    date::sys_time<std::chrono::milliseconds> t;
    in >> date::parse(format, t);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) return date::floor<std::chrono::seconds>(t);
  }
  return Error("'" + text + "' is not an RFC 3339 time: write it as 2026-03-29T01:30:00Z or 2026-03-29T03:30:00+02:00");
}

}  // namespace agora::batch
