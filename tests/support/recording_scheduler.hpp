#pragma once
// A scheduler for tests that records everything it is told and lets the test wait for it.
// A policy decides what to do with offers; by default it launches queued tasks.

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "frameworks/sdk/scheduler.hpp"

namespace agora::testing {

struct ReceivedOffer {
  Offer offer;
  std::chrono::steady_clock::time_point at;
};

class RecordingScheduler : public sdk::Scheduler {
 public:
  // Offers go to `onOffers` when set; otherwise queued tasks are launched on them.
  std::function<void(sdk::SchedulerDriver&, const std::vector<Offer>&)> onOffers;

  void registered(sdk::SchedulerDriver&, const std::string& frameworkId, bool reregistered) override;
  void resourceOffers(sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) override;
  void offerRescinded(sdk::SchedulerDriver&, const std::string& offerId) override;
  void statusUpdate(sdk::SchedulerDriver&, const TaskStatus& status) override;
  void error(sdk::SchedulerDriver&, const std::string& message) override;
  void agentLost(sdk::SchedulerDriver&, const std::string& agentId) override;

  // Tasks to launch on the next offers that hold them; all in one accept where they fit.
  void queue(const TaskInfo& task);

  // Waits until `condition` holds under the lock; false after `timeout`.
  bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Waits until the latest update of `taskId` is in `state`; returns it (nothing on timeout).
  std::optional<TaskStatus> waitForState(const std::string& taskId, TaskState state,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // All below: read under the lock (call from waitFor conditions, or after).
  std::vector<TaskStatus> updatesFor(const std::string& taskId);
  std::optional<TaskStatus> latest(const std::string& taskId);
  size_t terminalCount();

  std::mutex mutex;
  std::vector<ReceivedOffer> offers;
  std::vector<TaskStatus> updates;
  std::vector<std::string> rescinded;
  std::vector<std::string> errors;
  std::vector<std::string> lostAgents;
  std::map<std::string, std::chrono::steady_clock::time_point> launchedAt;  // queued tasks, when accepted
  int registrations = 0;
  int reregistrations = 0;

 private:
  std::condition_variable changed_;
  std::deque<TaskInfo> queued_;
};

// A shell-command task asking for the given cpus and mem.
TaskInfo shellTask(const std::string& id, const std::string& command, double cpus = 0.1, double mem = 16);

}  // namespace agora::testing

namespace agora::testing {

// A RecordingScheduler with its driver, subscribed to `master`.
struct TestFramework {
  TestFramework(const std::string& master, const std::string& name, std::string frameworkId = "") {
    FrameworkInfo info;
    info.name = name;
    info.id = std::move(frameworkId);
    info.failoverTimeoutSeconds = 60;
    driver = std::make_unique<sdk::SchedulerDriver>(scheduler, info, master);
    Status s = driver->start();
    if (!s.ok()) throw std::runtime_error(s.error());
  }
  // Not started: set the scheduler's policy first, then call driver->start().
  TestFramework(const std::string& master, FrameworkInfo info) {
    if (info.failoverTimeoutSeconds == 0) info.failoverTimeoutSeconds = 60;
    driver = std::make_unique<sdk::SchedulerDriver>(scheduler, info, master);
  }
  ~TestFramework() { driver->stop(); }
  bool waitRegistered() {
    return scheduler.waitFor([&] { return scheduler.registrations > 0; });
  }

  RecordingScheduler scheduler;
  std::unique_ptr<sdk::SchedulerDriver> driver;
};

}  // namespace agora::testing
