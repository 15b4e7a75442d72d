// What each app needs now, worked out from its definition, its instances and the deployment
// step it is in; and deployments moving on, or failing at their progress deadline.
#include <algorithm>

#include <glog/logging.h>

#include "frameworks/marathon-like/rolling.hpp"
#include "frameworks/marathon-like/service.hpp"
#include "frameworks/marathon-like/task_json.hpp"

namespace agora::marathon {

using nlohmann::json;

void Service::settle() {
  if (settling_) return;  // an action of the commit re-entered: the outer settle goes on
  settling_ = true;
  // Again while a deployment moved on (its next step has goals of its own) or the actions
  // of the commit queued more; a few rounds settle any chain of steps that are done at once.
  for (int round = 0; round < 8; ++round) {
    expireUnreachable();  // first: an instance given up on is replaced in this round
    resendKills();
    workOutGoals();
    bool moved = advanceDeployments();
    adjustOfferFlow();
    if (!journal_.commit().ok()) break;  // the wake timer tries again
    if (!moved && !journal_.pending()) break;
  }
  scheduleWake();
  settling_ = false;
}

void Service::requestSettle() {
  if (settleQueued_) return;
  settleQueued_ = true;
  loop_.post([this] {
    settleQueued_ = false;
    settle();
  });
}

const DeploymentAction* Service::currentAction(const std::string& appId) const {
  for (const auto& [id, d] : deployments_) {
    if (d.failed || d.currentStep >= d.steps.size()) continue;
    for (const DeploymentAction& a : d.steps[d.currentStep].actions)
      if (a.appId == appId) return &a;
  }
  return nullptr;
}

bool Service::heldByLaterStep(const std::string& appId) const {
  for (const auto& [id, d] : deployments_) {
    // A failed deployment leaves its apps as they are (what runs keeps running, nothing is
    // replaced) until it is rolled back or the app is changed again.
    if (d.failed) {
      if (std::count(d.affectedApps.begin(), d.affectedApps.end(), appId)) return true;
      continue;
    }
    for (size_t s = d.currentStep + 1; s < d.steps.size(); ++s)
      for (const DeploymentAction& a : d.steps[s].actions)
        if (a.appId == appId) return true;
  }
  return false;
}

void Service::workOutGoals() {
  wanted_.clear();
  std::set<std::string> ids;
  for (const auto& [id, app] : apps_) ids.insert(id);
  for (const auto& [id, set] : byApp_) ids.insert(id);
  for (const std::string& id : ids) goalOf(id);
}

void Service::goalOf(const std::string& appId) {
  std::vector<Instance*> instances;
  if (auto it = byApp_.find(appId); it != byApp_.end())
    for (const std::string& id : it->second) instances.push_back(&instances_.at(id));
  const DeploymentAction* action = currentAction(appId);
  bool held = !action && heldByLaterStep(appId);
  auto app = apps_.find(appId);
  if (app == apps_.end()) {
    if (!held) killAll(instances);
    return;
  }
  if (held) return;  // its step has not come yet: what runs stays as it is
  // A scale that took over from a restart (force=true) finishes the restart's work too.
  bool mixed = std::any_of(instances.begin(), instances.end(), [&](const Instance* i) {
    return i->staying() && i->version != app->second.versionInfo.lastConfigChangeAt;
  });
  if (action && (action->kind == DeploymentAction::Kind::kRestart || mixed)) roll(app->second, instances);
  else scaleTo(app->second, instances);
}

namespace {

// The order in which to kill: other versions, then unhealthy ones, then by kill selection.
void killOrder(std::vector<Instance*>& v, const AppDefinition& app, const std::function<bool(const Instance&)>& healthy) {
  std::stable_sort(v.begin(), v.end(), [&](const Instance* a, const Instance* b) {
    bool aOld = a->version != app.versionInfo.lastConfigChangeAt, bOld = b->version != app.versionInfo.lastConfigChangeAt;
    if (aOld != bOld) return aOld;
    bool aSick = !healthy(*a), bSick = !healthy(*b);
    if (aSick != bSick) return aSick;
    return app.killSelection == KillSelection::kYoungestFirst ? a->stagedAt > b->stagedAt : a->stagedAt < b->stagedAt;
  });
}

}  // namespace

void Service::scaleTo(const AppDefinition& app, std::vector<Instance*>& instances) {
  std::vector<Instance*> staying;
  for (Instance* i : instances)
    if (i->staying()) staying.push_back(i);
  if (staying.size() < app.instances) {
    if (delays_.remaining(app.id, loop_.clock().now()) == Duration::zero())
      wanted_[app.id] = app.instances - static_cast<uint32_t>(staying.size());
    else wanted_[app.id] = 0;  // listed in the queue, delayed
    return;
  }
  if (staying.size() == app.instances) return;
  killOrder(staying, app, [this](const Instance& i) { return healthyNow(i); });
  for (size_t k = 0; k + app.instances < staying.size(); ++k) kill(*staying[k], "scaled down");
}

void Service::roll(const AppDefinition& app, std::vector<Instance*>& instances) {
  RollingCounts c;
  c.target = app.instances;
  std::vector<Instance*> old;
  for (Instance* i : instances) {
    if (!i->live()) continue;
    bool isNew = i->version == app.versionInfo.lastConfigChangeAt;
    if (isNew) {
      if (i->killing) {
        ++c.oldKilling;  // on its way out, it still holds its place
        continue;
      }
      ++c.newLive;
      if (healthyNow(*i)) ++c.newHealthy;
    } else if (i->killing) {
      ++c.oldKilling;
    } else {
      ++c.oldStaying;
      old.push_back(i);
    }
  }
  RollingMove m = rollingMove(c, app.upgradeStrategy);
  killOrder(old, app, [](const Instance& i) { return i.running(); });
  for (uint32_t k = 0; k < m.killOld && k < old.size(); ++k) kill(*old[k], "replaced by version " + app.versionInfo.lastConfigChangeAt);
  if (m.launchNew > 0)
    wanted_[app.id] = delays_.remaining(app.id, loop_.clock().now()) == Duration::zero() ? m.launchNew : 0;
}

void Service::killAll(std::vector<Instance*>& instances) {
  for (Instance* i : instances)
    if (i->staying()) kill(*i, "its app was removed");
}

void Service::kill(Instance& i, const std::string& why) {
  i.killing = true;
  storeInstance(i);
  LOG(INFO) << "Killing " << i.taskId << ": " << why;
  const AppDefinition* a = app(i.appId);
  std::optional<double> grace;
  if (a && a->taskKillGracePeriodSeconds) grace = *a->taskKillGracePeriodSeconds;
  killsSent_[i.taskId] = loop_.clock().now();
  journal_.then([this, taskId = i.taskId, grace] {
    if (driver_) driver_->killTask(taskId, grace);
  });
}

namespace {
constexpr double kKillResendSeconds = 30;
}

void Service::resendKills() {
  if (!connected_) return;
  TimePoint t = loop_.clock().now();
  for (const auto& [id, i] : instances_) {
    if (!i.killing || !i.live()) continue;
    auto sent = killsSent_.find(i.taskId);
    if (sent != killsSent_.end() && t - sent->second < seconds(kKillResendSeconds)) continue;
    killsSent_[i.taskId] = t;
    journal_.then([this, taskId = i.taskId] {
      if (driver_) driver_->killTask(taskId);
    });
  }
  std::erase_if(killsSent_, [&](const auto& k) { return !instanceOfTask_.count(k.first); });
}

bool Service::actionDone(const DeploymentAction& action) const {
  const AppDefinition* a = app(action.appId);
  std::vector<const Instance*> instances = instancesOf(action.appId);
  if (action.kind == DeploymentAction::Kind::kStop || !a)
    return std::none_of(instances.begin(), instances.end(), [](const Instance* i) { return i->live(); });
  uint32_t healthy = 0, live = 0;
  for (const Instance* i : instances) {
    if (!i->live()) continue;
    ++live;
    if (healthyNow(*i) && i->version == a->versionInfo.lastConfigChangeAt) ++healthy;
  }
  return live == a->instances && healthy == a->instances;
}

int64_t Service::actionProgress(const DeploymentAction& action) const {
  const AppDefinition* a = app(action.appId);
  int64_t healthyNew = 0, otherLive = 0;
  for (const Instance* i : instancesOf(action.appId)) {
    if (!i->live()) continue;
    bool isNew = a && i->version == a->versionInfo.lastConfigChangeAt && !i->killing;
    if (isNew && healthyNow(*i)) ++healthyNew;
    else if (!isNew) ++otherLive;
  }
  int64_t extra = a ? std::max<int64_t>(0, healthyNew - a->instances) : 0;
  return healthyNew - 2 * extra - otherLive;
}

bool Service::advanceDeployments() {
  bool moved = false;
  std::vector<std::string> finished;
  double t = now();
  for (auto& [id, d] : deployments_) {
    if (d.failed) continue;
    while (d.currentStep < d.steps.size()) {
      const DeploymentStep& step = d.steps[d.currentStep];
      if (!std::all_of(step.actions.begin(), step.actions.end(), [&](const DeploymentAction& a) { return actionDone(a); }))
        break;
      publish("deployment_step_success", {{"plan", deploymentToJson(d)}, {"currentStep", {{"actions", deploymentToJson(d)["currentActions"]}}}});
      ++d.currentStep;
      moved = true;
      d.bestProgress = INT64_MIN;
      d.lastProgressAt = t;
      journal_.put("deployment/" + id, deploymentRecord(d));
      if (d.currentStep < d.steps.size())
        publish("deployment_info", {{"plan", deploymentToJson(d)}, {"currentStep", {{"actions", deploymentToJson(d)["currentActions"]}}}});
    }
    if (d.currentStep >= d.steps.size()) {
      finished.push_back(id);
      continue;
    }
    int64_t progress = 0;
    for (const DeploymentAction& a : d.steps[d.currentStep].actions) progress += actionProgress(a);
    if (progress > d.bestProgress) {
      d.bestProgress = progress;
      d.lastProgressAt = t;
    } else if (t - d.lastProgressAt > options_.deploymentProgressDeadlineSeconds) {
      failDeployment(d, whyNotDone(d));
    }
  }
  for (const std::string& id : finished) finishDeployment(id);
  return moved;
}

std::string Service::whyNotDone(const Deployment& d) const {
  std::string out;
  for (const DeploymentAction& action : d.steps[d.currentStep].actions) {
    if (actionDone(action)) continue;
    const AppDefinition* a = app(action.appId);
    std::string why;
    uint32_t unhealthy = 0, newLive = 0;
    std::string sample;
    for (const Instance* i : instancesOf(action.appId)) {
      if (!i->live() || i->killing || !a || i->version != a->versionInfo.lastConfigChangeAt) continue;
      ++newLive;
      if (!healthyNow(*i)) {
        ++unhealthy;
        if (sample.empty() || i->healthy.has_value()) sample = i->message.empty() ? stateName(i->state) : i->message;
      }
    }
    if (a && unhealthy > 0) {
      why = std::to_string(unhealthy) + " of " + std::to_string(a->instances) + " new instances unhealthy";
      if (!a->healthChecks.empty()) {
        const AppHealthCheck& h = a->healthChecks.front();
        why += " (health check " + h.protocol +
               (h.protocol == "COMMAND" ? " '" + h.command + "'"
                : h.protocol.find("HTTP") != std::string::npos ? " GET " + h.path
                                                                : std::string()) + ")";
      }
      why += ": " + sample;
    }
    if (a && newLive < a->instances) {
      if (!why.empty()) why += "; ";
      why += std::to_string(a->instances - newLive) + " of " + std::to_string(a->instances) + " new instances not launched";
      if (const LaunchDelays::Delay* delay = delays_.find(a->id); delay && delayLeft(a->id) > Duration::zero())
        why += ", delayed by backoff after failures (last: " + delay->lastFailure + ")";
      else if (auto r = reasons_.find(a->id); r != reasons_.end()) {
        std::string closest = r->second.closest();
        if (!closest.empty()) why += ": " + closest;
        else if (!r->second.constraints.empty()) why += ": constraint " + r->second.constraints.begin()->first;
        else if (r->second.processed == 0) why += ": no offers received";
      } else {
        why += ": no offers received";
      }
    }
    if (!a) why = "instances of the removed app still run";
    if (why.empty()) why = "old instances still run";
    out += (out.empty() ? "" : "; ") + action.appId + ": " + why;
  }
  return out;
}

void Service::failDeployment(Deployment& d, const std::string& reason) {
  d.failed = true;
  d.failureReason = "no progress for " + std::to_string(int(options_.deploymentProgressDeadlineSeconds)) + " s: " + reason;
  LOG(WARNING) << "Deployment " << d.id << " failed: " << d.failureReason;
  journal_.put("deployment/" + d.id, deploymentRecord(d));
  publish("deployment_failed", {{"id", d.id}, {"plan", deploymentToJson(d)}, {"reason", d.failureReason}});
  ++counters_["deployments_failed"];
}

void Service::finishDeployment(const std::string& id) {
  Deployment& d = deployments_.at(id);
  publish("deployment_success", {{"id", id}, {"plan", deploymentToJson(d)}});
  for (const auto& [appId, app] : d.original)
    if (!d.target.count(appId)) publish("app_terminated_event", {{"appId", appId}});
  journal_.remove("deployment/" + id);
  deployments_.erase(id);
  ++counters_["deployments_succeeded"];
}

void Service::expireUnreachable() {
  double t = now();
  std::vector<std::string> expunge;
  for (auto& [id, i] : instances_) {
    if (i.unreachableSince == 0 || i.terminal()) continue;
    const AppDefinition* a = app(i.appId);
    if (!a || !a->unreachableStrategy.enabled) continue;
    double away = t - i.unreachableSince;
    if (!i.inactive && away >= a->unreachableStrategy.inactiveAfterSeconds) {
      i.inactive = true;  // replaced from now on
      storeInstance(i);
      publish("instance_changed_event", instanceChangedJson(i, "UnreachableInactive"));
    }
    if (away >= a->unreachableStrategy.expungeAfterSeconds) expunge.push_back(id);
  }
  for (const std::string& id : expunge) {
    std::string taskId = instances_.at(id).taskId;
    LOG(INFO) << "Expunging unreachable instance " << id << "; its task is killed if it comes back";
    forgetInstance(id);
    journal_.then([this, taskId] {
      if (driver_) driver_->killTask(taskId);
    });
  }
}

void Service::adjustOfferFlow() {
  if (!driver_ || !connected_) return;
  bool want = std::any_of(wanted_.begin(), wanted_.end(), [](const auto& w) { return w.second > 0; });
  if (want && suppressed_) {
    suppressed_ = false;
    journal_.then([this] {
      if (driver_) driver_->reviveOffers();
    });
  } else if (!want && !suppressed_) {
    suppressed_ = true;
    journal_.then([this] {
      if (driver_) driver_->suppressOffers();
    });
  }
}

void Service::scheduleWake() {
  TimePoint mono = loop_.clock().now();
  double t = now();
  std::optional<TimePoint> next;
  auto consider = [&](TimePoint at) {
    if (at <= mono) at = mono + millis(1);
    if (!next || at < *next) next = at;
  };
  if (journal_.pending()) consider(mono + seconds(1));
  for (const auto& [taskId, sent] : killsSent_) consider(sent + seconds(kKillResendSeconds));
  for (const auto& [appId, app] : apps_)
    if (Duration left = delays_.remaining(appId, mono); left > Duration::zero()) consider(mono + left);
  for (const auto& [id, d] : deployments_)
    if (!d.failed) consider(mono + seconds(d.lastProgressAt + options_.deploymentProgressDeadlineSeconds - t + 0.001));
  for (const auto& [id, i] : instances_) {
    if (i.unreachableSince == 0) continue;
    const AppDefinition* a = app(i.appId);
    if (!a || !a->unreachableStrategy.enabled) continue;
    double due = i.inactive ? a->unreachableStrategy.expungeAfterSeconds : a->unreachableStrategy.inactiveAfterSeconds;
    consider(mono + seconds(i.unreachableSince + due - t + 0.001));
  }
  if (!next) return;
  if (wake_ && wakeAt_ <= *next && wakeAt_ > mono) return;  // an earlier wake is set
  if (wake_) loop_.cancel(wake_);
  wakeAt_ = *next;
  wake_ = loop_.after(*next - mono, [this] {
    wake_ = 0;
    settle();
  });
}

}  // namespace agora::marathon
