#pragma once
// Simulated agents: each one a real ZeroMQ connection to the master that registers, answers
// pings, "runs" the tasks it is sent for a chosen time and reports their statuses, as
// agora-agent does, without processes or cgroups behind them.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/sim/dealer_set.hpp"
#include "common/types.hpp"

namespace agora::sim {

using SteadyClock = std::chrono::steady_clock;

struct AgentFleetOptions {
  std::string endpoint;  // tcp://host:port of the master
  // Several masters (one leads): an agent whose connection ends tries the next, and follows
  // a standby's redirect, as agora-agent does with --master=HOST:PORT,HOST:PORT,...
  std::vector<std::string> masters;
  int count = 1000;
  Resources resources;
  // How long a task runs before it reports TASK_FINISHED; negative: until the simulation ends.
  double taskSeconds = 1.0;
  // An unanswered registration is sent again after this long.
  double registrationRetrySeconds = 5.0;
};

struct AgentFleetStats {
  uint64_t tasksReceived = 0;
  uint64_t tasksFinished = 0;
  uint64_t killsReceived = 0;
  uint64_t acknowledgements = 0;
  uint64_t registrationsSent = 0;
  uint64_t reregisterRequests = 0;
  uint64_t errors = 0;
};

class AgentFleet {
 public:
  AgentFleet(DealerSet& sockets, AgentFleetOptions options);

  // Connects every agent and sends its registration.
  Status start();
  // Sends what is due: registrations to retry, tasks that finished.
  void tick(SteadyClock::time_point now);

  // The first `n` agents fall silent, as a hung machine or a cut cable: they answer nothing
  // and send nothing from now on.
  void silence(int n);

  int registered() const { return registered_; }
  // Registrations answered since the count was last reset: after a failover, how many agents
  // the new leader has taken back.
  int registeredSince() const { return registeredSince_; }
  void resetRegisteredSince() { registeredSince_ = 0; }
  // Seconds from start() to each agent's registration, in arrival order.
  const std::vector<double>& registrationSeconds() const { return registrationSeconds_; }
  const AgentFleetStats& stats() const { return stats_; }

 private:
  struct Agent {
    size_t socket = 0;
    std::string id;  // empty until registered
    bool registered = false;
    SteadyClock::time_point registrationSentAt;
    size_t master = 0;        // which of the masters it talks to
    std::string redirectTo;   // a standby named the leader: move there on the next tick
    bool silent = false;
    std::unordered_map<std::string, Resources> tasks;  // "frameworkId/taskId" -> what it uses
  };
  struct Finishing {
    SteadyClock::time_point at;
    uint32_t agent;
    std::string frameworkId, taskId;
  };

  void onMessage(uint32_t agent, proto::Envelope::Reader message);
  void onRunTask(uint32_t agent, proto::RunTask::Reader run);
  void sendRegistration(uint32_t agent);
  // Agents whose connection ended, or who were redirected, move to another master.
  void followLeader();
  // Reports the task's new state; a terminal state ends it on the agent.
  void sendStatus(uint32_t agent, const std::string& frameworkId, const std::string& taskId, TaskState state);

  DealerSet& sockets_;
  AgentFleetOptions options_;
  std::vector<Agent> agents_;
  // Every task runs equally long, so they finish in the order they started.
  std::deque<Finishing> finishing_;
  SteadyClock::time_point startedAt_;
  SteadyClock::time_point lastRetryScan_;
  SteadyClock::time_point lastFollowScan_;
  int registeredSince_ = 0;
  int registered_ = 0;
  std::vector<double> registrationSeconds_;
  AgentFleetStats stats_;
};

}  // namespace agora::sim
