#pragma once
// Leader election on etcd, as Mesos elected on ZooKeeper: each candidate holds a lease and
// publishes itself as a member; the one that creates the leader key (attached to its lease)
// leads until the lease ends. Masters elect under PREFIX/master, frameworks under names of
// their own.
//
// A thread of its own talks to etcd (its calls block); what it learns reaches the owner's
// loop as posted callbacks. A leader that cannot renew its lease stops leading after two
// thirds of the TTL, before etcd can let anyone else win; leading() says so at any moment,
// from any thread, without waiting for the loop.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/etcd_client.hpp"
#include "common/event_loop.hpp"

namespace agora {

// A candidate as the others see it: who it is and where to reach it.
struct ElectionMember {
  std::string id;
  std::string zmq;   // tcp://host:port, or empty
  std::string http;  // http://host:port, or empty

  std::string toJson() const;
  static Try<ElectionMember> fromJson(const std::string& text);
  bool operator==(const ElectionMember&) const = default;
};

struct ElectionOptions {
  std::string name = "master";  // keys PREFIX/NAME/leader and PREFIX/NAME/members/ID
  std::chrono::milliseconds ttl = std::chrono::seconds(3);
};

// Who leads `name` under the target's prefix, read from etcd: nothing if no one does.
Try<std::optional<ElectionMember>> findLeader(const EtcdClient& etcd, const std::string& name);
// Every candidate of `name` that is alive (its lease holds), in id order.
Try<std::vector<ElectionMember>> findMembers(const EtcdClient& etcd, const std::string& name);

class LeaderElection {
 public:
  // Each runs on the loop. `deposed` ends this election: a process that led and stopped must
  // start afresh (its state may be behind what the next leader did).
  struct Events {
    std::function<void(int64_t term)> elected;
    std::function<void(const std::string& why)> deposed;
    std::function<void(const std::optional<ElectionMember>& leader)> leaderChanged;
  };

  LeaderElection(EventLoop& loop, EtcdTarget target, ElectionOptions options, ElectionMember me, Events events);
  // Stops campaigning; the lease ends by itself within the TTL (resign() ends it now).
  ~LeaderElection();
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  void start();
  // Revokes the lease: the leader key and this member go at once, so that a standby leads
  // without waiting out the TTL (a planned handover). Blocks for at most the etcd timeout.
  void resign();

  // True while this process leads and its lease surely holds. Any thread.
  bool leading() const;
  // The key a leader's writes are guarded by, and the value it holds while this one leads.
  std::string leaderKey() const;
  std::string myValue() const { return me_.toJson(); }
  const ElectionMember& me() const { return me_; }

  // What the thread saw last (any thread).
  std::optional<ElectionMember> leader() const;
  std::vector<ElectionMember> members() const;
  int64_t term() const { return term_.load(); }
  // Leaders seen to take office, this one's own included.
  uint64_t leaderChanges() const { return leaderChanges_.load(); }

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;

  void run();
  // One round: renew or get the lease, then lead on, or campaign and watch the leader.
  void round();
  bool ensureLease();
  void campaign();
  void keepLeading();
  void stepDown(const std::string& why);
  void observe(const std::optional<ElectionMember>& leader);
  // Renewals three times a TTL; standbys look at least four times a second, so that a
  // resignation is taken up at once.
  std::chrono::milliseconds tick() const {
    return std::min<std::chrono::milliseconds>(options_.ttl / 3, std::chrono::milliseconds(250));
  }

  EventLoop& loop_;
  EtcdClient etcd_;
  ElectionOptions options_;
  ElectionMember me_;
  Events events_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for callbacks queued on the loop

  // Written by the thread only.
  int64_t lease_ = 0;
  SteadyTime renewedAt_{};  // when the last successful renewal was asked for

  std::atomic<bool> leading_{false};
  std::atomic<int64_t> leadingUntil_{0};  // steady-clock nanoseconds
  std::atomic<int64_t> term_{0};
  std::atomic<uint64_t> leaderChanges_{0};

  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;
  bool stopping_ = false;
  bool ended_ = false;  // deposed: campaigns no more
  std::optional<ElectionMember> leader_;
  std::vector<ElectionMember> members_;
  std::thread thread_;
};

}  // namespace agora
