// /v1/jobs/{id}/runs[/{runId}[/actions/stop|markSuccess]], the history embeds and the graph.
#include "frameworks/batch/api.hpp"

namespace agora::batch {

using nlohmann::json;

json BatchApi::historyJson(const std::string& jobId, bool withRuns) const {
  JobStats st = scheduler_.stats(jobId);
  json h = {{"successCount", st.successCount},
            {"failureCount", st.failureCount},
            {"lastSuccessAt", runTime(st.lastSuccessAt)},
            {"lastFailureAt", runTime(st.lastFailureAt)}};
  // A child waiting on a parent that failed says so in its history (an Agora addition).
  if (const DependencyState* d = scheduler_.dependencyState(jobId); d && !d->blockedBy.empty()) h["blockedBy"] = d->blockedBy;
  if (!withRuns) return h;
  h["successfulFinishedRuns"] = json::array();
  h["failedFinishedRuns"] = json::array();
  std::vector<const Run*> runs = scheduler_.runsOf(jobId);
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {  // newest first, as Metronome lists them
    const Run& r = **it;
    if (!r.ended()) continue;
    // Metronome's RunInfo (tasks by id), and what each task came to.
    json full = runToJson(r, scheduler_.frameworkId());
    json ids = json::array();
    for (const TaskAttempt& t : r.tasks) ids.push_back(t.taskId);
    json entry = {{"id", r.id},         {"createdAt", full["createdAt"]}, {"finishedAt", runTime(r.completedAt)},
                  {"tasks", ids},       {"status", full["status"]},       {"trigger", full["trigger"]},
                  {"taskResults", full["tasks"]}};
    if (full.contains("reason")) entry["reason"] = full["reason"];
    if (full.contains("scheduledAt")) entry["scheduledAt"] = full["scheduledAt"];
    h[r.status == RunStatus::kSuccess ? "successfulFinishedRuns" : "failedFinishedRuns"].push_back(entry);
  }
  return h;
}

ApiReply BatchApi::runs(const ApiCall& call, const std::string& jobId, const std::string& runId, const std::string& action) {
  if (!scheduler_.job(jobId)) return jsonReply(404, unknownJob(jobId).body);
  if (runId.empty()) {
    if (call.method == "POST") return answer(scheduler_.startRun(jobId));
    if (call.method != "GET") return messageReply(405, "use GET or POST on /v1/jobs/{id}/runs");
    json out = json::array();
    for (const Run* r : scheduler_.runsOf(jobId))
      if (!r->ended()) out.push_back(runToJson(*r, scheduler_.frameworkId()));
    return jsonReply(200, out);
  }
  if (action.empty()) {
    if (call.method != "GET") return messageReply(405, "use GET on /v1/jobs/{id}/runs/{runId}");
    const Run* r = scheduler_.run(jobId, runId);
    if (!r) return jsonReply(404, unknownRun(jobId, runId).body);
    return jsonReply(200, runToJson(*r, scheduler_.frameworkId()));
  }
  if (call.method != "POST") return messageReply(405, "use POST on /v1/jobs/{id}/runs/{runId}/actions/" + action);
  if (action == "stop") return answer(scheduler_.stopRun(jobId, runId));
  if (action == "markSuccess") return answer(scheduler_.markSuccess(jobId, runId));
  return messageReply(404, "unknown action '" + action + "': use stop or markSuccess");
}

// The jobs connected to `jobId` through dependencies (its ancestors and descendants), as
// nodes and parent -> child edges.
ApiReply BatchApi::graph(const std::string& jobId) const {
  if (!scheduler_.job(jobId)) return jsonReply(404, unknownJob(jobId).body);
  ParentsOf g = scheduler_.graph();
  std::set<std::string> seen{jobId};
  std::vector<std::string> todo{jobId};
  while (!todo.empty()) {
    std::string j = todo.back();
    todo.pop_back();
    std::vector<std::string> near = childrenOf(g, j);
    near.insert(near.end(), g[j].begin(), g[j].end());
    for (const std::string& n : near)
      if (seen.insert(n).second) todo.push_back(n);
  }
  json nodes = json::array(), edges = json::array();
  for (const std::string& j : seen) {
    const DependencyState* d = scheduler_.dependencyState(j);
    nodes.push_back({{"id", j}, {"blockedBy", d ? json(d->blockedBy) : json::object()}});
    for (const std::string& p : g[j]) edges.push_back({{"from", p}, {"to", j}});
  }
  return jsonReply(200, {{"nodes", nodes}, {"edges", edges}});
}

}  // namespace agora::batch
