// agora status, agents, frameworks, tasks: what the cluster holds, as tables or --json.
#include <iostream>
#include <sstream>

#include <gflags/gflags.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/master_client.hpp"
#include "cli/table.hpp"

DECLARE_bool(json);
DECLARE_string(framework);
DEFINE_string(state, "", "agora tasks: only tasks in this state, e.g. TASK_RUNNING.");

namespace agora::cli {

using nlohmann::json;

namespace {

std::string amount(const json& resources, const char* name) {
  if (!resources.contains(name)) return "0";
  std::ostringstream os;
  os << resources[name].get<double>();
  return os.str();
}

std::string usage(const json& used, const json& total, const char* name) {
  return amount(used, name) + "/" + amount(total, name);
}

// The master's answer to GET `path`, parsed; an error says what went wrong, for `command`.
Try<json> read(const std::string& command, const std::string& path) {
  auto reply = callMaster(masterAddress(), "GET", path);
  if (reply.isError()) return Error("agora " + command + ": " + reply.error());
  if (reply->status != 200)
    return Error("agora " + command + ": the master answered " + std::to_string(reply->status) + ": " + reply->body);
  return json::parse(reply->body);
}

void printAgents(const json& list) {
  Table agents({"AGENT", "HOSTNAME", "STATE", "ISOLATION", "CPUS", "MEM", "TASKS"});
  for (const auto& a : list) {
    std::string state = a["state"].get<std::string>() + (a.value("draining", false) ? " (draining)" : "");
    agents.add({a["id"], a["hostname"], state, a.value("isolation", ""), usage(a["used_resources"], a["resources"], "cpus"),
                usage(a["used_resources"], a["resources"], "mem"), std::to_string(a["task_count"].get<int>())});
  }
  agents.print(std::cout);
}

void printFrameworks(const json& list) {
  Table frameworks({"FRAMEWORK", "NAME", "CONNECTED", "ROLES", "CPUS", "MEM", "TASKS", "WEB UI"});
  for (const auto& f : list) {
    std::string roles;
    for (const auto& r : f["roles"]) roles += (roles.empty() ? "" : ",") + r.get<std::string>();
    frameworks.add({f["id"], f["name"], f["connected"].get<bool>() ? "yes" : "no", roles, amount(f["used_resources"], "cpus"),
                    amount(f["used_resources"], "mem"), std::to_string(f["task_count"].get<int>()),
                    f.value("webui_url", "")});
  }
  frameworks.print(std::cout);
}

void printTasks(const json& list) {
  Table tasks({"TASK", "FRAMEWORK", "STATE", "HEALTH", "AGENT", "CPU SECONDS", "MEM MiB"});
  for (const auto& t : list) {
    std::string cpu = "-", mem = "-", health = "-";
    if (t.contains("usage")) {
      std::ostringstream c, m;
      c.precision(3);
      c << t["usage"]["cpu_seconds"].get<double>();
      m << t["usage"]["mem_bytes"].get<uint64_t>() / (1024 * 1024);
      cpu = c.str(), mem = m.str();
    }
    const json& status = field(t, "status");
    if (status.is_object() && status.contains("healthy")) health = status["healthy"].get<bool>() ? "healthy" : "unhealthy";
    tasks.add({t["id"], t["framework_id"], t["state"], health, t["agent_id"], cpu, mem});
  }
  tasks.print(std::cout);
}

// Prints `key` of the answer to `path`, or the whole answer with --json.
int listCommand(const std::string& command, const std::string& path, const char* key, void (*print)(const json&)) {
  Try<json> answer = read(command, path);
  if (answer.isError()) {
    std::cerr << answer.error() << "\n";
    return 1;
  }
  if (FLAGS_json) std::cout << (*answer)[key].dump(2) << "\n";
  else print((*answer)[key]);
  return 0;
}

}  // namespace

int statusCommand() {
  Try<json> state = read("status", "/api/v1/state");
  if (state.isError()) {
    std::cerr << state.error() << "\n";
    return 1;
  }
  if (FLAGS_json) {
    std::cout << state->dump() << "\n";
    return 0;
  }
  const json& master = (*state)["master"];
  std::cout << "Master " << master["id"].get<std::string>() << " at " << master["endpoint"].get<std::string>();
  if (master.contains("term")) {
    // One of several masters on etcd: the leader, its term, and who stands by.
    std::cout << ", leading in term " << master["term"] << "; standbys:";
    if (master["standbys"].empty()) std::cout << " none";
    for (const auto& s : master["standbys"])
      std::cout << " " << s["id"].get<std::string>() << " at " << s["zmq"].get<std::string>();
  }
  std::cout << "\n\n";
  printAgents((*state)["agents"]);
  std::cout << "\n";
  printFrameworks((*state)["frameworks"]);
  std::cout << "\n";
  printTasks((*state)["tasks"]);
  return 0;
}

int agentsCommand() { return listCommand("agents", "/api/v1/agents", "agents", printAgents); }

int frameworksCommand() { return listCommand("frameworks", "/api/v1/frameworks", "frameworks", printFrameworks); }

// Every matching task, a page at a time (the master answers at most 1000 per call).
int tasksCommand() {
  std::string filter;
  if (!FLAGS_framework.empty()) filter += "&framework_id=" + FLAGS_framework;
  if (!FLAGS_state.empty()) filter += "&state=" + FLAGS_state;
  json all = json::array();
  for (size_t offset = 0;;) {
    Try<json> page = read("tasks", "/api/v1/tasks?limit=1000&offset=" + std::to_string(offset) + filter);
    if (page.isError()) {
      std::cerr << page.error() << "\n";
      return 1;
    }
    for (auto& t : (*page)["tasks"]) all.push_back(std::move(t));
    offset += 1000;
    if (offset >= (*page)["total"].get<size_t>()) break;
  }
  if (FLAGS_json) std::cout << all.dump(2) << "\n";
  else printTasks(all);
  return 0;
}

}  // namespace agora::cli
