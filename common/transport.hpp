#pragma once
// ZeroMQ sockets that carry Envelopes. The master binds a ROUTER; agents, schedulers and
// clients connect a DEALER. Received bytes go through decodeEnvelope(); a message that fails
// is counted, logged at most once per peer per minute, and dropped: a bad peer can neither
// crash nor stall the receiver. Sends never block: a message that cannot be queued is
// logged and reported as not sent, and the protocol's resends recover it.

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <zmq.hpp>

#include "common/curve.hpp"
#include "common/envelope.hpp"
#include "common/event_loop.hpp"

namespace agora {

class MessageSocket {
 public:
  // `peer` is the sender's routing id on a ROUTER and empty on a DEALER.
  using Handler = std::function<void(const std::string& peer, proto::Envelope::Reader message)>;

  enum class Kind { kRouter, kDealer };

  MessageSocket(zmq::context_t& context, EventLoop& loop, Kind kind, DecodeLimits limits = {});
  // Leaves the loop, which may run on (a driver on a framework's loop goes before the loop).
  ~MessageSocket();
  MessageSocket(const MessageSocket&) = delete;
  MessageSocket& operator=(const MessageSocket&) = delete;

  // ROUTER: binds, e.g. "tcp://127.0.0.1:5050" or "tcp://127.0.0.1:*"; returns the bound endpoint.
  Try<std::string> bind(const std::string& endpoint);
  // DEALER: connects with a fresh routing id; ZeroMQ reconnects by itself after a drop.
  Status connect(const std::string& endpoint);
  // DEALER: leaves the endpoint it is connected to for `endpoint` (another master), with a
  // fresh routing id; what was queued for the old one is dropped (the protocol resends).
  Status switchTo(const std::string& endpoint);
  const std::string& endpoint() const { return endpoint_; }
  // Messages queued per connection, each way, before ZeroMQ pushes back: a full receive
  // queue stops reading that peer's TCP connection (so its sends back up to it); a full
  // send queue makes send() fail. Before bind() or connect().
  void setQueueLimits(int sendMessages, int receiveMessages);
  // How long messages still queued may take to leave when the socket closes (a resigning
  // master's last words to its peers).
  void setLinger(std::chrono::milliseconds linger);

  // ROUTER, before bind(): admits only CURVE peers, whose keys the context's
  // CurveAuthenticator checks against the allow-list.
  void serveCurve(const KeyPair& server);
  // DEALER, before connect(): encrypts to, and proves this side's key to, the master whose
  // public key the client names.
  void useCurve(const CurveClient& curve);
  // DEALER, before connect(): `handler` hears why the master refused a connection's
  // handshake (an unknown key, no key for a master that wants one, the wrong master key),
  // each time one fails: ZeroMQ itself only retries.
  void onRefused(std::function<void(const std::string& why)> handler);
  // ROUTER on ipc://, before bind(): connections from processes of other users are closed
  // (the kernel's SO_PEERCRED, checked by ZeroMQ): a task cannot pose as a supervisor.
  void admitOnlyUser(uid_t uid);
  // Connections admitOnlyUser() turned away.
  uint64_t refusedPeers() const { return refusedPeers_; }
  // ROUTER with CURVE: the principal of the message being handled (empty without CURVE).
  // Read in the handler: ZeroMQ attaches it to each message of an authenticated connection.
  const std::string& principal() const { return principal_; }

  void onMessage(Handler handler) { handler_ = std::move(handler); }

  bool send(OutboundEnvelope& message);                          // DEALER
  bool send(const std::string& peer, OutboundEnvelope& message); // ROUTER

  uint64_t malformedCount() const { return malformed_; }
  // Messages have arrived that the loop has not read yet.
  bool hasPendingInput();
  const std::string& routingId() const { return routingId_; }

 private:
  void drain();
  void dispatch(const std::string& peer, const zmq::message_t& body);
  void reportMalformed(const std::string& peer, const std::string& why);
  void monitor(int events);
  void readMonitor();

  zmq::context_t& context_;
  EventLoop& loop_;
  Kind kind_;
  DecodeLimits limits_;
  zmq::socket_t socket_;
  Handler handler_;
  std::string routingId_;
  std::string endpoint_;  // DEALER: where it is connected
  bool curve_ = false;
  std::string principal_;
  // DEALER with CURVE: ZeroMQ's reports of failed handshakes, read on the loop.
  std::unique_ptr<zmq::socket_t> monitor_;
  std::function<void(const std::string&)> onRefused_;
  uint64_t malformed_ = 0;
  uint64_t refusedPeers_ = 0;
  TimePoint lastRefusalLog_{};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for work already queued on the loop
  std::unordered_map<std::string, TimePoint> lastComplaint_;
};

// "host:port" or "tcp://host:port" -> "tcp://host:port".
std::string tcpEndpoint(const std::string& address);

}  // namespace agora
