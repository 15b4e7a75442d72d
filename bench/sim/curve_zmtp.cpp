#include "bench/sim/curve_zmtp.hpp"

#include <cstring>

#include <zmq.h>

namespace agora::sim {
namespace {

constexpr size_t kBoxOverhead = crypto_box_MACBYTES;

bool startsWith(std::string_view body, std::string_view name) { return body.substr(0, name.size()) == name; }

const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

void append(std::string& out, const uint8_t* data, size_t size) { out.append(reinterpret_cast<const char*>(data), size); }

uint64_t bigEndian(const uint8_t* at) {
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n = (n << 8) | at[i];
  return n;
}

}  // namespace

Try<CurveZmtpClient> CurveZmtpClient::create(const CurveClient& keys) {
  if (sodium_init() < 0) return Error("libsodium could not start");
  CurveZmtpClient c;
  if (!zmq_z85_decode(c.publicKey_, keys.keys.publicKey.c_str()) || !zmq_z85_decode(c.secretKey_, keys.keys.secretKey.c_str()) ||
      !zmq_z85_decode(c.serverKey_, keys.masterPublicKey.c_str()))
    return Error("a CURVE key is not 40 characters of Z85");
  return c;
}

void CurveZmtpClient::nextNonce(const char* prefix, uint8_t (&nonce)[crypto_box_NONCEBYTES], uint8_t (&shortNonce)[8]) {
  std::memcpy(nonce, prefix, 16);
  for (int i = 0; i < 8; ++i) shortNonce[i] = static_cast<uint8_t>(nonce_ >> (56 - 8 * i));
  std::memcpy(nonce + 16, shortNonce, 8);
  ++nonce_;
}

Status CurveZmtpClient::usable() {
  // A key of low order would make every box to it readable; libsodium refuses such keys.
  if (crypto_box_beforenm(shared_, serverKey_, secretKey_) != 0)
    return Error("the master's public key is not a usable Curve25519 key");
  return Status::OK();
}

std::string CurveZmtpClient::hello() {
  crypto_box_keypair(shortPublic_, shortSecret_);
  uint8_t nonce[crypto_box_NONCEBYTES], shortNonce[8];
  nextNonce("CurveZMQHELLO---", nonce, shortNonce);
  // 64 zero bytes sealed for the server's long-term key: the server learns that we hold the
  // short-term secret; the padding before keeps HELLO at least as long as WELCOME (no amplification).
  uint8_t zeros[64]{}, box[64 + kBoxOverhead];
  // Until WELCOME, shared_ is that of the server's long-term key and our short-term one.
  CHECK_EQ(crypto_box_beforenm(shared_, serverKey_, shortSecret_), 0) << "usable() checked the key";
  crypto_box_easy_afternm(box, zeros, sizeof zeros, nonce, shared_);
  std::string body("\x05HELLO\x01\x00", 8);
  body.append(72, '\0');
  append(body, shortPublic_, 32);
  append(body, shortNonce, 8);
  append(body, box, sizeof box);
  return body;
}

Try<std::string> CurveZmtpClient::initiate(std::string_view welcome, std::string_view metadata) {
  if (welcome.size() != 168 || !startsWith(welcome, "\x07WELCOME")) return Error("the server's WELCOME is malformed");
  uint8_t nonce[crypto_box_NONCEBYTES];
  std::memcpy(nonce, "WELCOME-", 8);
  std::memcpy(nonce + 8, welcome.data() + 8, 16);
  uint8_t plain[128];  // the server's short-term key, then its cookie
  if (crypto_box_open_easy_afternm(plain, bytes(welcome) + 24, 144, nonce, shared_) != 0)
    return Error("the server's WELCOME does not open with the master's public key: is it the master's key?");
  const uint8_t* serverShort = plain;
  if (crypto_box_beforenm(shared_, serverShort, shortSecret_) != 0)
    return Error("the server's short-term key in WELCOME is not a usable Curve25519 key");

  // The vouch: our long-term key says that the short-term one is ours, for this server.
  uint8_t vouchPlain[64], vouchNonce[crypto_box_NONCEBYTES], vouch[64 + kBoxOverhead];
  std::memcpy(vouchPlain, shortPublic_, 32);
  std::memcpy(vouchPlain + 32, serverKey_, 32);
  std::memcpy(vouchNonce, "VOUCH---", 8);
  randombytes_buf(vouchNonce + 8, 16);
  if (crypto_box_easy(vouch, vouchPlain, sizeof vouchPlain, vouchNonce, serverShort, secretKey_) != 0)
    return Error("cannot vouch for the short-term key");

  std::string inner;
  append(inner, publicKey_, 32);
  append(inner, vouchNonce + 8, 16);
  append(inner, vouch, sizeof vouch);
  inner.append(metadata);
  std::string box(inner.size() + kBoxOverhead, '\0');
  uint8_t shortNonce[8];
  nextNonce("CurveZMQINITIATE", nonce, shortNonce);
  crypto_box_easy_afternm(reinterpret_cast<uint8_t*>(box.data()), bytes(inner), inner.size(), nonce, shared_);

  std::string body("\x08INITIATE", 9);
  append(body, plain + 32, 96);  // the cookie, back to the server unopened
  append(body, shortNonce, 8);
  body += box;
  return body;
}

Status CurveZmtpClient::ready(std::string_view body) {
  if (body.size() < 14 + kBoxOverhead || !startsWith(body, "\x05READY")) return Error("the server's READY is malformed");
  uint8_t nonce[crypto_box_NONCEBYTES];
  std::memcpy(nonce, "CurveZMQREADY---", 16);
  std::memcpy(nonce + 16, body.data() + 6, 8);
  std::string metadata(body.size() - 14 - kBoxOverhead, '\0');
  if (crypto_box_open_easy_afternm(reinterpret_cast<uint8_t*>(metadata.data()), bytes(body) + 14, body.size() - 14,
                                   nonce, shared_) != 0)
    return Error("the server's READY does not open");
  serverNonce_ = bigEndian(bytes(body) + 6);
  return Status::OK();
}

std::string CurveZmtpClient::seal(const uint8_t* data, size_t size) {
  std::string plain(1 + size, '\0');  // the flags byte: one frame, not a command
  std::memcpy(plain.data() + 1, data, size);
  uint8_t nonce[crypto_box_NONCEBYTES], shortNonce[8];
  nextNonce("CurveZMQMESSAGEC", nonce, shortNonce);
  std::string body("\x07MESSAGE", 8);
  append(body, shortNonce, 8);
  size_t at = body.size();
  body.resize(at + plain.size() + kBoxOverhead);
  crypto_box_easy_afternm(reinterpret_cast<uint8_t*>(body.data() + at), bytes(plain), plain.size(), nonce, shared_);
  return body;
}

Status CurveZmtpClient::open(std::string_view body, uint8_t& flags, std::string& data) {
  if (body.size() < 16 + kBoxOverhead + 1 || !startsWith(body, "\x07MESSAGE")) return Error("not a CURVE MESSAGE");
  uint64_t n = bigEndian(bytes(body) + 8);
  // A replayed or reordered box is refused, as libzmq refuses it.
  if (n <= serverNonce_) return Error("a CURVE MESSAGE with a nonce that does not grow");
  uint8_t nonce[crypto_box_NONCEBYTES];
  std::memcpy(nonce, "CurveZMQMESSAGES", 16);
  std::memcpy(nonce + 16, body.data() + 8, 8);
  std::string plain(body.size() - 16 - kBoxOverhead, '\0');
  if (crypto_box_open_easy_afternm(reinterpret_cast<uint8_t*>(plain.data()), bytes(body) + 16, body.size() - 16, nonce,
                                   shared_) != 0)
    return Error("a CURVE MESSAGE that does not open");
  serverNonce_ = n;
  flags = static_cast<uint8_t>(plain[0]);
  data.assign(plain, 1);
  return Status::OK();
}

}  // namespace agora::sim
