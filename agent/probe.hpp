#pragma once
// One attempt of a task's check, as its supervisor runs it: a command, an HTTP GET or a TCP
// connect to 127.0.0.1, bounded by a timeout, on the supervisor's loop without blocking it
// (the loop also carries the task's output and the agent's messages).

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/event_loop.hpp"
#include "common/try.hpp"
#include "common/types.hpp"

namespace agora {

// What the agent resolved for the supervisor: no port indexes or names are left.
struct ProbeSpec {
  CheckKind kind = CheckKind::HTTP;
  std::vector<std::string> argv;  // COMMAND: run like the task (its env, sandbox and user)
  uint16_t port = 0;              // HTTP, TCP
  std::string path = "/";         // HTTP
  double timeoutSeconds = 20;
  std::vector<uint16_t> okStatusCodes;  // HTTP: empty means 200..399
};

// A health check: a probe on a schedule, with Mesos' rules for counting its failures.
struct HealthCheckSpec {
  ProbeSpec probe;
  double delaySeconds = 15;
  double intervalSeconds = 10;
  double gracePeriodSeconds = 10;
  uint32_t maxConsecutiveFailures = 3;  // 0: never kill
};

// A readiness check: an HTTP probe repeated until it passes once.
struct ReadinessCheckSpec {
  ProbeSpec probe;
  double intervalSeconds = 30;
};

struct ProbeResult {
  bool ok = false;
  std::string detail;  // what the check saw, for statuses and logs
};

class Probe {
 public:
  using Done = std::function<void(const ProbeResult&)>;
  // Starts a check command and returns its pid (its own process group).
  using CommandLauncher = std::function<Try<pid_t>(const std::vector<std::string>& argv)>;

  Probe(EventLoop& loop, ProbeSpec spec, CommandLauncher launcher);
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // One attempt; `done` runs on the loop, never from within run(). One attempt at a time.
  void run(Done done);
  // The supervisor reaps every child: true if `pid` was this probe's command.
  bool reaped(pid_t pid, int waitStatus);

 private:
  void runCommand();
  void connect();
  void onConnected();
  void onReadable();
  void finish(bool ok, std::string detail);
  void failSoon(std::string detail);
  void closeSocket();

  EventLoop& loop_;
  ProbeSpec spec_;
  CommandLauncher launcher_;
  Done done_;
  std::optional<EventLoop::TimerId> timeout_;
  int fd_ = -1;
  pid_t pid_ = -1;
  std::string response_;
};

}  // namespace agora
