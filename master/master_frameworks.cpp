// Frameworks: subscription, accept and decline, kill, reconciliation, acknowledgements.
#include <cmath>
#include <tuple>

#include <glog/logging.h>

#include "common/codec.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "master/master.hpp"
#include "master/validation.hpp"

namespace agora {

static Status validateFrameworkInfo(const FrameworkInfo& info) {
  if (info.name.empty()) return Error("framework name is empty: give the framework a name");
  for (const auto& [what, text, limit] : {std::tuple<const char*, const std::string&, size_t>{
                                              "framework name", info.name, kMaxNameBytes},
                                          {"principal", info.principal, kMaxNameBytes},
                                          {"hostname", info.hostname, kMaxNameBytes},
                                          {"webui_url", info.webuiUrl, kMaxNameBytes}}) {
    Status valid = checkText(what, text, limit);
    if (!valid.ok()) return valid;
  }
  Status lengths = codec::checkLength("role list", info.roles.size(), 64);
  if (!lengths.ok()) return lengths;
  lengths = codec::checkLength("capability list", info.capabilities.size(), 64);
  if (!lengths.ok()) return lengths;
  for (const auto& capability : info.capabilities) {
    Status valid = checkText("capability", capability, kMaxNameBytes);
    if (!valid.ok()) return valid;
  }
  if (!info.webuiUrl.empty() && info.webuiUrl.rfind("http://", 0) != 0 && info.webuiUrl.rfind("https://", 0) != 0)
    return Error("webui_url '" + info.webuiUrl + "' is not an http:// or https:// URL");
  if (!info.id.empty() && !isValidId(info.id)) return Error("framework id '" + info.id + "' is not a valid id");
  if (!std::isfinite(info.failoverTimeoutSeconds) || info.failoverTimeoutSeconds < 0)
    return Error("failover timeout must be a non-negative number of seconds");
  for (const auto& role : info.roles) {
    Status text = checkText("role", role, kMaxRoleBytes);
    if (!text.ok()) return text;
    Status valid = validateRole(role);
    if (!valid.ok()) return Error(valid.error());
  }
  return Status::OK();
}

Master::FrameworkRecord& Master::ensureFramework(const std::string& frameworkId, const FrameworkInfo* known) {
  auto [it, inserted] = frameworks_.try_emplace(frameworkId);
  FrameworkRecord& fw = it->second;
  if (inserted) {
    if (known) fw.info = *known;
    fw.info.id = frameworkId;
    if (!known) {
      // Known only from an agent's report: nothing says how long its scheduler may be away.
      fw.info.name = "(recovered)";
      fw.info.failoverTimeoutSeconds = 0;
    }
    fw.recovered = true;
    fw.registeredAt = loop_.clock().wallSeconds();
    allocator_->addFramework(frameworkId, fw.info.roles, false);
    // Its scheduler gets as long to come back as agents do after a master failover.
    Duration wait = std::max(options_.agentReregisterTimeout, seconds(fw.info.failoverTimeoutSeconds));
    fw.failoverTimer = loop_.after(wait, [this, frameworkId] {
      auto f = frameworks_.find(frameworkId);
      if (f == frameworks_.end()) return;
      f->second.failoverTimer.reset();
      removeFramework(frameworkId, "its scheduler did not re-subscribe after master failover");
    });
  }
  return fw;
}

void Master::onSubscribe(const std::string& peer, proto::Subscribe::Reader message) {
  Subscriber who;
  who.peer = peer;
  who.principal = socket_.principal();
  who.connect = [this, peer] { return zmqFrameworkConnection(socket_, peer); };
  who.refuse = [this, peer](const std::string& why) { sendError(peer, why); };
  Status valid = subscribe(codec::read(message.getFramework()), who);
  if (!valid.ok()) sendError(peer, "subscription refused: " + valid.error());
}

Status Master::subscribe(FrameworkInfo info, const Subscriber& who) {
  if (info.roles.empty()) info.roles = {"*"};
  Status valid = validateFrameworkInfo(info);
  if (!valid.ok()) return valid;
  Status allowed = authorizeSubscription(who.principal, info);
  if (!allowed.ok()) return allowed;
  const std::string& peer = who.peer;
  bool reregistered = !info.id.empty();
  if (!reregistered) {
    // A subscription retried before the answer arrived is the same framework.
    auto known = peers_.find(peer);
    auto writing = subscribing_.find(peer);
    info.id = known != peers_.end() && !known->second.isAgent ? known->second.id
              : writing != subscribing_.end()                 ? writing->second.id
                                                              : newId("framework");
  }
  // A driver queues its retries while the master is away and they all arrive at once when
  // it is back: the answer to the subscription being written answers these too, and one
  // that is done is answered again without writing anything.
  if (auto writing = subscribing_.find(peer); writing != subscribing_.end() && writing->second == info) {
    ++counters_["subscriptions_retried"];
    return Status::OK();
  }
  if (auto current = frameworks_.find(info.id); current != frameworks_.end() && current->second.connected &&
                                                current->second.peer == peer && current->second.info == info) {
    ++counters_["subscriptions_retried"];
    subscribed(who, info, reregistered);
    return Status::OK();
  }
  subscribing_[peer] = info;
  bool knownBefore = frameworks_.count(info.id) > 0;
  registry_->putFramework(info, [this, who, info, reregistered, knownBefore](const Status& persisted) {
    subscribing_.erase(who.peer);
    if (!persisted.ok()) return who.refuse("subscription failed, try again: " + persisted.error());
    if (who.alive && !who.alive()) {
      // Its client went before the answer: nobody would hear the events. The framework
      // stays in the registry; it may subscribe again with its id.
      LOG(WARNING) << "Framework " << info.id << " went away before its subscription was written";
      return;
    }
    if (knownBefore && !frameworks_.count(info.id)) {
      // Removed meanwhile (its failover timeout passed): its tasks are gone, and its removal
      // was written after this entry. It comes back with no tasks, written again first.
      LOG(WARNING) << "Framework " << info.id << " was removed while it subscribed again; writing it anew";
      registry_->putFramework(info, [this, who, info, reregistered](const Status& again) {
        if (!again.ok()) return who.refuse("subscription failed, try again: " + again.error());
        subscribed(who, info, reregistered);
      });
      return;
    }
    subscribed(who, info, reregistered);
  });
  return Status::OK();
}

// The framework is in the registry: it is subscribed.
void Master::subscribed(const Subscriber& who, const FrameworkInfo& info, bool reregistered) {
  const std::string& peer = who.peer;
  bool known = frameworks_.count(info.id) > 0;
  FrameworkRecord& fw = known ? frameworks_.at(info.id) : frameworks_[info.id];
  if (known && fw.connected && fw.peer != peer) {
    counted(fw.connection->error("framework " + info.id + " subscribed again from another connection; this one is retired"));
    fw.connection->close();
    peers_.erase(fw.peer);
  }
  std::set<std::string> held = offers_.ofFramework(info.id);
  if (known && !held.empty() && (!fw.connected || fw.peer != peer)) {
    // A scheduler that subscribes again from a new connection has forgotten what it was
    // offered (it restarted): what it held is offered again rather than left to the offer
    // timeout. A retry on the same connection keeps its offers (an accept may be on its way).
    LOG(INFO) << "Framework " << info.id << " subscribed again holding " << held.size()
              << " offers: rescinding them so that they are offered again";
    for (const std::string& offerId : held) rescindOffer(offerId, true);
  }
  if (fw.failoverTimer) loop_.cancel(*fw.failoverTimer);
  fw.failoverTimer.reset();
  if (!known) fw.registeredAt = loop_.clock().wallSeconds();
  fw.info = info;
  fw.peer = peer;
  fw.connection = who.connect();
  fw.streamId = who.streamId;
  fw.connected = true;
  fw.recovered = false;
  fw.lastSeen = loop_.clock().now();
  if (who.streamId.empty()) peers_[peer] = Peer{false, info.id, who.principal};
  allocator_->addFramework(info.id, info.roles, true);

  counted(fw.connection->subscribed(
      {info.id, masterId_, toSeconds(options_.pingInterval), options_.maxMissedPings, known || reregistered}));
  frameworkEvent(known ? "FRAMEWORK_UPDATED" : "FRAMEWORK_ADDED", fw);
  LOG(INFO) << (reregistered ? "Re-subscribed" : "Subscribed") << " framework " << info.id << " ('" << info.name
            << "') in roles " << info.roles.front() << (info.roles.size() > 1 ? ",..." : "");
  triggerAllocation();
}

void Master::onCall(FrameworkRecord& fw, const calls::Call& call) {
  struct Visit {
    Master& m;
    FrameworkRecord& fw;
    void operator()(const calls::Accept& c) { m.onAccept(fw, c); }
    void operator()(const calls::Decline& c) { m.onDecline(fw, c); }
    void operator()(const calls::Kill& c) { m.onKill(fw, c); }
    void operator()(const calls::Reconcile& c) { m.onReconcile(fw, c); }
    void operator()(const calls::Acknowledge& c) { m.onAcknowledge(fw, c); }
    void operator()(const calls::Suppress& c) { m.allocator_->suppressOffers(fw.info.id, c.roles); }
    void operator()(const calls::Revive& c) {
      m.allocator_->reviveOffers(fw.info.id, c.roles);
      m.triggerAllocation();
    }
    void operator()(const calls::Teardown&) { m.removeFramework(fw.info.id, "the framework tore itself down"); }
    void operator()(const calls::Pong&) {}
  };
  std::visit(Visit{*this, fw}, call);
}

void Master::onAccept(FrameworkRecord& fw, const calls::Accept& call) {
  const std::vector<std::string>& offerIds = call.offerIds;
  const std::vector<calls::AcceptStep>& steps = call.steps;
  Status offersOk =
      validateOfferIds(offerIds, fw.info.id, [this](const std::string& id) { return offers_.find(id); });
  auto taskStatus = [&](const std::string& taskId, TaskReason reason, const std::string& why) {
    TaskRecord dummy;
    dummy.info.taskId = taskId;
    dummy.frameworkId = fw.info.id;
    forwardStatus(masterStatus(dummy, TaskState::ERROR, reason, why));
  };
  if (!offersOk.ok()) {
    for (const auto& id : offerIds) {
      const Offer* offer = offers_.find(id);
      if (offer && offer->frameworkId == fw.info.id) rescindOffer(id, true);
    }
    for (const auto& t : call.tasks())
      taskStatus(t.ok() ? t->taskId : "", TaskReason::INVALID_OFFERS, "accept refused: " + offersOk.error());
    ++counters_["accepts_invalid"];
    return;
  }

  LaunchContext context;
  context.agentId = offers_.find(offerIds.front())->agentId;
  for (const auto& id : offerIds) context.remaining += offers_.take(id)->resources;
  // launchTask() records each task in fw.tasks, so later tasks of this accept see it too.
  context.isTaskIdInUse = [this, &fw](const std::string& id) { return tasks_.find({fw.info.id, id}) != nullptr; };
  AgentRecord& agent = agents_.at(context.agentId);
  for (const calls::AcceptStep& step : steps) {
    for (bool reserve : {true, false}) {
      const auto& r = reserve ? step.reserve : step.unreserve;
      if (!r) continue;
      Status done = r->isError() ? Status(Error(r->error())) : convert(fw, agent, context, **r, reserve);
      if (!done.ok()) {
        counted(fw.connection->error("accept: " + done.error() + "; the operation was not done"));
        ++counters_["operations_invalid"];
      }
    }
    for (auto& t : step.launch) {
      if (t.isError()) {
        taskStatus("", TaskReason::INVALID_TASK, t.error());
        continue;
      }
      TaskInfo task = *t;
      Status ok = validateTask(task, context);
      if (!ok.ok()) {
        taskStatus(task.taskId, TaskReason::INVALID_TASK, ok.error());
        ++counters_["tasks_invalid"];
        continue;
      }
      if (Status allowed = authorizeTaskUser(fw, task); !allowed.ok()) {
        taskStatus(task.taskId, TaskReason::TASK_UNAUTHORIZED, allowed.error());
        continue;
      }
      task.agentId = context.agentId;
      context.remaining -= task.resources;
      launchTask(fw, agent, task);
    }
  }
  allocator_->recoverResources(fw.info.id, context.agentId, context.remaining,
                               call.refuseSeconds > 0 ? std::optional(seconds(call.refuseSeconds)) : std::nullopt);
}

Status Master::convert(FrameworkRecord& fw, AgentRecord& agent, LaunchContext& context, const Resources& resources,
                       bool reserve) {
  Status valid = reserve ? validateReserve(resources, fw.info.roles, context.remaining)
                         : validateUnreserve(resources, agent.dynamic, context.remaining);
  if (!valid.ok()) return valid;
  Resources from = reserve ? resources.flatten() : resources, to = reserve ? resources : resources.flatten();
  Resources dynamic = agent.dynamic;
  if (reserve)
    dynamic += resources;
  else
    dynamic -= resources;
  // Written before it takes effect: a reservation must not vanish with a master restart. The
  // accept's later steps build on it, so this one write is waited for.
  Status persisted = registry_->putReservationsNow(agent.info.id, dynamic);
  if (!persisted.ok()) return Error("the registry write failed: " + persisted.error());
  agent.dynamic = dynamic;
  agent.info.resources -= from;
  agent.info.resources += to;
  context.remaining -= from;
  context.remaining += to;
  allocator_->convertAllocation(fw.info.id, agent.info.id, from, to);
  LOG(INFO) << (reserve ? "Reserved " : "Unreserved ") << resources << " on agent " << agent.info.id
            << " for framework " << fw.info.id;
  return Status::OK();
}

void Master::applyReservations(AgentRecord& agent) {
  if (agent.dynamic.empty()) return;
  Resources unreserved = agent.dynamic.flatten();
  if (!agent.info.resources.reservedFor("*").contains(unreserved)) {
    LOG(ERROR) << "Agent " << agent.info.id << " came back with " << agent.info.resources
               << ", too little for its dynamic reservations " << agent.dynamic << "; they are dropped";
    agent.dynamic = Resources();
    registry_->putReservations(agent.info.id, agent.dynamic, logFailure("dropping the reservations of agent " + agent.info.id));
    return;
  }
  agent.info.resources -= unreserved;
  agent.info.resources += agent.dynamic;
}

void Master::launchTask(FrameworkRecord& fw, AgentRecord& agent, const TaskInfo& task) {
  TaskKey key{fw.info.id, task.taskId};
  TaskRecord& record = tasks_.place(key, task);
  record.latest = masterStatus(record, TaskState::STAGING, TaskReason::NONE, "sent to the agent");
  taskAdded(record);

  OutboundEnvelope out;
  auto run = out.get().initRunTask();
  codec::write(fw.info, run.initFramework());
  codec::write(task, run.initTask());
  sendTo(agent.peer, out);
  ++counters_["tasks_launched"];
}

void Master::onDecline(FrameworkRecord& fw, const calls::Decline& call) {
  std::optional<Duration> filter =
      call.refuseSeconds > 0 ? std::optional(seconds(call.refuseSeconds)) : std::nullopt;
  for (const std::string& id : call.offerIds) {
    const Offer* held = offers_.find(id);
    if (!held || held->frameworkId != fw.info.id) {
      VLOG(1) << "Framework " << fw.info.id << " declined offer " << id << " that it does not hold";
      continue;
    }
    Offer offer = *offers_.take(id);
    allocator_->recoverResources(fw.info.id, offer.agentId, offer.resources, filter);
    ++counters_["offers_declined"];
  }
  triggerAllocation();
}

void Master::onKill(FrameworkRecord& fw, const calls::Kill& call) {
  const std::string& taskId = call.taskId;
  double grace = call.gracePeriodSeconds.value_or(-1);  // negative: the task's own kill policy
  TaskKey key{fw.info.id, taskId};
  const TaskRecord* task = tasks_.find(key);
  if (!task) {
    if (agentsRecovering()) {  // its agent may yet bring it back
      deferredAsks_[key] = {"", true, call.gracePeriodSeconds};
      return;
    }
    TaskRecord unknown;
    unknown.info.taskId = taskId;
    unknown.frameworkId = fw.info.id;
    forwardStatus(masterStatus(unknown, TaskState::UNKNOWN, TaskReason::TASK_UNKNOWN,
                               "kill: the master knows no active task '" + taskId + "' of this framework"));
    return;
  }
  auto agent = agents_.find(task->info.agentId);
  if (agent == agents_.end()) return;  // the task is being completed with its agent
  if (agent->second.state != AgentState::kActive) {
    // Kept until the agent re-registers; the framework hears the outcome from the agent then,
    // or TASK_GONE if the agent never comes back.
    LOG(INFO) << "Task " << taskId << " is killed when its agent " << agent->first << " re-registers";
    agent->second.pendingKills[key] = {TaskReason::KILLED_BY_FRAMEWORK, grace};
    ++counters_["kills_pending"];
    return;
  }
  killOnAgent(agent->second, fw.info.id, taskId, TaskReason::KILLED_BY_FRAMEWORK, grace);
}

void Master::onReconcile(FrameworkRecord& fw, const calls::Reconcile& call) {
  auto answer = [&](const TaskRecord& task) {
    TaskStatus s = task.latest;
    s.reason = TaskReason::RECONCILIATION;
    s.uuid.clear();  // reconciliation answers are not acknowledged
    s.fromMaster = true;
    forwardStatus(s);
  };
  if (call.tasks.empty()) {
    for (const TaskKey& key : tasks_.ofFramework(fw.info.id)) answer(*tasks_.find(key));
    return;
  }
  for (const calls::ReconcileTask& t : call.tasks) {
    if (const TaskRecord* task = tasks_.find({fw.info.id, t.taskId})) {
      answer(*task);
      continue;
    }
    if (agentsRecovering()) {
      DeferredAsk& ask = deferredAsks_[{fw.info.id, t.taskId}];  // a second ask is answered once
      if (!t.agentId.empty()) ask.agentId = t.agentId;
      continue;
    }
    TaskRecord unknown;
    unknown.info.taskId = t.taskId;
    unknown.info.agentId = t.agentId;
    unknown.frameworkId = fw.info.id;
    forwardStatus(masterStatus(unknown, TaskState::UNKNOWN, TaskReason::RECONCILIATION,
                               "the master knows no active task with this id"));
  }
}

bool Master::agentsRecovering() const {
  if (removalsInFlight_ > 0) return true;
  for (const auto& [id, agent] : agents_)
    if (agent.state == AgentState::kRecovered) return true;
  return false;
}

void Master::answerDeferredAsks() {
  if (deferredAsks_.empty() || agentsRecovering()) return;
  std::map<TaskKey, DeferredAsk> deferred;
  deferred.swap(deferredAsks_);
  for (const auto& [key, ask] : deferred) {
    auto fw = frameworks_.find(key.first);
    if (fw == frameworks_.end()) continue;
    if (ask.kill) {
      onKill(fw->second, calls::Kill{key.second, ask.grace});
      continue;
    }
    onReconcile(fw->second, calls::Reconcile{{calls::ReconcileTask{key.second, ask.agentId}}});
  }
}

void Master::onAcknowledge(FrameworkRecord& fw, const calls::Acknowledge& call) {
  const std::string &taskId = call.taskId, &uuid = call.uuid, &agentId = call.agentId;
  acknowledgeToAgent(agentId, fw.info.id, taskId, uuid);
  const TaskRecord* task = tasks_.find({fw.info.id, taskId});
  if (task && !uuid.empty() && task->terminalUuid == uuid) completeTask({fw.info.id, taskId});
}

void Master::frameworkDisconnected(FrameworkRecord& fw, const std::string& why) {
  LOG(WARNING) << "Framework " << fw.info.id << " disconnected: " << why << "; removing it in "
               << fw.info.failoverTimeoutSeconds << " s unless it re-subscribes";
  fw.connected = false;
  if (fw.connection) fw.connection->close();
  peers_.erase(fw.peer);
  allocator_->deactivateFramework(fw.info.id);
  for (const std::string& offerId : offers_.ofFramework(fw.info.id)) rescindOffer(offerId, true);
  std::string id = fw.info.id;
  fw.failoverTimer = loop_.after(seconds(fw.info.failoverTimeoutSeconds), [this, id] {
    frameworks_.at(id).failoverTimer.reset();
    removeFramework(id, "its failover timeout expired");
  });
  frameworkEvent("FRAMEWORK_UPDATED", fw);
}

ApiReply Master::teardownReply(const ApiCall& call) {
  const std::string prefix = "/api/v1/frameworks/", suffix = "/teardown";
  std::string id = call.path.substr(prefix.size());
  if (id.size() <= suffix.size() || id.compare(id.size() - suffix.size(), suffix.size(), suffix) != 0)
    return errorReply(404, "no endpoint " + call.path + "; use POST /api/v1/frameworks/FRAMEWORK/teardown");
  id.resize(id.size() - suffix.size());
  if (call.method != "POST") return errorReply(405, call.path + " answers POST");
  if (!frameworks_.count(id)) return errorReply(404, "no framework " + id + " (see /api/v1/frameworks)");
  removeFramework(id, "an operator tore it down" + (call.principal.empty() ? "" : " (principal '" + call.principal + "')"));
  return jsonReply(200, {{"framework_id", id}, {"removed", true}});
}

void Master::removeFramework(const std::string& frameworkId, const std::string& why) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) return;
  FrameworkRecord& fw = it->second;
  LOG(WARNING) << "Removing framework " << frameworkId << ": " << why;
  if (fw.failoverTimer) loop_.cancel(*fw.failoverTimer);
  for (const std::string& offerId : offers_.ofFramework(fw.info.id)) rescindOffer(offerId, true);
  for (const TaskKey& key : std::set<TaskKey>(tasks_.ofFramework(frameworkId))) {
    const std::string& taskId = key.second;
    TaskRecord& task = *tasks_.find(key);
    auto agent = agents_.find(task.info.agentId);
    if (!isTerminal(task.latest.state) && agent != agents_.end() && agent->second.state == AgentState::kActive) {
      killOnAgent(agent->second, frameworkId, taskId, TaskReason::FRAMEWORK_REMOVED);
      allocator_->recoverResources(frameworkId, task.info.agentId, task.info.resources, std::nullopt);
    }
    // Nobody hears of this task again: what the operator sees is where it ends.
    if (!isTerminal(task.latest.state))
      setTaskStatus(task, masterStatus(task, TaskState::KILLED, TaskReason::FRAMEWORK_REMOVED, "framework removed: " + why));
    completeTask(key);
  }
  if (fw.connected) peers_.erase(fw.peer);
  if (fw.connection) fw.connection->close();
  allocator_->removeFramework(frameworkId);
  registry_->removeFramework(frameworkId, logFailure("the removal of framework " + frameworkId));
  frameworkEvent("FRAMEWORK_REMOVED", fw);
  frameworks_.erase(it);
  triggerAllocation();
}

}  // namespace agora
