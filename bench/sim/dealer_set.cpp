#include "bench/sim/dealer_set.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <glog/logging.h>

namespace agora::sim {
namespace {

constexpr uint8_t kMore = 0x01, kLong = 0x02, kCommand = 0x04;
constexpr uint64_t kMaxFrame = 64 << 20;

// The frame flags inside a CURVE MESSAGE (libzmq's message flags, not the wire's).
constexpr uint8_t kSealedMore = 0x01, kSealedCommand = 0x02;

// ZMTP 3.0 greeting: signature, version 3.0, the security mechanism, not a server.
std::string greeting(const char* mechanism) {
  std::string g(64, '\0');
  g[0] = static_cast<char>(0xFF);
  g[9] = 0x7F;
  g[10] = 3;
  std::memcpy(&g[12], mechanism, std::strlen(mechanism));
  return g;
}

void appendFrameHeader(std::string& out, uint8_t flags, uint64_t size) {
  if (size > 255) {
    out.push_back(static_cast<char>(flags | kLong));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((size >> shift) & 0xFF));
  } else {
    out.push_back(static_cast<char>(flags));
    out.push_back(static_cast<char>(size));
  }
}

// ZMTP properties: the socket type and the routing id (NULL's READY, CURVE's INITIATE).
std::string metadata(const std::string& identity) {
  std::string body;
  for (auto [name, value] : {std::pair<std::string, std::string>{"Socket-Type", "DEALER"}, {"Identity", identity}}) {
    body.push_back(static_cast<char>(name.size()));
    body += name;
    uint32_t n = htonl(static_cast<uint32_t>(value.size()));
    body.append(reinterpret_cast<const char*>(&n), 4);
    body += value;
  }
  return body;
}

std::string commandFrame(const std::string& body) {
  std::string frame;
  appendFrameHeader(frame, kCommand, body.size());
  return frame + body;
}

}  // namespace

DealerSet::DealerSet(size_t maxConnecting, std::optional<CurveClient> curve)
    : maxConnecting_(maxConnecting), curveKeys_(std::move(curve)) {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  PCHECK(epoll_ >= 0) << "epoll_create1";
}

DealerSet::~DealerSet() {
  for (Peer& p : peers_)
    if (p.fd >= 0) ::close(p.fd);
  ::close(epoll_);
}

namespace {

Try<sockaddr_in> parseEndpoint(const std::string& endpoint) {
  sockaddr_in address{};
  std::string hostPort = endpoint.rfind("tcp://", 0) == 0 ? endpoint.substr(6) : endpoint;
  auto colon = hostPort.rfind(':');
  if (colon == std::string::npos) return Error("endpoint '" + endpoint + "' has no port");
  address.sin_family = AF_INET;
  int port = std::atoi(hostPort.substr(colon + 1).c_str());
  if (port <= 0 || port > 65535) return Error("endpoint '" + endpoint + "' has no valid port");
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, hostPort.substr(0, colon).c_str(), &address.sin_addr) != 1)
    return Error("endpoint '" + endpoint + "' is not an IPv4 address and port");
  return address;
}

}  // namespace

Try<size_t> DealerSet::add(const std::string& endpoint, const std::string& identity, Handler handler) {
  Peer peer;
  Try<sockaddr_in> address = parseEndpoint(endpoint);
  if (address.isError()) return Error(address.error());
  peer.address = *address;
  if (identity.empty() || identity.size() > 255 || identity[0] == '\0')
    return Error("a routing id has 1 to 255 bytes and does not start with a zero byte");
  peer.identity = identity;
  peer.handler = std::move(handler);
  if (curveKeys_ && !curveChecked_) {
    Try<CurveZmtpClient> curve = CurveZmtpClient::create(*curveKeys_);
    if (curve.isError()) return Error(curve.error());
    if (Status usable = curve->usable(); !usable.ok()) return Error(usable.error());
    curveChecked_ = true;
  }
  startHandshake(peer);
  peers_.push_back(std::move(peer));
  waiting_.push_back(peers_.size() - 1);
  return peers_.size() - 1;
}

void DealerSet::startHandshake(Peer& peer) {
  if (!curveKeys_) {
    peer.out = greeting("NULL") + commandFrame("\x05READY" + metadata(peer.identity));
    return;
  }
  // Fresh short-term keys for every connection; the keys were checked by add().
  peer.curve = *CurveZmtpClient::create(*curveKeys_);
  peer.out = greeting("CURVE") + commandFrame(peer.curve->hello());
}

Status DealerSet::retarget(size_t index, const std::string& endpoint) {
  Try<sockaddr_in> address = parseEndpoint(endpoint);
  if (address.isError()) return Error(address.error());
  Peer& peer = peers_[index];
  bool queued = peer.state == State::kWaiting;
  if (peer.state != State::kReady && peer.state != State::kWaiting && peer.state != State::kClosed) --connecting_;
  if (peer.fd >= 0) ::close(peer.fd);  // which takes it out of the epoll set
  peer.fd = -1;
  peer.address = *address;
  peer.state = State::kWaiting;
  peer.in.clear();
  peer.held.clear();
  startHandshake(peer);
  peer.outOffset = 0;
  peer.wantWrite = false;
  peer.skipping = false;
  if (!queued) waiting_.push_back(index);
  startConnects();
  return Status::OK();
}

void DealerSet::send(size_t index, OutboundEnvelope& message) {
  Peer& peer = peers_[index];
  if (peer.state == State::kClosed) return;
  auto words = message.encode();
  auto bytes = words.asBytes();
  // libzmq takes any message before its own READY has gone out for a broken handshake, so
  // messages wait for the ROUTER's READY (and CURVE's keys exist only then).
  if (peer.state != State::kReady) {
    peer.held.emplace_back(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
    return;
  }
  frame(peer, bytes.begin(), bytes.size());
  flush(index);
}

void DealerSet::frame(Peer& peer, const uint8_t* data, size_t size) {
  if (!peer.curve) {
    appendFrameHeader(peer.out, 0, size);
    peer.out.append(reinterpret_cast<const char*>(data), size);
    return;
  }
  std::string sealed = peer.curve->seal(data, size);
  appendFrameHeader(peer.out, 0, sealed.size());
  peer.out += sealed;
}

void DealerSet::startConnects() {
  while (connecting_ < maxConnecting_ && !waiting_.empty()) {
    size_t index = waiting_.front();
    waiting_.pop_front();
    connectPeer(index);
  }
}

void DealerSet::connectPeer(size_t index) {
  Peer& peer = peers_[index];
  peer.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (peer.fd < 0) {
    close(index, std::string("socket: ") + std::strerror(errno) + (errno == EMFILE ? " (raise ulimit -n)" : ""));
    return;
  }
  int one = 1;
  setsockopt(peer.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ++connecting_;
  peer.state = State::kConnecting;
  int rc = ::connect(peer.fd, reinterpret_cast<sockaddr*>(&peer.address), sizeof peer.address);
  if (rc != 0 && errno != EINPROGRESS) {
    close(index, std::string("connect: ") + std::strerror(errno));
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.u64 = index;
  peer.wantWrite = true;
  PCHECK(epoll_ctl(epoll_, EPOLL_CTL_ADD, peer.fd, &ev) == 0) << "epoll_ctl";
}

void DealerSet::poll(int timeoutMs) {
  startConnects();
  epoll_event events[256];
  int n = epoll_wait(epoll_, events, 256, timeoutMs);
  for (int i = 0; i < n; ++i) onEvent(events[i].data.u64, events[i].events);
}

void DealerSet::onEvent(size_t index, uint32_t events) {
  Peer& peer = peers_[index];
  if (peer.state == State::kClosed) return;
  if (peer.state == State::kConnecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int error = 0;
    socklen_t len = sizeof error;
    getsockopt(peer.fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
      close(index, std::string("connect: ") + std::strerror(error));
      return;
    }
    peer.state = State::kGreeting;
  }
  if (events & EPOLLOUT) flush(index);
  if (peers_[index].state != State::kClosed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) readFrom(index);
}

void DealerSet::flush(size_t index) {
  Peer& peer = peers_[index];
  while (peer.outOffset < peer.out.size()) {
    ssize_t n = ::send(peer.fd, peer.out.data() + peer.outOffset, peer.out.size() - peer.outOffset, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      close(index, std::string("send: ") + std::strerror(errno));
      return;
    }
    peer.outOffset += static_cast<size_t>(n);
  }
  if (peer.outOffset == peer.out.size()) {
    peer.out.clear();
    peer.outOffset = 0;
  } else if (peer.outOffset > (1 << 20)) {
    peer.out.erase(0, peer.outOffset);
    peer.outOffset = 0;
  }
  arm(index, !peer.out.empty());
}

void DealerSet::arm(size_t index, bool write) {
  Peer& peer = peers_[index];
  if (peer.wantWrite == write) return;
  peer.wantWrite = write;
  epoll_event ev{};
  ev.events = EPOLLIN | (write ? EPOLLOUT : 0u);
  ev.data.u64 = index;
  epoll_ctl(epoll_, EPOLL_CTL_MOD, peer.fd, &ev);
}

void DealerSet::readFrom(size_t index) {
  char buffer[65536];
  for (;;) {
    Peer& peer = peers_[index];
    ssize_t n = ::recv(peer.fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      peer.in.append(buffer, static_cast<size_t>(n));
      if (!parse(index)) return;
      if (static_cast<size_t>(n) < sizeof buffer) return;
      continue;
    }
    if (n == 0) {
      close(index, "the master closed the connection");
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      close(index, std::string("recv: ") + std::strerror(errno));
    }
    return;
  }
}

bool DealerSet::parse(size_t index) {
  size_t at = 0;
  for (;;) {
    Peer& peer = peers_[index];
    const std::string& in = peer.in;
    if (peer.state == State::kGreeting) {
      if (in.size() - at < 64) break;
      if (static_cast<uint8_t>(in[at]) != 0xFF || in[at + 9] != 0x7F || in[at + 10] < 3) {
        close(index, "the peer does not speak ZMTP 3");
        return false;
      }
      at += 64;
      peer.state = State::kHandshake;
      continue;
    }
    if (in.size() - at < 2) break;
    uint8_t flags = static_cast<uint8_t>(in[at]);
    size_t header = flags & kLong ? 9 : 2;
    if (in.size() - at < header) break;
    uint64_t size = 0;
    if (flags & kLong) {
      for (size_t i = 1; i < 9; ++i) size = (size << 8) | static_cast<uint8_t>(in[at + i]);
    } else {
      size = static_cast<uint8_t>(in[at + 1]);
    }
    if (size > kMaxFrame) {
      close(index, "a frame of " + std::to_string(size) + " bytes");
      return false;
    }
    if (in.size() - at < header + size) break;
    const char* body = in.data() + at + header;
    at += header + size;
    std::string opened;  // a CURVE MESSAGE's content
    if (peer.curve && peer.state == State::kReady) {
      uint8_t sealedFlags = 0;
      if (Status ok = peer.curve->open({body, size}, sealedFlags, opened); !ok.ok()) {
        close(index, ok.error());
        return false;
      }
      flags = static_cast<uint8_t>((sealedFlags & kSealedMore ? kMore : 0) | (sealedFlags & kSealedCommand ? kCommand : 0));
      body = opened.data();
      size = opened.size();
    }
    if (flags & kCommand) {
      if (!command(index, {body, size})) return false;
      continue;
    }
    if (peer.state != State::kReady || (flags & kMore) || peer.skipping) {
      // Our protocol is one frame per message: a multi-part one is skipped to its last part.
      if (!peer.skipping) ++malformed_;
      peer.skipping = (flags & kMore) != 0;
      continue;
    }
    auto decoded = decodeEnvelope(body, size);
    if (decoded.isError()) {
      ++malformed_;
      LOG_EVERY_N(WARNING, 100) << "Dropped a malformed message: " << decoded.error();
      continue;
    }
    try {
      peer.handler((*decoded)->get());
    } catch (const kj::Exception& e) {
      ++malformed_;
      LOG_EVERY_N(WARNING, 100) << "Could not read a message: " << e.getDescription().cStr();
    }
    if (peers_[index].state == State::kClosed) return false;
  }
  peers_[index].in.erase(0, at);
  return true;
}

bool DealerSet::command(size_t index, std::string_view body) {
  Peer& peer = peers_[index];
  if (body.substr(0, 6) == std::string_view("\x05" "ERROR", 6)) {
    close(index, "the master refused the handshake");
    return false;
  }
  // Other commands after the handshake (PING with heartbeats on) need no answer here.
  if (peer.state != State::kHandshake) return true;
  if (peer.curve && body.substr(0, 8) == std::string_view("\x07WELCOME", 8)) {
    Try<std::string> initiate = peer.curve->initiate(body, metadata(peer.identity));
    if (initiate.isError()) {
      close(index, initiate.error());
      return false;
    }
    peer.out += commandFrame(*initiate);
    flush(index);
    return peers_[index].state != State::kClosed;
  }
  if (body.substr(0, 6) != std::string_view("\x05READY", 6)) return true;
  // READY ends the handshake.
  if (peer.curve) {
    if (Status ok = peer.curve->ready(body); !ok.ok()) {
      close(index, ok.error());
      return false;
    }
  }
  peer.state = State::kReady;
  --connecting_;
  for (const std::string& m : peer.held) frame(peer, reinterpret_cast<const uint8_t*>(m.data()), m.size());
  peer.held.clear();
  peer.held.shrink_to_fit();
  flush(index);
  return peers_[index].state != State::kClosed;
}

void DealerSet::close(size_t index, const std::string& why) {
  Peer& peer = peers_[index];
  if (peer.state == State::kClosed) return;
  if (peer.state != State::kReady && peer.state != State::kWaiting) --connecting_;
  LOG_EVERY_N(WARNING, 100) << "Peer " << index << " lost its connection: " << why;
  if (peer.fd >= 0) ::close(peer.fd);
  peer.fd = -1;
  peer.state = State::kClosed;
  peer.out.clear();
  peer.in.clear();
  peer.held.clear();
  ++lost_;
}

}  // namespace agora::sim
