// The tasks' supervisors: their reports, their end, and the end of the task's container.
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include <glog/logging.h>

#include "agent/agent.hpp"

namespace agora {

namespace {
constexpr int kDestroyAttempts = 100;
constexpr auto kDestroyRetry = std::chrono::milliseconds(50);
}  // namespace

Agent::TaskRecord* Agent::findByContainer(const std::string& containerId) {
  auto c = containers_.find(containerId);
  if (c == containers_.end()) return nullptr;
  auto t = tasks_.find(c->second);
  return t == tasks_.end() ? nullptr : &t->second;
}

void Agent::onSupervisorMessage(const std::string& peer, proto::Envelope::Reader message) {
  if (message.which() != proto::Envelope::SUPERVISOR_STATUS) {
    LOG(WARNING) << "Ignoring unexpected message '" << envelopeKind(message) << "' on the supervisors' socket";
    return;
  }
  auto report = message.getSupervisorStatus();
  std::string containerId = report.getContainerId();
  TaskRecord* task = findByContainer(containerId);
  if (task == nullptr) {
    // Its task has been forgotten (acknowledged, or cleaned up): nothing may run for it.
    OutboundEnvelope out;
    if (report.getExited()) {
      out.get().initSupervisorAck().setContainerId(containerId);
    } else {
      LOG(WARNING) << "Supervisor of unknown container " << containerId << " reported: killing its task";
      auto kill = out.get().initSupervisorKill();
      kill.setContainerId(containerId);
      kill.setGracePeriodSeconds(0);
    }
    supervisors_.send(peer, out);
    return;
  }
  task->supervisorPeer = peer;
  if (task->taskPid <= 0 && report.getTaskPid() > 0) {
    task->taskPid = report.getTaskPid();
    Status adopted = isolator_->recover(task->containerId, limitsOf(task->info), task->taskPid);
    if (!adopted.ok()) LOG(WARNING) << "Task " << task->info.taskId << ": " << adopted.error();
    if (task->state == TaskState::STARTING)
      updateStatus(*task, TaskState::RUNNING, TaskReason::NONE, "pid " + std::to_string(task->taskPid));
    else
      checkpoint(*task);
  }
  checksReported(*task, report);
  if (report.getExited()) {
    if (!task->exitHandled)
      taskExited(*task, ExitRecord{report.getWaitStatus(), report.getLaunchError(), report.getLimit(),
                                   report.getLimitMessage()});
    // Only a checkpointed exit lets the supervisor go; else its next report retries.
    if (!task->checkpointed && !checkpoint(*task)) return;
    OutboundEnvelope out;
    out.get().initSupervisorAck().setContainerId(containerId);
    supervisors_.send(peer, out);
    return;
  }
  // The agent has ended this task (it found no trace of the supervisor at recovery): so must it.
  if (task->exitHandled) {
    sendKill(*task, 0);
    return;
  }
  // Repeated while the task runs: a kill sent before an agent restart may have been lost.
  if (task->killRequested) sendKill(*task, task->info.killGracePeriodSeconds);
}

// The supervisor repeats its checks' results; news goes to the framework as a RUNNING update
// (a task on its way out reports its health with its end).
void Agent::checksReported(TaskRecord& task, proto::SupervisorStatus::Reader report) {
  std::optional<bool> healthy;
  if (report.getHealthKnown()) healthy = report.getHealthy();
  bool healthNews = healthy.has_value() && healthy != task.healthy;
  bool readyNews = report.getReady() && !task.ready;
  if (!healthNews && !readyNews) return;
  if (healthNews) task.healthy = healthy;
  if (readyNews) task.ready = true;
  if (task.state != TaskState::RUNNING || task.exitHandled || report.getExited()) {
    checkpoint(task);
    return;
  }
  if (healthNews)
    updateStatus(task, TaskState::RUNNING, TaskReason::HEALTH_CHECK_STATUS_UPDATED,
                 std::string(*healthy ? "healthy" : "unhealthy") + ": " + std::string(report.getHealthMessage()));
  if (readyNews) updateStatus(task, TaskState::RUNNING, TaskReason::READINESS_CHECK_STATUS_UPDATED, "ready");
}

void Agent::sendKill(TaskRecord& task, double gracePeriodSeconds) {
  if (task.supervisorPeer.empty()) return;  // sent when the supervisor first reports
  OutboundEnvelope out;
  auto kill = out.get().initSupervisorKill();
  kill.setContainerId(task.containerId);
  kill.setGracePeriodSeconds(gracePeriodSeconds);
  supervisors_.send(task.supervisorPeer, out);
}

void Agent::watchSupervisor(TaskRecord& task) {
  TaskKey key{task.frameworkId, task.info.taskId};
  // glibc 2.36's <sys/pidfd.h> is not usable from C++: call the kernel directly.
  int fd = static_cast<int>(syscall(SYS_pidfd_open, task.supervisor.pid, 0));
  if (fd < 0) {
    loop_.post([this, key] { supervisorEnded(key); });
    return;
  }
  task.pidfd = fd;
  loop_.watchFd(fd, [this, key] { supervisorEnded(key); });
}

// The supervisor is gone. Normally it has reported the exit already; if it was killed, the
// exit record it wrote (if any) tells how the task ended; else the task is killed.
void Agent::supervisorEnded(const TaskKey& key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return;
  TaskRecord& task = it->second;
  if (task.pidfd >= 0) {
    loop_.unwatchFd(task.pidfd);
    close(task.pidfd);
    task.pidfd = -1;
  }
  if (task.exitHandled) return;
  Try<std::optional<ExitRecord>> record = readExitRecord(metaDir(task.containerId));
  if (record.ok() && record->has_value()) {
    taskExited(task, **record);
    return;
  }
  LOG(WARNING) << "The supervisor (pid " << task.supervisor.pid << ") of task " << task.info.taskId
               << " ended without an exit status" << (record.ok() ? "" : ": " + record.error());
  task.exitHandled = true;
  bool recovering = recovering_;
  (void)isolator_->killAll(task.containerId);
  updateStatus(task, TaskState::FAILED, recovering ? TaskReason::AGENT_RESTARTED : TaskReason::EXECUTOR_TERMINATED,
               std::string("the task's supervisor (pid ") + std::to_string(task.supervisor.pid) + ") ended " +
                   (recovering ? "while the agent was down " : "") + "without recording how the task ended; " +
                   "every process of the task was killed");
  destroyContainer(task.containerId);
}

void Agent::taskExited(TaskRecord& task, const ExitRecord& exit) {
  task.exitHandled = true;
  // Ask before the container goes: the kernel may have ended the task for a limit.
  std::optional<Limitation> limit = isolator_->limitation(task.containerId);
  int ws = exit.waitStatus;
  std::string how;
  std::optional<int> code;
  if (WIFEXITED(ws)) {
    code = WEXITSTATUS(ws);
    how = "exited with status " + std::to_string(*code);
  } else if (WIFSIGNALED(ws)) {
    int sig = WTERMSIG(ws);
    code = 128 + sig;
    how = "terminated by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  if (!exit.launchError.empty()) {
    updateStatus(task, TaskState::FAILED, TaskReason::LAUNCH_FAILED, "launch failed: " + exit.launchError);
  } else if (exit.limit == kMaxCompletionTimeLimit) {
    updateStatus(task, TaskState::FAILED, TaskReason::MAX_COMPLETION_TIME_REACHED,
                 "the task ran longer than its maxCompletionTimeSeconds (" +
                     Resource::scalar("t", task.info.maxCompletionTimeSeconds).valueString() + " s): command " + how,
                 code);
  } else if (exit.limit == kHealthCheckFailedLimit) {
    updateStatus(task, TaskState::FAILED, TaskReason::HEALTH_CHECK_FAILED,
                 (exit.limitMessage.empty() ? std::string("the health check failed") : exit.limitMessage) +
                     "; command " + how,
                 code);
  } else if (task.killRequested) {
    updateStatus(task, TaskState::KILLED, task.killReason, "killed: command " + how, code);
  } else if (limit && !(WIFEXITED(ws) && *code == 0)) {
    updateStatus(task, TaskState::FAILED, limit->reason, limit->message + "; command " + how, code);
  } else if (WIFEXITED(ws) && *code == 0) {
    updateStatus(task, TaskState::FINISHED, TaskReason::COMMAND_EXITED, "command " + how, code);
  } else {
    TaskReason reason = WIFSIGNALED(ws) ? TaskReason::COMMAND_SIGNALED : TaskReason::COMMAND_EXITED;
    updateStatus(task, TaskState::FAILED, reason, "command " + how, code);
  }
  destroyContainer(task.containerId, !task.checkpointed);
}

// Kills whatever is left in the container (daemonized grandchildren too) and removes it;
// processes take a moment to die, so removal is retried for a while.
void Agent::destroyContainer(const std::string& containerId, bool keepMeta, int attempt) {
  (void)isolator_->killAll(containerId);
  Status removed = isolator_->cleanup(containerId);
  if (removed.ok()) {
    std::error_code ec;
    if (!keepMeta) std::filesystem::remove_all(metaDir(containerId), ec);
    return;
  }
  if (attempt + 1 >= kDestroyAttempts) {
    LOG(ERROR) << "Cannot remove container " << containerId << ": " << removed.error()
               << "; the next agent start tries again";
    return;
  }
  loop_.after(kDestroyRetry,
              [this, containerId, keepMeta, attempt] { destroyContainer(containerId, keepMeta, attempt + 1); });
}

// Supervisors started by this run are its children: reap them (their end is seen through
// their pidfds).
void Agent::reap() {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {}
}

}  // namespace agora
