#include "tests/support/etcd.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/support/wait.hpp"

namespace agora::testing {

TestEtcd::TestEtcd(std::string dir, int port) : dir_(std::move(dir)), port_(port) {}

TestEtcd::~TestEtcd() { process_.stop(SIGKILL); }

std::string TestEtcd::url(const std::string& prefix) const {
  return "etcd://127.0.0.1:" + std::to_string(port_) + prefix;
}

EtcdTarget TestEtcd::target(const std::string& prefix) const { return *parseEtcdUrl(url(prefix)); }

void TestEtcd::start() {
  std::string client = "http://127.0.0.1:" + std::to_string(port_);
  std::string peer = "http://127.0.0.1:" + std::to_string(port_ + 1);
  auto p = Process::start({AGORA_ETCD_BIN, "--name=test", "--data-dir=" + dir_, "--listen-client-urls=" + client,
                           "--advertise-client-urls=" + client, "--listen-peer-urls=" + peer,
                           "--initial-advertise-peer-urls=" + peer, "--initial-cluster=test=" + peer,
                           "--log-level=warn", "--logger=zap"},
                          dir_ + ".log");
  ASSERT_TRUE(p.ok()) << p.error();
  process_ = std::move(*p);
  EtcdClient etcd(target(), std::chrono::milliseconds(500));
  ASSERT_TRUE(eventually([&] { return etcd.range("/ready").ok() || !process_.running(); }))
      << "etcd did not answer; see " << dir_ << ".log";
  ASSERT_TRUE(process_.running()) << "etcd exited; see " << dir_ << ".log";
}

void TestEtcd::stop(int signal) { process_.stop(signal); }

}  // namespace agora::testing
