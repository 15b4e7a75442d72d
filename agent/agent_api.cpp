// What the agent shows: per-task usage sampled from the isolator (sent to the master too),
// and its HTTP API: /api/v1/state, /api/v1/containers and /api/v1/files/read.
#include <glog/logging.h>

#include "agent/agent.hpp"
#include "common/codec.hpp"
#include "common/json.hpp"

namespace agora {

using nlohmann::json;

namespace {

json usageJson(const ContainerUsage& u, const ContainerLimits& limits) {
  return json{{"cpu_seconds", u.cpuSeconds},   {"mem_bytes", u.memBytes},
              {"mem_peak_bytes", u.memPeakBytes}, {"mem_limit_bytes", limits.memBytes},
              {"pids", u.pids},                 {"cpus_limit", limits.cpus}};
}
}  // namespace

void Agent::usageTick() {
  loop_.after(options_.usageInterval, [this] { usageTick(); });
  if (!registered_) return;  // the samples are only for the master
  std::vector<std::pair<const TaskRecord*, ContainerUsage>> running;
  for (const auto& [key, task] : tasks_) {
    if (task.taskPid <= 0 || task.exitHandled) continue;
    Try<ContainerUsage> u = isolator_->usage(task.containerId);
    if (u.ok()) running.emplace_back(&task, *u);  // an error: the container is going away
  }
  if (running.empty()) return;
  OutboundEnvelope out;
  auto list = out.get().initAgentUsage().initTasks(static_cast<unsigned>(running.size()));
  double now = loop_.clock().wallSeconds();
  for (unsigned i = 0; i < running.size(); ++i) {
    const auto& [t, u] = running[i];
    list[i].setFrameworkId(t->frameworkId);
    list[i].setTaskId(t->info.taskId);
    list[i].setCpuSeconds(u.cpuSeconds);
    list[i].setMemBytes(u.memBytes);
    list[i].setMemPeakBytes(u.memPeakBytes);
    list[i].setMemLimitBytes(limitsOf(t->info).memBytes);
    list[i].setPids(u.pids);
    list[i].setTimestamp(now);
  }
  send(out);
}

std::string Agent::metricsText() const {
  AgentGauges g;
  for (const auto& [key, task] : tasks_) {
    ++g.tasksByState[stateName(task.state)];
    if (task.pidfd >= 0) ++g.supervisors;
    if (task.taskPid <= 0 || task.exitHandled) continue;
    g.cpusAllocated += task.info.resources.scalar("cpus");
    g.memAllocatedBytes += task.info.resources.scalar("mem") * 1024 * 1024;
    Try<ContainerUsage> u = isolator_->usage(task.containerId);
    if (!u.ok()) continue;
    g.cpuSeconds += u->cpuSeconds;
    g.memBytes += static_cast<double>(u->memBytes);
  }
  return agentPrometheusText(counters_, g);
}

json Agent::containersJson() const {
  json out = json::array();
  for (const auto& [key, task] : tasks_) {
    if (task.containerId.empty() || task.exitHandled) continue;
    json c{{"container_id", task.containerId}, {"framework_id", task.frameworkId}, {"task_id", task.info.taskId},
           {"state", stateName(task.state)},   {"pid", task.taskPid},              {"supervisor_pid", task.supervisor.pid},
           {"sandbox", task.sandbox}};
    Try<ContainerUsage> u = isolator_->usage(task.containerId);
    if (u.ok()) c["usage"] = usageJson(*u, limitsOf(task.info));
    out.push_back(c);
  }
  return out;
}

ApiReply Agent::handleApi(const ApiCall& call) {
  if (call.method != "GET") return errorReply(405, call.path + " answers GET only");
  if (call.path == "/health") return ApiReply{200, R"({"status":"ok"})"};
  if (call.path == "/api/v1/containers") return jsonReply(200, containersJson());
  if (call.path == "/metrics") return ApiReply{200, metricsText(), "text/plain; version=0.0.4"};
  if (call.path == "/api/v1/files/read") {
    if (options_.acl && !options_.acl->may(call.principal, Action::kReadFiles))
      return errorReply(403, (call.principal.empty() ? std::string("an unauthenticated caller") : "principal '" + call.principal + "'") +
                                 " may not read task files: the agent's ACL does not give it read_files");
    return readFile(call);
  }
  if (call.path == "/api/v1/state") {
    json tasks = json::array();
    for (const auto& [key, task] : tasks_)
      tasks.push_back({{"framework_id", task.frameworkId}, {"task_id", task.info.taskId},
                       {"state", stateName(task.state)},  {"container_id", task.containerId},
                       {"pid", task.taskPid},             {"pending_updates", task.pending.size()}});
    json state{{"id", agentId_},
               {"hostname", options_.hostname},
               {"master", options_.master},
               {"registered", registered_},
               {"isolation", isolator_->name()},
               {"resources", options_.resources.toJson()},
               {"attributes", options_.attributes},
               {"tasks", tasks}};
    return jsonReply(200, state);
  }
  return errorReply(404, "no endpoint " + call.path +
                             "; the agent serves /health, /metrics, /api/v1/state, /api/v1/containers, /api/v1/files/read");
}

}  // namespace agora
