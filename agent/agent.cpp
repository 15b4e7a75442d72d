// The agent's side of the master connection: registration, re-registration and liveness.
#include "agent/agent.hpp"

#include <unistd.h>

#include <glog/logging.h>

#include "common/codec.hpp"
#include "common/signals.hpp"

namespace agora {

Agent::Agent(zmq::context_t& context, EventLoop& loop, AgentOptions options, std::unique_ptr<Isolator> isolator,
             std::unique_ptr<AgentCheckpoint> checkpoint)
    : loop_(loop),
      options_(std::move(options)),
      isolator_(std::move(isolator)),
      checkpoint_(std::move(checkpoint)),
      socket_(context, loop, MessageSocket::Kind::kDealer, options_.limits),
      supervisors_(context, loop, MessageSocket::Kind::kRouter, options_.limits),
      masterTimeout_(options_.masterTimeout) {
  socket_.onMessage([this](const std::string&, proto::Envelope::Reader m) { onMessage(m); });
  supervisors_.onMessage([this](const std::string& peer, proto::Envelope::Reader m) { onSupervisorMessage(peer, m); });
  if (options_.curve) socket_.useCurve(*options_.curve);
  socket_.onRefused([](const std::string& why) { LOG(ERROR) << "agora-agent: " << why; });
}

Status Agent::start(int childSignalFd) {
  loop_.watchFd(childSignalFd, [this, childSignalFd] {
    while (readSignal(childSignalFd) != 0) {}
    reap();
  });
  // A socket file left by an agent that was killed would refuse the bind.
  std::string socketPath = options_.workDir + "/agent.sock";
  ::unlink(socketPath.c_str());
  supervisors_.admitOnlyUser(geteuid());
  Try<std::string> bound = supervisors_.bind("ipc://" + socketPath);
  if (bound.isError()) return Error("cannot listen for task supervisors: " + bound.error());
  Try<std::unique_ptr<MasterLocator>> locator = MasterLocator::make(options_.master);
  if (locator.isError()) return Error("--master: " + locator.error());
  locator_ = std::move(*locator);
  Status recovered = recover();
  if (!recovered.ok()) return recovered;
  // Before the loop runs: the first lookup may wait on etcd; later ones leave the loop.
  std::string endpoint = locator_->locate();
  if (!endpoint.empty()) {
    Status connected = socket_.connect(endpoint);
    if (!connected.ok()) return connected;
  }
  lastRelocation_ = loop_.clock().now();
  LOG(INFO) << "Agent on " << options_.hostname << " with " << options_.resources << ", isolating tasks with "
            << isolator_->name() << "; registering with " << options_.master;
  registrationTick();
  masterWatchdog();
  usageTick();
  gcTick();
  return Status::OK();
}

void Agent::send(OutboundEnvelope& message) {
  if (!socket_.endpoint().empty()) socket_.send(message);  // else no master is known yet
}

void Agent::sendRegistration() {
  OutboundEnvelope out;
  auto reg = out.get().initRegisterAgent();
  AgentInfo info{agentId_,          options_.hostname, options_.resources, options_.attributes,
                 options_.httpPort, isolator_->name(),  options_.httpHost,  options_.httpTls};
  codec::write(info, reg.initAgent());
  auto list = reg.initTasks(static_cast<unsigned>(tasks_.size()));
  unsigned i = 0;
  for (const auto& [key, task] : tasks_) {
    list[i].setFrameworkId(task.frameworkId);
    codec::write(task.info, list[i].initTask());
    list[i].setState(task.state);
    ++i;
  }
  send(out);
}

// Registration is retried until the master answers; the master treats a repeat from the
// same connection as the same agent.
void Agent::registrationTick() {
  if (!registered_) {
    // The master it tries says nothing (it is gone, or was never there): look again. A
    // standby answers, and names the leader once there is one.
    TimePoint now = loop_.clock().now();
    Duration patience = options_.registrationRetry * 2;
    if (now - lastHeardFromMaster_ >= patience && now - lastRelocation_ >= patience) relocateMaster();
    sendRegistration();
  }
  registrationTimer_ = loop_.after(options_.registrationRetry, [this] { registrationTick(); });
}

void Agent::masterWatchdog() {
  if (registered_ && loop_.clock().now() - lastHeardFromMaster_ > masterTimeout_)
    masterLost("no ping for " + std::to_string(toSeconds(masterTimeout_)) + " s");
  loop_.after(std::max<Duration>(masterTimeout_ / 10, std::chrono::milliseconds(10)), [this] { masterWatchdog(); });
}

void Agent::masterLost(const std::string& why) {
  LOG(WARNING) << "Lost the master (" << why << "); re-registering with " << tasks_.size() << " tasks";
  registered_ = false;
  relocateMaster();
  sendRegistration();
}

void Agent::relocateMaster() {
  lastRelocation_ = loop_.clock().now();
  locator_->locateAsync(loop_, [this](const std::string& endpoint) { moveToMaster(endpoint); });
}

void Agent::moveToMaster(const std::string& endpoint) {
  if (endpoint.empty() || endpoint == socket_.endpoint()) return;
  Status moved = socket_.switchTo(endpoint);
  if (!moved.ok()) {
    LOG(WARNING) << moved.error();
    return;
  }
  LOG(INFO) << "Looking for the leading master at " << endpoint;
  if (!registered_) sendRegistration();
}

void Agent::onRedirect(proto::Redirect::Reader message) {
  if (registered_) LOG(WARNING) << "Master: " << message.getMessage().cStr();
  registered_ = false;
  std::string leader = message.getZmq();
  if (!leader.empty()) {
    moveToMaster(leader);
    return;
  }
  // No leader yet: the registration tick asks again, and looks for one as it does.
}

void Agent::onMessage(proto::Envelope::Reader message) {
  lastHeardFromMaster_ = loop_.clock().now();
  switch (message.which()) {
    case proto::Envelope::AGENT_REGISTERED: onRegistered(message.getAgentRegistered()); return;
    case proto::Envelope::PING: onPing(message.getPing()); return;
    case proto::Envelope::RUN_TASK: onRunTask(message.getRunTask()); return;
    case proto::Envelope::KILL_TASK: onKillTask(message.getKillTask()); return;
    case proto::Envelope::STATUS_ACKNOWLEDGEMENT: onAcknowledgement(message.getStatusAcknowledgement()); return;
    case proto::Envelope::REREGISTER_REQUIRED:
      if (registered_) masterLost(message.getReregisterRequired().getMessage());
      return;
    case proto::Envelope::ERROR:
      LOG(ERROR) << "Master: " << message.getError().getMessage().cStr();
      return;
    case proto::Envelope::AGENT_REMOVED: onRemoved(message.getAgentRemoved().getMessage()); return;
    case proto::Envelope::REDIRECT: onRedirect(message.getRedirect()); return;
    default:
      LOG(WARNING) << "Ignoring unexpected message '" << envelopeKind(message) << "' from the master";
  }
}

void Agent::onRegistered(proto::AgentRegistered::Reader message) {
  bool first = agentId_.empty();
  if (agentId_ != message.getAgentId().cStr()) {
    Status saved = checkpoint_->saveAgentId(message.getAgentId());
    // Without its id a restarted agent would come back as a stranger: its tasks lost.
    if (!saved.ok()) LOG(ERROR) << "Cannot checkpoint the agent id: " << saved.error();
  }
  agentId_ = message.getAgentId();
  masterId_ = message.getMasterId();
  double interval = message.getPingIntervalSeconds();
  uint32_t missed = message.getMaxMissedPings();
  if (interval > 0 && missed > 0) masterTimeout_ = seconds(interval * missed);
  if (!registered_)
    LOG(INFO) << (first ? "Registered" : "Re-registered") << " as agent " << agentId_ << " with master " << masterId_;
  registered_ = true;
  resendAllPending();
}

// The master removed this agent and told the frameworks that its tasks are GONE: none of them
// may run on, and no update of theirs means anything to anyone. Everything goes; the
// registration that goes on registers a new agent.
void Agent::onRemoved(const std::string& why) {
  LOG(ERROR) << "Master: " << why << ". Killing " << tasks_.size() << " tasks and registering as a new agent";
  for (auto& [key, task] : tasks_) {
    if (task.retryTimer) loop_.cancel(*task.retryTimer);
    if (task.pidfd >= 0) {
      loop_.unwatchFd(task.pidfd);
      ::close(task.pidfd);
    }
  }
  shutdownTasks(std::chrono::seconds(10));
  tasks_.clear();
  containers_.clear();
  Status cleared = checkpoint_->clear();
  if (!cleared.ok()) LOG(ERROR) << "Cannot clear the checkpoint of the removed agent: " << cleared.error();
  agentId_.clear();
  masterId_.clear();
  registered_ = false;
}

void Agent::onPing(proto::Ping::Reader message) {
  if (!registered_) return;  // a ping before registration completes means nothing yet
  if (message.getMasterId() != masterId_) {
    masterLost("a different master is pinging");
    return;
  }
  OutboundEnvelope out;
  out.get().initPong().setSequence(message.getSequence());
  send(out);
}

}  // namespace agora
