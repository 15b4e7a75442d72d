#pragma once
// CURVE key pairs (ZeroMQ's Curve25519 keys, Z85 text) and the files that hold them.
//
// A key file, written by `agora keygen NAME`, is readable by its owner only:
//   # agora CURVE key pair: keep secret
//   public-key = "Z85..."
//   secret-key = "Z85..."
// and NAME.pub holds only the public-key line, for the allow-list or the peers that must
// know a master's key.

#include <optional>
#include <string>

#include "common/try.hpp"

namespace agora {

struct KeyPair {
  std::string publicKey;  // Z85, 40 characters
  std::string secretKey;  // Z85, 40 characters; empty for a public key alone
};

KeyPair newKeyPair();

// Writes `base`.key (mode 0600) and `base`.pub; refuses to overwrite either.
Status writeKeyPair(const KeyPair& keys, const std::string& base);

// A key file with both keys.
Try<KeyPair> loadKeyPair(const std::string& path);

// A public key: the Z85 text itself, or a file holding a public-key line (a .pub or a .key).
Try<std::string> loadPublicKey(const std::string& pathOrKey);

// What a peer of the master (agent, framework, CLI) needs to speak CURVE to it.
struct CurveClient {
  KeyPair keys;                 // its own
  std::string masterPublicKey;  // Z85
};

// From a key file and the master's public key (Z85, or a file holding it): nothing when both
// are empty (no CURVE); an error when only one is given or either cannot be read.
Try<std::optional<CurveClient>> loadCurveClient(const std::string& keyFile, const std::string& masterPublicKey);

// 40 characters of Z85 that decode to 32 bytes.
bool validZ85Key(const std::string& key);

}  // namespace agora
