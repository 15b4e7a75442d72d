#include "agent/launcher.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace agora {

Try<pid_t> launchProcess(const LaunchSpec& spec) {
  if (spec.argv.empty()) return Error("nothing to launch: empty command line");
  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls are allowed, since the agent has other threads.
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> envStrings;
  for (const auto& [k, v] : spec.environment) envStrings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : envStrings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string path = spec.argv[0];
  std::vector<gid_t> groups(spec.groups.begin(), spec.groups.end());
  std::string searchPath = spec.environment.count("PATH") ? spec.environment.at("PATH") : "/usr/bin:/bin";

  int pipeFds[2], goFds[2];
  if (pipe2(pipeFds, O_CLOEXEC) != 0) return Error(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(goFds, O_CLOEXEC) != 0) {
    close(pipeFds[0]);
    close(pipeFds[1]);
    return Error(std::string("pipe: ") + std::strerror(errno));
  }
  pid_t parent = getpid();
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    for (int fd : {pipeFds[0], pipeFds[1], goFds[0], goFds[1]}) close(fd);
    return Error(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    setsid();
    if (spec.parentDeathSignal != 0) {
      prctl(PR_SET_PDEATHSIG, spec.parentDeathSignal);
      if (getppid() != parent) _exit(127);  // the parent died before we asked
    }
    // Wait for the parent's go (end of file) so that it can place us before we exec. Our
    // copy of the write end would keep that end of file from ever coming.
    close(goFds[1]);
    char go;
    while (read(goFds[0], &go, 1) < 0 && errno == EINTR) {}
    // The agent blocks signals it reads through signalfd; the task must start with none
    // blocked and default dispositions.
    for (int s = 1; s < NSIG; ++s) signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    int out = spec.stdoutFd >= 0 ? spec.stdoutFd : open(spec.stdoutPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int err = spec.stderrFd >= 0 ? spec.stderrFd : open(spec.stderrPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int in = open("/dev/null", O_RDONLY);
    int stage = 0;
    if (out < 0 || err < 0 || in < 0) stage = 1;
    else if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) stage = 2;
    else if (chdir(spec.workingDirectory.c_str()) != 0) stage = 3;
    else if (spec.gid && (setgroups(groups.size(), groups.data()) != 0 || setgid(*spec.gid) != 0)) stage = 5;
    else if (spec.uid && setuid(*spec.uid) != 0) stage = 5;
    // The kernel clears the parent-death signal when the credentials change: ask again.
    if (stage == 0 && spec.uid && spec.parentDeathSignal != 0) {
      prctl(PR_SET_PDEATHSIG, spec.parentDeathSignal);
      if (getppid() != parent) _exit(127);
    }
    // Nothing of the parent's beyond stdio reaches the new program (sockets of an HTTP
    // library that does not set close-on-exec, for one); the report pipe stays until exec.
    if (stage == 0) syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
    if (stage == 0) {
      sigprocmask(SIG_SETMASK, &none, nullptr);
      if (path.find('/') != std::string::npos) {
        execve(path.c_str(), argv.data(), envp.data());
      } else {
        // execvpe semantics without touching the agent's environ.
        const char* p = searchPath.c_str();
        char candidate[4096];
        while (*p) {
          const char* colon = std::strchr(p, ':');
          size_t len = colon ? static_cast<size_t>(colon - p) : std::strlen(p);
          if (len + 1 + path.size() + 1 < sizeof candidate) {
            std::memcpy(candidate, p, len);
            candidate[len] = '/';
            std::memcpy(candidate + len + 1, path.c_str(), path.size() + 1);
            execve(candidate, argv.data(), envp.data());
          }
          if (!colon) break;
          p = colon + 1;
        }
      }
      stage = 4;
    }
    int report[2] = {stage, errno};
    ssize_t w = write(pipeFds[1], report, sizeof report);
    (void)w;
    _exit(127);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(pipeFds[1]);
  close(goFds[0]);
  if (spec.beforeExec) {
    Status placed = spec.beforeExec(pid);
    if (!placed.ok()) {
      kill(pid, SIGKILL);
      close(goFds[1]);
      close(pipeFds[0]);
      waitpid(pid, nullptr, 0);
      return Error(placed.error());
    }
  }
  close(goFds[1]);
  int report[2];
  ssize_t n;
  do {
    n = read(pipeFds[0], report, sizeof report);
  } while (n < 0 && errno == EINTR);
  close(pipeFds[0]);
  if (n == static_cast<ssize_t>(sizeof report)) {
    waitpid(pid, nullptr, 0);
    static const char* what[] = {"", "cannot open the sandbox's stdout/stderr files",
                                 "cannot redirect stdio", "cannot enter the sandbox directory",
                                 "cannot execute", "cannot switch to the user"};
    std::string subject = report[0] == 4 ? path : report[0] == 5 ? spec.user : spec.workingDirectory;
    return Error(std::string(what[report[0]]) + " '" + subject + "': " + std::strerror(report[1]));
  }
  return pid;
}

std::map<std::string, std::string> inheritedEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

bool signalGroup(pid_t pgid, int signal) { return pgid > 1 && kill(-pgid, signal) == 0; }

}  // namespace agora
