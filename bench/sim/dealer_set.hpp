#pragma once
// Thousands of DEALER peers of one ROUTER, served by one thread. Each peer is a plain TCP
// connection that speaks ZMTP 3.0 (the ZeroMQ wire protocol, NULL or CURVE security) itself: a
// libzmq socket costs two descriptors (the connection and a mailbox), which puts ten
// thousand agents over the usual hard limit of 20,000 open files; here each costs one, and
// one epoll set serves them all, so a wake-up costs only the peers that have work. With
// CURVE keys each connection is sealed as libzmq seals it (curve_zmtp.hpp), so that the
// figures of a master with --curve_key include what the encryption costs it.

#include <netinet/in.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/sim/curve_zmtp.hpp"
#include "common/curve.hpp"
#include "common/envelope.hpp"

namespace agora::sim {

class DealerSet {
 public:
  using Handler = std::function<void(proto::Envelope::Reader message)>;

  // `maxConnecting`: connections in their handshake at once; the rest wait their turn, so
  // that a burst of thousands does not overflow the listener's accept queue. `curve`: every
  // peer speaks CURVE with these keys (one key pair for all: one principal).
  explicit DealerSet(size_t maxConnecting = 512, std::optional<CurveClient> curve = std::nullopt);
  ~DealerSet();
  DealerSet(const DealerSet&) = delete;
  DealerSet& operator=(const DealerSet&) = delete;

  // A peer with routing id `identity` for the ROUTER at `endpoint` ("tcp://IPv4:port"); its
  // messages go to `handler`. It connects soon; what is sent meanwhile waits. Returns its index.
  Try<size_t> add(const std::string& endpoint, const std::string& identity, Handler handler);
  void send(size_t index, OutboundEnvelope& message);
  // Leaves the peer's connection, if any, for a new one to `endpoint` (another master), with
  // a fresh handshake; what was queued for the old one is dropped. Not from a handler.
  Status retarget(size_t index, const std::string& endpoint);
  // The peer's connection ended (closed by the other side, or it never connected).
  bool closed(size_t index) const { return peers_[index].state == State::kClosed; }
  // Waits up to `timeoutMs` for traffic and hands every message that arrived to its handler.
  void poll(int timeoutMs);

  uint64_t malformed() const { return malformed_; }
  uint64_t connectionsLost() const { return lost_; }

 private:
  enum class State { kWaiting, kConnecting, kGreeting, kHandshake, kReady, kClosed };
  struct Peer {
    sockaddr_in address{};
    std::string identity;
    Handler handler;
    int fd = -1;
    State state = State::kWaiting;
    std::string in;          // bytes received and not yet parsed
    std::string out;         // bytes to write, from outOffset on
    std::vector<std::string> held;  // messages sent before the handshake ended
    size_t outOffset = 0;
    bool wantWrite = false;  // EPOLLOUT is armed
    bool skipping = false;   // inside a multi-part message, which our protocol never sends
    std::optional<CurveZmtpClient> curve;  // this connection's CURVE state
  };

  // The greeting and first command of a new connection, into the peer's `out`.
  void startHandshake(Peer& peer);
  // A command frame's body; false if it ended the connection.
  bool command(size_t index, std::string_view body);
  // One message onto the peer's `out`, sealed if it speaks CURVE.
  void frame(Peer& peer, const uint8_t* data, size_t size);
  void startConnects();
  void connectPeer(size_t index);
  void onEvent(size_t index, uint32_t events);
  void readFrom(size_t index);
  // Parses what `in` holds; false if the peer broke the protocol.
  bool parse(size_t index);
  void flush(size_t index);
  void close(size_t index, const std::string& why);
  void arm(size_t index, bool write);

  int epoll_ = -1;
  size_t maxConnecting_;
  std::optional<CurveClient> curveKeys_;
  bool curveChecked_ = false;  // add() found the keys usable
  size_t connecting_ = 0;  // peers between connect() and the ROUTER's READY
  std::vector<Peer> peers_;
  std::deque<size_t> waiting_;
  uint64_t malformed_ = 0;
  uint64_t lost_ = 0;
};

}  // namespace agora::sim
