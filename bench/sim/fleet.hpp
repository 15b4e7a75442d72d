#pragma once
// Simulated agents served on a thread of their own, while a benchmark talks HTTP to the
// framework under test.

#include <atomic>
#include <string>
#include <thread>

#include "bench/sim/dealer_set.hpp"
#include "bench/sim/sim_agents.hpp"

namespace agora::sim {

class Fleet {
 public:
  Fleet(const std::string& endpoint, int count, const std::string& resources, double taskSeconds)
      : sockets_(512), agents_(sockets_, options(endpoint, count, resources, taskSeconds)) {}
  ~Fleet() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  Status start() {
    Status started = agents_.start();
    if (!started.ok()) return started;
    thread_ = std::thread([this] {
      while (!stop_) {
        sockets_.poll(1);
        agents_.tick(SteadyClock::now());
        registered_ = agents_.registered();
      }
    });
    return Status::OK();
  }
  int registered() const { return registered_; }

 private:
  static AgentFleetOptions options(const std::string& endpoint, int count, const std::string& resources, double taskSeconds) {
    AgentFleetOptions o;
    o.endpoint = endpoint;
    o.count = count;
    o.resources = *Resources::parse(resources);
    o.taskSeconds = taskSeconds;
    return o;
  }
  DealerSet sockets_;
  AgentFleet agents_;
  std::atomic<bool> stop_{false};
  std::atomic<int> registered_{0};
  std::thread thread_;
};

}  // namespace agora::sim
