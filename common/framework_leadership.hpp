#pragma once
// One of several instances of a framework (agora-marathon, agora-batch) with a leader elected
// on etcd, as Marathon's instances elect theirs on ZooKeeper. The leader keeps the framework's
// state in etcd, every write guarded by its leader key, so that a standby taking over finds the
// framework id, the apps and deployments, the schedules' cursors and the runs; and a deposed
// leader cannot write, even for a moment. Standbys answer HTTP with a redirect to the leader.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/etcd_client.hpp"
#include "common/http_server.hpp"
#include "common/leader_election.hpp"
#include "common/store.hpp"

namespace agora {

struct LeadershipOptions {
  EtcdTarget etcd;
  std::string name;         // the framework's name: elects under PREFIX/framework/NAME
  std::string httpAddress;  // "host:port" of this instance's API, published to the others
  std::chrono::milliseconds ttl = std::chrono::seconds(3);
};

class FrameworkLeadership {
 public:
  // `deposed` ends this instance's turn, on the loop: it must start afresh as a standby.
  FrameworkLeadership(EventLoop& loop, LeadershipOptions options, std::function<void(const std::string& why)> deposed);

  // Campaigns; `elected` runs on the loop once this instance leads.
  void start(std::function<void()> elected);
  // The framework's state in etcd, writable only while this instance leads.
  std::unique_ptr<Store> openStore();
  // A planned handover: the lease goes now, so a standby leads within its next round.
  void resign() {
    if (election_) election_->resign();
  }

  // After resign(): waits (at most `timeout`) until another instance leads, so that one that
  // handed over does not win its own election again as it starts afresh.
  void awaitSuccessor(std::chrono::milliseconds timeout) const;

  bool leading() const { return election_ && election_->leading(); }
  // What a standby answers: /ping and the leader's address itself, a redirect for the rest.
  ApiReply standbyReply(const ApiCall& call) const;
  // "host:port" of the leading instance, or empty while none leads.
  std::string leaderAddress() const;

 private:
  EventLoop& loop_;
  LeadershipOptions options_;
  std::function<void(const std::string&)> deposed_;
  ElectionMember me_;
  std::unique_ptr<LeaderElection> election_;  // from start()
};

}  // namespace agora
