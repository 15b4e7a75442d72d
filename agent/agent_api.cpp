// What the agent shows: per-task usage sampled from the isolator (sent to the master too),
// and its HTTP API: /api/v1/state, /api/v1/containers and /api/v1/files/read.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include <glog/logging.h>

#include "agent/agent.hpp"
#include "common/codec.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"

namespace agora {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {
constexpr size_t kDefaultReadLength = 64 << 10;
constexpr size_t kMaxReadLength = 1 << 20;

json usageJson(const ContainerUsage& u, const ContainerLimits& limits) {
  return json{{"cpu_seconds", u.cpuSeconds},   {"mem_bytes", u.memBytes},
              {"mem_peak_bytes", u.memPeakBytes}, {"mem_limit_bytes", limits.memBytes},
              {"pids", u.pids},                 {"cpus_limit", limits.cpus}};
}
}  // namespace

void Agent::usageTick() {
  OutboundEnvelope out;
  std::vector<TaskRecord*> running;
  for (auto& [key, task] : tasks_) {
    if (task.taskPid <= 0 || task.exitHandled) continue;
    Try<ContainerUsage> u = isolator_->usage(task.containerId);
    if (u.isError()) continue;  // the container is going away
    task.usage = *u;
    running.push_back(&task);
  }
  if (registered_ && !running.empty()) {
    auto list = out.get().initAgentUsage().initTasks(static_cast<unsigned>(running.size()));
    double now = loop_.clock().wallSeconds();
    for (unsigned i = 0; i < running.size(); ++i) {
      const TaskRecord& t = *running[i];
      list[i].setFrameworkId(t.frameworkId);
      list[i].setTaskId(t.info.taskId);
      list[i].setCpuSeconds(t.usage->cpuSeconds);
      list[i].setMemBytes(t.usage->memBytes);
      list[i].setMemPeakBytes(t.usage->memPeakBytes);
      list[i].setMemLimitBytes(limitsOf(t.info).memBytes);
      list[i].setPids(t.usage->pids);
      list[i].setTimestamp(now);
    }
    send(out);
  }
  loop_.after(options_.usageInterval, [this] { usageTick(); });
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

// A file of a task's sandbox, found on disk so that finished tasks' logs stay readable until
// their sandbox is garbage-collected. Query: task_id, framework_id (optional), file
// (default stdout), offset (default 0), length (default 64 KiB, at most 1 MiB).
ApiReply Agent::readFile(const ApiCall& call) const {
  auto param = [&](const char* name, const std::string& fallback) {
    auto it = call.query.find(name);
    return it == call.query.end() ? fallback : it->second;
  };
  std::string taskId = param("task_id", ""), frameworkId = param("framework_id", ""), file = param("file", "stdout");
  if (!isValidId(taskId)) return errorReply(400, "task_id '" + taskId + "' is missing or not a valid task id");
  if (!frameworkId.empty() && !isValidId(frameworkId))
    return errorReply(400, "framework_id '" + frameworkId + "' is not a valid framework id");
  if (!isValidId(file)) return errorReply(400, "file '" + file + "' must name a file of the sandbox, e.g. stdout");
  uint64_t offset = 0, length = kDefaultReadLength;
  try {
    offset = std::stoull(param("offset", "0"));
    length = std::min<uint64_t>(std::stoull(param("length", std::to_string(kDefaultReadLength))), kMaxReadLength);
  } catch (const std::exception&) {
    return errorReply(400, "offset and length must be non-negative integers");
  }
  // The newest sandbox of that task id (a task id may be reused after its end).
  fs::path sandbox;
  fs::file_time_type newest{};
  std::error_code ec;
  for (const auto& fw : fs::directory_iterator(options_.workDir + "/sandboxes", ec)) {
    if (!frameworkId.empty() && fw.path().filename() != frameworkId) continue;
    for (const auto& dir : fs::directory_iterator(fw.path(), ec)) {
      std::string name = dir.path().filename().string();
      if (name.rfind(taskId + ".", 0) != 0 || name.find('.', taskId.size() + 1) != std::string::npos) continue;
      auto mtime = fs::last_write_time(dir.path(), ec);
      if (sandbox.empty() || mtime > newest) sandbox = dir.path(), newest = mtime;
    }
  }
  if (sandbox.empty()) return errorReply(404, "no sandbox of task " + taskId + " on this agent (it may have been "
                                              "garbage-collected)");
  std::string path = (sandbox / file).string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errorReply(404, "task " + taskId + " has no file '" + file + "' in its sandbox");
  off_t size = lseek(fd, 0, SEEK_END);
  std::string data(static_cast<size_t>(std::min<uint64_t>(length, offset < static_cast<uint64_t>(size)
                                                                      ? static_cast<uint64_t>(size) - offset
                                                                      : 0)),
                   '\0');
  ssize_t n = data.empty() ? 0 : pread(fd, data.data(), data.size(), static_cast<off_t>(offset));
  ::close(fd);
  data.resize(static_cast<size_t>(std::max<ssize_t>(n, 0)));
  json reply{{"data", data}, {"offset", offset}, {"size", size}, {"sandbox", sandbox.string()}};
  return ApiReply{200, reply.dump(-1, ' ', false, json::error_handler_t::replace)};
}

ApiReply Agent::handleApi(const ApiCall& call) {
  if (call.method != "GET") return errorReply(405, call.path + " answers GET only");
  if (call.path == "/health") return ApiReply{200, R"({"status":"ok"})"};
  if (call.path == "/api/v1/containers") return ApiReply{200, containersJson().dump()};
  if (call.path == "/api/v1/files/read") return readFile(call);
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
    return ApiReply{200, state.dump(-1, ' ', false, json::error_handler_t::replace)};
  }
  return errorReply(404, "no endpoint " + call.path +
                             "; the agent serves /health, /api/v1/state, /api/v1/containers, /api/v1/files/read");
}

}  // namespace agora
