// The batch framework's commands, against agora-batch's REST API (Metronome's /v1/jobs):
//   agora job list | show ID | add FILE | update ID FILE | remove ID | run ID | runs ID
//             | stop ID RUN | next ID [SCHEDULE] | suspend ID | resume ID | history ID
// Tables by default; --json prints the API's JSON; an error from the API is printed as it came.
#include <iostream>

#include <gflags/gflags.h>
#include <nlohmann/json.hpp>

#include "cli/batch_client.hpp"
#include "cli/commands.hpp"
#include "cli/framework_client.hpp"
#include "cli/table.hpp"

DECLARE_bool(json);
DECLARE_bool(force);
DEFINE_int32(count, 5, "agora job next: how many instants to show (1-1000).");

namespace agora::cli {

using nlohmann::json;

namespace {

std::optional<json> call(const std::string& what, const std::string& method, const std::string& target,
                         const std::string& body = "") {
  return jsonAnswer("job " + what, callBatch(method, target, body));
}

std::string text(const json& v) { return v.is_string() ? v.get<std::string>() : "-"; }

int printed(const std::optional<json>& answer, const std::string& done) {
  if (!answer) return 1;
  if (FLAGS_json) std::cout << answer->dump(2) << "\n";
  else std::cout << done << "\n";
  return 0;
}

void printJobs(const json& jobs) {
  Table t({"ID", "SCHEDULES", "NEXT RUN", "ACTIVE", "SUCCEEDED", "FAILED", "DEPENDS ON"});
  for (const json& j : jobs) {
    std::string schedules, next = "-", parents;
    for (const json& s : field(j, "schedules")) {
      schedules += (schedules.empty() ? "" : "; ") + s.value("cron", "") + " " + s.value("timezone", "") +
                   (s.value("enabled", true) ? "" : " (suspended)");
      if (next == "-" && s.value("enabled", true)) next = text(field(s, "nextRunAt"));
    }
    for (const json& d : field(j, "dependencies")) parents += (parents.empty() ? "" : ",") + d.value("id", "");
    const json& summary = field(j, "historySummary");
    t.add({j.value("id", ""), schedules.empty() ? "-" : schedules, next, std::to_string(field(j, "activeRuns").size()),
           number(field(summary, "successCount")), number(field(summary, "failureCount")), parents.empty() ? "-" : parents});
  }
  t.print(std::cout);
}

void printRuns(const json& runs) {
  Table t({"RUN", "STATUS", "TRIGGER", "CREATED", "FINISHED", "TASKS", "REASON"});
  for (const json& r : runs)
    t.add({r.value("id", ""), r.value("status", ""), r.value("trigger", "-"), text(field(r, "createdAt")),
           text(r.contains("finishedAt") ? r["finishedAt"] : field(r, "completedAt")), std::to_string(field(r, "tasks").size()),
           r.value("reason", "")});
  t.print(std::cout);
}

// Every task of every finished run: how it ended, where, and where its log is.
void printHistory(const json& history) {
  Table t({"RUN", "STATUS", "TASK", "INDEX", "EXIT", "AGENT", "STARTED", "ENDED", "STDOUT"});
  for (const char* list : {"failedFinishedRuns", "successfulFinishedRuns"})
    for (const json& r : field(history, list))
      for (const json& task : field(r, "taskResults")) {
        std::string exit = task["signal"].is_number() ? "signal " + number(task["signal"]) : number(task["exitCode"]);
        t.add({r.value("id", ""), r.value("status", ""), task.value("id", ""), number(task["index"]), exit,
               task.value("host", ""), text(field(task, "startedAt")), text(field(task, "completedAt")),
               text(field(field(task, "logs"), "stdout"))});
      }
  t.print(std::cout);
}

int usage() {
  std::cerr << "usage: agora job list | show ID | add FILE | update ID FILE | remove ID [--force] | run ID | runs ID |"
               " stop ID RUN | next ID [SCHEDULE] [--count=N] | suspend ID | resume ID | history ID\n";
  return 2;
}

int next(const std::string& id, const std::string& scheduleId) {
  std::string sid = scheduleId;
  if (sid.empty()) {
    auto schedules = call("next", "GET", "/v1/jobs/" + id + "/schedules");
    if (!schedules) return 1;
    if (schedules->empty()) {
      std::cerr << "agora job next: job " << id << " has no schedule\n";
      return 1;
    }
    sid = (*schedules)[0].value("id", "");
  }
  auto answer = call("next", "GET", "/v1/jobs/" + id + "/schedules/" + sid + "/next?count=" + std::to_string(FLAGS_count));
  if (!answer) return 1;
  if (FLAGS_json) {
    std::cout << answer->dump(2) << "\n";
    return 0;
  }
  std::cout << "schedule " << sid << ": " << answer->value("cron", "") << " in " << answer->value("timezone", "") << "\n";
  Table t({answer->value("timezone", "LOCAL"), "UTC"});
  for (const json& n : (*answer)["next"]) t.add({n.value("at", ""), n.value("utc", "")});
  t.print(std::cout);
  return 0;
}

}  // namespace

int jobCommand(const std::vector<std::string>& args) {
  if (args.empty()) return usage();
  const std::string& verb = args[0];
  auto need = [&](size_t n) { return args.size() == n + 1; };
  std::string path = args.size() > 1 ? "/v1/jobs/" + args[1] : "";
  if (verb == "list" && need(0)) {
    auto jobs = call("list", "GET", "/v1/jobs?embed=activeRuns&embed=historySummary");
    if (!jobs) return 1;
    if (FLAGS_json) std::cout << jobs->dump(2) << "\n";
    else printJobs(*jobs);
    return 0;
  }
  if (verb == "show" && need(1)) {
    auto job = call("show", "GET", path + "?embed=activeRuns&embed=historySummary&embed=dependencies");
    if (!job) return 1;
    if (FLAGS_json) {
      std::cout << job->dump(2) << "\n";
      return 0;
    }
    printJobs(json::array({*job}));
    std::cout << "\ncommand: " << field((*job)["run"], "cmd").dump() << "  cpus " << number((*job)["run"]["cpus"]) << "  mem "
              << number((*job)["run"]["mem"]) << "  completions " << number((*job)["run"]["completions"]) << "  parallelism "
              << number((*job)["run"]["parallelism"]) << "\n";
    for (const json& d : field(*job, "dependencyState"))
      std::cout << "parent " << d.value("id", "") << ": "
                << (d["blockedBy"].is_string() ? "blocked, " + d["blockedBy"].get<std::string>()
                                               : d.value("succeededSinceLastStart", false) ? "succeeded" : "waiting")
                << "\n";
    if (!field(*job, "activeRuns").empty()) {
      std::cout << "\n";
      printRuns((*job)["activeRuns"]);
    }
    return 0;
  }
  if ((verb == "add" && need(1)) || (verb == "update" && need(2))) {
    std::optional<std::string> body = readFile(args.back());
    if (!body) {
      std::cerr << "agora job " << verb << ": cannot read " << args.back() << "\n";
      return 1;
    }
    if (verb == "add") {
      auto created = call("add", "POST", "/v1/jobs", *body);
      return printed(created, created ? "job " + created->value("id", "") + " created" : "");
    }
    return printed(call("update", "PUT", path, *body), "job " + args[1] + " updated");
  }
  if (verb == "remove" && need(1))
    return printed(call("remove", "DELETE", path + (FLAGS_force ? "?stopCurrentJobRuns=true" : "")), "job " + args[1] + " removed");
  if (verb == "run" && need(1)) {
    auto run = call("run", "POST", path + "/runs", "{}");
    return printed(run, run ? "run " + run->value("id", "") + " of job " + args[1] + " started" : "");
  }
  if (verb == "runs" && need(1)) {
    auto job = call("runs", "GET", path + "?embed=activeRuns&embed=history");
    if (!job) return 1;
    json runs = field(*job, "activeRuns").is_array() ? (*job)["activeRuns"] : json::array();
    for (const char* list : {"successfulFinishedRuns", "failedFinishedRuns"})
      for (const json& r : field(field(*job, "history"), list)) runs.push_back(r);
    if (FLAGS_json) std::cout << runs.dump(2) << "\n";
    else printRuns(runs);
    return 0;
  }
  if (verb == "stop" && need(2))
    return printed(call("stop", "POST", path + "/runs/" + args[2] + "/actions/stop", "{}"), "run " + args[2] + " stopped");
  if (verb == "next" && (need(1) || need(2))) return next(args[1], need(2) ? args[2] : "");
  if ((verb == "suspend" || verb == "resume") && need(1))
    return printed(call(verb, "POST", path + "/actions/" + verb, "{}"), "job " + args[1] + (verb == "suspend" ? " suspended" : " resumed"));
  if (verb == "history" && need(1)) {
    auto job = call("history", "GET", path + "?embed=history");
    if (!job) return 1;
    if (FLAGS_json) std::cout << (*job)["history"].dump(2) << "\n";
    else printHistory((*job)["history"]);
    return 0;
  }
  return usage();
}

}  // namespace agora::cli
