#include "frameworks/batch/missed_slots.hpp"

namespace agora::batch {

SlotDecision dueSlots(const CronSchedule& cron, const ScheduleSpec& spec, Instant cursor, Instant now, bool recovering,
                      size_t limit) {
  SlotDecision d;
  d.cursor = cursor;
  auto deadline = std::chrono::seconds(static_cast<int64_t>(spec.startingDeadlineSeconds));
  // Slots older than the deadline can only be missed: start the walk at the deadline when the
  // gap is long, and count what lies before it without listing it.
  Instant walkFrom = cursor;
  if (now - deadline > cursor + std::chrono::hours(24)) {
    Instant skipTo = now - deadline - std::chrono::seconds(1);
    size_t counted = 0;
    for (std::optional<Instant> t = cron.nextAfter(cursor); t && *t <= skipTo && counted < limit; t = cron.nextAfter(*t)) {
      ++counted;
      d.lastMissed = *t;
    }
    d.missed += counted;
    walkFrom = skipTo;
    d.cursor = skipTo;
  }
  std::vector<Instant> inTime;
  for (std::optional<Instant> t = cron.nextAfter(walkFrom); t && *t <= now; t = cron.nextAfter(*t)) {
    d.cursor = *t;
    if (now - *t > deadline) {
      ++d.missed;
      d.lastMissed = *t;
    } else {
      inTime.push_back(*t);
    }
  }
  if (!recovering || spec.catchUp == CatchUp::kAll) {
    d.run = std::move(inTime);
  } else if (spec.catchUp == CatchUp::kOnce) {
    if (!inTime.empty()) d.run.push_back(inTime.back());
    d.missed += inTime.empty() ? 0 : inTime.size() - 1;
    if (inTime.size() > 1) d.lastMissed = inTime[inTime.size() - 2];
  } else {
    d.missed += inTime.size();
    if (!inTime.empty()) d.lastMissed = inTime.back();
  }
  return d;
}

}  // namespace agora::batch
