// agora status: agents, frameworks and tasks of the cluster.
#include <iostream>
#include <sstream>

#include <gflags/gflags.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/master_client.hpp"
#include "cli/table.hpp"

DECLARE_bool(json);

namespace agora::cli {

using nlohmann::json;

static std::string number(const json& resources, const char* name) {
  if (!resources.contains(name)) return "0";
  std::ostringstream os;
  os << resources[name].get<double>();
  return os.str();
}

static std::string usage(const json& used, const json& total, const char* name) {
  return number(used, name) + "/" + number(total, name);
}

int statusCommand() {
  auto reply = callMaster(masterAddress(), "GET", "/api/v1/state");
  if (reply.isError()) {
    std::cerr << "agora status: " << reply.error() << "\n";
    return 1;
  }
  if (reply->status != 200) {
    std::cerr << "agora status: the master answered " << reply->status << ": " << reply->body << "\n";
    return 1;
  }
  if (FLAGS_json) {
    std::cout << reply->body << "\n";
    return 0;
  }
  json state = json::parse(reply->body);
  const json& master = state["master"];
  std::cout << "Master " << master["id"].get<std::string>() << " at " << master["endpoint"].get<std::string>();
  if (master.contains("term")) {
    // One of several masters on etcd: the leader, its term, and who stands by.
    std::cout << ", leading in term " << master["term"] << "; standbys:";
    if (master["standbys"].empty()) std::cout << " none";
    for (const auto& s : master["standbys"])
      std::cout << " " << s["id"].get<std::string>() << " at " << s["zmq"].get<std::string>();
  }
  std::cout << "\n\n";
  Table agents({"AGENT", "HOSTNAME", "STATE", "ISOLATION", "CPUS", "MEM", "TASKS"});
  for (const auto& a : state["agents"])
    agents.add({a["id"], a["hostname"], a["state"], a.value("isolation", ""),
                usage(a["used_resources"], a["resources"], "cpus"), usage(a["used_resources"], a["resources"], "mem"),
                std::to_string(a["task_count"].get<int>())});
  agents.print(std::cout);
  std::cout << "\n";
  Table frameworks({"FRAMEWORK", "NAME", "CONNECTED", "ROLES", "CPUS", "MEM", "TASKS"});
  for (const auto& f : state["frameworks"]) {
    std::string roles;
    for (const auto& r : f["roles"]) roles += (roles.empty() ? "" : ",") + r.get<std::string>();
    frameworks.add({f["id"], f["name"], f["connected"].get<bool>() ? "yes" : "no", roles,
                    number(f["used_resources"], "cpus"), number(f["used_resources"], "mem"),
                    std::to_string(f["task_count"].get<int>())});
  }
  frameworks.print(std::cout);
  std::cout << "\n";
  Table tasks({"TASK", "FRAMEWORK", "STATE", "AGENT", "CPU SECONDS", "MEM MiB"});
  for (const auto& t : state["tasks"]) {
    std::string cpu = "-", mem = "-";
    if (t.contains("usage")) {
      std::ostringstream c, m;
      c.precision(3);
      c << t["usage"]["cpu_seconds"].get<double>();
      m << t["usage"]["mem_bytes"].get<uint64_t>() / (1024 * 1024);
      cpu = c.str(), mem = m.str();
    }
    tasks.add({t["id"], t["framework_id"], t["state"], t["agent_id"], cpu, mem});
  }
  tasks.print(std::cout);
  return 0;
}

}  // namespace agora::cli
