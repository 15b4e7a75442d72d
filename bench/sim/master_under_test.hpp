#pragma once
// The master a benchmark measures: this build's agora-master started in a temporary work dir
// (pinned to one CPU, so its figures are those of one core), or one already running.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/try.hpp"
#include "tests/support/process.hpp"

namespace agora::sim {

class MasterUnderTest {
 public:
  // `running`: host:port of a master to use instead of starting one. `cpu` < 0: no pinning.
  MasterUnderTest(std::string running = "", int cpu = 0, std::vector<std::string> extraFlags = {})
      : running_(std::move(running)), cpu_(cpu), flags_(std::move(extraFlags)) {}
  ~MasterUnderTest();

  // Leaves the work dir and log in place, for a run that went wrong.
  void keep() { keep_ = true; }
  // Starts it (or not); the ZeroMQ endpoint, tcp://host:port.
  Try<std::string> start();

  pid_t pid() const { return process_.pid(); }
  // Its HTTP port once started (0 for one already running).
  int httpPort() const { return httpPort_; }
  // Sends `signal` and reaps it.
  void stop(int signal) { process_.stop(signal); }
  std::string log() const { return dir_.empty() ? "" : dir_ + "/master.log"; }
  // CPU seconds the master has used, and its resident memory in bytes; nothing if unknown.
  std::optional<std::pair<double, uint64_t>> usage() const;

 private:
  std::string running_;
  int cpu_;
  std::vector<std::string> flags_;
  std::string dir_;
  bool keep_ = false;
  int httpPort_ = 0;
  testing::Process process_;
};

}  // namespace agora::sim
