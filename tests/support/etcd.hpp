#pragma once
// A real etcd for tests: Debian's etcd-server on loopback, with its data in a directory of
// the test, stopped by its pid.

#include <string>

#include "common/etcd_client.hpp"
#include "tests/support/process.hpp"

namespace agora::testing {

class TestEtcd {
 public:
  // Client port `port`, peer port `port + 1`; data in `dir` (kept across stop and start).
  TestEtcd(std::string dir, int port);
  ~TestEtcd();

  // Starts etcd and waits until it answers.
  void start();
  void stop(int signal);
  pid_t pid() const { return process_.pid(); }
  int port() const { return port_; }

  // etcd://127.0.0.1:PORT/PREFIX
  std::string url(const std::string& prefix = "/agora") const;
  EtcdTarget target(const std::string& prefix = "/agora") const;

 private:
  std::string dir_;
  int port_;
  Process process_;
};

}  // namespace agora::testing
