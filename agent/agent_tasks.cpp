// Running and killing tasks: each task gets a sandbox, a container of the isolator and a
// supervisor process that starts it.
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <glog/logging.h>

#include "agent/agent.hpp"
#include "agent/launcher.hpp"
#include "common/codec.hpp"
#include "common/ids.hpp"

namespace agora {

namespace fs = std::filesystem;

namespace {
std::vector<std::string> argvOf(const CommandInfo& cmd) {
  if (cmd.shell) return {"/bin/sh", "-c", cmd.value};
  std::vector<std::string> argv = cmd.arguments.empty() ? std::vector<std::string>{cmd.value} : cmd.arguments;
  argv[0] = cmd.value;
  return argv;
}
}  // namespace

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
  task.launchedAt = loop_.clock().now();
  ++counters_.tasksLaunched;
  launch(task);
}

std::string Agent::metaDir(const std::string& containerId) const {
  return options_.workDir + "/meta/containers/" + containerId;
}

Try<Agent::TaskUser> Agent::userOf(const TaskInfo& info) const {
  TaskUser user;
  if (info.user.empty()) {
    if (options_.forbidRootTasks && geteuid() == 0)
      return Error("the task names no user and this agent runs as root, but it forbids tasks as root "
                   "(--forbid_root_tasks): give the task a user");
    return user;
  }
  std::vector<char> buf(16384);
  passwd entry{}, *found = nullptr;
  int rc = getpwnam_r(info.user.c_str(), &entry, buf.data(), buf.size(), &found);
  if (rc != 0 || !found)
    return Error("user '" + info.user + "' does not exist on " + options_.hostname +
                 (rc != 0 ? std::string(": ") + std::strerror(rc) : std::string()));
  if (found->pw_uid == 0 && options_.forbidRootTasks)
    return Error("user '" + info.user + "' is root, and this agent forbids tasks as root (--forbid_root_tasks)");
  user.name = found->pw_name;
  user.home = found->pw_dir;
  // Already that user: nothing to switch (and an agent that is not root could not).
  if (found->pw_uid == geteuid() && found->pw_gid == getegid()) return user;
  user.uid = found->pw_uid;
  user.gid = found->pw_gid;
  return user;
}

ContainerLimits Agent::limitsOf(const TaskInfo& info) const {
  ContainerLimits limits;
  limits.cpus = info.resources.scalar("cpus");
  limits.cpuHardCap = options_.isolatorOptions.cpuHardCap;
  limits.memBytes = static_cast<uint64_t>(info.resources.scalar("mem") * 1024 * 1024);
  limits.pidsMax = options_.taskPidsMax;
  return limits;
}

bool Agent::checkpoint(TaskRecord& task) {
  Status saved = checkpoint_->save(task);
  task.checkpointed = saved.ok();
  ++counters_.checkpointWrites;
  if (!saved.ok()) ++counters_.checkpointWritesFailed;
  if (!saved.ok()) LOG(ERROR) << "Cannot checkpoint task " << task.info.taskId << ": " << saved.error();
  return saved.ok();
}

void Agent::launch(TaskRecord& task) {
  Try<TaskUser> user = userOf(task.info);
  if (user.isError()) {
    task.exitHandled = true;
    updateStatus(task, TaskState::FAILED, TaskReason::INVALID_USER, user.error());
    return;
  }
  task.containerId = newUuid();
  task.sandbox = options_.workDir + "/sandboxes/" + task.frameworkId + "/" + task.info.taskId + "." +
                 task.containerId.substr(0, 8);
  containers_[task.containerId] = {task.frameworkId, task.info.taskId};
  std::string meta = metaDir(task.containerId);
  std::error_code ec;
  fs::create_directories(task.sandbox, ec);
  if (!ec) fs::create_directories(meta, ec);
  if (ec) {
    task.exitHandled = true;
    updateStatus(task, TaskState::FAILED, TaskReason::LAUNCH_FAILED,
                 "cannot create the sandbox " + task.sandbox + ": " + ec.message());
    return;
  }
  if (user->uid && chown(task.sandbox.c_str(), *user->uid, *user->gid) != 0) {
    task.exitHandled = true;
    updateStatus(task, TaskState::FAILED, TaskReason::LAUNCH_FAILED,
                 "cannot give the sandbox to user '" + user->name + "': " + std::strerror(errno));
    return;
  }
  // The meta dir exists before the container does: a container without one is not ours.
  Status prepared = isolator_->prepare(task.containerId, limitsOf(task.info));
  if (!prepared.ok()) {
    task.exitHandled = true;
    destroyContainer(task.containerId);
    updateStatus(task, TaskState::FAILED, TaskReason::LAUNCH_FAILED, "cannot isolate the task: " + prepared.error());
    return;
  }
  updateStatus(task, TaskState::STARTING, TaskReason::NONE, "sandbox " + task.sandbox);
  Status started = startSupervisor(task, meta, *user);
  if (!started.ok()) {
    task.exitHandled = true;
    destroyContainer(task.containerId);
    updateStatus(task, TaskState::FAILED, TaskReason::LAUNCH_FAILED, "cannot start the task's supervisor: " +
                                                                         started.error());
    return;
  }
  checkpoint(task);
  watchSupervisor(task);
}

Status Agent::startSupervisor(TaskRecord& task, const std::string& meta, const TaskUser& user) {
  SupervisorSpec spec;
  spec.containerId = task.containerId;
  spec.agentEndpoint = "ipc://" + options_.workDir + "/agent.sock";
  spec.isolation = isolator_->name();
  spec.isolatorOptions = options_.isolatorOptions;
  spec.limits = limitsOf(task.info);
  spec.argv = argvOf(task.info.command);
  spec.environment = taskEnvironment(task);
  spec.sandbox = task.sandbox;
  spec.logMaxBytes = options_.logMaxBytes;
  spec.logKeep = options_.logKeep;
  spec.maxCompletionTimeSeconds = task.info.maxCompletionTimeSeconds;
  spec.killGracePeriodSeconds = task.info.killGracePeriodSeconds;
  spec.uid = user.uid;
  spec.gid = user.gid;
  spec.user = user.name;
  if (!user.name.empty()) {
    spec.environment["USER"] = user.name;
    spec.environment["HOME"] = user.home;
  }
  Status checks = resolveChecks(task.info, spec);
  if (!checks.ok()) return checks;
  Status written = writeSupervisorSpec(meta, spec);
  if (!written.ok()) return written;

  LaunchSpec launch;
  launch.argv = {options_.supervisorBinary, "--meta_dir=" + meta};
  launch.environment = {{"PATH", "/usr/local/bin:/usr/bin:/bin"}};
  for (const char* keep : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TMPDIR"})
    if (const char* v = std::getenv(keep)) launch.environment[keep] = v;
  launch.workingDirectory = meta;
  launch.stdoutPath = meta + "/supervisor.log";
  launch.stderrPath = launch.stdoutPath;
  Try<pid_t> pid = launchProcess(launch);
  if (pid.isError()) return Error(pid.error());
  auto who = identify(*pid);
  task.supervisor = who ? *who : ProcessIdentity{*pid, 0};
  return Status::OK();
}

// The checks as the supervisor runs them: ports resolved to numbers, commands to argv.
Status Agent::resolveChecks(const TaskInfo& info, SupervisorSpec& spec) {
  if (info.healthCheck) {
    const HealthCheck& h = *info.healthCheck;
    HealthCheckSpec health{{h.kind, {}, 0, h.path, h.timeoutSeconds, {}},
                           h.delaySeconds,
                           h.intervalSeconds,
                           h.gracePeriodSeconds,
                           h.maxConsecutiveFailures};
    if (h.kind == CheckKind::COMMAND) {
      health.probe.argv = argvOf(h.command);
    } else {
      Try<uint64_t> port = resolvePort(info, h.port);
      if (port.isError()) return Error("health check: " + port.error());
      health.probe.port = static_cast<uint16_t>(*port);
    }
    spec.health = health;
  }
  if (info.readinessCheck) {
    const ReadinessCheck& r = *info.readinessCheck;
    Try<uint64_t> port = resolvePort(info, r.port);
    if (port.isError()) return Error("readiness check: " + port.error());
    std::vector<uint16_t> codes = r.readyStatusCodes.empty() ? std::vector<uint16_t>{200} : r.readyStatusCodes;
    spec.readiness = ReadinessCheckSpec{{CheckKind::HTTP, {}, static_cast<uint16_t>(*port), r.path, r.timeoutSeconds, codes},
                                        r.intervalSeconds};
  }
  return Status::OK();
}

std::map<std::string, std::string> Agent::taskEnvironment(const TaskRecord& task) const {
  std::map<std::string, std::string> env;
  for (const char* inherited : {"PATH", "HOME", "LANG", "TZ"})
    if (const char* v = std::getenv(inherited)) env[inherited] = v;
  if (!env.count("PATH")) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  env["AGORA_TASK_ID"] = task.info.taskId;
  env["AGORA_FRAMEWORK_ID"] = task.frameworkId;
  env["AGORA_AGENT_ID"] = agentId_;
  env["AGORA_CONTAINER_ID"] = task.containerId;
  env["AGORA_SANDBOX"] = task.sandbox;
  env["AGORA_CPUS"] = Resource::scalar("cpus", task.info.resources.scalar("cpus")).valueString();
  env["AGORA_MEM"] = Resource::scalar("mem", task.info.resources.scalar("mem")).valueString();
  env["HOST"] = options_.hostname;
  // PORT0..n in the task's own order (or its ports ascending); PORT_<NAME> for named ones.
  std::vector<TaskPort> ports = portsOf(task.info);
  std::string list;
  for (size_t i = 0; i < ports.size(); ++i) {
    std::string number = std::to_string(ports[i].number);
    env["PORT" + std::to_string(i)] = number;
    list += (list.empty() ? "" : ",") + number;
    if (!ports[i].name.empty()) env[portVariable(ports[i].name)] = number;
  }
  if (!ports.empty()) {
    env["PORT"] = env["PORT0"];
    env["PORTS"] = list;
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
    lost.framework.id = key.first;
    lost.info.taskId = key.second;
    lost.info.agentId = agentId_;
    lost.exitHandled = true;
    updateStatus(lost, TaskState::LOST, TaskReason::TASK_UNKNOWN, "kill: this agent has no task " + key.second);
    return;
  }
  TaskRecord& task = it->second;
  if (isTerminal(task.state) || task.killRequested) return;
  task.killRequested = true;
  if (message.getReason() != TaskReason::NONE) task.killReason = message.getReason();
  double grace = message.getGracePeriodSeconds();
  if (grace < 0) grace = task.info.killGracePeriodSeconds;
  LOG(INFO) << "Killing task " << key.second << " (container " << task.containerId << ") with a grace period of "
            << grace << " s";
  updateStatus(task, TaskState::KILLING, task.killReason, "SIGTERM sent");
  sendKill(task, grace);
}

}  // namespace agora
