#include "frameworks/batch/api.hpp"

#include <glog/logging.h>

#include "common/webui.hpp"

namespace agora::batch {

using nlohmann::json;

ApiReply messageReply(int status, const std::string& message) { return jsonReply(status, {{"message", message}}); }

ApiReply BatchApi::handle(const ApiCall& call) {
  ApiReply reply;
  try {
    reply = route(call);
  } catch (const std::exception& e) {
    LOG(ERROR) << call.method << " " << call.path << " failed: " << e.what();
    reply = messageReply(500, std::string("the request failed: ") + e.what());
  }
  if (call.method != "GET" || scheduler_.hasPendingWork()) scheduler_.requestSettle();
  return reply;
}

ApiReply BatchApi::answer(const Outcome& outcome) {
  if (outcome.status >= 300) return jsonReply(outcome.status, outcome.body);
  auto pending = std::make_shared<PendingReply>();
  scheduler_.then([pending, outcome] {
    // A null body is an empty one (Metronome's answer to DELETE of a schedule).
    pending->give(outcome.body.is_null() ? ApiReply{outcome.status, "", "application/json"} : jsonReply(outcome.status, outcome.body));
  });
  return ApiReply::later(pending);
}

namespace {

// "/v1/jobs/a/runs/r/actions/stop" -> {"a", "runs", "r", "actions", "stop"}
std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

}  // namespace

ApiReply BatchApi::route(const ApiCall& call) {
  const std::string& p = call.path;
  if (p == "/ping") return ApiReply{200, "pong", "text/plain"};
  if (auto page = webui::serve(call, "batch.html")) return *page;
  if (p == "/info" || p == "/v1/info") return info();
  if (p == "/metrics" && call.method == "GET") return metrics();
  if (p == "/leader" && call.method == "GET") return jsonReply(200, {{"leader", options_.httpAddress}});
  if (p == "/v1/jobs" || p == "/v1/jobs/") return jobs(call);
  if (p.rfind("/v1/jobs/", 0) == 0) {
    std::vector<std::string> s = segments(p.substr(9));
    auto at = [&](size_t i) { return i < s.size() ? s[i] : std::string(); };
    if (s.size() == 1) return oneJob(call, s[0]);
    if (at(1) == "runs" && s.size() <= 5) return runs(call, s[0], at(2), at(3) == "actions" ? at(4) : at(3));
    if (at(1) == "schedules" && s.size() <= 4) return schedules(call, s[0], at(2), at(3));
    if (at(1) == "graph" && s.size() == 2 && call.method == "GET") return graph(s[0]);
    if (at(1) == "actions" && s.size() == 3 && call.method == "POST" && (at(2) == "suspend" || at(2) == "resume"))
      return answer(scheduler_.setEnabled(s[0], at(2) == "resume"));
  }
  return jsonReply(404, {{"message", "Unknown route."}, {"requestPath", p}});
}

ApiReply BatchApi::info() const {
  return jsonReply(200, {{"name", "agora-batch"},
                         {"version", "1.0"},
                         {"frameworkId", scheduler_.frameworkId()},
                         {"connectedToMaster", scheduler_.connected()},
                         {"master", options_.master},
                         {"httpAddress", options_.httpAddress}});
}

ApiReply BatchApi::metrics() const {
  std::string out;
  auto line = [&](const std::string& name, const std::string& help, const std::string& type, double value) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + std::to_string(value) + "\n";
  };
  line("agora_batch_jobs", "Jobs defined.", "gauge", static_cast<double>(scheduler_.jobs().size()));
  line("agora_batch_active_runs", "Runs not yet ended (or with tasks still ending).", "gauge",
       static_cast<double>(scheduler_.activeRunCount()));
  line("agora_batch_scheduled_slots", "Schedules waiting in the clock's queue.", "gauge",
       static_cast<double>(scheduler_.dueQueueSize()));
  line("agora_batch_connected", "1 while subscribed with the master.", "gauge", scheduler_.connected() ? 1 : 0);
  for (const auto& [name, value] : scheduler_.counters())
    line("agora_batch_" + name + "_total", "Count of " + name + " since start.", "counter", value);
  return ApiReply{200, out, "text/plain; version=0.0.4"};
}

}  // namespace agora::batch
