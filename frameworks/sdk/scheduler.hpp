#pragma once
// The scheduler SDK: what a framework author implements (Scheduler) and the driver that
// speaks the protocol for it (SchedulerDriver).
//
// The driver subscribes, and subscribes again with the same framework id after a master
// restart or a lost connection. After every (re)subscription it reconciles: explicitly for
// the tasks the scheduler names (knownTaskIds()), then implicitly for all. It drops
// duplicate deliveries of an update, and acknowledges each update either when the callback
// returns or, with explicit acknowledgements, when the framework says so.
//
// Two ways to run it:
//   - on the framework's own EventLoop (and its Clock): callbacks, timers, HTTP handlers and
//     the framework's state share one thread, and tests drive it with a ManualClock. Every
//     call is then made on that loop's thread.
//   - on a thread of its own, for small tools: start() or the blocking run(); callbacks run
//     on the driver's thread and calls may come from any thread.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/curve.hpp"
#include "common/event_loop.hpp"
#include "common/types.hpp"

namespace agora::sdk {

using agora::FrameworkInfo;
using agora::Offer;
using agora::Resources;
using agora::TaskInfo;
using agora::TaskState;
using agora::TaskStatus;

class SchedulerDriver;

// Callbacks run one at a time, on the driver's loop.
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
  // The master removed this agent; its tasks have already come as TASK_GONE updates. Mesos'
  // slaveLost: a hint (to forget the agent in placement), sent once and not resent.
  virtual void agentLost(SchedulerDriver& driver, const std::string& agentId) { (void)driver, (void)agentId; }
  // The tasks this framework believes exist (from its own store), asked after every
  // subscription: the driver reconciles them explicitly, so that one the master does not
  // know comes back as TASK_UNKNOWN instead of being silently forgotten.
  virtual std::vector<std::string> knownTaskIds() { return {}; }
};

struct DriverOptions {
  double subscribeRetrySeconds = 0.5;
  // Until the master says otherwise when it answers the subscription.
  double masterTimeoutSeconds = 5.0;
  // Opt-in. The driver does not acknowledge an update when the callback returns; the
  // framework calls acknowledge() once it has persisted what the update means to it. Until
  // then the agent keeps resending it, so an update is never lost to a framework crash.
  bool explicitAcknowledgements = false;
  // If set, a file that keeps the framework id: read at start when FrameworkInfo has none,
  // and written (durably, before registered() runs) when the master assigns one, so that a
  // restarted framework re-registers as itself.
  std::string frameworkIdFile;
  // A launched task that has not reached TASK_STARTING after this many seconds is killed (a
  // lost launch, an agent that hangs); the framework hears the outcome as an update. 0: never.
  double stagingTimeoutSeconds = 0;
  // Messages queued for the master before a call fails. A launch that cannot be sent (the
  // driver is not subscribed, or a saturated master has let this queue fill) comes back at
  // once as TASK_DROPPED with REASON_MASTER_DISCONNECTED: launch it again on a later offer.
  // A kill that cannot be sent is reported through error().
  int sendQueueMessages = 10000;
  // This framework's key and the master's, when the master admits only CURVE peers
  // (loadCurveClient() reads them from files). A refused key is reported through error().
  std::optional<CurveClient> curve;
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
  // `master` is "host:port" ("tcp://host:port"), a comma-separated list of masters, or
  // "etcd://HOST:PORT[,HOST:PORT...]/PREFIX" where the leading master is published; the
  // driver follows the leader wherever it goes. A non-empty framework.id re-subscribes
  // as that framework (a scheduler restart).
  //
  // On the driver's own thread:
  SchedulerDriver(Scheduler& scheduler, FrameworkInfo framework, std::string master, DriverOptions options = {});
  // On the framework's loop, which must outlive the driver:
  SchedulerDriver(Scheduler& scheduler, FrameworkInfo framework, std::string master, EventLoop& loop,
                  DriverOptions options = {});
  ~SchedulerDriver();
  SchedulerDriver(const SchedulerDriver&) = delete;
  SchedulerDriver& operator=(const SchedulerDriver&) = delete;

  // Connects and subscribes; on its own thread, starts that thread.
  Status start();
  // Own thread only: start(), then blocks until stop() (from a callback or another thread).
  Status run();
  // Stops subscribing and talking to the master. The framework stays registered with the
  // master until its failover timeout, so a new driver with the same id can take over.
  void stop();

  void launchTasks(const std::vector<std::string>& offerIds, const std::vector<TaskInfo>& tasks,
                   double refuseSeconds = 5.0);
  void acceptOffers(const std::vector<std::string>& offerIds, const std::vector<Operation>& operations,
                    double refuseSeconds = 5.0);
  void declineOffer(const std::string& offerId, double refuseSeconds = 5.0);
  // With a grace period between SIGTERM and SIGKILL of its own; none: the task's kill policy
  // (TaskInfo::killGracePeriodSeconds).
  void killTask(const std::string& taskId, std::optional<double> gracePeriodSeconds = std::nullopt);
  // Empty: the latest state of every task of this framework (implicit reconciliation).
  void reconcileTasks(const std::vector<std::string>& taskIds = {});
  // For the given roles of the framework; none: all of them. Revive also clears the
  // framework's decline filters.
  void suppressOffers(const std::vector<std::string>& roles = {});
  void reviveOffers(const std::vector<std::string>& roles = {});
  // With explicit acknowledgements: the framework has persisted what `status` means to it.
  // Updates without a uuid (the master's, reconciliation answers) need none.
  void acknowledge(const TaskStatus& status);
  // Unregisters the framework: the master kills its tasks and forgets it.
  void teardown();

  // Empty until the first subscription succeeds.
  std::string frameworkId() const;
  bool connected() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agora::sdk
