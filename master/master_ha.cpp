// Several masters, one leading: the standby's side (redirects) and taking office.
#include <unistd.h>

#include <glog/logging.h>

#include "common/leader_redirect.hpp"
#include "master/master.hpp"

namespace agora {

using nlohmann::json;

Try<std::string> Master::bind() {
  // Sends keep the old, roomy queue: offers and updates to one framework come in bursts.
  socket_.setQueueLimits(100000, options_.peerQueueMessages);
  if (options_.curve) socket_.serveCurve(*options_.curve);
  Try<std::string> bound = socket_.bind(options_.endpoint);
  if (bound.isError()) return bound;
  LOG(INFO) << "Master " << masterId_ << " listening on " << *bound;
  return bound;
}

Status Master::lead() {
  if (leading_) return Error("this master already leads");
  startedAt_ = loop_.clock().wallSeconds();
  Try<RegistryState> state = registry_->load();
  if (state.isError()) return Error("cannot load the registry: " + state.error());
  recover(*state);
  leading_ = true;
  loop_.after(options_.pingInterval / kPingSlices, [this] { pingTick(); });
  allocationTick();
  utilizationTick();
  // Event ids from the wall clock in milliseconds, times 1000: a master that leads later, here
  // or elsewhere, goes on above the ids its predecessor gave, so a Last-Event-ID never
  // matches some other master's event.
  events_.startAt(static_cast<uint64_t>(startedAt_ * 1000) * 1000);
  LOG(INFO) << "Master " << masterId_ << " leads" << (election_ ? " (term " + std::to_string(election_->term()) + ")" : "");
  return Status::OK();
}

bool Master::acting() const { return leading_ && (!election_ || election_->leading()); }

void Master::sendRedirect(const std::string& peer, const std::string& why) {
  OutboundEnvelope out;
  auto r = out.get().initRedirect();
  std::optional<ElectionMember> leader = election_ ? election_->leader() : std::nullopt;
  if (leader && leader->id != masterId_) {
    r.setZmq(leader->zmq);
    r.setHttp(leader->http);
    r.setMessage(why + "; master " + leader->id + " leads at " + leader->zmq);
  } else {
    r.setMessage(why + "; no master leads at the moment, ask again shortly");
  }
  ++counters_["redirects_sent"];
  sendTo(peer, out);
}

void Master::releasePeers(const std::string& why) {
  std::set<std::string> told;
  for (const auto& [id, agent] : agents_)
    if (!agent.peer.empty() && told.insert(agent.peer).second) sendRedirect(agent.peer, why);
  for (const auto& [id, fw] : frameworks_)
    if (fw.connected && !fw.peer.empty() && told.insert(fw.peer).second) sendRedirect(fw.peer, why);
  socket_.setLinger(std::chrono::milliseconds(500));
}

ApiReply Master::standbyReply(const ApiCall& call) const {
  // What a standby says of itself; everything else is the leader's.
  if (call.path == "/health") return jsonReply(200, json{{"status", "ok"}, {"leading", false}});
  if (call.path == "/api/v1/info") return jsonReply(200, infoJson());
  if (call.path == "/metrics") return ApiReply{200, prometheusText(metricsJson()), "text/plain; version=0.0.4"};
  return redirectToLeader(call, election_ ? election_->leader() : std::nullopt, masterId_, "master");
}

json Master::infoJson() const {
  // The pid: an operator (or a test) stopping this master finds it by its id, not its name.
  json info = {{"id", masterId_}, {"endpoint", options_.endpoint}, {"version", "0.1.0"}, {"pid", ::getpid()},
               {"http", httpAddress_}};
  info.update(leadershipJson());
  return info;
}

json Master::leadershipJson() const {
  json j = {{"leading", acting()}};
  if (!election_) return j;
  j["term"] = election_->term();
  j["elections"] = election_->leaderChanges();
  std::optional<ElectionMember> leader = election_->leader();
  if (leader) j["leader"] = {{"id", leader->id}, {"zmq", leader->zmq}, {"http", leader->http}};
  json standbys = json::array();
  for (const ElectionMember& m : election_->members())
    if (!leader || m.id != leader->id) standbys.push_back({{"id", m.id}, {"zmq", m.zmq}, {"http", m.http}});
  j["standbys"] = standbys;
  return j;
}

}  // namespace agora
