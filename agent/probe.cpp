#include "agent/probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/launcher.hpp"

namespace agora {

namespace {
// A status line fits in far less; a server that sends more before one is not HTTP.
constexpr size_t kMaxStatusLine = 4096;

std::string secondsText(double s) { return Resource::scalar("t", s).valueString() + " s"; }

std::string describeExit(int ws) {
  if (WIFEXITED(ws)) return "exited with status " + std::to_string(WEXITSTATUS(ws));
  if (WIFSIGNALED(ws)) return "was terminated by signal " + std::to_string(WTERMSIG(ws));
  return "ended";
}
}  // namespace

Probe::Probe(EventLoop& loop, ProbeSpec spec, CommandLauncher launcher)
    : loop_(loop), spec_(std::move(spec)), launcher_(std::move(launcher)) {}

Probe::~Probe() {
  if (timeout_) loop_.cancel(*timeout_);
  closeSocket();
  if (pid_ > 0) signalGroup(pid_, SIGKILL);  // the supervisor reaps it
}

void Probe::run(Done done) {
  done_ = std::move(done);
  response_.clear();
  timeout_ = loop_.after(seconds(spec_.timeoutSeconds), [this] {
                           timeout_.reset();
                           if (pid_ > 0) signalGroup(pid_, SIGKILL);
                           pid_ = -1;
                           finish(false, "the check did not complete within its timeout of " +
                                             secondsText(spec_.timeoutSeconds));
                         });
  switch (spec_.kind) {
    case CheckKind::COMMAND: runCommand(); return;
    case CheckKind::HTTP:
    case CheckKind::TCP: connect(); return;
  }
  failSoon("unknown check type");
}

void Probe::runCommand() {
  Try<pid_t> pid = launcher_(spec_.argv);
  if (pid.isError()) {
    failSoon("the check command could not start: " + pid.error());
    return;
  }
  pid_ = *pid;
}

bool Probe::reaped(pid_t pid, int waitStatus) {
  if (pid <= 0 || pid != pid_) return false;
  pid_ = -1;
  signalGroup(pid, SIGKILL);  // what the command left behind goes with it
  bool ok = WIFEXITED(waitStatus) && WEXITSTATUS(waitStatus) == 0;
  finish(ok, "the check command " + describeExit(waitStatus));
  return true;
}

void Probe::connect() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    failSoon(std::string("socket: ") + std::strerror(errno));
    return;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(spec_.port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  if (rc != 0 && errno != EINPROGRESS) {
    failSoon("connecting to 127.0.0.1:" + std::to_string(spec_.port) + ": " + std::strerror(errno));
    return;
  }
  loop_.watchFdWritable(fd_, [this] { onConnected(); });
}

void Probe::onConnected() {
  loop_.unwatchFd(fd_);
  int error = 0;
  socklen_t length = sizeof error;
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
  std::string where = "127.0.0.1:" + std::to_string(spec_.port);
  if (error != 0) {
    finish(false, "connecting to " + where + ": " + std::strerror(error));
    return;
  }
  if (spec_.kind == CheckKind::TCP) {
    finish(true, "connected to " + where);
    return;
  }
  std::string request = "GET " + spec_.path + " HTTP/1.1\r\nHost: " + where +
                        "\r\nUser-Agent: agora-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  // A fresh socket's send buffer takes a request this small whole.
  ssize_t sent = send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
  if (sent != static_cast<ssize_t>(request.size())) {
    finish(false, "sending the request to " + where + ": " + (sent < 0 ? std::strerror(errno) : "short write"));
    return;
  }
  loop_.watchFd(fd_, [this] { onReadable(); });
}

void Probe::onReadable() {
  char buf[1024];
  ssize_t n = recv(fd_, buf, sizeof buf, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  std::string what = "GET " + spec_.path + " on port " + std::to_string(spec_.port);
  if (n < 0) {
    finish(false, what + ": " + std::strerror(errno));
    return;
  }
  response_.append(buf, static_cast<size_t>(n));
  size_t eol = response_.find("\r\n");
  if (eol == std::string::npos && n > 0 && response_.size() < kMaxStatusLine) return;
  // "HTTP/1.1 200 OK"
  std::string line = response_.substr(0, std::min(eol, response_.size()));
  int code = 0;
  if (line.rfind("HTTP/", 0) == 0) {
    size_t space = line.find(' ');
    if (space != std::string::npos) code = std::atoi(line.c_str() + space + 1);
  }
  if (code < 100 || code > 599) {
    finish(false, what + ": the answer is not HTTP" + (n == 0 ? " (the connection closed)" : ""));
    return;
  }
  const auto& ok = spec_.okStatusCodes;
  bool passed = ok.empty() ? code >= 200 && code <= 399 : std::find(ok.begin(), ok.end(), code) != ok.end();
  finish(passed, what + " answered " + std::to_string(code));
}

// An attempt that failed before it began still ends on the loop, as run() promises.
void Probe::failSoon(std::string detail) {
  if (timeout_) loop_.cancel(*timeout_);
  timeout_ = loop_.after(Duration::zero(), [this, detail = std::move(detail)] {
    timeout_.reset();
    finish(false, detail);
  });
}

void Probe::closeSocket() {
  if (fd_ < 0) return;
  loop_.unwatchFd(fd_);
  close(fd_);
  fd_ = -1;
}

void Probe::finish(bool ok, std::string detail) {
  if (!done_) return;  // the timeout and the result raced; the first one counts
  if (timeout_) loop_.cancel(*timeout_);
  timeout_.reset();
  closeSocket();
  Done done = std::move(done_);
  done_ = nullptr;
  done(ProbeResult{ok, std::move(detail)});
}

}  // namespace agora
