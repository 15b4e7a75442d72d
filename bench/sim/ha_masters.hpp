#pragma once
// Several masters electing a leader on etcd, for the scale simulator's failover figures:
// this build's agora-master, as many as asked, and a real etcd with its data in a temporary
// directory. Everything stops with the object.

#include <memory>
#include <string>
#include <vector>

#include "bench/sim/master_under_test.hpp"
#include "common/try.hpp"
#include "tests/support/process.hpp"

namespace agora::sim {

class HaMasters {
 public:
  // etcd's client port `etcdPort` (and the next, for its peers); each master gets `flags` too.
  HaMasters(int count, int etcdPort, std::vector<std::string> flags);
  ~HaMasters();

  // Starts etcd, then the masters; their ZeroMQ endpoints.
  Try<std::vector<std::string>> start();
  // The master that says it leads, or -1.
  int leader() const;
  MasterUnderTest& master(size_t index) { return *masters_.at(index); }
  size_t size() const { return masters_.size(); }

 private:
  int count_, etcdPort_;
  std::vector<std::string> flags_;
  std::string dir_;
  testing::Process etcd_;
  std::vector<std::unique_ptr<MasterUnderTest>> masters_;
};

}  // namespace agora::sim
