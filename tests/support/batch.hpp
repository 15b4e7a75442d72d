#pragma once
// agora-batch as a child process beside a TestCluster, and its REST API.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/cluster.hpp"
#include "tests/support/marathon.hpp"
#include "tests/support/process.hpp"

namespace agora::testing {

class BatchProcess {
 public:
  BatchProcess(TestCluster& cluster, std::vector<std::string> extraFlags = {})
      : BatchProcess(cluster.master(), cluster.workDir(), std::move(extraFlags)) {}
  // For the master at host:port `master`, its state and log under `dir`.
  BatchProcess(std::string master, const std::string& dir, std::vector<std::string> extraFlags = {});
  ~BatchProcess();

  // Starts it (again, with the same work dir and port) and waits until it is subscribed.
  void start();
  // One of several instances (--etcd): waits only until it answers, leading or not.
  void startStandby();
  // Answers as the leading instance, subscribed (a standby redirects).
  bool leads() const;
  void stop(int signal = 9);
  pid_t pid() const { return process_.pid(); }
  int port() const { return port_; }
  const std::string& log() const { return log_; }

  HttpResult call(const std::string& method, const std::string& target, const std::string& body = "") const {
    return httpCall(port_, method, target, body);
  }
  // GET /v1/jobs/{id}/runs/{runId} (finished runs too), or null.
  nlohmann::json run(const std::string& jobId, const std::string& runId) const;
  // Waits until the run has ended; returns it (null on timeout).
  nlohmann::json waitForRunEnd(const std::string& jobId, const std::string& runId,
                               std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

 private:
  void launch();

  std::string master_, dir_;
  std::vector<std::string> flags_;
  std::string workDir_, log_;
  int port_ = 0;
  Process process_;
};

}  // namespace agora::testing
