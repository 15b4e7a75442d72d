// Agents: admission, re-registration with their tasks, status updates, loss and removal.
#include <algorithm>

#include <glog/logging.h>

#include "common/codec.hpp"
#include "common/ids.hpp"
#include "master/master.hpp"

namespace agora {

void Master::onRegisterAgent(const std::string& peer, proto::RegisterAgent::Reader message) {
  Try<AgentInfo> info = codec::read(message.getAgent());
  if (info.isError()) {
    sendError(peer, "agent registration refused: " + info.error());
    return;
  }
  std::string principal = socket_.principal();
  if (Status allowed = authorizeAgent(principal); !allowed.ok()) {
    sendError(peer, "agent registration refused: " + allowed.error());
    return;
  }
  bool reregistering = !info->id.empty();
  if (!reregistering) {
    // A registration retried before the answer arrived is the same agent, not a second one.
    auto known = peers_.find(peer);
    auto writing = admitting_.find(peer);
    info->id = known != peers_.end() && known->second.isAgent ? known->second.id
               : writing != admitting_.end()                  ? writing->second
                                                              : newId("agent");
  }
  if (!isValidId(info->id)) {
    sendError(peer, "agent registration refused: agent id '" + info->id + "' is not a valid id");
    return;
  }
  if (removedAgents_.count(info->id)) {
    refuseRemovedAgent(peer, info->id);
    return;
  }
  if (info->resources.empty()) {
    sendError(peer, "agent registration refused: the agent offers no resources (check --resources)");
    return;
  }
  std::vector<std::pair<std::string, TaskInfo>> infos;
  std::vector<TaskState> states;
  Status count = codec::checkLength("task list", message.getTasks().size(), codec::kMaxAgentTasks);
  if (!count.ok()) {
    sendError(peer, "agent registration refused: " + count.error());
    return;
  }
  for (auto t : message.getTasks()) {
    Try<TaskInfo> task = codec::read(t.getTask());
    if (task.isError()) {
      LOG(WARNING) << "Agent " << info->id << " reported an unreadable task: " << task.error();
      continue;
    }
    infos.emplace_back(t.getFrameworkId(), *task);
    states.push_back(t.getState());
  }
  // A retry of a registration being written: the answer to the first one is on its way.
  // (Agents retry while a busy master writes; each write again would only add to its work.)
  if (admitting_.count(peer)) {
    ++counters_["agent_registrations_retried"];
    return;
  }
  auto known = agents_.find(info->id);
  if (known != agents_.end() && known->second.info == *info) {
    // A retry that crossed the answer to this connection's registration: the answer was on
    // its way. (Later, a registration on the same connection is the agent's own doubt of the
    // master, and is taken whole, with its tasks.)
    bool justAdmitted = loop_.clock().wallSeconds() - known->second.registeredAt < 2 * toSeconds(options_.pingInterval);
    if (known->second.state == AgentState::kActive && known->second.peer == peer && justAdmitted) {
      ++counters_["agent_registrations_retried"];
      sendAgentRegistered(peer, info->id);
      return;
    }
    // What the registry holds already needs no write: after a failover, thousands of agents
    // come back at once to a leader that has their records from etcd.
    admitAgent(peer, principal, *info, infos, states, reregistering);
    return;
  }
  admitting_[peer] = info->id;
  registry_->putAgent(*info, [this, peer, principal, info = *info, infos = std::move(infos), states = std::move(states),
                              reregistering](const Status& persisted) {
    admitting_.erase(peer);
    if (!persisted.ok()) {
      sendError(peer, "agent registration failed, try again: " + persisted.error());
      return;
    }
    // Removed while its registration was being written: it must not come back.
    if (removedAgents_.count(info.id)) {
      refuseRemovedAgent(peer, info.id);
      return;
    }
    admitAgent(peer, principal, info, infos, states, reregistering);
  });
}

void Master::sendAgentRegistered(const std::string& peer, const std::string& agentId) {
  OutboundEnvelope out;
  auto r = out.get().initAgentRegistered();
  r.setAgentId(agentId);
  r.setMasterId(masterId_);
  r.setPingIntervalSeconds(toSeconds(options_.pingInterval));
  r.setMaxMissedPings(options_.maxMissedPings);
  sendTo(peer, out);
}

// The agent's registration is in the registry: it joins.
void Master::admitAgent(const std::string& peer, const std::string& principal, const AgentInfo& info,
                        const std::vector<std::pair<std::string, TaskInfo>>& infos, const std::vector<TaskState>& states,
                        bool reregistering) {
  auto existing = agents_.find(info.id);
  if (existing != agents_.end()) {
    AgentRecord& old = existing->second;
    if (old.state == AgentState::kActive) releaseAgentFromAllocator(old);
    if (old.removalTimer) loop_.cancel(*old.removalTimer);
    old.removalTimer.reset();
    if (!old.peer.empty()) peers_.erase(old.peer);
  }
  AgentRecord& agent = agents_[info.id];
  agent.info = info;
  applyReservations(agent);
  agent.peer = peer;
  agent.state = AgentState::kActive;
  agent.lastSeen = loop_.clock().now();
  agent.registeredAt = loop_.clock().wallSeconds();
  agent.pingSlice = nextAgentSlice_++ % kPingSlices;
  peers_[peer] = Peer{true, info.id, principal};
  adoptAgentTasks(agent, infos, states);
  addAgentToAllocator(agent);
  if (agent.drainDeadline) drain(agent, *agent.drainDeadline);  // still in maintenance

  agentEvent(existing != agents_.end() ? "AGENT_UPDATED" : "AGENT_ADDED", agent);
  sendAgentRegistered(peer, info.id);
  sendPendingKills(agent);
  LOG(INFO) << (reregistering ? "Re-registered" : "Registered") << " agent " << info.id << " ("
            << info.hostname << ") with " << info.resources << " and " << infos.size() << " tasks";
  answerDeferredAsks();
  triggerAllocation();
}

// The agent's list is the truth about its tasks: tasks the master had there that the agent
// does not report are lost; reported tasks take the agent's state.
void Master::adoptAgentTasks(AgentRecord& agent, const std::vector<std::pair<std::string, TaskInfo>>& infos,
                             const std::vector<TaskState>& states) {
  std::set<TaskKey> reported;
  for (size_t i = 0; i < infos.size(); ++i) reported.insert({infos[i].first, infos[i].second.taskId});
  std::set<TaskKey> previous = tasks_.ofAgent(agent.info.id);
  for (const TaskKey& key : previous) {
    if (reported.count(key)) continue;
    TaskRecord& task = *tasks_.find(key);
    if (!isTerminal(task.latest.state)) {
      setTaskStatus(task, masterStatus(task, TaskState::LOST, TaskReason::AGENT_RESTARTED,
                                       "the agent re-registered without this task"));
      forwardStatus(task.latest);
    }
    completeTask(key);
  }
  for (size_t i = 0; i < infos.size(); ++i) {
    const auto& [frameworkId, info] = infos[i];
    TaskKey key{frameworkId, info.taskId};
    ensureFramework(frameworkId);
    const TaskRecord* known = tasks_.find(key);
    bool wasUnreachable = known && known->latest.state == TaskState::UNREACHABLE;
    TaskInfo here = info;
    here.agentId = agent.info.id;
    bool inserted = false;
    TaskRecord& task = tasks_.place(key, here, &inserted);
    if (inserted) taskAdded(task);
    if (inserted || wasUnreachable || !isTerminal(task.latest.state)) {
      setTaskStatus(task, masterStatus(task, states[i], TaskReason::RECONCILIATION,
                                       "state reported by the agent at re-registration"));
    }
    if (wasUnreachable) forwardStatus(task.latest);
  }
}

// The master removed this agent and told its frameworks that its tasks are GONE: it may not
// come back with them. It is told to kill them and to register as a new agent.
void Master::refuseRemovedAgent(const std::string& peer, const std::string& agentId) {
  LOG(WARNING) << "Refusing agent " << agentId << ": it was removed; telling it to kill its tasks";
  ++counters_["agents_refused_removed"];
  OutboundEnvelope out;
  out.get().initAgentRemoved().setMessage("agent " + agentId +
                                          " was removed by the master after it stayed unreachable; its tasks "
                                          "are GONE: kill them and register as a new agent");
  sendTo(peer, out);
}

// Kills the framework asked for while the agent was away.
void Master::sendPendingKills(AgentRecord& agent) {
  for (const auto& [key, kill] : agent.pendingKills) {
    const TaskRecord* task = tasks_.find(key);
    if (!task || isTerminal(task->latest.state) || task->info.agentId != agent.info.id) continue;
    LOG(INFO) << "Killing task " << key.second << " of framework " << key.first << " on agent " << agent.info.id
              << ", as asked while the agent was away";
    killOnAgent(agent, key.first, key.second, kill.reason, kill.gracePeriodSeconds);
  }
  agent.pendingKills.clear();
}

void Master::addAgentToAllocator(AgentRecord& agent) {
  std::map<std::string, Resources> used;
  for (const TaskKey& key : tasks_.ofAgent(agent.info.id)) {
    const TaskRecord& task = *tasks_.find(key);
    if (!isTerminal(task.latest.state)) used[task.frameworkId] += task.info.resources;
  }
  allocator_->addAgent(agent.info.id, agent.info.resources, used);
}

// Hands back everything the agent's frameworks hold there, then forgets the agent.
void Master::releaseAgentFromAllocator(AgentRecord& agent) {
  for (const std::string& offerId : offers_.ofAgent(agent.info.id)) rescindOffer(offerId, true);
  for (const TaskKey& key : tasks_.ofAgent(agent.info.id)) {
    const TaskRecord& task = *tasks_.find(key);
    if (!isTerminal(task.latest.state))
      allocator_->recoverResources(task.frameworkId, agent.info.id, task.info.resources, std::nullopt);
  }
  allocator_->removeAgent(agent.info.id);
}

void Master::onStatusUpdate(AgentRecord& agent, proto::StatusUpdate::Reader message) {
  TaskStatus status = codec::read(message.getStatus());
  status.agentId = agent.info.id;
  ++counters_["status_updates_received"];
  TaskKey key{status.frameworkId, status.taskId};
  TaskRecord* it = tasks_.find(key);
  if (it && it->info.agentId != agent.info.id) {
    // Only the task's own agent speaks for it: anything else is a confused or hostile peer.
    LOG(WARNING) << "Dropped an update for task " << status.taskId << " from agent " << agent.info.id
                 << ", which does not run it (agent " << it->info.agentId << " does)";
    ++counters_["status_updates_wrong_agent"];
    return;
  }
  if (it) {
    TaskRecord& task = *it;
    describeTask(status, task);
    if (!isTerminal(task.latest.state) && isTerminal(status.state)) {
      allocator_->recoverResources(task.frameworkId, agent.info.id, task.info.resources, std::nullopt);
      triggerAllocation();
    }
    if (!isTerminal(task.latest.state) || isTerminal(status.state)) setTaskStatus(task, status);
    if (isTerminal(status.state)) task.terminalUuid = status.uuid;
  }
  auto fw = frameworks_.find(status.frameworkId);
  if (fw == frameworks_.end()) {
    // Nobody will ever acknowledge this: the framework was removed. Acknowledge for it so
    // that the agent stops resending.
    acknowledgeToAgent(agent.info.id, status.frameworkId, status.taskId, status.uuid);
    if (it && isTerminal(status.state)) completeTask(key);
    return;
  }
  forwardStatus(status);
}

void Master::onAgentUsage(AgentRecord& agent, proto::AgentUsage::Reader message) {
  for (auto u : message.getTasks()) {
    TaskRecord* task = tasks_.find({u.getFrameworkId(), u.getTaskId()});
    if (!task || task->info.agentId != agent.info.id || isTerminal(task->latest.state)) continue;
    task->usage = nlohmann::json{{"cpu_seconds", u.getCpuSeconds()},     {"mem_bytes", u.getMemBytes()},
                                 {"mem_peak_bytes", u.getMemPeakBytes()}, {"mem_limit_bytes", u.getMemLimitBytes()},
                                 {"pids", u.getPids()},                   {"timestamp", u.getTimestamp()}};
  }
}

void Master::agentUnreachable(AgentRecord& agent, const std::string& why) {
  LOG(WARNING) << "Agent " << agent.info.id << " is unreachable: " << why;
  releaseAgentFromAllocator(agent);
  agent.state = AgentState::kUnreachable;
  peers_.erase(agent.peer);
  for (const TaskKey& key : tasks_.ofAgent(agent.info.id)) {
    TaskRecord& task = *tasks_.find(key);
    if (isTerminal(task.latest.state)) continue;
    setTaskStatus(task, masterStatus(task, TaskState::UNREACHABLE, TaskReason::AGENT_UNREACHABLE,
                                     "agent " + agent.info.id + " is unreachable: " + why));
    forwardStatus(task.latest);
  }
  std::string id = agent.info.id;
  agent.removalTimer = loop_.after(options_.agentRemovalTimeout, [this, id] {
    agents_.at(id).removalTimer.reset();
    agentTimeUp(id, "the agent stayed unreachable too long");
  });
  ++counters_["agents_unreachable"];
  agentEvent("AGENT_UNREACHABLE", agent);
}

void Master::removeAgent(const std::string& agentId, TaskState taskState, TaskReason reason, const std::string& why) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) return;
  AgentRecord& agent = it->second;
  LOG(WARNING) << "Removing agent " << agentId << ": " << why;
  if (agent.state == AgentState::kActive) releaseAgentFromAllocator(agent);
  if (agent.removalTimer) loop_.cancel(*agent.removalTimer);
  if (agent.drainTimer) loop_.cancel(*agent.drainTimer);
  if (agent.drainDeadline) registry_->removeDrain(agentId, logFailure("the drain of agent " + agentId));
  peers_.erase(agent.peer);
  std::vector<TaskStatus> ended;
  for (const TaskKey& key : std::set<TaskKey>(tasks_.ofAgent(agentId))) {
    TaskRecord& task = *tasks_.find(key);
    if (!isTerminal(task.latest.state)) {
      setTaskStatus(task, masterStatus(task, taskState, reason, why));
      ended.push_back(task.latest);
    }
    completeTask(key);
  }
  double now = loop_.clock().wallSeconds();
  removedAgents_[agentId] = now;  // refused from now on
  persistRemoval(agentId, now, std::move(ended), 0);
  pruneRemovedAgents();
  agentEvent("AGENT_REMOVED", agent);
  agents_.erase(it);
  ++counters_["agents_removed"];
}

// Frameworks hear that the agent's tasks are GONE only once the registry has the removal: a
// master restarted in between must refuse the agent too. A failed write is tried again.
void Master::persistRemoval(const std::string& agentId, double when, std::vector<TaskStatus> ended, int attempt) {
  if (attempt == 0) ++removalsInFlight_;
  registry_->removeAgent(agentId, when, [this, agentId, when, ended, attempt](const Status& s) {
    if (s.ok()) {
      for (const TaskStatus& status : ended) forwardStatus(status);
      for (auto& [frameworkId, fw] : frameworks_)
        if (fw.connected) counted(fw.connection->agentLost(agentId));
      --removalsInFlight_;
      answerDeferredAsks();
      return;
    }
    Duration wait = std::min<Duration>(std::chrono::seconds(1) * (1 << std::min(attempt, 5)), std::chrono::seconds(30));
    LOG(ERROR) << "Registry write failed, the removal of agent " << agentId << " is not durable yet (retrying in "
               << toSeconds(wait) << " s): " << s.error();
    loop_.after(wait, [this, agentId, when, ended, attempt] { persistRemoval(agentId, when, ended, attempt + 1); });
  });
}

// An agent whose registration is being written is on its way back: its time is not up yet.
void Master::agentTimeUp(const std::string& agentId, const std::string& why) {
  auto it = agents_.find(agentId);
  if (it == agents_.end() || it->second.state == AgentState::kActive) return;
  for (const auto& [peer, id] : admitting_) {
    if (id != agentId) continue;
    loop_.after(options_.pingInterval, [this, agentId, why] { agentTimeUp(agentId, why); });
    return;
  }
  removeAgent(agentId, TaskState::GONE, TaskReason::AGENT_REMOVED, why);
}

void Master::pruneRemovedAgents() {
  double oldest = loop_.clock().wallSeconds() - toSeconds(options_.removedAgentsMaxAge);
  std::vector<std::pair<double, std::string>> byAge;
  for (const auto& [id, when] : removedAgents_) byAge.emplace_back(when, id);
  std::sort(byAge.begin(), byAge.end());
  size_t excess = byAge.size() > options_.removedAgentsMaxCount ? byAge.size() - options_.removedAgentsMaxCount : 0;
  std::vector<std::string> forget;
  for (size_t i = 0; i < byAge.size() && (i < excess || byAge[i].first < oldest); ++i) forget.push_back(byAge[i].second);
  if (forget.empty()) return;
  for (const std::string& id : forget) removedAgents_.erase(id);
  LOG(INFO) << "Forgetting " << forget.size() << " removed agents (older than "
            << toSeconds(options_.removedAgentsMaxAge) << " s, or beyond " << options_.removedAgentsMaxCount << ")";
  counters_["removed_agents_forgotten"] += forget.size();
  registry_->forgetRemovedAgents(forget, logFailure("forgetting removed agents"));
}

}  // namespace agora
