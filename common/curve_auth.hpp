#pragma once
// The master's side of CURVE: answers ZeroMQ's authentication requests (ZAP, RFC 27) for
// every socket of a context, admitting a public key found in the allow-list under its
// principal, which ZeroMQ then attaches to each message of that connection ("User-Id").
//
// ZeroMQ asks on its I/O thread during the handshake and waits for the answer, so the
// answers come from a thread of their own rather than the daemon's loop: a busy loop must
// not stall a fleet's reconnections.

#include <atomic>
#include <memory>
#include <thread>

#include <zmq.hpp>

#include "common/principals.hpp"

namespace agora {

class CurveAuthenticator {
 public:
  // Before any socket of `context` binds with CURVE.
  CurveAuthenticator(zmq::context_t& context, std::shared_ptr<const PrincipalBook> allowList);
  // Before the context closes.
  ~CurveAuthenticator();
  CurveAuthenticator(const CurveAuthenticator&) = delete;
  CurveAuthenticator& operator=(const CurveAuthenticator&) = delete;

  uint64_t admitted() const { return admitted_; }
  uint64_t refused() const { return refused_; }

 private:
  void serve();
  void answer(zmq::socket_t& socket);

  zmq::socket_t socket_;
  std::shared_ptr<const PrincipalBook> allowList_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> admitted_{0}, refused_{0};
  std::thread thread_;
};

}  // namespace agora
