#include "agent/supervisor.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <glog/logging.h>

#include "common/signals.hpp"

namespace agora {

namespace {
constexpr auto kReportInterval = std::chrono::milliseconds(250);
}

Supervisor::Supervisor(zmq::context_t& context, EventLoop& loop, std::string metaDir, SupervisorSpec spec)
    : loop_(loop),
      metaDir_(std::move(metaDir)),
      spec_(std::move(spec)),
      socket_(context, loop, MessageSocket::Kind::kDealer) {
  socket_.onMessage([this](const std::string&, proto::Envelope::Reader m) { onMessage(m); });
}

Status Supervisor::start(int childSignalFd) {
  auto self = identify(getpid());
  if (!self) return Error("cannot read this process's own /proc entry");
  Status s = writeSupervisorIdentity(metaDir_, *self);
  if (!s.ok()) return s;
  s = socket_.connect(spec_.agentEndpoint);
  if (!s.ok()) return s;
  loop_.watchFd(childSignalFd, [this, childSignalFd] {
    while (readSignal(childSignalFd) != 0) {}
    reap();
  });
  Status launched = launchTask();
  if (!launched.ok()) {
    LOG(ERROR) << "Cannot start the task: " << launched.error();
    taskEnded(ExitRecord{0, launched.error(), "", ""});
  }
  reportTick();
  return Status::OK();
}

Status Supervisor::launchTask() {
  // The agent prepared the container; a container that is gone (the agent gave up on this
  // task meanwhile) fails the launch rather than being made again here.
  Try<std::unique_ptr<Isolator>> isolator = makeIsolator(spec_.isolation, spec_.isolatorOptions);
  if (isolator.isError()) return Error(isolator.error());
  isolator_ = std::move(*isolator);
  Status found = isolator_->recover(spec_.containerId, spec_.limits, 0);
  if (!found.ok()) return found;

  int outPipe[2], errPipe[2];
  if (pipe2(outPipe, O_CLOEXEC | O_NONBLOCK) != 0) return Error(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(errPipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(outPipe[0]);
    close(outPipe[1]);
    return Error(std::string("pipe: ") + std::strerror(errno));
  }
  // The task's ends block as usual; only ours do not.
  for (int fd : {outPipe[1], errPipe[1]}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  stdout_ = {outPipe[0], std::make_unique<RotatingLog>(spec_.sandbox + "/stdout", spec_.logMaxBytes, spec_.logKeep)};
  stderr_ = {errPipe[0], std::make_unique<RotatingLog>(spec_.sandbox + "/stderr", spec_.logMaxBytes, spec_.logKeep)};
  for (Output* out : {&stdout_, &stderr_}) {
    Status opened = out->log->open();
    if (!opened.ok()) LOG(ERROR) << opened.error();
  }

  LaunchSpec launch = asTheTask(spec_.argv);
  launch.stdoutFd = outPipe[1];
  launch.stderrFd = errPipe[1];
  Try<pid_t> pid = launchProcess(launch);
  close(outPipe[1]);
  close(errPipe[1]);
  watchOutput(stdout_);
  watchOutput(stderr_);
  if (pid.isError()) return Error(pid.error());
  taskPid_ = *pid;
  LOG(INFO) << "Task of container " << spec_.containerId << " runs as pid " << taskPid_;
  if (spec_.maxCompletionTimeSeconds > 0)
    loop_.after(seconds(spec_.maxCompletionTimeSeconds), [this] { completionTimeReached(); });
  startChecks();
  report();
  return Status::OK();
}

// How the task and its check commands start: its environment, sandbox, user and container.
LaunchSpec Supervisor::asTheTask(const std::vector<std::string>& argv) {
  LaunchSpec launch;
  launch.argv = argv;
  launch.environment = spec_.environment;
  launch.workingDirectory = spec_.sandbox;
  launch.parentDeathSignal = SIGKILL;
  launch.uid = spec_.uid;
  launch.gid = spec_.gid;
  launch.user = spec_.user;
  if (spec_.gid) {
    int n = 64;
    std::vector<gid_t> groups(static_cast<size_t>(n));
    if (getgrouplist(spec_.user.c_str(), *spec_.gid, groups.data(), &n) < 0) {
      groups.resize(static_cast<size_t>(n));
      getgrouplist(spec_.user.c_str(), *spec_.gid, groups.data(), &n);
    }
    groups.resize(static_cast<size_t>(std::max(n, 0)));
    launch.groups.assign(groups.begin(), groups.end());
  }
  launch.beforeExec = [this](pid_t pid) { return isolator_->attach(spec_.containerId, pid); };
  return launch;
}

void Supervisor::startChecks() {
  if (!spec_.health && !spec_.readiness) return;
  auto launcher = [this](const std::vector<std::string>& argv) {
    LaunchSpec launch = asTheTask(argv);
    launch.stdoutPath = "/dev/null";
    launch.stderrPath = "/dev/null";
    return launchProcess(launch);
  };
  TaskChecks::Callbacks callbacks;
  callbacks.changed = [this] { report(); };
  callbacks.kill = [this](const std::string& why) { healthCheckFailed(why); };
  checks_ = std::make_unique<TaskChecks>(loop_, spec_.health, spec_.readiness, launcher, std::move(callbacks));
  checks_->start();
}

void Supervisor::healthCheckFailed(const std::string& why) {
  if (exit_ || killing_) return;
  LOG(WARNING) << "Killing the task: " << why;
  limit_ = kHealthCheckFailedLimit;
  limitMessage_ = why;
  onKill(spec_.killGracePeriodSeconds);
}

void Supervisor::watchOutput(Output& out) {
  loop_.watchFd(out.fd, [this, &out] { drain(out); });
}

void Supervisor::drain(Output& out) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(out.fd, buf, sizeof buf);
    if (n > 0) {
      Status s = out.log->append(buf, static_cast<size_t>(n));
      if (!s.ok()) {
        LOG_EVERY_N(ERROR, 100) << "Task output lost: " << s.error();
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    loop_.unwatchFd(out.fd);  // end of file: every writer has gone
    close(out.fd);
    out.fd = -1;
    return;
  }
}

void Supervisor::onMessage(proto::Envelope::Reader message) {
  switch (message.which()) {
    case proto::Envelope::SUPERVISOR_KILL:
      onKill(message.getSupervisorKill().getGracePeriodSeconds());
      return;
    case proto::Envelope::SUPERVISOR_ACK:
      if (exit_) {
        LOG(INFO) << "The agent has the task's exit status; supervisor done";
        loop_.stop();
      }
      return;
    default:
      LOG(WARNING) << "Ignoring unexpected message '" << envelopeKind(message) << "' from the agent";
  }
}

void Supervisor::onKill(double gracePeriodSeconds) {
  if (exit_ || taskPid_ <= 0 || killing_) return;
  killing_ = true;
  if (checks_) checks_->stop();  // a task on its way out is neither healthy nor not
  LOG(INFO) << "Killing the task (process group " << taskPid_ << ") with a grace period of " << gracePeriodSeconds
            << " s";
  signalGroup(taskPid_, SIGTERM);
  loop_.after(seconds(std::max(0.0, gracePeriodSeconds)), [this] {
    if (exit_) return;
    LOG(INFO) << "The task outlived its grace period: SIGKILL";
    signalGroup(taskPid_, SIGKILL);
  });
}

// The task's deadline holds whether or not its agent or framework are up: the supervisor
// keeps it.
void Supervisor::completionTimeReached() {
  if (exit_ || killing_) return;
  LOG(INFO) << "The task reached its maximum completion time of " << spec_.maxCompletionTimeSeconds << " s";
  limit_ = kMaxCompletionTimeLimit;
  onKill(spec_.killGracePeriodSeconds);
}

void Supervisor::reap() {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid != taskPid_) {
      if (checks_) checks_->reaped(pid, status);
      continue;
    }
    // Whatever the task left behind in its process group goes with it.
    signalGroup(taskPid_, SIGKILL);
    taskEnded(ExitRecord{status, "", limit_, limitMessage_});
  }
}

void Supervisor::taskEnded(const ExitRecord& record) {
  if (checks_) checks_->stop();
  // Take what the task wrote last before the agent learns that it ended.
  for (Output* out : {&stdout_, &stderr_})
    if (out->fd >= 0) drain(*out);
  Status written = writeExitRecord(metaDir_, record);
  if (!written.ok()) LOG(ERROR) << "The exit status is not durable: " << written.error();
  exit_ = record;
  exitedAt_ = loop_.clock().now();
  report();
}

void Supervisor::report() {
  OutboundEnvelope out;
  auto s = out.get().initSupervisorStatus();
  s.setContainerId(spec_.containerId);
  s.setSupervisorPid(getpid());
  s.setTaskPid(std::max(0, taskPid_));
  if (exit_) {
    s.setExited(true);
    s.setWaitStatus(exit_->waitStatus);
    s.setLaunchError(exit_->launchError);
    s.setLimit(exit_->limit);
    s.setLimitMessage(exit_->limitMessage);
  }
  if (checks_) {
    std::optional<bool> healthy = checks_->healthy();
    s.setHealthKnown(healthy.has_value());
    s.setHealthy(healthy.value_or(false));
    s.setHealthMessage(checks_->healthMessage());
    s.setReady(checks_->ready());
  }
  socket_.send(out);
}

// The agent may have restarted and lost our routing id: a repeated report finds it again.
void Supervisor::reportTick() {
  if (exitedAt_ && loop_.clock().now() - *exitedAt_ > seconds(spec_.agentTimeoutSeconds)) {
    LOG(WARNING) << "No agent took the exit status for " << spec_.agentTimeoutSeconds
                 << " s; it stays in " << metaDir_;
    loop_.stop();
    return;
  }
  report();
  loop_.after(kReportInterval, [this] { reportTick(); });
}

int runSupervisor(const std::string& metaDir) {
  int childSignals = blockSignalsToFd({SIGCHLD});
  signal(SIGPIPE, SIG_IGN);
  Try<SupervisorSpec> spec = readSupervisorSpec(metaDir);
  if (spec.isError()) {
    LOG(ERROR) << "Cannot supervise: " << spec.error();
    return 2;
  }
  RealClock clock;
  EventLoop loop(clock);
  zmq::context_t context(1);
  Supervisor supervisor(context, loop, metaDir, *spec);
  Status started = supervisor.start(childSignals);
  if (!started.ok()) {
    LOG(ERROR) << "Cannot supervise: " << started.error();
    return 1;
  }
  loop.run();
  return 0;
}

}  // namespace agora
