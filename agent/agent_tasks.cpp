// Running, killing and reaping tasks.
#include <signal.h>
#include <sys/wait.h>

#include <cstring>
#include <filesystem>

#include <glog/logging.h>

#include "agent/agent.hpp"
#include "agent/launcher.hpp"
#include "common/codec.hpp"
#include "common/ids.hpp"

namespace agora {

void Agent::onRunTask(proto::RunTask::Reader message) {
  FrameworkInfo framework = codec::read(message.getFramework());
  Try<TaskInfo> info = codec::read(message.getTask());
  if (info.isError()) {
    LOG(ERROR) << "Master sent an unreadable task of framework " << framework.id << ": " << info.error();
    return;
  }
  TaskKey key{framework.id, info->taskId};
  if (tasks_.count(key)) {
    LOG(WARNING) << "Ignoring a second launch of task " << info->taskId << " of framework " << framework.id;
    return;
  }
  TaskRecord& task = tasks_[key];
  task.frameworkId = framework.id;
  task.framework = framework;
  task.info = *info;
  task.info.agentId = agentId_;
  launch(task);
}

void Agent::launch(TaskRecord& task) {
  namespace fs = std::filesystem;
  task.sandbox = options_.workDir + "/sandboxes/" + task.frameworkId + "/" + task.info.taskId + "." +
                 newUuid().substr(0, 8);
  std::error_code ec;
  fs::create_directories(task.sandbox, ec);
  if (ec) {
    updateStatus(task, TaskState::FAILED, TaskReason::LAUNCH_FAILED,
                 "cannot create the sandbox " + task.sandbox + ": " + ec.message());
    return;
  }
  updateStatus(task, TaskState::STARTING, TaskReason::NONE, "sandbox " + task.sandbox);
  LaunchSpec spec;
  const CommandInfo& cmd = task.info.command;
  if (cmd.shell) {
    spec.argv = {"/bin/sh", "-c", cmd.value};
  } else {
    spec.argv = cmd.arguments.empty() ? std::vector<std::string>{cmd.value} : cmd.arguments;
    spec.argv[0] = cmd.value;
  }
  spec.environment = taskEnvironment(task);
  spec.workingDirectory = task.sandbox;
  spec.stdoutPath = task.sandbox + "/stdout";
  spec.stderrPath = task.sandbox + "/stderr";
  Try<pid_t> pid = launchProcess(spec);
  if (pid.isError()) {
    updateStatus(task, TaskState::FAILED, TaskReason::LAUNCH_FAILED, "launch failed: " + pid.error());
    return;
  }
  task.pid = *pid;
  pids_[*pid] = {task.frameworkId, task.info.taskId};
  updateStatus(task, TaskState::RUNNING, TaskReason::NONE, "pid " + std::to_string(*pid));
}

std::map<std::string, std::string> Agent::taskEnvironment(const TaskRecord& task) const {
  std::map<std::string, std::string> env;
  for (const char* inherited : {"PATH", "HOME", "LANG", "TZ"})
    if (const char* v = std::getenv(inherited)) env[inherited] = v;
  if (!env.count("PATH")) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  env["AGORA_TASK_ID"] = task.info.taskId;
  env["AGORA_FRAMEWORK_ID"] = task.frameworkId;
  env["AGORA_AGENT_ID"] = agentId_;
  env["AGORA_SANDBOX"] = task.sandbox;
  env["AGORA_CPUS"] = Resource::scalar("cpus", task.info.resources.scalar("cpus")).valueString();
  env["AGORA_MEM"] = Resource::scalar("mem", task.info.resources.scalar("mem")).valueString();
  env["HOST"] = options_.hostname;
  int index = 0;
  std::string ports;
  for (const Range& r : task.info.resources.ranges("ports")) {
    for (uint64_t p = r.begin; p <= r.end && index < 100; ++p) {
      env["PORT" + std::to_string(index++)] = std::to_string(p);
      ports += (ports.empty() ? "" : ",") + std::to_string(p);
    }
  }
  if (index > 0) {
    env["PORT"] = env["PORT0"];
    env["PORTS"] = ports;
  }
  for (const auto& [k, v] : task.info.command.environment) env[k] = v;
  return env;
}

void Agent::onKillTask(proto::KillTask::Reader message) {
  TaskKey key{message.getFrameworkId(), message.getTaskId()};
  auto it = tasks_.find(key);
  if (it == tasks_.end()) {
    // The master believes the task lives here; tell it, in the acknowledged stream, that it does not.
    TaskRecord& lost = tasks_[key];
    lost.frameworkId = key.first;
    lost.info.taskId = key.second;
    lost.info.agentId = agentId_;
    updateStatus(lost, TaskState::LOST, TaskReason::TASK_UNKNOWN, "kill: this agent has no task " + key.second);
    return;
  }
  TaskRecord& task = it->second;
  if (isTerminal(task.state) || task.pid <= 0 || task.killRequested) return;
  task.killRequested = true;
  double grace = message.getGracePeriodSeconds();
  if (grace < 0) grace = task.info.killGracePeriodSeconds;
  LOG(INFO) << "Killing task " << key.second << " (pid " << task.pid << ") with a grace period of " << grace << " s";
  signalGroup(task.pid, SIGTERM);
  updateStatus(task, TaskState::KILLING, TaskReason::KILLED_BY_FRAMEWORK, "SIGTERM sent");
  task.killTimer = loop_.after(seconds(grace), [this, key] { escalateKill(key); });
}

void Agent::escalateKill(const TaskKey& key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return;
  it->second.killTimer.reset();
  if (it->second.pid > 0 && !isTerminal(it->second.state)) {
    LOG(INFO) << "Task " << key.second << " outlived its grace period: SIGKILL";
    signalGroup(it->second.pid, SIGKILL);
  }
}

void Agent::reap() {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    auto it = pids_.find(pid);
    if (it == pids_.end()) continue;
    TaskKey key = it->second;
    pids_.erase(it);
    auto task = tasks_.find(key);
    if (task != tasks_.end()) taskExited(task->second, status);
  }
}

void Agent::taskExited(TaskRecord& task, int waitStatus) {
  // Whatever the task left behind in its process group goes with it.
  signalGroup(task.pid, SIGKILL);
  if (task.killTimer) loop_.cancel(*task.killTimer);
  task.killTimer.reset();
  std::string how;
  std::optional<int> code;
  if (WIFEXITED(waitStatus)) {
    code = WEXITSTATUS(waitStatus);
    how = "exited with status " + std::to_string(*code);
  } else if (WIFSIGNALED(waitStatus)) {
    int sig = WTERMSIG(waitStatus);
    code = 128 + sig;
    how = "terminated by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  if (task.killRequested) {
    updateStatus(task, TaskState::KILLED, TaskReason::KILLED_BY_FRAMEWORK, "killed: command " + how, code);
  } else if (WIFEXITED(waitStatus) && *code == 0) {
    updateStatus(task, TaskState::FINISHED, TaskReason::COMMAND_EXITED, "command " + how, code);
  } else {
    TaskReason reason = WIFSIGNALED(waitStatus) ? TaskReason::COMMAND_SIGNALED : TaskReason::COMMAND_EXITED;
    updateStatus(task, TaskState::FAILED, reason, "command " + how, code);
  }
}

void Agent::killAllTasks() {
  for (auto& [key, task] : tasks_) {
    if (task.pid <= 0 || isTerminal(task.state)) continue;
    signalGroup(task.pid, SIGKILL);
    waitpid(task.pid, nullptr, 0);
  }
}

}  // namespace agora
