// agora-batch's job specs: any bytes as a POST /v1/jobs body, read and checked as the API does
// (jobFromJson collects every violation), and as storedJobFromJson reads the store (an error
// for a damaged entry, never an exception).
//
// A valid job must then go through what the service does with it: stored as jobToJson's text
// with its schedules and read back by storedJobFromJson after a restart, giving the same job;
// and each of its schedules must make a CronSchedule that can say when it fires next, shown
// as scheduleToJson shows it with nextRunAt.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/violations.hpp"
#include "frameworks/batch/job_json.hpp"
#include "frameworks/batch/schedule_time.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace agora;
using namespace agora::batch;
using nlohmann::json;

namespace {

std::string firstViolation(const Violations& v) { return v.empty() ? "" : v.front().path + ": " + v.front().error; }

// 2026-03-29T00:30:00Z, half an hour before Europe's clocks go forward.
const Instant kFrom{std::chrono::seconds(1774744200)};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  json body = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;

  Violations violations;
  JobSpec job = jobFromJson(body, violations);
  // The same body as a store entry.
  Try<JobSpec> asStored = storedJobFromJson(body);
  FUZZ_CHECK(asStored.ok() == violations.empty(), "jobFromJson and storedJobFromJson disagree: " + firstViolation(violations));
  if (!violations.empty()) {
    json answer = violationsBody(violations);  // the 422 the API answers
    FUZZ_CHECK(answer["details"].is_array() && !answer["details"].empty(), answer.dump());
    return 0;
  }
  FUZZ_CHECK(isValidJobId(job.id), "accepted the job id '" + job.id + "'");

  // Stored as text with its schedules, read back after a restart.
  const json stored = jobToJson(job, /*withSchedules=*/true);
  const std::string text = stored.dump();
  json reread = json::parse(text, nullptr, false);
  FUZZ_CHECK(!reread.is_discarded(), "jobToJson wrote text that is not JSON: " + text);
  Try<JobSpec> restored = storedJobFromJson(reread);
  FUZZ_CHECK(restored.ok(), "a stored job does not read back: " + (restored.ok() ? "" : restored.error()) + " in " + text);
  FUZZ_CHECK(jobToJson(*restored, true) == stored, "stored as " + text + ", read back as " + jobToJson(*restored, true).dump());
  (void)jobToJson(job, /*withSchedules=*/false);

  // What the scheduler makes of each schedule.
  for (const ScheduleSpec& s : job.schedules) {
    Try<CronSchedule> schedule = CronSchedule::make(s.cron, s.timezone);
    FUZZ_CHECK(schedule.ok(), "schedule '" + s.id + "' was accepted but makes no CronSchedule: " +
                                  (schedule.ok() ? "" : schedule.error()));
    std::optional<Instant> next = schedule->nextAfter(kFrom);
    if (next) FUZZ_CHECK(*next > kFrom, "schedule '" + s.id + "' fires next at or before the time asked about");
    json shown = scheduleToJson(s, next);
    FUZZ_CHECK(!next || shown["nextRunAt"].is_string(), shown.dump());
  }
  return 0;
}
