#pragma once
// The scheduler SDK: what a framework author implements (Scheduler) and the driver that
// speaks the protocol for it (SchedulerDriver). The driver subscribes, re-subscribes with
// the same framework id after a master restart or a lost connection, acknowledges status
// updates after the callback returns, and drops duplicate deliveries of an update.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/types.hpp"

namespace agora::sdk {

using agora::FrameworkInfo;
using agora::Offer;
using agora::Resources;
using agora::TaskInfo;
using agora::TaskState;
using agora::TaskStatus;

class SchedulerDriver;

// Callbacks run on the driver's own thread, one at a time.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual void registered(SchedulerDriver& driver, const std::string& frameworkId, bool reregistered) {
    (void)driver, (void)frameworkId, (void)reregistered;
  }
  // The connection to the master is lost; the driver is already trying to re-subscribe.
  virtual void disconnected(SchedulerDriver& driver) { (void)driver; }
  virtual void resourceOffers(SchedulerDriver& driver, const std::vector<Offer>& offers) = 0;
  virtual void offerRescinded(SchedulerDriver& driver, const std::string& offerId) {
    (void)driver, (void)offerId;
  }
  virtual void statusUpdate(SchedulerDriver& driver, const TaskStatus& status) = 0;
  virtual void error(SchedulerDriver& driver, const std::string& message) { (void)driver, (void)message; }
};

struct DriverOptions {
  double subscribeRetrySeconds = 0.5;
  // Until the master says otherwise when it answers the subscription.
  double masterTimeoutSeconds = 5.0;
};

// One operation of an accept: launch tasks, or reserve / unreserve resources of the offers
// for one of the framework's roles (e.g. cpus(eng):2). They run in order.
struct Operation {
  enum class Type { kLaunch, kReserve, kUnreserve };
  Type type = Type::kLaunch;
  std::vector<TaskInfo> tasks;
  Resources resources;
  static Operation launch(std::vector<TaskInfo> tasks) { return {Type::kLaunch, std::move(tasks), {}}; }
  static Operation reserve(Resources r) { return {Type::kReserve, {}, std::move(r)}; }
  static Operation unreserve(Resources r) { return {Type::kUnreserve, {}, std::move(r)}; }
};

class SchedulerDriver {
 public:
  // `master` is "host:port" or "tcp://host:port". A non-empty framework.id re-subscribes
  // as that framework (a scheduler restart).
  SchedulerDriver(Scheduler& scheduler, FrameworkInfo framework, std::string master, DriverOptions options = {});
  ~SchedulerDriver();

  // Starts the driver's thread and subscribes.
  Status start();
  // Stops the thread. The framework stays registered with the master until its failover
  // timeout, so a new driver with the same id can take over.
  void stop();

  // All calls below may be made from any thread, callbacks included; they are queued.
  void launchTasks(const std::vector<std::string>& offerIds, const std::vector<TaskInfo>& tasks,
                   double refuseSeconds = 5.0);
  void acceptOffers(const std::vector<std::string>& offerIds, const std::vector<Operation>& operations,
                    double refuseSeconds = 5.0);
  void declineOffer(const std::string& offerId, double refuseSeconds = 5.0);
  void killTask(const std::string& taskId);
  // Empty: the latest state of every task of this framework (implicit reconciliation).
  void reconcileTasks(const std::vector<std::string>& taskIds = {});
  // For the given roles of the framework; none: all of them. Revive also clears the
  // framework's decline filters.
  void suppressOffers(const std::vector<std::string>& roles = {});
  void reviveOffers(const std::vector<std::string>& roles = {});
  // Unregisters the framework: the master kills its tasks and forgets it.
  void teardown();

  // Empty until the first subscription succeeds.
  std::string frameworkId() const;
  bool connected() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The first `count` ports of `available`, as a ports resource; nullopt if there are fewer.
std::optional<Resources> takePorts(const Resources& available, int count);

}  // namespace agora::sdk
