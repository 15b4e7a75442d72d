// /v1/jobs and /v1/jobs/{id}, their schedules, and the preview of a schedule's next slots.
#include "frameworks/batch/api.hpp"
#include "frameworks/batch/job_json.hpp"

namespace agora::batch {

using nlohmann::json;

namespace {

Try<json> bodyOf(const ApiCall& call) {
  if (call.body.empty()) return Error("No content to map due to end-of-input: send the job as JSON");
  try {
    return json::parse(call.body);
  } catch (const json::parse_error& e) {
    return Error(e.what());
  }
}

ApiReply invalidJson(const ApiCall& call, const std::string& details) {
  return jsonReply(400, {{"message", "Invalid Json: " + details}, {"requestPath", call.path}});
}

ApiReply violated(const Violations& v) { return jsonReply(422, violationsBody(v)); }

std::set<std::string> embedsOf(const ApiCall& call) {
  std::set<std::string> out;
  auto it = call.query.find("embed");
  if (it == call.query.end()) return out;
  size_t start = 0;
  const std::string& v = it->second;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    if (comma > start) out.insert(v.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

const std::set<std::string> kEmbeds = {"activeRuns", "schedules", "history", "historySummary", "dependencies"};

}  // namespace

json BatchApi::jobView(const JobSpec& job, const std::set<std::string>& embed) const {
  json j = jobToJson(job, false);
  j["schedules"] = json::array();  // always, as Metronome (embed=schedules asks for nothing more)
  for (const ScheduleSpec& s : job.schedules) j["schedules"].push_back(scheduleToJson(s, scheduler_.nextSlot(job.id, s.id)));
  if (embed.count("activeRuns")) {
    j["activeRuns"] = json::array();
    for (const Run* r : scheduler_.runsOf(job.id))
      if (!r->ended()) j["activeRuns"].push_back(runToJson(*r, scheduler_.frameworkId()));
  }
  if (embed.count("history")) j["history"] = historyJson(job.id, true);
  if (embed.count("historySummary")) j["historySummary"] = historyJson(job.id, false);
  if (embed.count("dependencies")) {
    const DependencyState* d = scheduler_.dependencyState(job.id);
    json parents = json::array();
    for (const std::string& p : job.dependencies)
      parents.push_back({{"id", p},
                         {"succeededSinceLastStart", d && d->succeeded.count(p) > 0},
                         {"blockedBy", d && d->blockedBy.count(p) ? json(d->blockedBy.at(p)) : json(nullptr)}});
    j["dependencyState"] = parents;
    j["dependants"] = scheduler_.childrenOf(job.id);
  }
  return j;
}

ApiReply BatchApi::jobs(const ApiCall& call) {
  if (call.method == "GET") {
    std::set<std::string> embed = embedsOf(call);
    for (const std::string& e : embed)
      if (!kEmbeds.count(e))
        return jsonReply(400, {{"message", "Unknown embed options. Valid options are: activeRuns, schedules, history, "
                                           "historySummary, dependencies"},
                               {"requestPath", call.path}});
    json out = json::array();
    for (const auto& [id, job] : scheduler_.jobs()) {
      out.push_back(jobView(job, embed));
      // As Metronome: the list leaves out an empty activeRuns.
      if (out.back().contains("activeRuns") && out.back()["activeRuns"].empty()) out.back().erase("activeRuns");
    }
    return jsonReply(200, out);
  }
  if (call.method != "POST") return messageReply(405, "use GET or POST on /v1/jobs");
  Try<json> body = bodyOf(call);
  if (body.isError()) return invalidJson(call, body.error());
  Violations v;
  JobSpec job = jobFromJson(*body, v);
  if (!v.empty()) return violated(v);
  return answer(scheduler_.createJob(job));
}

ApiReply BatchApi::oneJob(const ApiCall& call, const std::string& id) {
  if (call.method == "GET") {
    const JobSpec* job = scheduler_.job(id);
    if (!job) return jsonReply(404, unknownJob(id).body);
    return jsonReply(200, jobView(*job, embedsOf(call)));
  }
  if (call.method == "DELETE") {
    auto it = call.query.find("stopCurrentJobRuns");
    return answer(scheduler_.removeJob(id, it != call.query.end() && it->second == "true"));
  }
  if (call.method != "PUT") return messageReply(405, "use GET, PUT or DELETE on /v1/jobs/{id}");
  Try<json> body = bodyOf(call);
  if (body.isError()) return invalidJson(call, body.error());
  if (body->is_object() && !body->contains("id")) (*body)["id"] = id;
  Violations v;
  JobSpec job = jobFromJson(*body, v);
  if (!v.empty()) return violated(v);
  // As Metronome: the path's id wins, and the schedules stay as they are (change them at
  // /schedules).
  job.id = id;
  if (const JobSpec* current = scheduler_.job(id)) job.schedules = current->schedules;
  return answer(scheduler_.updateJob(job));
}

ApiReply BatchApi::schedules(const ApiCall& call, const std::string& jobId, const std::string& scheduleId,
                             const std::string& action) {
  const JobSpec* job = scheduler_.job(jobId);
  if (!job) return jsonReply(404, unknownJob(jobId).body);
  if (!action.empty()) {
    if (action == "next" && call.method == "GET") return nextSlots(call, jobId, scheduleId);
    return jsonReply(404, {{"message", "Unknown route."}, {"requestPath", call.path}});
  }
  if (scheduleId.empty()) {
    if (call.method == "GET") {
      json out = json::array();
      for (const ScheduleSpec& s : job->schedules) out.push_back(scheduleToJson(s, scheduler_.nextSlot(jobId, s.id)));
      return jsonReply(200, out);
    }
    if (call.method != "POST") return messageReply(405, "use GET or POST on /v1/jobs/{id}/schedules");
  } else if (call.method == "GET") {
    const ScheduleSpec* s = job->schedule(scheduleId);
    if (!s) return jsonReply(404, unknownSchedule(scheduleId).body);
    return jsonReply(200, scheduleToJson(*s, scheduler_.nextSlot(jobId, scheduleId)));
  } else if (call.method == "DELETE") {
    return answer(scheduler_.removeSchedule(jobId, scheduleId));
  } else if (call.method != "PUT") {
    return messageReply(405, "use GET, PUT or DELETE on /v1/jobs/{id}/schedules/{scheduleId}");
  }
  Try<json> body = bodyOf(call);
  if (body.isError()) return invalidJson(call, body.error());
  if (!scheduleId.empty() && body->is_object() && !body->contains("id")) (*body)["id"] = scheduleId;
  Violations v;
  ScheduleSpec s = scheduleFromJson(*body, "", v);
  if (!v.empty()) return violated(v);
  if (!scheduleId.empty()) s.id = scheduleId;  // the path's id wins, as Metronome
  return answer(scheduler_.putSchedule(jobId, s, scheduleId.empty()));
}

// ?count=N (default 5, at most 1000) &from=TIME (default now): the next instants, in the
// schedule's zone and in UTC.
ApiReply BatchApi::nextSlots(const ApiCall& call, const std::string& jobId, const std::string& scheduleId) {
  const ScheduleSpec* s = scheduler_.job(jobId)->schedule(scheduleId);
  if (!s) return jsonReply(404, unknownSchedule(scheduleId).body);
  size_t count = 5;
  if (auto it = call.query.find("count"); it != call.query.end()) {
    char* end = nullptr;
    long n = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end || n < 1 || n > 1000) return messageReply(400, "count must be a number 1-1000");
    count = static_cast<size_t>(n);
  }
  Instant from = Instant(std::chrono::seconds(static_cast<int64_t>(scheduler_.now())));
  if (auto it = call.query.find("from"); it != call.query.end()) {
    Try<Instant> t = parseInstant(it->second);
    if (t.isError()) return messageReply(400, "from: " + t.error());
    from = *t - std::chrono::seconds(1);  // "from" is inclusive
  }
  Try<CronSchedule> cron = CronSchedule::make(s->cron, s->timezone);
  if (cron.isError()) return messageReply(500, cron.error());
  json out = json::array();
  for (Instant t : cron->next(count, from)) out.push_back({{"at", formatInZone(t, cron->zone())}, {"utc", formatUtc(t)}});
  return jsonReply(200, {{"id", s->id}, {"cron", s->cron}, {"timezone", s->timezone}, {"next", out}});
}

}  // namespace agora::batch
