#pragma once
// agora-marathon's state and its one loop: the apps, their instances and the deployments
// that move them, driven by offers, status updates, timers and API calls. Every entry ends
// in settle(): the goals of each app are worked out again (launches wanted, kills to make),
// deployments advance or fail, and the journal is committed before anything is acted on.

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/event_loop.hpp"
#include "frameworks/marathon-like/app.hpp"
#include "frameworks/marathon-like/backoff.hpp"
#include "frameworks/marathon-like/deployment_plan.hpp"
#include "frameworks/marathon-like/events.hpp"
#include "frameworks/marathon-like/instance.hpp"
#include "common/journal.hpp"
#include "frameworks/marathon-like/offer_matcher.hpp"
#include "common/violations.hpp"
#include "frameworks/sdk/scheduler.hpp"

namespace agora::marathon {

struct ServiceOptions {
  std::string role = "*";
  double deploymentProgressDeadlineSeconds = 600;
  double maxLaunchesPerSecond = 10000;  // a token bucket of one second's worth
  uint32_t maxInstancesPerOffer = 1000;  // per agent, per offer round
  double declineSeconds = 120;           // for offers nothing wants
  double queueReasonsWindowSeconds = 60;
  size_t eventLogSize = 10000;
  size_t versionsKept = 50;
};

// What a change asks for, per app id: the new definition, or nothing to remove the app.
using AppChanges = std::map<std::string, std::optional<AppDefinition>>;

struct ChangeResult {
  int status = 200;  // 200, or Marathon's 409 / 422 / 404
  nlohmann::json body;  // the error body when status is not 200
  std::string deploymentId;
  std::string version;
};

struct LastFailure {
  std::string appId, taskId, host, state, message, version, timestamp;
};

class Service : public sdk::Scheduler {
 public:
  Service(EventLoop& loop, std::unique_ptr<Store> store, ServiceOptions options);
  ~Service() override;

  // Reads the apps, instances, deployments and events of an earlier run.
  Status recover();
  std::string frameworkId() const { return frameworkId_; }
  void attach(sdk::SchedulerDriver& driver) { driver_ = &driver; }

  // sdk::Scheduler
  void registered(sdk::SchedulerDriver& driver, const std::string& frameworkId, bool reregistered) override;
  void disconnected(sdk::SchedulerDriver& driver) override;
  void resourceOffers(sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) override;
  void statusUpdate(sdk::SchedulerDriver& driver, const TaskStatus& status) override;
  void error(sdk::SchedulerDriver& driver, const std::string& message) override;
  std::vector<std::string> knownTaskIds() override;

  // Changes, from the API. They take effect (and `then` runs) once persisted.
  ChangeResult change(const AppChanges& changes, bool force, const std::string& reason);
  ChangeResult rollback(const std::string& deploymentId, bool force);
  // Kills instances (by task id); with `scale`, the apps' instance counts go down by as many;
  // with `wipe`, their records are forgotten at once (and new instances take their place)
  // instead of when their tasks end.
  ChangeResult killTasks(const std::vector<std::string>& taskIds, bool scale, bool wipe, bool force);
  bool resetDelay(const std::string& appId);
  void publish(const std::string& type, nlohmann::json payload) { events_.publish(type, std::move(payload)); }
  // After the journal's next commit.
  void then(std::function<void()> action) { journal_.then(std::move(action)); }

  // Ends every entry: goals, deployments, timers, then the commit.
  void settle();
  // Settles soon, once for everything that arrived meanwhile: a burst of status updates costs
  // one pass over the apps and one synced write, not one of each per update.
  void requestSettle();
  bool hasPendingWork() const { return journal_.pending(); }

  // Reads.
  const std::map<std::string, AppDefinition>& apps() const { return apps_; }
  const AppDefinition* app(const std::string& id) const;
  std::vector<const Instance*> instancesOf(const std::string& appId) const;
  // The same without building a list, for reads over many apps.
  template <typename Fn>
  void forEachInstance(const std::string& appId, Fn&& fn) const {
    if (auto it = byApp_.find(appId); it != byApp_.end())
      for (const std::string& id : it->second) fn(instances_.at(id));
  }
  const Instance* instanceByTask(const std::string& taskId) const;
  const std::map<std::string, Deployment>& deployments() const { return deployments_; }
  std::vector<std::string> versionsOf(const std::string& appId) const;
  std::optional<AppDefinition> appVersion(const std::string& appId, const std::string& version) const;
  const LastFailure* lastFailure(const std::string& appId) const;
  EventLog& events() { return events_; }
  const EventLog& events() const { return events_; }
  // Instances each app waits to launch, and why offers did not fit them.
  nlohmann::json queueJson() const;
  const std::map<std::string, uint32_t>& wanted() const { return wanted_; }
  const std::map<std::string, OfferReasons>& reasons() const { return reasons_; }
  Duration delayLeft(const std::string& appId) const;
  const ServiceOptions& options() const { return options_; }
  bool connected() const { return connected_; }
  double now() const { return loop_.clock().wallSeconds(); }
  std::map<std::string, double> counters() const { return counters_; }
  const std::set<std::string>& groups() const { return groups_; }
  void addGroup(const std::string& id);
  // Forgets the groups created explicitly at or below `id`.
  void removeGroups(const std::string& id);
  // The steps `changes` would take, without making them (dryRun).
  Try<std::vector<DeploymentStep>> preview(const AppChanges& changes) const;
  std::string newVersion();

 private:
  // service_goals.cpp
  void workOutGoals();
  void goalOf(const std::string& appId);
  void scaleTo(const AppDefinition& app, std::vector<Instance*>& instances);
  void roll(const AppDefinition& app, std::vector<Instance*>& instances);
  void killAll(std::vector<Instance*>& instances);
  void kill(Instance& instance, const std::string& why);
  // Kills are sent again until their tasks end: one made while the master was away, or lost
  // in a crash after the instance was marked, is not dropped.
  void resendKills();
  const DeploymentAction* currentAction(const std::string& appId) const;
  // Its step has not come yet, or its deployment failed.
  bool heldByLaterStep(const std::string& appId) const;
  bool advanceDeployments();  // whether a step was finished
  bool actionDone(const DeploymentAction& action) const;
  int64_t actionProgress(const DeploymentAction& action) const;
  std::string whyNotDone(const Deployment& d) const;
  void failDeployment(Deployment& d, const std::string& reason);
  void finishDeployment(const std::string& id);
  void expireUnreachable();
  void adjustOfferFlow();
  void scheduleWake();

  // service_changes.cpp
  void storeApp(const AppDefinition& app);
  void eraseApp(const std::string& appId);
  // The apps after `changes`, each changed one at `version` (its config version too, if
  // more than its instance count changed, or for a restart).
  AppMap targetOf(const AppChanges& changes, const std::string& version, bool restart) const;
  void startDeployment(Deployment d);
  std::vector<std::string> lockingDeployments(const std::vector<std::string>& appIds) const;

  // service.cpp
  void storeInstance(const Instance& i);
  void forgetInstance(const std::string& instanceId);
  void launchOn(sdk::AgentOffers& agent, const std::vector<std::pair<const AppDefinition*, sdk::Taken>>& planned);
  TaskInfo taskFor(const AppDefinition& app, const Instance& instance, const sdk::Taken& taken) const;
  void taskEnded(Instance& instance, const TaskStatus& status);
  void recordFailure(const Instance& instance, const TaskStatus& status);
  void statusEvents(const Instance& before, const Instance& after, const TaskStatus& status);
  bool healthyNow(const Instance& i) const;
  uint32_t takeLaunchTokens(uint32_t wanted);

  EventLoop& loop_;
  ServiceOptions options_;
  Journal journal_;
  EventLog events_;
  sdk::SchedulerDriver* driver_ = nullptr;
  std::string frameworkId_;
  bool connected_ = false;
  bool suppressed_ = false;

  std::map<std::string, AppDefinition> apps_;
  std::set<std::string> groups_;  // created explicitly, possibly empty
  std::map<std::string, Instance> instances_;            // by instance id
  std::map<std::string, std::string> instanceOfTask_;    // task id -> instance id
  std::map<std::string, std::set<std::string>> byApp_;   // app id -> instance ids
  std::map<std::string, Deployment> deployments_;
  std::map<std::string, std::vector<std::string>> versions_;  // app id -> versions, oldest first
  std::map<std::string, LastFailure> failures_;
  LaunchDelays delays_;
  std::map<std::string, uint32_t> wanted_;  // app id -> instances to launch now
  std::map<std::string, OfferReasons> reasons_;
  std::map<std::string, double> counters_;
  double tokens_ = 0;
  TimePoint tokensAt_{};
  std::string lastVersion_;
  std::map<std::string, TimePoint> killsSent_;  // task id -> when its kill was last sent
  EventLoop::TimerId wake_ = 0;
  TimePoint wakeAt_{};
  bool settling_ = false;
  bool settleQueued_ = false;
};

}  // namespace agora::marathon
