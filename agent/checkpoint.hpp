#pragma once
// What the agent keeps in RocksDB under its work dir, written before it acts: its own id and,
// per task, everything needed after a restart to find the task's supervisor again and to
// finish the task's stream of status updates. Records are Cap'n Proto messages
// (proto::CheckpointedTask), read back with the same limits as wire messages.

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/container_files.hpp"
#include "common/store.hpp"
#include "common/types.hpp"

namespace agora {

struct TaskCheckpoint {
  std::string frameworkId;
  FrameworkInfo framework;
  TaskInfo info;
  TaskState state = TaskState::STAGING;  // the state of the newest update
  std::string containerId;
  std::string sandbox;
  ProcessIdentity supervisor;
  pid_t taskPid = -1;
  bool killRequested = false;
  TaskReason killReason = TaskReason::KILLED_BY_FRAMEWORK;
  bool exitHandled = false;         // the exit has been turned into the terminal update
  std::optional<bool> healthy;      // as last told to the framework
  bool ready = false;
  std::deque<TaskStatus> pending;   // front is in flight; the rest wait for its ack
};

std::string encodeCheckpoint(const TaskCheckpoint& task);
Try<TaskCheckpoint> decodeCheckpoint(const std::string& bytes);

class AgentCheckpoint {
 public:
  static Try<std::unique_ptr<AgentCheckpoint>> open(const std::string& directory);

  Try<std::optional<std::string>> agentId() const;
  Status saveAgentId(const std::string& id);
  Status save(const TaskCheckpoint& task);
  Status remove(const std::string& frameworkId, const std::string& taskId);
  // Every task record; one that cannot be read is an error that names it.
  Try<std::vector<TaskCheckpoint>> tasks() const;
  // Forgets everything, agent id included (--recover=cleanup).
  Status clear();

 private:
  explicit AgentCheckpoint(std::unique_ptr<Store> store) : store_(std::move(store)) {}
  std::unique_ptr<Store> store_;
};

}  // namespace agora
