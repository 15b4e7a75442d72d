#pragma once
// Where the leading master is, from a --master value: "host:port", a comma-separated list of
// masters, or "etcd://HOST:PORT[,HOST:PORT...]/PREFIX" (the leader the masters publish in
// etcd, as Mesos' masters published theirs in ZooKeeper). Agents, the SDK and the CLI ask it
// whenever no master answers them, and tell it where a standby's redirect points.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/etcd_client.hpp"
#include "common/event_loop.hpp"

namespace agora {

class MasterLocator {
 public:
  static Try<std::unique_ptr<MasterLocator>> make(const std::string& master);
  ~MasterLocator();
  MasterLocator(const MasterLocator&) = delete;
  MasterLocator& operator=(const MasterLocator&) = delete;

  // The ZeroMQ endpoint to try now (tcp://host:port); empty if none is known yet (etcd names
  // no leader and cannot be read). With etcd this reads it: it may block for its timeout.
  std::string locate();
  // locate() on a thread of its own, so that a loop does not wait on etcd; `done` runs on
  // `loop`. While one is under way another call does nothing.
  void locateAsync(EventLoop& loop, std::function<void(const std::string& endpoint)> done);
  // A standby said who leads: the next locate() answers that.
  void redirected(const std::string& endpoint);

  bool usesEtcd() const { return etcd_ != nullptr; }
  // For logs and errors: what --master said.
  const std::string& describe() const { return spec_; }

 private:
  MasterLocator() = default;
  std::string nextOf(const std::vector<std::string>& endpoints);

  std::string spec_;
  std::vector<std::string> listed_;  // a list's masters (tcp://...)
  std::unique_ptr<EtcdClient> etcd_;

  std::mutex mutex_;  // guards what follows: locate() runs on the lookup thread too
  std::string redirect_;
  size_t turn_ = 0;

  std::thread lookup_;
  std::atomic<bool> looking_{false};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace agora
