#include "common/transport.hpp"

#include <cstring>

#include <glog/logging.h>

#include "common/ids.hpp"
#include "common/text.hpp"

namespace agora {

MessageSocket::MessageSocket(zmq::context_t& context, EventLoop& loop, Kind kind, DecodeLimits limits)
    : context_(context),
      loop_(loop),
      kind_(kind),
      limits_(limits),
      socket_(context, kind == Kind::kRouter ? zmq::socket_type::router : zmq::socket_type::dealer) {
  // A client's last words (a teardown, an acknowledgement) get a moment to leave on close.
  socket_.set(zmq::sockopt::linger, kind == Kind::kDealer ? 500 : 0);
  // ZeroMQ itself refuses frames above this size before we ever see them.
  socket_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(limits_.maxBytes + 4096));
  socket_.set(zmq::sockopt::sndhwm, 100000);
  socket_.set(zmq::sockopt::rcvhwm, 100000);
  if (kind_ == Kind::kRouter) {
    socket_.set(zmq::sockopt::router_mandatory, 1);
    // A peer that reconnects with the same routing id takes over its old connection.
    socket_.set(zmq::sockopt::router_handover, 1);
    // A whole fleet connects at once after a master restart; with ZeroMQ's default queue of
    // 100 pending connections most would wait out TCP's SYN retries (the kernel caps this at
    // net.core.somaxconn).
    socket_.set(zmq::sockopt::backlog, 4096);
  }
  loop_.watchSocket(socket_.handle(), [this, alive = alive_] {
    if (*alive) drain();
  });
}

MessageSocket::~MessageSocket() {
  *alive_ = false;
  loop_.unwatchSocket(socket_.handle());
  if (monitor_) {
    loop_.unwatchSocket(monitor_->handle());
    zmq_socket_monitor(socket_.handle(), nullptr, 0);
  }
}

void MessageSocket::serveCurve(const KeyPair& server) {
  socket_.set(zmq::sockopt::curve_server, 1);
  socket_.set(zmq::sockopt::curve_secretkey, server.secretKey);
  // ZeroMQ asks the authenticator only for sockets with a domain.
  socket_.set(zmq::sockopt::zap_domain, "agora");
  curve_ = true;
}

void MessageSocket::admitOnlyUser(uid_t uid) {
  // Deprecated in favour of a ZAP handler, which would see the same credentials; this is
  // the one line that needs no authenticator thread in every agent.
  int id = static_cast<int>(uid);
  if (zmq_setsockopt(socket_.handle(), ZMQ_IPC_FILTER_UID, &id, sizeof id) != 0) {
    LOG(WARNING) << "This libzmq cannot check the credentials of ipc:// peers: " << zmq_strerror(zmq_errno());
    return;
  }
  monitor(ZMQ_EVENT_ACCEPT_FAILED);
}

void MessageSocket::useCurve(const CurveClient& curve) {
  socket_.set(zmq::sockopt::curve_serverkey, curve.masterPublicKey);
  socket_.set(zmq::sockopt::curve_publickey, curve.keys.publicKey);
  socket_.set(zmq::sockopt::curve_secretkey, curve.keys.secretKey);
  curve_ = true;
}

void MessageSocket::onRefused(std::function<void(const std::string& why)> handler) {
  onRefused_ = std::move(handler);
  monitor(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
}

void MessageSocket::monitor(int events) {
  if (monitor_) return;
  std::string endpoint = "inproc://agora-monitor-" + newUuid();
  zmq_socket_monitor(socket_.handle(), endpoint.c_str(), events);
  monitor_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::pair);
  monitor_->connect(endpoint);
  loop_.watchSocket(monitor_->handle(), [this, alive = alive_] {
    if (*alive) readMonitor();
  });
}

void MessageSocket::readMonitor() {
  for (;;) {
    // Two frames: the event (16 bits) and its value (32 bits), then the peer's address.
    zmq::message_t event, address;
    if (!monitor_->recv(event, zmq::recv_flags::dontwait)) return;
    if (event.more()) (void)monitor_->recv(address, zmq::recv_flags::dontwait);
    if (event.size() < 6) continue;
    uint16_t id;
    uint32_t value;
    std::memcpy(&id, event.data(), 2);
    std::memcpy(&value, static_cast<const char*>(event.data()) + 2, 4);
    std::string where = address.to_string();
    if (id == ZMQ_EVENT_ACCEPT_FAILED) {
      // A task posing as a supervisor: worth a line, at most once a minute.
      ++refusedPeers_;
      TimePoint now = loop_.clock().now();
      if (now - lastRefusalLog_ >= std::chrono::minutes(1)) {
        lastRefusalLog_ = now;
        LOG(WARNING) << "Refused a connection on " << where << " from a process of another user ("
                     << refusedPeers_ << " refused in total)";
      }
      continue;
    }
    if (!onRefused_) continue;
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
      onRefused_("the master at " + where + " refused this key (ZAP status " + std::to_string(value) +
                 "): add its public key to the master's allow-list, or use a key that is there");
    else if (!curve_)
      // ZeroMQ reports the mismatch in more than one way; without a key, it is the one cause.
      onRefused_("the master at " + where + " admits only CURVE peers: give --curve_key and --master_public_key");
    else if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
      onRefused_("the master at " + where + " does not use CURVE: leave out --curve_key and --master_public_key");
    else
      onRefused_("the encrypted handshake with the master at " + where +
                 " failed: is --master_public_key the master's key?");
  }
}

Try<std::string> MessageSocket::bind(const std::string& endpoint) {
  try {
    socket_.bind(endpoint);
  } catch (const zmq::error_t& e) {
    return Error("cannot bind " + endpoint + ": " + e.what() + " (is another process using the port?)");
  }
  return socket_.get(zmq::sockopt::last_endpoint);
}

Status MessageSocket::connect(const std::string& endpoint) {
  routingId_ = newUuid();
  socket_.set(zmq::sockopt::routing_id, routingId_);
  socket_.set(zmq::sockopt::reconnect_ivl, 100);
  socket_.set(zmq::sockopt::reconnect_ivl_max, 1000);
  try {
    socket_.connect(endpoint);
  } catch (const zmq::error_t& e) {
    return Error("cannot connect to " + endpoint + ": " + e.what());
  }
  endpoint_ = endpoint;
  return Status::OK();
}

Status MessageSocket::switchTo(const std::string& endpoint) {
  if (endpoint == endpoint_) return Status::OK();
  if (!endpoint_.empty()) {
    try {
      socket_.disconnect(endpoint_);
    } catch (const zmq::error_t& e) {
      LOG(WARNING) << "Leaving " << endpoint_ << ": " << e.what();
    }
  }
  endpoint_.clear();
  return connect(endpoint);
}

void MessageSocket::setQueueLimits(int sendMessages, int receiveMessages) {
  socket_.set(zmq::sockopt::sndhwm, sendMessages);
  socket_.set(zmq::sockopt::rcvhwm, receiveMessages);
}

void MessageSocket::setLinger(std::chrono::milliseconds linger) {
  socket_.set(zmq::sockopt::linger, static_cast<int>(linger.count()));
}

bool MessageSocket::hasPendingInput() { return (socket_.get(zmq::sockopt::events) & ZMQ_POLLIN) != 0; }

bool MessageSocket::send(OutboundEnvelope& message) {
  auto words = message.encode();
  auto bytes = words.asBytes();
  auto sent = socket_.send(zmq::const_buffer(bytes.begin(), bytes.size()), zmq::send_flags::dontwait);
  if (!sent) LOG(WARNING) << "Dropped an outgoing message: the send queue is full";
  return sent.has_value();
}

bool MessageSocket::send(const std::string& peer, OutboundEnvelope& message) {
  auto words = message.encode();
  auto bytes = words.asBytes();
  try {
    if (!socket_.send(zmq::buffer(peer), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return false;
    return socket_.send(zmq::const_buffer(bytes.begin(), bytes.size()), zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t& e) {
    // EHOSTUNREACH: the peer is gone; its liveness check will notice.
    VLOG(1) << "Could not send to peer " << printable(peer) << ": " << e.what();
    return false;
  }
}

void MessageSocket::drain() {
  // A handler may destroy this socket (a scheduler that stops its driver from a callback):
  // after each message, look before touching anything of it.
  std::shared_ptr<bool> alive = alive_;
  // Bounded so that one busy socket cannot starve timers and other sockets.
  for (int i = 0; i < 1000; ++i) {
    std::string peer;
    zmq::message_t part;
    if (!socket_.recv(part, zmq::recv_flags::dontwait)) return;
    if (kind_ == Kind::kRouter) {
      peer = part.to_string();
      if (!part.more()) { reportMalformed(peer, "routing frame without a body"); continue; }
      if (!socket_.recv(part, zmq::recv_flags::dontwait)) return;
    }
    if (curve_ && kind_ == Kind::kRouter) {
      const char* user = zmq_msg_gets(part.handle(), "User-Id");
      principal_ = user ? user : "";
    }
    if (part.more()) {
      // One message is one frame; swallow the rest so framing stays in step.
      while (part.more() && socket_.recv(part, zmq::recv_flags::dontwait)) {}
      reportMalformed(peer, "multi-part message");
      continue;
    }
    dispatch(peer, part);
    if (!*alive) return;
  }
  // More may be waiting; come back after timers and other sockets had their turn.
  loop_.post([this, alive = alive_] {
    if (*alive) drain();
  });
}

void MessageSocket::dispatch(const std::string& peer, const zmq::message_t& body) {
  auto decoded = decodeEnvelope(body.data(), body.size(), limits_);
  if (decoded.isError()) {
    reportMalformed(peer, decoded.error());
    return;
  }
  if (!handler_) return;
  try {
    handler_(peer, (*decoded)->get());
  } catch (const kj::Exception& e) {
    reportMalformed(peer, std::string("message could not be read: ") + e.getDescription().cStr());
  }
}

void MessageSocket::reportMalformed(const std::string& peer, const std::string& why) {
  ++malformed_;
  TimePoint now = loop_.clock().now();
  auto it = lastComplaint_.find(peer);
  if (it != lastComplaint_.end() && now - it->second < std::chrono::minutes(1)) return;
  if (lastComplaint_.size() > 10000) lastComplaint_.clear();
  lastComplaint_[peer] = now;
  LOG(WARNING) << "Dropped a malformed message from peer " << printable(peer) << " (" << malformed_
               << " dropped in total): " << why;
}

std::string tcpEndpoint(const std::string& address) {
  if (address.rfind("tcp://", 0) == 0) return address;
  return "tcp://" + address;
}

}  // namespace agora
