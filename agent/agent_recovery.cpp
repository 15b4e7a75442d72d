// What an earlier run of the agent left: checkpointed tasks whose supervisors may still run,
// exit statuses recorded while the agent was down, and containers nobody tracks any more.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <glog/logging.h>

#include "agent/agent.hpp"

namespace agora {

namespace fs = std::filesystem;

Status Agent::recover() {
  Try<std::optional<std::string>> id = checkpoint_->agentId();
  if (id.isError()) return Error(id.error());
  if (id->has_value()) agentId_ = **id;
  Try<std::vector<TaskCheckpoint>> saved = checkpoint_->tasks();
  if (saved.isError())
    return Error("cannot read the agent's checkpoint: " + saved.error() +
                 "; start once with --recover=cleanup to kill what is left and register as a new agent");
  recovering_ = true;
  for (TaskCheckpoint& t : *saved) {
    TaskKey key{t.frameworkId, t.info.taskId};
    TaskRecord& task = tasks_[key];
    static_cast<TaskCheckpoint&>(task) = std::move(t);
    if (!task.containerId.empty()) containers_[task.containerId] = key;
    recoverTask(task);
  }
  recovering_ = false;
  cleanupOrphanContainers();
  if (!agentId_.empty())
    LOG(INFO) << "Recovered agent " << agentId_ << " with " << tasks_.size() << " tasks from its checkpoint";
  return Status::OK();
}

void Agent::recoverTask(TaskRecord& task) {
  if (task.containerId.empty()) return;  // a task this agent never had: only updates remain
  if (task.exitHandled) {
    // The end is known and checkpointed; only its update may wait for an acknowledgement.
    destroyContainer(task.containerId);
    return;
  }
  if (task.supervisor.pid <= 0) {
    // The agent went down between starting the supervisor and checkpointing its pid.
    if (auto who = readSupervisorIdentity(metaDir(task.containerId))) task.supervisor = *who;
  }
  if (isAlive(task.supervisor)) {
    if (task.taskPid > 0) {
      Status adopted = isolator_->recover(task.containerId, limitsOf(task.info), task.taskPid);
      if (!adopted.ok()) LOG(WARNING) << "Task " << task.info.taskId << ": " << adopted.error();
    }
    LOG(INFO) << "Task " << task.info.taskId << " still runs under supervisor " << task.supervisor.pid;
    watchSupervisor(task);
    return;
  }
  supervisorEnded({task.frameworkId, task.info.taskId});
}

// Containers this agent made (their meta dir is under its work dir) that no task claims:
// left by a crash between creating a container and checkpointing it, or by a lost record.
void Agent::cleanupOrphanContainers() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.workDir + "/meta/containers", ec)) {
    std::string containerId = entry.path().filename().string();
    if (containers_.count(containerId)) continue;
    LOG(WARNING) << "Removing orphan container " << containerId;
    if (auto who = readSupervisorIdentity(entry.path().string()); who && isAlive(*who)) kill(who->pid, SIGKILL);
    destroyContainer(containerId);
  }
}

Status Agent::cleanupEverything() {
  Try<std::vector<TaskCheckpoint>> saved = checkpoint_->tasks();
  if (saved.isError()) LOG(WARNING) << "Part of the checkpoint is unreadable (" << saved.error() << "); cleaning anyway";
  shutdownTasks(std::chrono::seconds(10));
  Status cleared = checkpoint_->clear();
  if (!cleared.ok()) return cleared;
  LOG(INFO) << "Cleaned up: every task of the earlier run is killed and the checkpoint is empty";
  return Status::OK();
}

void Agent::shutdownTasks(Duration timeout) {
  std::set<std::string> left;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.workDir + "/meta/containers", ec)) {
    std::string containerId = entry.path().filename().string();
    if (auto who = readSupervisorIdentity(entry.path().string()); who && isAlive(*who)) kill(who->pid, SIGKILL);
    left.insert(containerId);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
    for (auto it = left.begin(); it != left.end();) {
      (void)isolator_->killAll(*it);
      if (isolator_->cleanup(*it).ok()) {
        fs::remove_all(metaDir(*it), ec);
        it = left.erase(it);
      } else {
        ++it;
      }
    }
    if (!left.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const std::string& containerId : left) LOG(ERROR) << "Container " << containerId << " could not be removed";
}

}  // namespace agora
