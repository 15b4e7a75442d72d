#pragma once
// The client side of ZeroMQ's CURVE security mechanism (ZMTP-CURVE, rfc.zeromq.org/spec/25,
// on CurveZMQ, spec 26), for DealerSet, which speaks the rest of ZMTP by hand: the HELLO,
// WELCOME, INITIATE, READY handshake and the MESSAGE boxes after it, sealed with libsodium's
// crypto_box as libzmq's own CURVE does. One object serves one connection: each connection
// has short-term keys of its own.
//
// It gives and takes command bodies (from the command's name on); framing is the caller's.

#include <sodium.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/curve.hpp"
#include "common/try.hpp"

namespace agora::sim {

class CurveZmtpClient {
 public:
  // `keys`: this peer's long-term key pair and the server's public key, in Z85.
  static Try<CurveZmtpClient> create(const CurveClient& keys);
  // Whether the server's key can be used at all; hello() counts on it.
  Status usable();

  // HELLO: a fresh short-term key, proven to the server.
  std::string hello();
  // Opens the server's WELCOME and answers with INITIATE, which vouches for the short-term key
  // with the long-term one and carries `metadata` (ZMTP properties: socket type, identity).
  Try<std::string> initiate(std::string_view welcome, std::string_view metadata);
  // Opens the server's READY, which ends the handshake.
  Status ready(std::string_view body);

  // A MESSAGE holding one frame of `data` (no more-frames flag).
  std::string seal(const uint8_t* data, size_t size);
  // Opens a MESSAGE: `flags` gets the frame's flags (more, command) and `data` its content.
  Status open(std::string_view body, uint8_t& flags, std::string& data);

 private:
  CurveZmtpClient() = default;
  // The next short nonce, big-endian, after `prefix` (16 bytes) in `nonce`.
  void nextNonce(const char* prefix, uint8_t (&nonce)[crypto_box_NONCEBYTES], uint8_t (&shortNonce)[8]);

  uint8_t publicKey_[32]{}, secretKey_[32]{}, serverKey_[32]{};
  uint8_t shortPublic_[32]{}, shortSecret_[32]{};
  uint8_t shared_[crypto_box_BEFORENMBYTES]{};  // short-term keys of both sides, after WELCOME
  uint64_t nonce_ = 1;                          // libzmq checks that it only grows
  uint64_t serverNonce_ = 0;
};

}  // namespace agora::sim
