// The service framework's commands, against agora-marathon's REST API:
//   agora app list | show ID | add FILE | update ID FILE | scale ID N | restart ID | remove ID
//             | tasks ID | versions ID | rollback ID VERSION
//   agora deployment list | rollback ID
//   agora queue
// Tables by default; --json prints the API's JSON; an error from the API is printed as it came.
#include <fstream>
#include <iostream>
#include <sstream>

#include <gflags/gflags.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/framework_client.hpp"
#include "cli/marathon_client.hpp"
#include "cli/table.hpp"

DECLARE_bool(json);
DEFINE_bool(force, false, "agora app / deployment: override a deployment's lock (force=true), or, for "
                          "`deployment rollback`, stop the deployment without rolling it back.");

namespace agora::cli {

using nlohmann::json;

namespace {

std::optional<json> call(const std::string& what, const std::string& method, const std::string& target,
                         const std::string& body = "") {
  return jsonAnswer(what, callMarathon(method, target, body));
}

std::string appPath(std::string id) { return "/v2/apps" + (id.rfind('/', 0) == 0 ? id : "/" + id); }
std::string forced(const std::string& target) {
  return FLAGS_force ? target + (target.find('?') == std::string::npos ? "?" : "&") + "force=true" : target;
}

// What a change answered: the deployment it started.
int changed(const std::optional<json>& answer) {
  if (!answer) return 1;
  if (FLAGS_json) std::cout << answer->dump(2) << "\n";
  else if (answer->contains("deploymentId"))
    std::cout << "deployment " << (*answer)["deploymentId"].get<std::string>() << " (version "
              << answer->value("version", "") << ")\n";
  else if (answer->is_object() && answer->contains("deployments") && !(*answer)["deployments"].empty())
    std::cout << "deployment " << (*answer)["deployments"][0]["id"].get<std::string>() << "\n";
  else std::cout << "ok\n";
  return 0;
}

void printApps(const json& apps) {
  Table t({"ID", "INSTANCES", "RUNNING", "HEALTHY", "CPUS", "MEM", "DEPLOYING", "VERSION"});
  for (const json& a : apps)
    t.add({a.value("id", ""), number(field(a, "instances")), number(field(a, "tasksRunning")),
           a.contains("healthChecks") ? number(field(a, "tasksHealthy")) : "-", number(field(a, "cpus")), number(field(a, "mem")),
           a.value("deployments", json::array()).empty() ? "-" : "yes", a.value("version", "")});
  t.print(std::cout);
}

void printTasks(const json& tasks) {
  Table t({"TASK", "HOST", "PORTS", "STATE", "HEALTHY", "STARTED"});
  for (const json& task : tasks) {
    std::string ports;
    for (const json& p : task.value("ports", json::array())) ports += (ports.empty() ? "" : ",") + number(p);
    std::string healthy = "-";
    if (task.contains("healthCheckResults") && !task["healthCheckResults"].empty())
      healthy = task["healthCheckResults"][0].value("alive", false) ? "yes" : "no";
    const json& started = field(task, "startedAt");
    t.add({task.value("id", ""), task.value("host", ""), ports.empty() ? "-" : ports, task.value("state", ""), healthy,
           started.is_string() ? started.get<std::string>() : "-"});
  }
  t.print(std::cout);
}

int usage() {
  std::cerr << "usage: agora app list | show ID | add FILE | update ID FILE | scale ID N | restart ID | remove ID |"
               " tasks ID | versions ID | rollback ID VERSION\n";
  return 2;
}

}  // namespace

int appCommand(const std::vector<std::string>& args) {
  if (args.empty()) return usage();
  const std::string& verb = args[0];
  auto need = [&](size_t n) { return args.size() == n + 1; };
  if (verb == "list" && need(0)) {
    auto apps = call("app list", "GET", "/v2/apps");
    if (!apps) return 1;
    if (FLAGS_json) std::cout << apps->dump(2) << "\n";
    else printApps((*apps)["apps"]);
    return 0;
  }
  if (verb == "show" && need(1)) {
    auto app = call("app show", "GET", appPath(args[1]));
    if (!app) return 1;
    if (FLAGS_json) {
      std::cout << app->dump(2) << "\n";
      return 0;
    }
    printApps(json::array({(*app)["app"]}));
    std::cout << "\n";
    printTasks((*app)["app"].value("tasks", json::array()));
    if ((*app)["app"].contains("lastTaskFailure")) {
      const json& f = (*app)["app"]["lastTaskFailure"];
      std::cout << "\nlast failure: " << f.value("taskId", "") << " " << f.value("state", "") << " at "
                << f.value("timestamp", "") << ": " << f.value("message", "") << "\n";
    }
    return 0;
  }
  if ((verb == "add" && need(1)) || (verb == "update" && need(2))) {
    const std::string& file = args.back();
    std::optional<std::string> text = readFile(file);
    if (!text) {
      std::cerr << "agora app " << verb << ": cannot read " << file << "\n";
      return 1;
    }
    if (verb == "add") return changed(call("app add", "POST", forced("/v2/apps"), *text));
    return changed(call("app update", "PUT", forced(appPath(args[1])), *text));
  }
  if (verb == "scale" && need(2)) {
    int n = -1;
    try {
      n = std::stoi(args[2]);
    } catch (const std::exception&) {
    }
    if (n < 0) {
      std::cerr << "agora app scale: '" << args[2] << "' is not a number of instances\n";
      return 2;
    }
    return changed(call("app scale", "PUT", forced(appPath(args[1])), json{{"instances", n}}.dump()));
  }
  if (verb == "restart" && need(1)) return changed(call("app restart", "POST", forced(appPath(args[1]) + "/restart"), "{}"));
  if (verb == "remove" && need(1)) return changed(call("app remove", "DELETE", appPath(args[1])));
  if (verb == "rollback" && need(2))
    return changed(call("app rollback", "PUT", forced(appPath(args[1])), json{{"version", args[2]}}.dump()));
  if (verb == "tasks" && need(1)) {
    auto tasks = call("app tasks", "GET", appPath(args[1]) + "/tasks");
    if (!tasks) return 1;
    if (FLAGS_json) std::cout << tasks->dump(2) << "\n";
    else printTasks((*tasks)["tasks"]);
    return 0;
  }
  if (verb == "versions" && need(1)) {
    auto versions = call("app versions", "GET", appPath(args[1]) + "/versions");
    if (!versions) return 1;
    if (FLAGS_json) std::cout << versions->dump(2) << "\n";
    else
      for (const json& v : (*versions)["versions"]) std::cout << v.get<std::string>() << "\n";
    return 0;
  }
  return usage();
}

int deploymentCommand(const std::vector<std::string>& args) {
  if (args.size() == 1 && args[0] == "list") {
    auto list = call("deployment list", "GET", "/v2/deployments");
    if (!list) return 1;
    if (FLAGS_json) {
      std::cout << list->dump(2) << "\n";
      return 0;
    }
    Table t({"ID", "APPS", "STEP", "CURRENT", "STATE"});
    for (const json& d : *list) {
      std::string apps, current;
      for (const json& a : field(d, "affectedApps")) apps += (apps.empty() ? "" : ",") + a.get<std::string>();
      for (const json& a : field(d, "currentActions"))
        current += (current.empty() ? "" : ", ") + a.value("action", "") + " " + a.value("app", "");
      t.add({d.value("id", ""), apps, number(field(d, "currentStep")) + "/" + number(field(d, "totalSteps")), current.empty() ? "-" : current,
             d.value("failed", false) ? "failed: " + d.value("failureReason", "") : "running"});
    }
    t.print(std::cout);
    return 0;
  }
  if (args.size() == 2 && args[0] == "rollback") return changed(call("deployment rollback", "DELETE", forced("/v2/deployments/" + args[1])));
  std::cerr << "usage: agora deployment list | rollback ID [--force]\n";
  return 2;
}

int queueCommand() {
  auto queue = call("queue", "GET", "/v2/queue");
  if (!queue) return 1;
  if (FLAGS_json) {
    std::cout << queue->dump(2) << "\n";
    return 0;
  }
  if ((*queue)["queue"].empty()) {
    std::cout << "nothing is waiting for resources\n";
    return 0;
  }
  for (const json& entry : (*queue)["queue"]) {
    const json& delay = field(entry, "delay");
    std::cout << field(entry, "app").value("id", "") << ": " << number(field(entry, "count")) << " instance(s) waiting";
    if (number(field(delay, "timeLeftSeconds")) != "0" && delay.is_object())
      std::cout << ", delayed " << number(field(delay, "timeLeftSeconds")) << " s";
    std::cout << "\n";
    const json& summary = field(entry, "processedOffersSummary");
    std::cout << "  offers since " << entry.value("since", "") << ": " << number(field(summary, "processedOffersCount"))
              << " processed, " << number(field(summary, "unusedOffersCount")) << " unused\n";
    json declined = entry.value("declinedOffers", json::object()), reasons = entry.value("reasons", json::array());
    for (const auto& [reason, n] : declined.items()) std::cout << "    " << reason << ": " << number(n) << "\n";
    for (const json& why : reasons) std::cout << "  " << why.get<std::string>() << "\n";
  }
  return 0;
}

}  // namespace agora::cli
