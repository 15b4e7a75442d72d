#pragma once
// Simulated frameworks: each one a real scheduler connection that subscribes, keeps the
// offers it gets, and launches small tasks on them at a chosen rate with a bound on tasks
// launched but not yet running, acknowledging every update, as an SDK scheduler does.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/sim/dealer_set.hpp"
#include "common/types.hpp"

namespace agora::sim {

using SteadyClock = std::chrono::steady_clock;

struct FrameworkFleetOptions {
  std::string endpoint;
  std::vector<std::string> masters;  // several (one leads): follow it, as the agents do
  int count = 1;
  std::vector<std::string> roles{"*"};
  Resources taskResources;
  int tasksPerOffer = 8;  // at most this many tasks in one accept
  double launchRate = 0;  // tasks per second over all frameworks; 0: as fast as the window allows
  int maxInFlight = 5000;  // over all frameworks: launched and not yet RUNNING (or ended)
  int64_t totalTasks = 0;  // 0: no limit
};

struct FrameworkFleetStats {
  uint64_t offersReceived = 0;
  uint64_t offersRescinded = 0;
  uint64_t offersDeclined = 0;
  uint64_t accepts = 0;
  uint64_t tasksLaunched = 0;
  uint64_t tasksRunning = 0;   // reached TASK_RUNNING
  uint64_t tasksFinished = 0;
  uint64_t tasksFailed = 0;    // ended in any state other than TASK_FINISHED
  uint64_t errors = 0;
};

class FrameworkFleet {
 public:
  FrameworkFleet(DealerSet& sockets, FrameworkFleetOptions options);

  Status start();
  int subscribed() const { return subscribed_; }
  // Launches what the rate, the in-flight bound and the held offers allow.
  void tick(SteadyClock::time_point now);
  // Stops or resumes launching (the figures are read while launching is on).
  void setLaunching(bool on) { launching_ = on; }

  const FrameworkFleetStats& stats() const { return stats_; }
  // When the last offer arrived: after a failover, that offers flow again.
  SteadyClock::time_point lastOfferAt() const { return lastOfferAt_; }
  // When the last subscription was answered.
  SteadyClock::time_point lastSubscribedAt() const { return lastSubscribedAt_; }
  int64_t inFlight() const { return inFlight_; }
  // Milliseconds from each accept to its task's TASK_RUNNING, in arrival order.
  const std::vector<double>& launchMillis() const { return launchMillis_; }

 private:
  struct HeldOffer {
    std::string agentId;
    Resources resources;
  };
  struct Framework {
    size_t socket = 0;
    std::string id;
    std::unordered_map<std::string, HeldOffer> offers;
    std::unordered_map<std::string, std::vector<std::string>> offersByAgent;  // agent id -> offer ids
    std::deque<std::string> order;  // offer ids, oldest first; used and rescinded ones are skipped
    uint64_t nextTask = 0;
    size_t master = 0;
    std::string redirectTo;
    std::optional<SteadyClock::time_point> resubscribeAt;
  };

  void onMessage(uint32_t framework, proto::Envelope::Reader message);
  void onUpdate(uint32_t framework, proto::TaskStatus::Reader status);
  // Launches up to `budget` tasks on the agent of the framework's oldest held offer, with all
  // the offers held for that agent; returns how many.
  int launchOnOneAgent(uint32_t framework, int budget, SteadyClock::time_point now);
  void decline(Framework& fw, const std::vector<std::string>& offerIds);
  void subscribe(uint32_t framework);
  // Frameworks whose connection ended, or who were redirected, move and subscribe again;
  // what the old master offered is void.
  void followLeader();

  DealerSet& sockets_;
  FrameworkFleetOptions options_;
  std::vector<Framework> frameworks_;
  int subscribed_ = 0;
  bool launching_ = false;
  double tokens_ = 0;
  SteadyClock::time_point lastTick_;
  uint32_t nextFramework_ = 0;
  int64_t inFlight_ = 0;
  std::unordered_map<std::string, SteadyClock::time_point> acceptedAt_;  // task id -> when
  std::vector<double> launchMillis_;
  FrameworkFleetStats stats_;
  SteadyClock::time_point lastOfferAt_{};
  SteadyClock::time_point lastSubscribedAt_{};
  SteadyClock::time_point lastFollowScan_{};
};

}  // namespace agora::sim
