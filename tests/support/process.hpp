#pragma once
// A real child process for integration tests, stopped by its pid (never by name) when the
// test is done with it.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/try.hpp"

namespace agora::testing {

class Process {
 public:
  // `dieWithParent`: the process gets SIGKILL if the calling thread ends first.
  static Try<Process> start(std::vector<std::string> argv, const std::string& logPath, bool dieWithParent = false);
  Process() = default;
  Process(Process&& o) noexcept : pid_(o.pid_), log_(std::move(o.log_)) { o.pid_ = -1; }
  Process& operator=(Process&& o) noexcept;
  ~Process();

  pid_t pid() const { return pid_; }
  bool running();
  // Waits for the process to exit by itself; returns its wait status.
  int wait();
  // Waits up to `timeout` for the process to exit by itself (woken by its exit, not by
  // polling); its wait status, or nothing if it still runs.
  std::optional<int> waitFor(std::chrono::milliseconds timeout);
  // Sends `signal` and reaps the process; returns its wait status.
  int stop(int signal);
  const std::string& log() const { return log_; }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// Processes of process group `pgid` that are alive (zombies do not count).
std::vector<pid_t> livingProcessesInGroup(pid_t pgid);

}  // namespace agora::testing
