// The per-task stream of status updates: each is resent with backoff until the framework's
// acknowledgement comes back through the master, and only then does the next one go out.
#include <unistd.h>

#include <glog/logging.h>

#include "agent/agent.hpp"
#include "common/codec.hpp"
#include "common/ids.hpp"

namespace agora {

void Agent::updateStatus(TaskRecord& task, TaskState state, TaskReason reason, const std::string& message,
                         std::optional<int> exitCode) {
  TaskStatus status;
  status.taskId = task.info.taskId;
  status.frameworkId = task.frameworkId;
  status.agentId = agentId_;
  status.state = state;
  status.reason = reason;
  status.message = message;
  status.uuid = newUuid();
  status.timestamp = loop_.clock().wallSeconds();
  status.exitCode = exitCode;
  status.labels = task.info.labels;
  ++counters_.statusUpdatesSent;
  if (task.launchedAt && (state == TaskState::RUNNING || isTerminal(state))) {
    // A task that ends before it ever ran, unless it was killed, is a launch that failed.
    if (state == TaskState::RUNNING) counters_.launchLatency.observe(toSeconds(loop_.clock().now() - *task.launchedAt));
    else if (state != TaskState::KILLED) ++counters_.launchesFailed;
    task.launchedAt.reset();
  }
  status.agentHostname = options_.hostname;
  status.agentHttpAddress = agentHttpUrl(options_.httpHost, options_.httpPort, options_.httpTls);
  status.sandbox = task.sandbox;
  status.healthy = task.healthy;
  if (task.info.readinessCheck) status.ready = task.ready;
  task.state = state;
  task.pending.push_back(status);
  // Before it goes out: a restarted agent resends it. If the write fails, transmit() tries
  // again before it sends anything.
  checkpoint(task);
  LOG(INFO) << "Task " << status.taskId << " of framework " << status.frameworkId << " is " << stateName(state)
            << ": " << message;
  if (task.pending.size() == 1) {
    task.retryDelay = options_.statusRetryInitial;
    transmit({task.frameworkId, task.info.taskId});
  }
}

void Agent::transmit(const TaskKey& key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end() || it->second.pending.empty()) return;
  TaskRecord& task = it->second;
  if (task.retryTimer) loop_.cancel(*task.retryTimer);
  task.retryTimer.reset();
  // An update goes out only once it is checkpointed: sent and then lost with a restart, it
  // would be acknowledged by a framework the agent can no longer answer for.
  bool durable = task.checkpointed || checkpoint(task);
  if (registered_ && durable) {
    TaskStatus status = task.pending.front();
    status.agentId = agentId_;
    OutboundEnvelope out;
    codec::write(status, out.get().initStatusUpdate().initStatus());
    send(out);
  }
  task.retryTimer = loop_.after(task.retryDelay, [this, key] {
    auto t = tasks_.find(key);
    if (t == tasks_.end()) return;
    t->second.retryTimer.reset();
    t->second.retryDelay = std::min(t->second.retryDelay * 2, options_.statusRetryMax);
    transmit(key);
  });
}

void Agent::onAcknowledgement(proto::StatusAcknowledgement::Reader message) {
  TaskKey key{message.getFrameworkId(), message.getTaskId()};
  auto it = tasks_.find(key);
  if (it == tasks_.end() || it->second.pending.empty()) return;
  TaskRecord& task = it->second;
  if (task.pending.front().uuid != message.getUuid()) {
    VLOG(1) << "Ignoring a stale acknowledgement for task " << key.second;
    return;
  }
  bool wasTerminal = isTerminal(task.pending.front().state);
  task.pending.pop_front();
  ++counters_.statusUpdatesAcknowledged;
  if (task.retryTimer) loop_.cancel(*task.retryTimer);
  task.retryTimer.reset();
  if (task.pending.empty() && wasTerminal) {
    // The framework knows the end of the task: nothing left to report or to recover.
    Status removed = checkpoint_->remove(key.first, key.second);
    if (!removed.ok()) LOG(ERROR) << "Task " << key.second << " stays in the checkpoint: " << removed.error();
    if (task.pidfd >= 0) {
      loop_.unwatchFd(task.pidfd);
      close(task.pidfd);
    }
    containers_.erase(task.containerId);
    tasks_.erase(it);
    return;
  }
  checkpoint(task);
  if (!task.pending.empty()) {
    task.retryDelay = options_.statusRetryInitial;
    transmit(key);
  }
}

// After (re-)registration the master may have missed anything: send every stream's head now.
void Agent::resendAllPending() {
  for (auto& [key, task] : tasks_) {
    if (task.pending.empty()) continue;
    task.retryDelay = options_.statusRetryInitial;
    transmit(key);
  }
}

}  // namespace agora
