// Task bookkeeping shared by the agent and framework sides of the master.
#include <glog/logging.h>

#include "common/codec.hpp"
#include "master/master.hpp"

namespace agora {

void Master::forwardStatus(const TaskStatus& status) {
  auto fw = frameworks_.find(status.frameworkId);
  if (fw == frameworks_.end() || !fw->second.connected) {
    // The agent resends acknowledged-by-nobody updates; master-made ones are answered
    // again by reconciliation.
    ++counters_["status_updates_undeliverable"];
    return;
  }
  counted(fw->second.connection->update(status));
  ++counters_["status_updates_forwarded"];
}

TaskStatus Master::masterStatus(const TaskRecord& task, TaskState state, TaskReason reason,
                                const std::string& message) {
  TaskStatus s;
  s.taskId = task.info.taskId;
  s.frameworkId = task.frameworkId;
  s.agentId = task.info.agentId;
  s.state = state;
  s.reason = reason;
  s.message = message;
  s.fromMaster = true;
  s.timestamp = loop_.clock().wallSeconds();
  if (task.latest.exitCode && state == task.latest.state) s.exitCode = task.latest.exitCode;
  s.sandbox = task.latest.sandbox;
  s.healthy = task.latest.healthy;
  s.ready = task.latest.ready;
  describeTask(s, task);
  return s;
}

void Master::describeTask(TaskStatus& status, const TaskRecord& task) const {
  status.labels = task.info.labels;
  auto agent = agents_.find(task.info.agentId);
  if (agent == agents_.end()) return;
  status.agentHostname = agent->second.info.hostname;
  const AgentInfo& info = agent->second.info;
  status.agentHttpAddress = agentHttpUrl(info.httpHost, info.httpPort, info.httpTls);
}

// The task's stream is over: keep it among the completed tasks for the state API.
void Master::completeTask(const TaskKey& key) {
  tasks_.complete(key);
}

void Master::acknowledgeToAgent(const std::string& agentId, const std::string& frameworkId,
                                const std::string& taskId, const std::string& uuid) {
  auto agent = agents_.find(agentId);
  if (agent == agents_.end() || agent->second.state != AgentState::kActive || uuid.empty()) return;
  OutboundEnvelope out;
  auto ack = out.get().initStatusAcknowledgement();
  ack.setFrameworkId(frameworkId);
  ack.setAgentId(agentId);
  ack.setTaskId(taskId);
  ack.setUuid(uuid);
  sendTo(agent->second.peer, out);
}

void Master::killOnAgent(AgentRecord& agent, const std::string& frameworkId, const std::string& taskId,
                         TaskReason reason, double gracePeriodSeconds) {
  OutboundEnvelope out;
  auto kill = out.get().initKillTask();
  kill.setFrameworkId(frameworkId);
  kill.setTaskId(taskId);
  kill.setGracePeriodSeconds(gracePeriodSeconds);
  kill.setReason(reason);
  sendTo(agent.peer, out);
}

}  // namespace agora
