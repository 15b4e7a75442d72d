#include "bench/sim/sim_agents.hpp"

#include <glog/logging.h>

#include "common/codec.hpp"
#include "common/ids.hpp"

namespace agora::sim {

AgentFleet::AgentFleet(DealerSet& sockets, AgentFleetOptions options)
    : sockets_(sockets), options_(std::move(options)) {}

Status AgentFleet::start() {
  startedAt_ = SteadyClock::now();
  agents_.resize(static_cast<size_t>(options_.count));
  for (uint32_t i = 0; i < agents_.size(); ++i) {
    auto socket = sockets_.add(options_.endpoint, "sim-agent-" + std::to_string(i) + "-" + newUuid(),
                                   [this, i](proto::Envelope::Reader m) { onMessage(i, m); });
    if (socket.isError()) return Error(socket.error());
    agents_[i].socket = *socket;
    sendRegistration(i);
  }
  return Status::OK();
}

void AgentFleet::sendRegistration(uint32_t index) {
  Agent& agent = agents_[index];
  AgentInfo info;
  info.id = agent.id;  // set when re-registering
  info.hostname = "sim-agent-" + std::to_string(index);
  info.resources = options_.resources;
  info.isolation = "simulated";
  OutboundEnvelope out;
  auto r = out.get().initRegisterAgent();
  codec::write(info, r.initAgent());
  auto tasks = r.initTasks(static_cast<unsigned>(agent.tasks.size()));
  unsigned n = 0;
  for (const auto& [key, resources] : agent.tasks) {
    auto slash = key.find('/');
    auto t = tasks[n++];
    t.setFrameworkId(key.substr(0, slash));
    t.setState(proto::TaskState::RUNNING);
    TaskInfo task;
    task.taskId = key.substr(slash + 1);
    task.agentId = agent.id;
    task.resources = resources;
    task.command.value = "simulated";
    codec::write(task, t.initTask());
  }
  agent.registrationSentAt = SteadyClock::now();
  sockets_.send(agent.socket, out);
  ++stats_.registrationsSent;
}

void AgentFleet::silence(int n) {
  for (int i = 0; i < n && i < static_cast<int>(agents_.size()); ++i) agents_[static_cast<size_t>(i)].silent = true;
}

void AgentFleet::onMessage(uint32_t index, proto::Envelope::Reader message) {
  Agent& agent = agents_[index];
  if (agent.silent) return;
  switch (message.which()) {
    case proto::Envelope::AGENT_REGISTERED:
      if (!agent.registered) {
        agent.registered = true;
        ++registered_;
        ++registeredSince_;
        registrationSeconds_.push_back(std::chrono::duration<double>(SteadyClock::now() - startedAt_).count());
      }
      agent.id = message.getAgentRegistered().getAgentId();
      return;
    case proto::Envelope::PING: {
      OutboundEnvelope pong;
      pong.get().initPong().setSequence(message.getPing().getSequence());
      sockets_.send(agent.socket, pong);
      return;
    }
    case proto::Envelope::RUN_TASK:
      onRunTask(index, message.getRunTask());
      return;
    case proto::Envelope::KILL_TASK: {
      ++stats_.killsReceived;
      auto kill = message.getKillTask();
      std::string frameworkId = kill.getFrameworkId(), taskId = kill.getTaskId();
      if (agent.tasks.count(frameworkId + "/" + taskId)) sendStatus(index, frameworkId, taskId, TaskState::KILLED);
      return;
    }
    case proto::Envelope::STATUS_ACKNOWLEDGEMENT:
      ++stats_.acknowledgements;
      return;
    case proto::Envelope::REDIRECT:
      if (agent.registered) --registered_;
      agent.registered = false;
      agent.redirectTo = message.getRedirect().getZmq();
      return;
    case proto::Envelope::REREGISTER_REQUIRED:
      ++stats_.reregisterRequests;
      sendRegistration(index);
      return;
    case proto::Envelope::ERROR:
      ++stats_.errors;
      LOG_EVERY_N(WARNING, 100) << "Agent " << index << " got an error from the master: "
                                << message.getError().getMessage().cStr();
      return;
    default:
      return;
  }
}

void AgentFleet::onRunTask(uint32_t index, proto::RunTask::Reader run) {
  ++stats_.tasksReceived;
  std::string frameworkId = run.getFramework().getId(), taskId = run.getTask().getTaskId();
  Try<Resources> resources = codec::read(run.getTask().getResources());
  agents_[index].tasks[frameworkId + "/" + taskId] = resources.ok() ? *resources : Resources();
  sendStatus(index, frameworkId, taskId, TaskState::RUNNING);
  if (options_.taskSeconds == 0) {
    sendStatus(index, frameworkId, taskId, TaskState::FINISHED);
    ++stats_.tasksFinished;
  } else if (options_.taskSeconds > 0) {
    auto at = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                       std::chrono::duration<double>(options_.taskSeconds));
    finishing_.push_back({at, index, frameworkId, taskId});
  }
}

void AgentFleet::sendStatus(uint32_t index, const std::string& frameworkId, const std::string& taskId,
                            TaskState state) {
  Agent& agent = agents_[index];
  TaskStatus status;
  status.taskId = taskId;
  status.frameworkId = frameworkId;
  status.agentId = agent.id;
  status.state = state;
  status.reason = isTerminal(state) ? TaskReason::COMMAND_EXITED : TaskReason::NONE;
  if (state == TaskState::FINISHED) status.exitCode = 0;
  status.uuid = newUuid();
  status.timestamp = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  OutboundEnvelope out;
  codec::write(status, out.get().initStatusUpdate().initStatus());
  sockets_.send(agent.socket, out);
  if (isTerminal(state)) agent.tasks.erase(frameworkId + "/" + taskId);
}

void AgentFleet::followLeader() {
  for (uint32_t i = 0; i < agents_.size(); ++i) {
    Agent& agent = agents_[i];
    bool lost = sockets_.closed(agent.socket);
    if (!lost && agent.redirectTo.empty()) continue;
    if (agent.registered) --registered_;
    agent.registered = false;
    std::string to = agent.redirectTo;
    if (to.empty()) {
      agent.master = (agent.master + 1) % options_.masters.size();
      to = options_.masters[agent.master];
    }
    agent.redirectTo.clear();
    Status moved = sockets_.retarget(agent.socket, to);
    if (!moved.ok()) {
      LOG_EVERY_N(WARNING, 100) << moved.error();
    }
    sendRegistration(i);
  }
}

void AgentFleet::tick(SteadyClock::time_point now) {
  auto retry = std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(options_.registrationRetrySeconds));
  if (!options_.masters.empty() && now - lastFollowScan_ > std::chrono::milliseconds(20)) {
    lastFollowScan_ = now;
    followLeader();
  }
  if (registered_ < options_.count && now - lastRetryScan_ > std::chrono::milliseconds(100)) {
    lastRetryScan_ = now;
    for (uint32_t i = 0; i < agents_.size(); ++i) {
      if (!agents_[i].registered && !agents_[i].silent && now - agents_[i].registrationSentAt > retry) sendRegistration(i);
    }
  }
  while (!finishing_.empty() && finishing_.front().at <= now) {
    Finishing f = std::move(finishing_.front());
    finishing_.pop_front();
    if (agents_[f.agent].silent || !agents_[f.agent].tasks.count(f.frameworkId + "/" + f.taskId)) continue;
    sendStatus(f.agent, f.frameworkId, f.taskId, TaskState::FINISHED);
    ++stats_.tasksFinished;
  }
}

}  // namespace agora::sim
