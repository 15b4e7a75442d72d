#include "frameworks/batch/job_json.hpp"

#include <cmath>
#include <regex>
#include <set>

#include "common/json_fields.hpp"
#include "common/resources.hpp"

namespace agora::batch {

using nlohmann::json;

namespace {

const char* const kGuide = "docs/batch.md";
const char* const kJobIdPattern = "^([a-z0-9]+(-+[a-z0-9]+)*)([.]([a-z0-9]+(-+[a-z0-9]+)*))*$";

bool empty(const json& v) {
  return v.is_null() || (v.is_array() && v.empty()) || (v.is_object() && v.empty()) ||
         (v.is_string() && v.get<std::string>().empty());
}

// Fields for what Agora cannot do: accepted only when they ask for nothing.
void refuseUnsupported(const json& run, Violations& out) {
  const std::map<std::string, std::string> unsupported = {
      {"docker", "Docker images are not supported by Agora yet; give cmd or args that run on the agents"},
      {"ucr", "container images (ucr) are not supported by Agora yet; give cmd or args that run on the agents"},
      {"artifacts", "fetching artifacts is not supported by Agora yet; put what the job needs on the agents or let cmd download it"},
      {"volumes", "volumes are not supported by Agora yet; the task writes to its sandbox"},
      {"secrets", "secrets are not supported by Agora yet"},
      {"networks", "networks are not supported by Agora yet; tasks use the agent's host network"},
  };
  for (const auto& [key, why] : unsupported)
    if (run.contains(key) && !empty(run[key])) out.push_back({"/run/" + key, why});
}

void readExitCodes(Fields& f, const char* key, std::vector<int>& into) {
  const json* list = f.array(key);
  if (!list) return;
  into.clear();
  for (size_t i = 0; i < list->size(); ++i) {
    const json& v = (*list)[i];
    if (!v.is_number_integer()) f.fail(indexed(f.at(key), i), "error.expected.int");
    else if (v.get<int64_t>() < 0 || v.get<int64_t>() > 255)
      f.fail(indexed(f.at(key), i), "got " + v.dump() + ", expected an exit code 0-255");
    else into.push_back(v.get<int>());
  }
}

void readRestart(const json& j, RunSpec& run, Violations& out) {
  Fields f(j, "/run/restart", out);
  std::string policy = restartPolicyName(run.restartPolicy);
  f.string("policy", policy);
  if (policy == "NEVER") run.restartPolicy = RestartPolicy::kNever;
  else if (policy == "ON_FAILURE") run.restartPolicy = RestartPolicy::kOnFailure;
  else f.fail(f.at("policy"), "'" + policy + "' is not one of NEVER, ON_FAILURE");
  f.seconds("activeDeadlineSeconds", run.restartDeadlineSeconds);
  f.number("maxRetries", run.maxRetries);
  f.seconds("backoffSeconds", run.backoffSeconds);
  f.number("backoffFactor", run.backoffFactor);
  f.seconds("maxBackoffSeconds", run.maxBackoffSeconds);
  f.refuseUnknown({"policy", "activeDeadlineSeconds", "maxRetries", "backoffSeconds", "backoffFactor", "maxBackoffSeconds"}, kGuide);
  if (run.restartDeadlineSeconds < 0) f.fail(f.at("activeDeadlineSeconds"), "got " + std::to_string(run.restartDeadlineSeconds) + ", expected 0 or more");
  if (run.backoffSeconds < 0) f.fail(f.at("backoffSeconds"), "must be 0 or more");
  if (run.backoffFactor < 1) f.fail(f.at("backoffFactor"), "must be 1 or more (1: the same delay every time)");
  if (run.maxBackoffSeconds < run.backoffSeconds) f.fail(f.at("maxBackoffSeconds"), "must be at least backoffSeconds");
}

void readConstraints(const json& list, RunSpec& run, Violations& out) {
  if (!list.is_array()) return out.push_back({"/run/placement/constraints", "error.expected.jsarray"});
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = indexed("/run/placement/constraints", i);
    if (!list[i].is_object()) {
      out.push_back({path, "error.expected.jsobject"});
      continue;
    }
    Fields c(list[i], path, out);
    PlacementConstraint pc;
    c.string("attribute", pc.attribute);
    c.string("operator", pc.op);
    c.string("value", pc.value);
    if (pc.op == "EQ") pc.op = "IS";  // Metronome reads EQ as IS and shows it so
    c.refuseUnknown({"attribute", "operator", "value"}, kGuide);
    if (pc.attribute.empty()) c.fail(c.at("attribute"), "error.path.missing");
    if (pc.op != "IS" && pc.op != "LIKE" && pc.op != "UNLIKE")
      c.fail(c.at("operator"), "'" + pc.op + "' is not an operator: use EQ, IS, LIKE or UNLIKE");
    else if (pc.value.empty()) c.fail(c.at("value"), "error.path.missing: " + pc.op + " needs a value");
    else if ((pc.op == "LIKE" || pc.op == "UNLIKE") && !pc.attribute.empty()) {
      // Checked as placement will read it.
      Try<sdk::Constraint> parsed = sdk::parseConstraint({pc.attribute, pc.op, pc.value});
      if (parsed.isError()) c.fail(c.at("value"), parsed.error());
    }
    run.constraints.push_back(pc);
  }
}

RunSpec readRun(const json& j, Violations& out) {
  RunSpec run;
  Fields f(j, "/run", out);
  f.string("cmd", run.cmd);
  f.strings("args", run.args);
  f.number("cpus", run.cpus);
  f.number("mem", run.mem);
  f.number("disk", run.disk);
  f.number("gpus", run.gpus);
  f.stringMap("env", run.env, "variable");
  f.seconds("maxLaunchDelay", run.maxLaunchDelaySeconds);
  f.string("user", run.user);
  f.seconds("taskKillGracePeriodSeconds", run.taskKillGracePeriodSeconds);
  f.number("completions", run.completions);
  f.number("parallelism", run.parallelism);
  f.seconds("activeDeadlineSeconds", run.activeDeadlineSeconds);
  if (const json* restart = f.object("restart")) readRestart(*restart, run, out);
  if (const json* placement = f.object("placement")) {
    Fields p(*placement, "/run/placement", out);
    p.refuseUnknown({"constraints"}, kGuide);
    if (p.has("constraints")) readConstraints((*placement)["constraints"], run, out);
  }
  if (const json* codes = f.object("exitCodes")) {
    Fields e(*codes, "/run/exitCodes", out);
    readExitCodes(e, "failRun", run.failRunOnExitCodes);
    readExitCodes(e, "ignore", run.ignoreExitCodes);
    e.refuseUnknown({"failRun", "ignore"}, kGuide);
  }
  refuseUnsupported(j, out);
  f.refuseUnknown({"cmd", "args", "cpus", "mem", "disk", "gpus", "env", "placement", "maxLaunchDelay", "restart", "user",
                   "taskKillGracePeriodSeconds", "completions", "parallelism", "activeDeadlineSeconds", "exitCodes",
                   "docker", "ucr", "artifacts", "volumes", "secrets", "networks"},
                  kGuide);
  if (run.cmd.empty() && run.args.empty()) f.fail("/run", "give cmd (a shell command line) or args (a program and its arguments)");
  if (!run.cmd.empty() && !run.args.empty()) f.fail("/run", "give cmd or args, not both");
  // The upper bound is the largest amount a resource can hold (common/resources.hpp).
  auto within = [&](const char* name, double value, double min, const char* minText) {
    if (value < min || value > kMaxScalar)
      f.fail(f.at(name), "got " + json(value).dump() + ", expected " + minText + " or more and at most 1e12");
  };
  within("cpus", run.cpus, 0.01, "0.01");
  within("mem", run.mem, 32, "32.0");
  within("disk", run.disk, 0, "0.0");
  within("gpus", run.gpus, 0, "0");
  if (run.maxLaunchDelaySeconds < 1) f.fail(f.at("maxLaunchDelay"), "got " + json(run.maxLaunchDelaySeconds).dump() + ", expected 1 or more");
  if (run.completions < 1 || run.completions > 100000) f.fail(f.at("completions"), "must be 1-100000");
  if (run.parallelism < 1) f.fail(f.at("parallelism"), "must be 1 or more");
  if (run.activeDeadlineSeconds < 0) f.fail(f.at("activeDeadlineSeconds"), "must be 0 (no deadline) or more");
  if (run.taskKillGracePeriodSeconds < 0) f.fail(f.at("taskKillGracePeriodSeconds"), "must be 0 or more");
  for (int code : run.failRunOnExitCodes)
    for (int other : run.ignoreExitCodes)
      if (code == other) f.fail("/run/exitCodes", "exit code " + std::to_string(code) + " is in both failRun and ignore");
  return run;
}

bool validScheduleId(const std::string& id) {
  static const std::regex re("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$");
  return id.size() <= 63 && std::regex_match(id, re);
}

}  // namespace

bool isValidJobId(const std::string& id) {
  // Metronome's pattern; each repetition starts with a '-' or a '.', so matching is linear.
  static const std::regex re(kJobIdPattern);
  return !id.empty() && id.size() <= 104 && std::regex_match(id, re);
}

const char* restartPolicyName(RestartPolicy p) { return p == RestartPolicy::kNever ? "NEVER" : "ON_FAILURE"; }

const char* concurrencyPolicyName(ConcurrencyPolicy p) {
  switch (p) {
    case ConcurrencyPolicy::kAllow: return "ALLOW";
    case ConcurrencyPolicy::kForbid: return "FORBID";
    case ConcurrencyPolicy::kReplace: return "REPLACE";
  }
  return "ALLOW";
}

const char* catchUpName(CatchUp c) {
  switch (c) {
    case CatchUp::kSkip: return "SKIP";
    case CatchUp::kOnce: return "ONCE";
    case CatchUp::kAll: return "ALL";
  }
  return "ONCE";
}

ScheduleSpec scheduleFromJson(const json& j, const std::string& path, Violations& out) {
  ScheduleSpec s;
  if (!j.is_object()) {
    out.push_back({path.empty() ? "/" : path, "error.expected.jsobject"});
    return s;
  }
  Fields f(j, path, out);
  f.string("id", s.id);
  f.string("cron", s.cron);
  f.string("timezone", s.timezone);
  f.seconds("startingDeadlineSeconds", s.startingDeadlineSeconds);
  f.boolean("enabled", s.enabled);
  std::string policy = concurrencyPolicyName(s.concurrencyPolicy);
  f.string("concurrencyPolicy", policy);
  std::string catchUp = catchUpName(s.catchUp);
  f.string("catchUp", catchUp);
  f.refuseUnknown({"id", "cron", "timezone", "startingDeadlineSeconds", "concurrencyPolicy", "enabled", "catchUp", "nextRunAt"}, kGuide);
  if (!validScheduleId(s.id))
    f.fail(f.at("id"), s.id.empty() ? "error.path.missing" : "must fully match regular expression '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$'");
  if (s.cron.empty()) f.fail(f.at("cron"), "error.path.missing");
  else if (Try<CronExpression> c = parseCron(s.cron); c.isError()) f.fail(f.at("cron"), c.error());
  if (Try<const date::time_zone*> z = findZone(s.timezone); z.isError()) f.fail(f.at("timezone"), z.error());
  if (s.startingDeadlineSeconds < 1) f.fail(f.at("startingDeadlineSeconds"), "must be 1 or more");
  if (policy == "ALLOW") s.concurrencyPolicy = ConcurrencyPolicy::kAllow;
  else if (policy == "FORBID") s.concurrencyPolicy = ConcurrencyPolicy::kForbid;
  else if (policy == "REPLACE") s.concurrencyPolicy = ConcurrencyPolicy::kReplace;
  else f.fail(f.at("concurrencyPolicy"), "'" + policy + "' is not one of ALLOW, FORBID, REPLACE");
  if (catchUp == "SKIP") s.catchUp = CatchUp::kSkip;
  else if (catchUp == "ONCE") s.catchUp = CatchUp::kOnce;
  else if (catchUp == "ALL") s.catchUp = CatchUp::kAll;
  else f.fail(f.at("catchUp"), "'" + catchUp + "' is not one of SKIP, ONCE, ALL");
  return s;
}

JobSpec jobFromJson(const json& j, Violations& out) {
  JobSpec job;
  if (!j.is_object()) {
    out.push_back({"/", "error.expected.jsobject"});
    return job;
  }
  Fields f(j, "", out);
  f.string("id", job.id);
  f.string("description", job.description);
  f.stringMap("labels", job.labels, "label");
  if (const json* run = f.object("run")) job.run = readRun(*run, out);
  else if (!f.has("run")) f.fail("/run", "error.path.missing");
  if (const json* list = f.array("schedules")) {
    std::set<std::string> ids;
    for (size_t i = 0; i < list->size(); ++i) {
      job.schedules.push_back(scheduleFromJson((*list)[i], indexed("/schedules", i), out));
      if (!ids.insert(job.schedules.back().id).second) f.fail(indexed("/schedules", i) + "/id", "a schedule with this id is given twice");
    }
  }
  if (const json* deps = f.array("dependencies")) {
    for (size_t i = 0; i < deps->size(); ++i) {
      const json& d = (*deps)[i];
      // Each type is looked at before it is read: json::value() throws on an "id" that is not
      // a string, and this function reports, it does not throw.
      if (d.is_object() && d.contains("id") && !d["id"].is_string()) {
        f.fail(indexed("/dependencies", i) + "/id", "error.expected.jsstring: give the parent job's id as a string");
        continue;
      }
      std::string parent = d.is_string() ? d.get<std::string>()
                           : d.is_object() && d.contains("id") ? d["id"].get<std::string>()
                                                               : "";
      if (!isValidJobId(parent)) f.fail(indexed("/dependencies", i), "give the parent job as {\"id\": \"parent.job\"}");
      else if (parent == job.id) f.fail(indexed("/dependencies", i), "a job cannot depend on itself");
      else job.dependencies.push_back(parent);
    }
  }
  if (const json* limits = f.object("historyLimits")) {
    Fields h(*limits, "/historyLimits", out);
    h.number("successful", job.successfulHistoryLimit);
    h.number("failed", job.failedHistoryLimit);
    h.refuseUnknown({"successful", "failed"}, kGuide);
  }
  // What a GET adds (embeds) may come back in a PUT; it is not part of the spec.
  f.refuseUnknown({"id", "description", "labels", "run", "schedules", "dependencies", "historyLimits", "activeRuns",
                   "history", "historySummary"},
                  kGuide);
  if (job.id.empty()) f.fail("/id", "error.path.missing");
  else if (!isValidJobId(job.id))
    f.fail("/id", std::string("must fully match regular expression '") + kJobIdPattern + "'");
  return job;
}

json scheduleToJson(const ScheduleSpec& s, std::optional<Instant> nextRunAt) {
  json j = {{"id", s.id},
            {"cron", s.cron},
            {"timezone", s.timezone},
            {"startingDeadlineSeconds", wholeSeconds(s.startingDeadlineSeconds)},
            {"concurrencyPolicy", concurrencyPolicyName(s.concurrencyPolicy)},
            {"enabled", s.enabled},
            {"catchUp", catchUpName(s.catchUp)}};
  if (nextRunAt) {
    Try<const date::time_zone*> zone = findZone(s.timezone);
    j["nextRunAt"] = zone.ok() ? formatInZone(*nextRunAt, *zone) : formatUtc(*nextRunAt);
  }
  return j;
}

json jobToJson(const JobSpec& job, bool withSchedules) {
  const RunSpec& r = job.run;
  json constraints = json::array();
  for (const PlacementConstraint& c : r.constraints)
    constraints.push_back({{"attribute", c.attribute}, {"operator", c.op}, {"value", c.value}});
  json run = {{"cpus", r.cpus},
              {"mem", r.mem},
              {"disk", r.disk},
              {"gpus", r.gpus},
              {"env", r.env},
              {"placement", {{"constraints", constraints}}},
              {"maxLaunchDelay", wholeSeconds(r.maxLaunchDelaySeconds)},
              {"restart", {{"policy", restartPolicyName(r.restartPolicy)}}},
              {"artifacts", json::array()},
              {"volumes", json::array()},
              {"secrets", json::object()},
              {"completions", r.completions},
              {"parallelism", r.parallelism}};
  if (!r.cmd.empty()) run["cmd"] = r.cmd;
  if (!r.args.empty()) run["args"] = r.args;
  if (!r.user.empty()) run["user"] = r.user;
  if (r.taskKillGracePeriodSeconds > 0) run["taskKillGracePeriodSeconds"] = wholeSeconds(r.taskKillGracePeriodSeconds);
  if (r.restartDeadlineSeconds > 0) run["restart"]["activeDeadlineSeconds"] = wholeSeconds(r.restartDeadlineSeconds);
  if (r.restartPolicy == RestartPolicy::kOnFailure) {
    run["restart"]["maxRetries"] = r.maxRetries;
    run["restart"]["backoffSeconds"] = wholeSeconds(r.backoffSeconds);
    run["restart"]["backoffFactor"] = r.backoffFactor;
    run["restart"]["maxBackoffSeconds"] = wholeSeconds(r.maxBackoffSeconds);
  }
  if (r.activeDeadlineSeconds > 0) run["activeDeadlineSeconds"] = wholeSeconds(r.activeDeadlineSeconds);
  if (!r.failRunOnExitCodes.empty() || !r.ignoreExitCodes.empty())
    run["exitCodes"] = {{"failRun", r.failRunOnExitCodes}, {"ignore", r.ignoreExitCodes}};
  json deps = json::array();
  for (const std::string& d : job.dependencies) deps.push_back({{"id", d}});
  json j = {{"id", job.id},
            {"labels", job.labels},
            {"run", run},
            {"dependencies", deps},
            {"historyLimits", {{"successful", job.successfulHistoryLimit}, {"failed", job.failedHistoryLimit}}}};
  if (!job.description.empty()) j["description"] = job.description;
  if (withSchedules) {
    j["schedules"] = json::array();
    for (const ScheduleSpec& s : job.schedules) j["schedules"].push_back(scheduleToJson(s, std::nullopt));
  }
  return j;
}

Try<JobSpec> storedJobFromJson(const json& j) {
  Violations violations;
  JobSpec job = jobFromJson(j, violations);
  if (!violations.empty()) {
    // A damaged entry may not be an object or may have an id that is not a string; json::value()
    // would throw on either.
    std::string id = j.is_object() && j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : "?";
    return Error("the stored job '" + id + "' does not read: " + violations.front().path + ": " +
                 violations.front().error);
  }
  return job;
}

}  // namespace agora::batch
