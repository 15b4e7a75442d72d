#include "frameworks/batch/run.hpp"

#include <cmath>
#include <ctime>
#include <random>

#include "common/clock.hpp"
#include "frameworks/batch/job_json.hpp"

namespace agora::batch {

using nlohmann::json;

namespace {

std::string compactTime(time_t t) {
  struct tm utc;
  gmtime_r(&t, &utc);
  char buf[20];
  strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &utc);
  return buf;
}

double number(const json& j, const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0; }

const std::vector<std::pair<RunStatus, const char*>> kStatuses = {{RunStatus::kInitial, "INITIAL"},
                                                                  {RunStatus::kStarting, "STARTING"},
                                                                  {RunStatus::kActive, "ACTIVE"},
                                                                  {RunStatus::kSuccess, "SUCCESS"},
                                                                  {RunStatus::kFailed, "FAILED"}};
const std::vector<std::pair<Trigger, const char*>> kTriggers = {
    {Trigger::kSchedule, "schedule"}, {Trigger::kApi, "api"}, {Trigger::kDependency, "dependency"}};

TaskState stateNamed(const std::string& name) {
  for (int s = 0; s <= static_cast<int>(TaskState::KILLING); ++s)
    if (name == stateName(static_cast<TaskState>(s))) return static_cast<TaskState>(s);
  return TaskState::UNKNOWN;
}

json optionalInt(const std::optional<int>& v) { return v ? json(*v) : json(nullptr); }

json attemptToJson(const TaskAttempt& t, const std::string& frameworkId) {
  json j = {{"id", t.taskId},
            {"index", t.index},
            {"status", stateName(t.state)},
            {"createdAt", runTime(t.createdAt)},
            {"startedAt", runTime(t.startedAt)},
            {"completedAt", runTime(t.completedAt)},
            {"exitCode", optionalInt(t.exitCode)},
            {"signal", optionalInt(t.signal)},
            {"agentId", t.agentId},
            {"host", t.host},
            {"message", t.message}};
  if (!t.reason.empty()) j["reason"] = t.reason;
  if (!t.agentHttp.empty() && !frameworkId.empty()) {
    // Runs stored by an older version hold host:port, not a URL.
    std::string agent = t.agentHttp.find("://") == std::string::npos ? "http://" + t.agentHttp : t.agentHttp;
    std::string base = agent + "/api/v1/files/read?task_id=" + t.taskId + "&framework_id=" + frameworkId;
    j["logs"] = {{"stdout", base + "&file=stdout"}, {"stderr", base + "&file=stderr"}};
  }
  return j;
}

}  // namespace

const char* runStatusName(RunStatus s) {
  for (const auto& [status, name] : kStatuses)
    if (status == s) return name;
  return "INITIAL";
}

const char* triggerName(Trigger t) {
  for (const auto& [trigger, name] : kTriggers)
    if (trigger == t) return name;
  return "api";
}

bool Run::active() const {
  if (!ended()) return true;
  for (const TaskAttempt& t : tasks)
    if (t.live()) return true;
  return false;
}

TaskAttempt* Run::attempt(const std::string& taskId) {
  for (TaskAttempt& t : tasks)
    if (t.taskId == taskId) return &t;
  return nullptr;
}

std::string scheduledRunId(const std::string& scheduleId, Instant slot) {
  return compactTime(static_cast<time_t>(slot.time_since_epoch().count())) + "-" + scheduleId;
}

std::string newRunId(double wallSeconds) {
  static thread_local std::mt19937 random{std::random_device{}()};
  std::string id = compactTime(static_cast<time_t>(std::floor(wallSeconds)));
  std::uniform_int_distribution<int> letter(0, 25);
  for (int i = 0; i < 5; ++i) id += static_cast<char>('a' + letter(random));
  return id;
}

std::string taskIdFor(const Run& run, uint32_t index, uint32_t attempt) {
  return run.jobId + "_" + run.id + "." + std::to_string(index) + "." + std::to_string(attempt);
}

json runTime(double wallSeconds) {
  if (wallSeconds <= 0) return nullptr;
  return isoTime(wallSeconds, "+0000");
}

json runToJson(const Run& run, const std::string& frameworkId) {
  json tasks = json::array();
  for (const TaskAttempt& t : run.tasks) tasks.push_back(attemptToJson(t, frameworkId));
  json j = {{"id", run.id},
            {"jobId", run.jobId},
            {"status", runStatusName(run.status)},
            {"createdAt", runTime(run.createdAt)},
            {"startedAt", runTime(run.startedAt)},
            {"completedAt", runTime(run.completedAt)},
            {"tasks", tasks},
            {"trigger", triggerName(run.trigger)},
            {"completions", run.job.run.completions},
            {"succeeded", run.succeeded.size()},
            {"failures", run.failures}};
  if (!run.scheduleId.empty()) j["scheduleId"] = run.scheduleId;
  if (run.slot) j["scheduledAt"] = formatUtc(*run.slot);
  if (!run.reason.empty()) j["reason"] = run.reason;
  if (!run.ended() && run.retryAt > 0) j["retryAt"] = runTime(run.retryAt);
  return j;
}

json storedRunToJson(const Run& run) {
  json j = {{"id", run.id},
            {"jobId", run.jobId},
            {"trigger", triggerName(run.trigger)},
            {"scheduleId", run.scheduleId},
            {"status", runStatusName(run.status)},
            {"createdAt", run.createdAt},
            {"startedAt", run.startedAt},
            {"completedAt", run.completedAt},
            {"succeeded", run.succeeded},
            {"failures", run.failures},
            {"retryAt", run.retryAt},
            {"reason", run.reason},
            {"attempts", run.attempts},
            {"job", jobToJson(run.job, false)}};
  if (run.slot) j["slot"] = run.slot->time_since_epoch().count();
  json tasks = json::array();
  for (const TaskAttempt& t : run.tasks)
    tasks.push_back({{"id", t.taskId}, {"index", t.index}, {"state", stateName(t.state)}, {"heard", t.heard},
                     {"exitCode", optionalInt(t.exitCode)}, {"signal", optionalInt(t.signal)}, {"agentId", t.agentId},
                     {"host", t.host}, {"agentHttp", t.agentHttp}, {"sandbox", t.sandbox}, {"message", t.message},
                     {"reason", t.reason}, {"createdAt", t.createdAt}, {"startedAt", t.startedAt},
                     {"completedAt", t.completedAt}, {"superseded", t.superseded}});
  j["tasks"] = tasks;
  return j;
}

Try<Run> storedRunFromJson(const json& j) {
  if (!j.is_object() || !j.contains("job") || !j.contains("tasks") || !j["tasks"].is_array()) return Error("not a run record");
  Try<JobSpec> job = storedJobFromJson(j["job"]);
  if (job.isError()) return Error(job.error());
  Run run;
  run.job = std::move(*job);
  run.id = j.value("id", "");
  run.jobId = j.value("jobId", "");
  std::string trigger = j.value("trigger", "api");
  for (const auto& [t, name] : kTriggers)
    if (trigger == name) run.trigger = t;
  run.scheduleId = j.value("scheduleId", "");
  std::string status = j.value("status", "INITIAL");
  for (const auto& [s, name] : kStatuses)
    if (status == name) run.status = s;
  run.createdAt = number(j, "createdAt");
  run.startedAt = number(j, "startedAt");
  run.completedAt = number(j, "completedAt");
  if (j.contains("slot") && j["slot"].is_number_integer()) run.slot = Instant(std::chrono::seconds(j["slot"].get<int64_t>()));
  if (j.contains("succeeded") && j["succeeded"].is_array())
    for (const json& i : j["succeeded"]) run.succeeded.insert(i.get<uint32_t>());
  run.failures = j.value("failures", 0u);
  run.retryAt = number(j, "retryAt");
  run.reason = j.value("reason", "");
  run.attempts = j.value("attempts", 0u);
  for (const json& t : j["tasks"]) {
    TaskAttempt a;
    a.taskId = t.value("id", "");
    a.index = t.value("index", 0u);
    a.state = stateNamed(t.value("state", "TASK_UNKNOWN"));
    a.heard = t.value("heard", false);
    a.superseded = t.value("superseded", false);
    if (t.contains("exitCode") && t["exitCode"].is_number_integer()) a.exitCode = t["exitCode"].get<int>();
    if (t.contains("signal") && t["signal"].is_number_integer()) a.signal = t["signal"].get<int>();
    a.agentId = t.value("agentId", "");
    a.host = t.value("host", "");
    a.agentHttp = t.value("agentHttp", "");
    a.sandbox = t.value("sandbox", "");
    a.message = t.value("message", "");
    a.reason = t.value("reason", "");
    a.createdAt = number(t, "createdAt");
    a.startedAt = number(t, "startedAt");
    a.completedAt = number(t, "completedAt");
    run.tasks.push_back(std::move(a));
  }
  if (run.id.empty() || run.jobId.empty()) return Error("a run record without its ids");
  return run;
}

}  // namespace agora::batch
