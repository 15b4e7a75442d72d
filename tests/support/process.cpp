#include "tests/support/process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/launcher.hpp"

namespace agora::testing {

Try<Process> Process::start(std::vector<std::string> argv, const std::string& logPath, bool dieWithParent) {
  LaunchSpec spec;
  spec.parentDeathSignal = dieWithParent ? SIGKILL : 0;
  spec.argv = std::move(argv);
  spec.environment = inheritedEnvironment();
  spec.workingDirectory = std::filesystem::path(logPath).parent_path().string();
  spec.stdoutPath = logPath;
  spec.stderrPath = logPath;
  Try<pid_t> pid = launchProcess(spec);
  if (pid.isError()) return Error(pid.error());
  Process p;
  p.pid_ = *pid;
  p.log_ = logPath;
  return p;
}

Process& Process::operator=(Process&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0) stop(SIGKILL);
    pid_ = o.pid_;
    log_ = std::move(o.log_);
    o.pid_ = -1;
  }
  return *this;
}

Process::~Process() {
  if (pid_ > 0) stop(SIGKILL);
}

bool Process::running() {
  if (pid_ <= 0) return false;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == 0) return true;
  pid_ = -1;  // reaped: the pid may be reused, so never signal it again
  return false;
}

int Process::wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::optional<int> Process::waitFor(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (fd < 0) return std::nullopt;
  pollfd exited{fd, POLLIN, 0};
  int ready = poll(&exited, 1, static_cast<int>(timeout.count()));
  close(fd);
  if (ready != 1) return std::nullopt;
  return wait();
}

int Process::stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::vector<pid_t> livingProcessesInGroup(pid_t pgid) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so parse after the last ')'.
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid, group;
    rest >> state >> ppid >> group;
    if (group == pgid && state != 'Z' && state != 'X') out.push_back(std::stoi(name));
  }
  return out;
}

}  // namespace agora::testing
