#pragma once
// The master's tasks: the active ones by (framework id, task id) and by the agent and the
// framework each belongs to, and the last completed ones for the state API.

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/types.hpp"

namespace agora {

using TaskKey = std::pair<std::string, std::string>;  // (framework id, task id)

struct TaskRecord {
  TaskInfo info;
  std::string frameworkId;
  TaskStatus latest;
  std::string terminalUuid;  // the uuid whose acknowledgement ends the task's stream
  std::optional<nlohmann::json> usage;  // the agent's latest sample, while the task runs
};

class TaskBook {
 public:
  explicit TaskBook(size_t maxCompleted) : maxCompleted_(maxCompleted) {}

  // The task's record with `info` (on the agent info.agentId), made if it is new; a task
  // that moved agents is indexed under its new one. Its latest status is the caller's.
  TaskRecord& place(const TaskKey& key, const TaskInfo& info, bool* inserted = nullptr);
  TaskRecord* find(const TaskKey& key);
  const TaskRecord* find(const TaskKey& key) const;
  // The task's stream is over: it moves to the completed tasks (the oldest go).
  void complete(TaskKey key);  // a copy: callers pass keys of the sets it changes

  const std::set<TaskKey>& ofAgent(const std::string& agentId) const;
  const std::set<TaskKey>& ofFramework(const std::string& frameworkId) const;
  const std::map<TaskKey, TaskRecord>& active() const { return tasks_; }
  const std::deque<TaskRecord>& completed() const { return completed_; }

 private:
  static void unindex(std::map<std::string, std::set<TaskKey>>& index, const std::string& id, const TaskKey& key);

  size_t maxCompleted_;
  std::map<TaskKey, TaskRecord> tasks_;
  std::map<std::string, std::set<TaskKey>> byAgent_, byFramework_;
  std::deque<TaskRecord> completed_;
};

}  // namespace agora
