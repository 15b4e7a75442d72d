#pragma once
// Metronome's job spec and schedule spec JSON, both ways. Reading checks each field's type
// (Play JSON's "error.expected.jsnumber" and friends, as Metronome answers) and each rule
// (ranges, ids, cron, time zone, constraints), collecting every violation under its path.
// Fields for what Agora cannot do (Docker images, artifacts, volumes, secrets, networks) are
// refused by name unless they ask for nothing, so that a GET's output can be PUT back.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/violations.hpp"
#include "frameworks/batch/job.hpp"
#include "frameworks/batch/schedule_time.hpp"

namespace agora::batch {

// A job spec; `violations` is empty when it is valid. Schedules given inline ("schedules")
// are read too, an Agora addition that Metronome's v1 takes only at /schedules.
JobSpec jobFromJson(const nlohmann::json& j, Violations& violations);
// One schedule, its violations under `path` ("" for a body of its own, "/schedules(0)" inline).
ScheduleSpec scheduleFromJson(const nlohmann::json& j, const std::string& path, Violations& violations);

// The job as GET shows it, every field with its value or default; `withSchedules` adds them
// inline (the store keeps them so).
nlohmann::json jobToJson(const JobSpec& job, bool withSchedules);
// With nextRunAt, RFC 3339 in the schedule's zone, when it has one.
nlohmann::json scheduleToJson(const ScheduleSpec& s, std::optional<Instant> nextRunAt);

// A job spec as stored (jobToJson's output with its schedules); the error only for a
// damaged store.
Try<JobSpec> storedJobFromJson(const nlohmann::json& j);

// "a.b-c": Metronome's id rule (lower-case letters, digits and dashes, dotted).
bool isValidJobId(const std::string& id);

const char* restartPolicyName(RestartPolicy p);
const char* concurrencyPolicyName(ConcurrencyPolicy p);
const char* catchUpName(CatchUp c);

}  // namespace agora::batch
