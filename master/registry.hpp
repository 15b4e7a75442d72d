#pragma once
// The registry: what the master must remember across its own restart — admitted agents,
// registered frameworks, the weight and quota of each role, maintenance and reservations,
// and the agents it removed. One typed layer over a Store (the plug-in point: RocksDB here,
// etcd later).
//
// Writes leave the master's loop: a writer thread takes everything queued since its last
// write and applies it as one batch (one fsync for a thousand agents re-registering at
// once), then answers each write on the loop in the order they were made. The master acts on
// a change only in that answer, so nothing it promised is lost with a crash.

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/event_loop.hpp"
#include "common/store.hpp"
#include "common/types.hpp"
#include "master/allocator/role_tree.hpp"

namespace agora {

// What an operator set for a role; a role with weight 1 and no quota needs no entry.
struct RoleConfig {
  double weight = 1.0;
  Quota quota;
};

struct RegistryState {
  std::map<std::string, AgentInfo> agents;
  std::map<std::string, FrameworkInfo> frameworks;
  std::map<std::string, RoleConfig> roles;
  std::map<std::string, double> draining;  // agent id -> drain deadline, seconds since the epoch
  std::map<std::string, Resources> reservations;  // agent id -> its dynamic reservations
  // Agents the master removed (their tasks are GONE): agent id -> seconds since the epoch.
  // One that comes back is refused, so that no GONE task runs again.
  std::map<std::string, double> removedAgents;
};

struct RegistryCounters {
  uint64_t writes = 0;   // changes written
  uint64_t batches = 0;  // store writes they took
  uint64_t largestBatch = 0;
  uint64_t failed = 0;   // changes whose write failed
};

class Registry {
 public:
  // Runs on the loop once the change is durable, or with the reason it is not.
  using Done = std::function<void(const Status&)>;

  Registry(EventLoop& loop, std::unique_ptr<Store> store);
  // Writes what is queued, then stops; answers not yet delivered are dropped.
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // At start, before any write.
  Try<RegistryState> load() const;

  void putAgent(const AgentInfo& agent, Done done);
  // Forgets the agent and remembers it as removed at `when` (seconds since the epoch).
  void removeAgent(const std::string& agentId, double when, Done done);
  // No longer refuses these agents (their removal is old news).
  void forgetRemovedAgents(const std::vector<std::string>& agentIds, Done done);
  void putFramework(const FrameworkInfo& framework, Done done);
  void removeFramework(const std::string& frameworkId, Done done);
  void putRole(const std::string& role, const RoleConfig& config, Done done);
  void removeRole(const std::string& role, Done done);
  void putDrain(const std::string& agentId, double deadline, Done done);
  void removeDrain(const std::string& agentId, Done done);
  // Empty: none.
  void putReservations(const std::string& agentId, const Resources& reserved, Done done);
  // The same, waited for on the calling thread (still batched with the others), and
  // answered as soon as it is durable, before the loop has run the answers of earlier
  // changes: for
  // reservations, rare, whose callers cannot let the loop go on meanwhile (an accept's later
  // steps use them; offers made meanwhile would hand out what is being converted).
  Status putReservationsNow(const std::string& agentId, const Resources& reserved);

  RegistryCounters counters() const;
  // Changes queued or being written.
  size_t inFlight() const;

 private:
  struct Change {
    std::vector<StoreWrite> writes;
    Done done;                                      // answered on the loop
    std::shared_ptr<std::promise<Status>> direct;   // or answered by the writer (…Now)
  };
  void submit(std::vector<StoreWrite> writes, Done done);
  void writerLoop();

  EventLoop& loop_;
  std::unique_ptr<Store> store_;
  // Answers posted to the loop check it: a master gone meanwhile gets none.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  mutable std::mutex mutex_;  // guards what follows: the loop and the writer share it
  std::condition_variable wake_;
  std::deque<Change> queue_;
  size_t writing_ = 0;
  bool stopping_ = false;
  RegistryCounters counters_;
  std::thread writer_;
};

// Keeps the registry in a RocksDB database in `directory`.
Try<std::unique_ptr<Registry>> openRocksDbRegistry(EventLoop& loop, const std::string& directory);

}  // namespace agora
