#include "frameworks/marathon-like/service.hpp"

#include <algorithm>

#include <glog/logging.h>

#include "frameworks/marathon-like/app_json.hpp"
#include "frameworks/marathon-like/path_id.hpp"
#include "frameworks/marathon-like/task_json.hpp"

namespace agora::marathon {

using nlohmann::json;

Service::Service(EventLoop& loop, std::unique_ptr<Store> store, ServiceOptions options)
    : loop_(loop), options_(std::move(options)), journal_(std::move(store)),
      events_(journal_, loop.clock(), options_.eventLogSize) {}

Service::~Service() {
  if (wake_) loop_.cancel(wake_);
}

Status Service::recover() {
  Try<std::optional<std::string>> id = journal_.get("framework-id");
  if (id.isError()) return Error(id.error());
  if (*id) {
    json stored = json::parse(**id, nullptr, false);
    if (!stored.is_string()) return Error("the stored framework id is damaged; remove --work_dir to start afresh");
    frameworkId_ = stored.get<std::string>();
  }
  Try<std::map<std::string, json>> apps = journal_.scan("app/");
  if (apps.isError()) return Error(apps.error());
  for (const auto& [key, j] : *apps) {
    Try<AppDefinition> app = storedAppFromJson(j);
    if (app.isError()) return Error(key + ": " + app.error());
    apps_[app->id] = *app;
  }
  Try<std::map<std::string, json>> versions = journal_.scan("app-version/");
  if (versions.isError()) return Error(versions.error());
  for (const auto& [key, j] : *versions) versions_[j.value("id", "")].push_back(j.value("version", ""));
  for (auto& [app, list] : versions_) std::sort(list.begin(), list.end());
  Try<std::map<std::string, json>> groups = journal_.scan("group/");
  if (groups.isError()) return Error(groups.error());
  for (const auto& [key, j] : *groups) groups_.insert(key.substr(6));
  Try<std::map<std::string, json>> instances = journal_.scan("instance/");
  if (instances.isError()) return Error(instances.error());
  for (const auto& [key, j] : *instances) {
    Try<Instance> i = instanceFromJson(j);
    if (i.isError()) return Error(key + ": " + i.error());
    instanceOfTask_[i->taskId] = i->id;
    byApp_[i->appId].insert(i->id);
    instances_[i->id] = *i;
  }
  Try<std::map<std::string, json>> deployments = journal_.scan("deployment/");
  if (deployments.isError()) return Error(deployments.error());
  for (const auto& [key, j] : *deployments) {
    Try<Deployment> d = deploymentFromRecord(j);
    if (d.isError()) return Error(key + ": " + d.error());
    d->lastProgressAt = now();  // the deadline counts from the restart: the outage was not the app's fault
    deployments_[d->id] = *d;
  }
  Try<std::map<std::string, json>> failures = journal_.scan("failure/");
  if (failures.isError()) return Error(failures.error());
  for (const auto& [key, j] : *failures)
    failures_[j.value("appId", "")] = {j.value("appId", ""), j.value("taskId", ""), j.value("host", ""),
                                       j.value("state", ""), j.value("message", ""), j.value("version", ""),
                                       j.value("timestamp", "")};
  for (const auto& [appId, list] : versions_)
    if (!list.empty()) lastVersion_ = std::max(lastVersion_, list.back());
  Status events = events_.load();
  if (!events.ok()) return events;
  LOG(INFO) << "Recovered " << apps_.size() << " apps, " << instances_.size() << " instances and "
            << deployments_.size() << " deployments" << (frameworkId_.empty() ? "" : " of framework " + frameworkId_);
  return Status::OK();
}

std::string Service::newVersion() {
  double t = now();
  std::string v = isoTime(t);
  while (v <= lastVersion_) v = isoTime(t += 0.001);
  lastVersion_ = v;
  return v;
}

void Service::registered(sdk::SchedulerDriver& driver, const std::string& frameworkId, bool reregistered) {
  (void)driver;
  connected_ = true;
  suppressed_ = false;  // a new subscription starts unsuppressed
  if (frameworkId != frameworkId_) {
    frameworkId_ = frameworkId;
    journal_.put("framework-id", frameworkId);  // a dump of a string is its JSON text
  }
  LOG(INFO) << (reregistered ? "Re-registered" : "Registered") << " as framework " << frameworkId;
  killsSent_.clear();  // kills not yet answered go again on this subscription
  publish("framework_registered_event", {{"frameworkId", frameworkId}, {"reregistered", reregistered}});
  requestSettle();
}

void Service::disconnected(sdk::SchedulerDriver& driver) {
  (void)driver;
  connected_ = false;
  LOG(WARNING) << "Lost the master; the driver subscribes again";
}

void Service::error(sdk::SchedulerDriver& driver, const std::string& message) {
  (void)driver;
  LOG(ERROR) << "Error from the master: " << message;
  publish("scheduler_error_event", {{"message", message}});
  requestSettle();
}

std::vector<std::string> Service::knownTaskIds() {
  std::vector<std::string> ids;
  for (const auto& [id, i] : instances_) ids.push_back(i.taskId);
  return ids;
}

const AppDefinition* Service::app(const std::string& id) const {
  auto it = apps_.find(id);
  return it == apps_.end() ? nullptr : &it->second;
}

std::vector<const Instance*> Service::instancesOf(const std::string& appId) const {
  std::vector<const Instance*> out;
  auto it = byApp_.find(appId);
  if (it == byApp_.end()) return out;
  for (const std::string& id : it->second) out.push_back(&instances_.at(id));
  return out;
}

const Instance* Service::instanceByTask(const std::string& taskId) const {
  auto it = instanceOfTask_.find(taskId);
  return it == instanceOfTask_.end() ? nullptr : &instances_.at(it->second);
}

const LastFailure* Service::lastFailure(const std::string& appId) const {
  auto it = failures_.find(appId);
  return it == failures_.end() ? nullptr : &it->second;
}

Duration Service::delayLeft(const std::string& appId) const { return delays_.remaining(appId, loop_.clock().now()); }

bool Service::resetDelay(const std::string& appId) {
  if (!apps_.count(appId)) return false;
  delays_.reset(appId);
  return true;
}

void Service::addGroup(const std::string& id) {
  if (id == "/" || !groups_.insert(id).second) return;
  journal_.put("group/" + id, json::object());
}

void Service::removeGroups(const std::string& id) {
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (!isUnder(*it, id)) {
      ++it;
      continue;
    }
    journal_.remove("group/" + *it);
    it = groups_.erase(it);
  }
}

void Service::storeInstance(const Instance& i) { journal_.put("instance/" + i.id, instanceToJson(i)); }

void Service::forgetInstance(const std::string& instanceId) {
  auto it = instances_.find(instanceId);
  if (it == instances_.end()) return;
  instanceOfTask_.erase(it->second.taskId);
  byApp_[it->second.appId].erase(instanceId);
  if (byApp_[it->second.appId].empty()) byApp_.erase(it->second.appId);
  journal_.remove("instance/" + instanceId);
  instances_.erase(it);
}

uint32_t Service::takeLaunchTokens(uint32_t wanted) {
  TimePoint t = loop_.clock().now();
  tokens_ = std::min(options_.maxLaunchesPerSecond, tokens_ + toSeconds(t - tokensAt_) * options_.maxLaunchesPerSecond);
  tokensAt_ = t;
  uint32_t granted = static_cast<uint32_t>(std::min<double>(wanted, tokens_));
  tokens_ -= granted;
  return granted;
}

void Service::resourceOffers(sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) {
  workOutGoals();
  std::vector<sdk::AgentOffers> agents = sdk::groupByAgent(offers);
  uint32_t total = 0;
  for (const auto& [app, n] : wanted_) total += n;
  uint32_t budget = takeLaunchTokens(total);
  std::vector<LaunchRequest> requests;
  std::vector<std::pair<std::string, std::string>> unreadable;  // app, why
  for (const auto& [appId, n] : wanted_) {
    if (n == 0 || budget == 0) continue;
    const AppDefinition& app = apps_.at(appId);
    LaunchRequest r;
    r.app = &app;
    r.count = std::min(n, budget);
    for (const auto& c : app.constraints) {
      Try<sdk::Constraint> parsed = sdk::parseConstraint(c);
      if (parsed.ok()) r.constraints.push_back(*parsed);
      else unreadable.emplace_back(appId, parsed.error());
    }
    // A constraint stored by an older version (whose pattern engine took it) keeps the app
    // waiting, with the reason in /v2/queue, instead of failing every offer cycle.
    if (!unreadable.empty() && unreadable.back().first == appId) continue;
    budget -= r.count;
    for (const Instance* i : instancesOf(appId))
      if (i->live()) r.placed.push_back({i->host, i->attributes});
    requests.push_back(std::move(r));
  }
  double t = now();
  for (auto& [appId, why] : reasons_)
    if (t - why.since > options_.queueReasonsWindowSeconds) why = OfferReasons{};
  for (const auto& [appId, error] : unreadable) {
    OfferReasons& why = reasons_[appId];
    if (why.since == 0) why.since = t;
    why.constraints["a constraint this version cannot read: " + error + "; change the app's constraints"] += offers.size();
    LOG_EVERY_N(WARNING, 100) << "App " << appId << " is not launched: a constraint this version cannot read: " << error;
  }
  std::vector<PlannedLaunch> planned = matchOffers(agents, requests, reasons_, t);
  uint32_t asked = 0;
  for (const LaunchRequest& r : requests) asked += r.count;
  tokens_ += asked;  // what found no room is not spent
  std::map<size_t, std::vector<std::pair<const AppDefinition*, sdk::Taken>>> byAgent;
  std::map<size_t, uint32_t> perAgent;
  for (PlannedLaunch& p : planned) {
    if (++perAgent[p.agent] > options_.maxInstancesPerOffer) continue;
    byAgent[p.agent].emplace_back(requests[p.request].app, std::move(p.taken));
  }
  for (size_t a = 0; a < agents.size(); ++a) {
    if (byAgent.count(a)) {
      launchOn(agents[a], byAgent[a]);
      continue;
    }
    bool nothingWanted = std::none_of(wanted_.begin(), wanted_.end(), [](const auto& w) { return w.second > 0; });
    for (const std::string& id : agents[a].offerIds) driver.declineOffer(id, nothingWanted ? options_.declineSeconds : 5);
  }
  requestSettle();
}

TaskInfo Service::taskFor(const AppDefinition& app, const Instance& instance, const sdk::Taken& taken) const {
  TaskInfo task;
  task.taskId = instance.taskId;
  task.name = safeName(app.id);
  task.resources = taken.resources;
  if (app.cmd) {
    task.command.value = *app.cmd;
  } else if (app.args) {
    task.command.shell = false;
    task.command.value = app.args->front();
    task.command.arguments = *app.args;
  }
  task.command.environment = app.env;
  task.command.environment["MARATHON_APP_ID"] = app.id;
  task.command.environment["MARATHON_APP_VERSION"] = app.version;
  task.command.environment["MESOS_TASK_ID"] = instance.taskId;
  task.command.environment["HOST"] = instance.host;
  for (size_t p = 0; p < app.portDefinitions.size() && p < taken.ports.size(); ++p) {
    task.ports.push_back({taken.ports[p], app.portDefinitions[p].name});
    task.command.environment["PORT" + std::to_string(p)] = std::to_string(taken.ports[p]);
  }
  if (!taken.ports.empty()) task.command.environment["PORT"] = std::to_string(taken.ports[0]);
  task.labels = app.labels;
  task.user = app.user;
  if (app.taskKillGracePeriodSeconds) task.killGracePeriodSeconds = *app.taskKillGracePeriodSeconds;
  if (!app.healthChecks.empty()) task.healthCheck = agentHealthCheck(app.healthChecks.front());
  if (!app.readinessChecks.empty()) task.readinessCheck = agentReadinessCheck(app.readinessChecks.front(), app);
  return task;
}

void Service::launchOn(sdk::AgentOffers& agent, const std::vector<std::pair<const AppDefinition*, sdk::Taken>>& planned) {
  std::vector<TaskInfo> tasks;
  for (const auto& [app, taken] : planned) {
    Instance i;
    i.id = newInstanceId(app->id);
    i.appId = app->id;
    i.version = app->versionInfo.lastConfigChangeAt;
    i.taskId = i.id + "._app.1";
    i.agentId = agent.agentId;
    i.host = agent.hostname;
    i.attributes = agent.attributes;
    i.ports = taken.ports;
    i.stagedAt = now();
    instances_[i.id] = i;
    instanceOfTask_[i.taskId] = i.id;
    byApp_[i.appId].insert(i.id);
    storeInstance(i);
    if (wanted_[app->id] > 0) --wanted_[app->id];
    tasks.push_back(taskFor(*app, i, taken));
    publish("instance_changed_event", instanceChangedJson(i, "Provisioned"));
    ++counters_["instances_launched"];
  }
  // Launched only once the records are durable: a restart then knows every task it may own.
  journal_.then([this, offerIds = agent.offerIds, tasks = std::move(tasks)] {
    if (driver_) driver_->launchTasks(offerIds, tasks, 5);
  });
}

bool Service::healthyNow(const Instance& i) const {
  const AppDefinition* a = app(i.appId);
  return a && i.healthyFor(!a->healthChecks.empty(), !a->readinessChecks.empty());
}

void Service::statusUpdate(sdk::SchedulerDriver& driver, const TaskStatus& status) {
  (void)driver;
  auto it = instanceOfTask_.find(status.taskId);
  if (it == instanceOfTask_.end()) {
    if (!Instance::ended(status.state)) {
      LOG(WARNING) << "Task " << status.taskId << " is " << stateName(status.state)
                   << " but belongs to no instance of this framework; killing it";
      journal_.then([this, taskId = status.taskId] {
        if (driver_) driver_->killTask(taskId);
      });
      publish("unknown_instance_terminated_event", {{"instanceId", status.taskId}, {"runSpecId", ""}, {"condition", stateName(status.state)}});
    }
    journal_.then([this, status] {
      if (driver_) driver_->acknowledge(status);
    });
    requestSettle();
    return;
  }
  Instance& i = instances_.at(it->second);
  Instance before = i;
  i.state = status.state;
  if (!status.message.empty()) i.message = status.message;
  if (status.healthy && status.healthy != i.healthy) i.healthy = status.healthy, i.healthSince = now();
  if (status.ready) i.ready = status.ready;
  if (!status.agentId.empty()) i.agentId = status.agentId;
  if (!status.agentHostname.empty()) i.host = status.agentHostname;
  if (status.state == TaskState::RUNNING && i.startedAt == 0) i.startedAt = now();
  if (status.state == TaskState::UNREACHABLE) {
    if (i.unreachableSince == 0) i.unreachableSince = now();
  } else if (!Instance::ended(status.state)) {
    i.unreachableSince = 0;
    i.inactive = false;
  }
  statusEvents(before, i, status);
  if (Instance::ended(status.state)) taskEnded(i, status);
  else storeInstance(i);
  // Acknowledged once what it means is durable: a crash before then gets it again.
  journal_.then([this, status] {
    if (driver_) driver_->acknowledge(status);
  });
  requestSettle();
}

void Service::taskEnded(Instance& i, const TaskStatus& status) {
  bool asked = i.killing;
  if (!asked) {
    recordFailure(i, status);
    if (const AppDefinition* a = app(i.appId)) delays_.failed(*a, loop_.clock().now(), status.message);
  }
  ++counters_[asked ? "instances_killed" : "instances_failed"];
  forgetInstance(i.id);
}

void Service::recordFailure(const Instance& i, const TaskStatus& status) {
  LastFailure f{i.appId, i.taskId, i.host, stateName(status.state), status.message, i.version, isoTime(now())};
  failures_[i.appId] = f;
  journal_.put("failure/" + i.appId, {{"appId", f.appId}, {"taskId", f.taskId}, {"host", f.host}, {"state", f.state},
                                      {"message", f.message}, {"version", f.version}, {"timestamp", f.timestamp}});
}

void Service::statusEvents(const Instance& before, const Instance& after, const TaskStatus& status) {
  publish("status_update_event", statusUpdateJson(after, status));
  if (before.state != after.state) publish("instance_changed_event", instanceChangedJson(after, conditionName(after.state)));
  if (status.healthy && before.healthy != after.healthy)
    publish("health_status_changed_event", {{"appId", after.appId}, {"instanceId", after.id}, {"taskId", after.taskId},
                                            {"version", after.version}, {"alive", *after.healthy}});
  if (status.reason == TaskReason::HEALTH_CHECK_STATUS_UPDATED && status.healthy && !*status.healthy)
    publish("failed_health_check_event", {{"appId", after.appId}, {"instanceId", after.id}, {"taskId", after.taskId},
                                          {"healthCheck", json::object()}, {"message", status.message}});
  if (status.reason == TaskReason::HEALTH_CHECK_FAILED)
    publish("unhealthy_instance_kill_event", {{"appId", after.appId}, {"taskId", after.taskId}, {"instanceId", after.id},
                                              {"version", after.version}, {"reason", status.message},
                                              {"host", after.host}, {"slaveId", after.agentId}});
}

}  // namespace agora::marathon
