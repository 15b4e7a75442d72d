// The schedule clock: each schedule waits in the due queue for its next slot, so a tick costs
// per due slot, never a pass over every job. A due slot becomes a run in the same write as the
// schedule's cursor; concurrency policies and the starting deadline decide which slots run.
#include <glog/logging.h>

#include "frameworks/batch/job_json.hpp"
#include "frameworks/batch/job_scheduler.hpp"
#include "frameworks/batch/missed_slots.hpp"

namespace agora::batch {

namespace {

Instant instantOf(double wallSeconds) { return Instant(std::chrono::seconds(static_cast<int64_t>(wallSeconds))); }

}  // namespace

std::optional<Instant> JobScheduler::nextSlot(const std::string& jobId, const std::string& scheduleId) const {
  const ScheduleState* st = scheduleState(jobId, scheduleId);
  if (!st || !st->cron) return std::nullopt;
  if (st->held) return st->held;
  return st->cron->nextAfter(std::max(st->cursor, instantOf(now())));
}

void JobScheduler::requeue(const std::string& jobId, const std::string& scheduleId) {
  std::string key = scheduleKey(jobId, scheduleId);
  ScheduleState& st = schedules_.at(key);
  const ScheduleSpec* spec = jobs_.at(jobId).schedule(scheduleId);
  if (!st.cron || !spec || !spec->enabled) {  // suspended: queued again when resumed
    due_.remove(key);
    return;
  }
  std::optional<Instant> next;
  if (st.held) {
    // Decided when the active run ends (which requeues it at once) or at its deadline.
    next = *st.held + std::chrono::seconds(static_cast<int64_t>(spec->startingDeadlineSeconds) + 1);
    if (std::optional<Instant> later = st.cron->nextAfter(std::max(*st.held, instantOf(now()))); later && *later < *next)
      next = later;
  } else {
    next = st.cron->nextAfter(st.cursor);
  }
  if (next) due_.set(key, *next);
  else due_.remove(key);
}

void JobScheduler::fireDue() {
  for (const std::string& key : due_.popDue(instantOf(now()))) {
    size_t split = key.find('\x1f');
    fire(key.substr(0, split), key.substr(split + 1));
  }
}

void JobScheduler::fire(const std::string& jobId, const std::string& scheduleId) {
  auto job = jobs_.find(jobId);
  auto state = schedules_.find(scheduleKey(jobId, scheduleId));
  if (job == jobs_.end() || state == schedules_.end() || !state->second.cron) return;
  const ScheduleSpec* spec = job->second.schedule(scheduleId);
  ScheduleState& st = state->second;
  Instant nowI = instantOf(now()), started = instantOf(startedAt_);
  st.held.reset();
  if (!spec->enabled) {  // suspended: its slots pass without runs
    st.cursor = std::max(st.cursor, nowI);
    storeCursor(jobId, scheduleId);
    requeue(jobId, scheduleId);
    return;
  }
  // Slots before this process started came due while it was down: the catch-up policy.
  SlotDecision d;
  if (st.cursor < started) {
    d = dueSlots(*st.cron, *spec, st.cursor, std::min(nowI, started), true);
    if (d.missed) st.lastMissedWhy = std::string("came due while agora-batch was down (catchUp ") + catchUpName(spec->catchUp) + ")";
    SlotDecision rest = dueSlots(*st.cron, *spec, d.cursor, nowI, false);
    d.run.insert(d.run.end(), rest.run.begin(), rest.run.end());
    d.missed += rest.missed;
    if (rest.lastMissed) d.lastMissed = rest.lastMissed, st.lastMissedWhy = "past its startingDeadlineSeconds";
    d.cursor = rest.cursor;
  } else {
    d = dueSlots(*st.cron, *spec, st.cursor, nowI, false);
    if (d.missed) st.lastMissedWhy = "past its startingDeadlineSeconds";
  }
  // The deadline counts from now: a slot held past its deadline (FORBID) is missed, not held
  // again, which after a restart would fire it over and over.
  std::vector<Instant> inTime;
  for (Instant slot : d.run) {
    if (nowI - slot <= std::chrono::seconds(static_cast<int64_t>(spec->startingDeadlineSeconds))) {
      inTime.push_back(slot);
      continue;
    }
    ++d.missed;
    d.lastMissed = std::max(d.lastMissed.value_or(slot), slot);
    st.lastMissedWhy = "past its startingDeadlineSeconds";
  }
  d.run = std::move(inTime);
  st.cursor = d.cursor;
  auto miss = [&](uint64_t n, Instant slot, const std::string& why) {
    st.missed += n;
    st.lastMissed = slot;
    st.lastMissedWhy = why;
  };
  if (d.missed) {
    st.missed += d.missed;
    st.lastMissed = d.lastMissed;
    counters_["slots_missed"] += static_cast<double>(d.missed);
    LOG(WARNING) << "Schedule " << scheduleId << " of job " << jobId << ": " << d.missed << " slot(s) did not run, the last "
                 << formatUtc(*d.lastMissed) << " (" << st.lastMissedWhy << ")";
  }
  bool busy = false;
  for (const RunKey& key : active_) busy = busy || key.first == jobId;
  std::vector<Instant> toRun;
  switch (spec->concurrencyPolicy) {
    case ConcurrencyPolicy::kAllow:
      toRun = d.run;
      break;
    case ConcurrencyPolicy::kReplace:
      // Each would replace the one before: only the latest runs.
      if (!d.run.empty()) toRun.push_back(d.run.back());
      if (d.run.size() > 1) miss(d.run.size() - 1, d.run[d.run.size() - 2], "replaced by a later slot (REPLACE)");
      for (const RunKey& key : std::set<RunKey>(active_))
        if (Run* r = findRun(key.first, key.second); r && key.first == jobId && !toRun.empty() && !r->ended()) {
          endRun(*r, RunStatus::kFailed, "replaced by the run of slot " + formatUtc(toRun.back()) + " (concurrencyPolicy REPLACE)");
          stopTasks(*r);
        }
      break;
    case ConcurrencyPolicy::kForbid:
      // One at a time: the next slot waits (the cursor stays before it) for the active run.
      for (Instant slot : d.run) {
        if (busy) {
          st.held = slot;
          st.cursor = slot - std::chrono::seconds(1);
          break;
        }
        toRun.push_back(slot);
        busy = true;
      }
      break;
  }
  for (Instant slot : toRun) createRun(job->second, Trigger::kSchedule, scheduleId, slot);
  storeCursor(jobId, scheduleId);
  requeue(jobId, scheduleId);
}

}  // namespace agora::batch
