// agora logs TASK [--follow] [--stderr]: a task's stdout (or stderr) from its sandbox, read
// through its agent's HTTP API; with --follow, new output as it comes until the task ends.
#include <iostream>
#include <thread>

#include <gflags/gflags.h>
#include <nlohmann/json.hpp>

#include "cli/agent_client.hpp"
#include "cli/commands.hpp"
#include "cli/master_client.hpp"
#include "common/types.hpp"

DEFINE_bool(follow, false, "agora logs: keep printing new output until the task ends (also -f).");
DEFINE_bool(stderr, false, "agora logs: show the task's stderr instead of its stdout.");
DEFINE_string(framework, "", "agora logs: the task's framework id, where several frameworks use the task id.");

namespace agora::cli {

using nlohmann::json;

namespace {

Try<json> masterGet(const std::string& target) {
  auto reply = callMaster(masterAddress(), "GET", target);
  if (reply.isError()) return Error(reply.error());
  if (reply->status != 200) return Error("the master answered " + std::to_string(reply->status) + ": " + reply->body);
  json j = json::parse(reply->body, nullptr, false);
  if (j.is_discarded()) return Error("the master answered with something that is not JSON");
  return j;
}

// The task's newest record (the master lists a running task before a finished one of the
// same id), through the light /api/v1/tasks read: polling must not rebuild the whole state.
Try<std::optional<json>> findTask(const std::string& taskId) {
  std::string target = "/api/v1/tasks?limit=1&task_id=" + taskId;
  if (!FLAGS_framework.empty()) target += "&framework_id=" + FLAGS_framework;
  auto page = masterGet(target);
  if (page.isError()) return Error(page.error());
  if ((*page)["tasks"].empty()) return std::optional<json>();
  return std::optional<json>((*page)["tasks"][0]);
}

bool taskEnded(const std::string& taskId) {
  auto task = findTask(taskId);
  if (task.isError()) return false;
  if (!*task) return true;
  std::string now = (**task)["state"];
  return now != "TASK_RUNNING" && now != "TASK_STARTING" && now != "TASK_STAGING" && now != "TASK_KILLING";
}

}  // namespace

int logsCommand(const std::string& taskId) {
  auto found = findTask(taskId);
  if (found.isError()) {
    std::cerr << "agora logs: " << found.error() << "\n";
    return 1;
  }
  if (!*found) {
    std::cerr << "agora logs: the master knows no task '" << taskId << "' (see `agora status`)\n";
    return 1;
  }
  const json& task = **found;
  std::string agentId = task["agent_id"], frameworkId = task["framework_id"];
  auto agents = masterGet("/api/v1/agents");
  if (agents.isError()) {
    std::cerr << "agora logs: " << agents.error() << "\n";
    return 1;
  }
  auto agent = findAgent(*agents, agentId);
  if (agent.isError()) {
    std::cerr << "agora logs: " << agent.error() << "\n";
    return 1;
  }
  TaskFile file{*agent, frameworkId, taskId, FLAGS_stderr ? "stderr" : "stdout"};
  uint64_t offset = 0;
  for (;;) {
    // Whether the task had ended is asked before the read: nothing it wrote before it ended
    // is lost.
    bool ended = FLAGS_follow && taskEnded(taskId);
    Try<uint64_t> next = copyTaskFile(file, offset, std::cout);
    if (next.isError()) {
      std::cerr << "agora logs: " << next.error() << "\n";
      return 1;
    }
    offset = *next;
    if (!FLAGS_follow || ended) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace agora::cli
