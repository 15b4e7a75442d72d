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

Try<json> masterState() {
  auto reply = callMaster(masterAddress(), "GET", "/api/v1/state");
  if (reply.isError()) return Error(reply.error());
  if (reply->status != 200) return Error("the master answered " + std::to_string(reply->status) + ": " + reply->body);
  return json::parse(reply->body);
}

// The task's newest record: a running task before a finished one of the same id.
std::optional<json> findTask(const json& state, const std::string& taskId) {
  for (const char* list : {"tasks", "completed_tasks"}) {
    std::optional<json> found;
    for (const auto& t : state.value(list, json::array()))
      if (t.value("id", "") == taskId && (FLAGS_framework.empty() || t.value("framework_id", "") == FLAGS_framework))
        found = t;
    if (found) return found;
  }
  return std::nullopt;
}

bool taskEnded(const std::string& taskId) {
  auto state = masterState();
  if (state.isError()) return false;
  auto task = findTask(*state, taskId);
  if (!task) return true;
  std::string now = (*task)["state"];
  return now != "TASK_RUNNING" && now != "TASK_STARTING" && now != "TASK_STAGING" && now != "TASK_KILLING";
}

}  // namespace

int logsCommand(const std::string& taskId) {
  auto state = masterState();
  if (state.isError()) {
    std::cerr << "agora logs: " << state.error() << "\n";
    return 1;
  }
  auto task = findTask(*state, taskId);
  if (!task) {
    std::cerr << "agora logs: the master knows no task '" << taskId << "' (see `agora status`)\n";
    return 1;
  }
  std::string agentId = (*task)["agent_id"], frameworkId = (*task)["framework_id"];
  auto agent = findAgent(*state, agentId);
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
