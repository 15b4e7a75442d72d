#pragma once
// The slots of one schedule between its cursor (the last slot decided) and now, and which of
// them run. Pure arithmetic, as Kubernetes' CronJob keeps its missed-schedule sums apart from
// the controller, and without its cliff: a schedule never stops because it missed too many.
//
//   - While agora-batch runs, a slot runs if it is within the schedule's
//     startingDeadlineSeconds; an older one is missed (counted, logged, shown).
//   - Slots that came due while agora-batch (or its store) was down follow the catch-up
//     policy: SKIP runs none of them; ONCE runs the latest one within the starting deadline
//     (one run for all missed slots, as Nomad); ALL runs every one within the deadline, oldest
//     first. The rest are missed.

#include <cstdint>
#include <optional>
#include <vector>

#include "frameworks/batch/job.hpp"
#include "frameworks/batch/schedule_time.hpp"

namespace agora::batch {

struct SlotDecision {
  std::vector<Instant> run;  // oldest first
  uint64_t missed = 0;
  std::optional<Instant> lastMissed;
  Instant cursor;  // the latest slot decided, or the old cursor if none came due
};

// Slots past the deadline are only counted, and no more than `limit` of them (an outage of years
// on a per-minute cron is not walked slot by slot).
SlotDecision dueSlots(const CronSchedule& cron, const ScheduleSpec& spec, Instant cursor, Instant now, bool recovering,
                      size_t limit = 100000);

}  // namespace agora::batch
