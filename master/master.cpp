#include "master/master.hpp"

#include <glog/logging.h>

#include "common/codec.hpp"
#include "common/ids.hpp"

namespace agora {

Master::Master(zmq::context_t& context, EventLoop& loop, MasterOptions options, std::unique_ptr<Registry> registry,
               std::unique_ptr<Allocator> allocator)
    : context_(context),
      loop_(loop),
      options_(std::move(options)),
      registry_(std::move(registry)),
      allocator_(std::move(allocator)),
      authenticator_(options_.curve ? std::make_unique<CurveAuthenticator>(context, options_.allowList) : nullptr),
      socket_(context, loop, MessageSocket::Kind::kRouter, options_.limits),
      masterId_(options_.masterId.empty() ? newId("master") : options_.masterId),
      tasks_(options_.maxCompletedTasks),
      events_(makeEventFeed(options_.eventsKept)) {
  socket_.onMessage([this](const std::string& peer, proto::Envelope::Reader m) { onMessage(peer, m); });
}

Try<std::string> Master::start() {
  Try<std::string> bound = bind();
  if (bound.isError()) return bound;
  Status led = lead();
  if (!led.ok()) return Error(led.error());
  return bound;
}

// Agents and frameworks from the registry wait for their owners to come back.
void Master::recover(const RegistryState& state) {
  TimePoint now = loop_.clock().now();
  roleConfigs_ = state.roles;
  removedAgents_ = state.removedAgents;
  pruneRemovedAgents();
  for (const auto& [role, config] : state.roles) applyRole(role, config);
  for (const auto& [id, info] : state.frameworks) {
    // With its registry entry, so that it gets its own failover timeout to come back.
    ensureFramework(id, &info);
  }
  for (const auto& [id, info] : state.agents) {
    AgentRecord& agent = agents_[id];
    agent.info = info;
    agent.state = AgentState::kRecovered;
    agent.lastSeen = now;
    if (auto d = state.draining.find(id); d != state.draining.end()) agent.drainDeadline = d->second;
    if (auto r = state.reservations.find(id); r != state.reservations.end()) agent.dynamic = r->second;
  }
  if (!state.agents.empty() || !state.frameworks.empty())
    LOG(INFO) << "Recovered " << state.agents.size() << " agents and " << state.frameworks.size()
              << " frameworks from the registry; waiting up to " << toSeconds(options_.agentReregisterTimeout)
              << " s for agents to re-register";
  loop_.after(options_.agentReregisterTimeout, [this] {
    std::vector<std::string> missing;
    for (const auto& [id, agent] : agents_)
      if (agent.state == AgentState::kRecovered) missing.push_back(id);
    for (const auto& id : missing) agentTimeUp(id, "agent did not re-register after master failover");
  });
}

void Master::onMessage(const std::string& peer, proto::Envelope::Reader message) {
  ++counters_["messages_received"];
  if (!acting()) {
    sendRedirect(peer, "this master does not lead");
    return;
  }
  switch (message.which()) {
    case proto::Envelope::REGISTER_AGENT:
      onRegisterAgent(peer, message.getRegisterAgent());
      return;
    case proto::Envelope::SUBSCRIBE:
      onSubscribe(peer, message.getSubscribe());
      return;
    case proto::Envelope::API_REQUEST:
      onApiRequest(peer, message.getApiRequest());
      return;
    default:
      break;
  }
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    sendReregisterRequired(peer, "this master does not know the connection; register again");
    return;
  }
  Peer who = it->second;  // a copy: handlers may drop the peer
  if (principalChanged(peer, who)) return;
  onPeerMessage(peer, who, message);
}

void Master::onPeerMessage(const std::string& peer, const Peer& who, proto::Envelope::Reader message) {
  if (who.isAgent) {
    auto agent = agents_.find(who.id);
    if (agent == agents_.end()) return;
    agent->second.lastSeen = loop_.clock().now();
    switch (message.which()) {
      case proto::Envelope::STATUS_UPDATE: onStatusUpdate(agent->second, message.getStatusUpdate()); return;
      case proto::Envelope::AGENT_USAGE: onAgentUsage(agent->second, message.getAgentUsage()); return;
      case proto::Envelope::PONG: return;
      default: break;
    }
  } else {
    auto fw = frameworks_.find(who.id);
    if (fw == frameworks_.end()) return;
    FrameworkRecord& f = fw->second;
    f.lastSeen = loop_.clock().now();
    Try<std::optional<calls::Call>> call = calls::decode(message);
    if (call.isError()) {
      ++counters_["calls_invalid"];
      sendError(peer, "'" + envelopeKind(message) + "' refused: " + call.error());
      return;
    }
    if (*call) {
      onCall(f, **call);
      return;
    }
  }
  ++counters_["messages_unexpected"];
  sendError(peer, "message '" + envelopeKind(message) + "' is not one this peer may send to the master");
}

// Each agent is pinged once an interval, in one of kPingSlices turns spread over it: ten
// thousand pings at once come back as ten thousand pongs at once, and every task launch
// waits behind them.
void Master::pingTick() {
  if (!acting()) {
    // Its lease is in doubt: judging peers now could remove what the next leader keeps.
    loop_.after(options_.pingInterval / kPingSlices, [this] { pingTick(); });
    return;
  }
  TimePoint now = loop_.clock().now();
  Duration deadline = options_.pingInterval * options_.maxMissedPings;
  uint32_t slice = pingSlice_;
  pingSlice_ = (pingSlice_ + 1) % kPingSlices;
  OutboundEnvelope ping;
  auto p = ping.get().initPing();
  p.setMasterId(masterId_);
  p.setSequence(++pingSequence_);
  std::vector<std::string> lostAgents, lostFrameworks;
  for (auto& [id, agent] : agents_) {
    if (agent.state != AgentState::kActive) continue;
    if (now - agent.lastSeen > deadline) lostAgents.push_back(id);
    else if (agent.pingSlice == slice) sendTo(agent.peer, ping);
  }
  for (auto& [id, fw] : frameworks_) {
    if (!fw.connected) continue;
    // An HTTP scheduler answers no pings: it lives while its stream takes what is written
    // (each heartbeat is a write, so a client that is gone is found within an interval).
    if (fw.connection && !fw.connection->answersPings() && fw.connection->alive()) fw.lastSeen = now;
    if (now - fw.lastSeen > deadline) lostFrameworks.push_back(id);
    else if (slice == 0 && fw.connection) counted(fw.connection->ping(masterId_, pingSequence_));
  }
  bool judging = !lostAgents.empty() || !lostFrameworks.empty();
  if (!judging || !behind()) {
    behindSince_.reset();
  } else {
    // Their pongs may be among what this master has not read yet: a busy master must not
    // take its peers for dead. It judges them once it has caught up, or after one more
    // deadline, so that a master that stays behind still finds peers that are gone.
    if (!behindSince_) behindSince_ = now;
    if (now - *behindSince_ <= deadline) {
      counters_["liveness_checks_deferred"] += 1;
      lostAgents.clear();
      lostFrameworks.clear();
    }
  }
  for (const auto& id : lostAgents) agentUnreachable(agents_.at(id), "missed pings");
  for (const auto& id : lostFrameworks) frameworkDisconnected(frameworks_.at(id), "missed pings");
  loop_.after(options_.pingInterval / kPingSlices, [this] { pingTick(); });
}

void Master::allocationTick() {
  allocate(Allocator::Scope::kAll);
  loop_.after(options_.allocationInterval, [this] { allocationTick(); });
}

// Events ask for a cycle; a burst of them causes one.
void Master::triggerAllocation() {
  if (allocationPending_) return;
  allocationPending_ = true;
  loop_.post([this] { allocate(Allocator::Scope::kChanged); });
}

void Master::allocate(Allocator::Scope scope) {
  allocationPending_ = false;
  if (!acting()) return;
  ++counters_["allocation_cycles"];
  std::map<std::string, std::vector<Offer>> byFramework;
  for (Allocation& a : allocator_->allocate(scope)) {
    auto fw = frameworks_.find(a.frameworkId);
    auto agent = agents_.find(a.agentId);
    if (fw == frameworks_.end() || !fw->second.connected || agent == agents_.end()) {
      allocator_->recoverResources(a.frameworkId, a.agentId, a.resources, std::nullopt);
      continue;
    }
    Offer offer{newId("offer"), a.frameworkId, a.agentId, agent->second.info.hostname, a.resources,
                agent->second.info.attributes, a.role};
    offers_.add(offer);
    if (options_.offerTimeout > Duration::zero()) {
      // A framework that sits on an offer keeps it from everyone else: take it back.
      loop_.after(options_.offerTimeout, [this, id = offer.id] {
        if (!offers_.find(id)) return;
        LOG(INFO) << "Offer " << id << " was neither accepted nor declined in time: rescinding it";
        ++counters_["offers_timed_out"];
        rescindOffer(id, true);
      });
    }
    byFramework[a.frameworkId].push_back(std::move(offer));
  }
  for (auto& [frameworkId, offers] : byFramework) {
    counted(frameworks_.at(frameworkId).connection->offers(offers));
    counters_["offers_sent"] += offers.size();
  }
}

// Takes an offer back from its framework; `recover` returns its resources to the allocator.
void Master::rescindOffer(const std::string& offerId, bool recover) {
  std::optional<Offer> taken = offers_.take(offerId);
  if (!taken) return;
  const Offer& offer = *taken;
  if (recover) allocator_->recoverResources(offer.frameworkId, offer.agentId, offer.resources, std::nullopt);
  auto fw = frameworks_.find(offer.frameworkId);
  if (fw != frameworks_.end() && fw->second.connected) counted(fw->second.connection->rescind(offerId));
  ++counters_["offers_rescinded"];
}

void Master::sendTo(const std::string& peer, OutboundEnvelope& message) { counted(socket_.send(peer, message)); }

void Master::counted(bool sent) {
  if (!sent) ++counters_["messages_not_sent"];
}

void Master::sendError(const std::string& peer, const std::string& message) {
  LOG(WARNING) << "Telling a peer: " << message;
  OutboundEnvelope out;
  out.get().initError().setMessage(message);
  sendTo(peer, out);
}

void Master::sendReregisterRequired(const std::string& peer, const std::string& why) {
  OutboundEnvelope out;
  out.get().initReregisterRequired().setMessage(why);
  sendTo(peer, out);
}

Registry::Done Master::logFailure(const std::string& what) {
  return [what](const Status& s) {
    if (!s.ok()) LOG(ERROR) << "Registry write failed, " << what << " is not durable: " << s.error();
  };
}

void Master::onApiRequest(const std::string& peer, proto::ApiRequest::Reader request) {
  ApiCall call = parseApiTarget(request.getMethod(), request.getPath(), request.getBody());
  call.principal = socket_.principal();
  // Streams (the event stream, an HTTP scheduler's subscription) need an HTTP connection to
  // live on: ZeroMQ requests get one answer each.
  bool streaming = call.path == "/api/v1/scheduler" || call.path == "/api/v1/events";
  ApiReply reply = streaming ? errorReply(400, call.path + " is a stream, served over HTTP only") : handleApi(call);
  uint64_t requestId = request.getRequestId();
  auto answer = [this, peer, requestId](const ApiReply& reply) {
    OutboundEnvelope out;
    auto r = out.get().initApiResponse();
    r.setRequestId(requestId);
    r.setStatus(static_cast<uint16_t>(reply.status));
    r.setBody(reply.body);
    sendTo(peer, out);
  };
  // A later answer is given on this loop (by a registry write's answer), while the master lives.
  if (reply.pending)
    reply.pending->then(answer);
  else
    answer(reply);
}

}  // namespace agora
