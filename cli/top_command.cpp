// agora top: the cluster's utilisation and its busiest tasks, redrawn every --interval
// seconds. CPU use is the growth of each task's cpu_seconds between two looks.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <gflags/gflags.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/master_client.hpp"
#include "cli/table.hpp"

DECLARE_bool(json);
DEFINE_double(interval, 2, "agora top: seconds between redraws.");
DEFINE_int32(rounds, 0, "agora top: redraw this many times, then exit (0: until Ctrl-C).");
DEFINE_int32(rows, 20, "agora top: how many of the busiest tasks to show.");

namespace agora::cli {

using nlohmann::json;

namespace {

std::string fixed(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string bar(double part, double whole) {
  int filled = whole > 0 ? static_cast<int>(20 * std::clamp(part / whole, 0.0, 1.0) + 0.5) : 0;
  return "[" + std::string(filled, '#') + std::string(20 - filled, '.') + "] " + fixed(whole > 0 ? 100 * part / whole : 0) + "%";
}

Try<json> get(const std::string& path) {
  auto reply = callMaster(masterAddress(), "GET", path);
  if (reply.isError()) return Error(reply.error());
  if (reply->status != 200) return Error("the master answered " + std::to_string(reply->status) + ": " + reply->body);
  return json::parse(reply->body);
}

struct Busy {
  std::string taskId, frameworkId, agentId;
  double cpus = 0;  // cpu seconds per second since the last look
  double memMiB = 0;
};

}  // namespace

int topCommand() {
  std::map<std::string, std::pair<double, double>> previous;  // task -> (cpu_seconds, timestamp)
  for (int round = 0; FLAGS_rounds <= 0 || round < FLAGS_rounds; ++round) {
    if (round > 0) std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(FLAGS_interval * 1000)));
    Try<json> u = get("/api/v1/utilization");
    Try<json> tasks = u.isError() ? u : get("/api/v1/tasks?state=TASK_RUNNING&limit=1000");
    if (tasks.isError()) {
      std::cerr << "agora top: " << tasks.error() << "\n";
      return 1;
    }
    std::vector<Busy> busy;
    std::map<std::string, std::pair<double, double>> now;
    for (const json& t : (*tasks)["tasks"]) {
      if (!t.contains("usage")) continue;
      std::string key = t["framework_id"].get<std::string>() + "/" + t["id"].get<std::string>();
      double cpu = t["usage"].value("cpu_seconds", 0.0), at = t["usage"].value("timestamp", 0.0);
      now[key] = {cpu, at};
      Busy b{t["id"], t["framework_id"], t["agent_id"], 0, t["usage"].value("mem_bytes", 0.0) / (1024 * 1024)};
      if (auto p = previous.find(key); p != previous.end() && at > p->second.second)
        b.cpus = (cpu - p->second.first) / (at - p->second.second);
      busy.push_back(b);
    }
    previous = std::move(now);
    std::sort(busy.begin(), busy.end(), [](const Busy& a, const Busy& b) { return a.cpus != b.cpus ? a.cpus > b.cpus : a.memMiB > b.memMiB; });
    if (busy.size() > static_cast<size_t>(std::max(0, FLAGS_rows))) busy.resize(static_cast<size_t>(std::max(0, FLAGS_rows)));
    if (FLAGS_json) {
      json top = json::array();
      for (const Busy& b : busy)
        top.push_back({{"task_id", b.taskId}, {"framework_id", b.frameworkId}, {"agent_id", b.agentId}, {"cpus", b.cpus}, {"mem_mib", b.memMiB}});
      std::cout << json{{"utilization", *u}, {"busiest_tasks", top}}.dump() << std::endl;
      continue;
    }
    const json& total = (*u)["total"];
    const json& allocated = (*u)["allocated"];
    const json& offered = (*u)["offered"];
    std::ostringstream screen;
    screen << "\033[H\033[2J" << "agora top: " << (*u)["agents"] << " agents, " << (*u)["frameworks"] << " frameworks, "
           << (*u)["tasks"] << " running tasks\n\n";
    for (const char* name : {"cpus", "mem", "disk"})
      screen << "  " << name << std::string(6 - std::string(name).size(), ' ') << bar(allocated.value(name, 0.0), total.value(name, 0.0))
             << "  allocated " << fixed(allocated.value(name, 0.0)) << ", offered " << fixed(offered.value(name, 0.0))
             << " of " << fixed(total.value(name, 0.0)) << "\n";
    screen << "\n";
    Table table({"TASK", "FRAMEWORK", "AGENT", "CPUS", "MEM MiB"});
    for (const Busy& b : busy) table.add({b.taskId, b.frameworkId, b.agentId, fixed(b.cpus, 2), fixed(b.memMiB)});
    table.print(screen);
    std::cout << screen.str() << std::flush;
  }
  return 0;
}

}  // namespace agora::cli
