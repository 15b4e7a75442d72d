#include "common/curve.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include <zmq.h>

#include "common/text.hpp"

namespace agora {

namespace {

Status writeNew(const std::string& path, const std::string& content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return Error("cannot create " + path + ": " + std::strerror(errno) +
                 (errno == EEXIST ? " (remove it first to make a new key)" : ""));
  ssize_t n = ::write(fd, content.data(), content.size());
  bool ok = n == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return Error("cannot write " + path + ": " + std::strerror(err));
  return Status::OK();
}

// The value of `name = "VALUE"` in a key file, or empty.
std::string field(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t at = line.find(name);
    if (at == std::string::npos || line.find_first_not_of(" \t") != at) continue;
    size_t open = line.find('"', at), close = line.rfind('"');
    if (open == std::string::npos || close <= open) continue;
    return line.substr(open + 1, close - open - 1);
  }
  return "";
}

Try<std::string> readKeyFile(const std::string& path) {
  Try<std::string> text = readWholeFile(path);
  if (text.isError()) return Error("cannot read the key file " + path + ": " + text.error() + " (make one with `agora keygen`)");
  return text;
}

}  // namespace

bool validZ85Key(const std::string& key) {
  if (key.size() != 40) return false;
  uint8_t bytes[32];
  return zmq_z85_decode(bytes, key.c_str()) != nullptr;
}

KeyPair newKeyPair() {
  char pub[41], sec[41];
  // Fails only without libsodium/tweetnacl support, which Debian's libzmq always has.
  if (zmq_curve_keypair(pub, sec) != 0) throw std::runtime_error("libzmq has no CURVE support");
  return {pub, sec};
}

Status writeKeyPair(const KeyPair& keys, const std::string& base) {
  std::string pub = "public-key = \"" + keys.publicKey + "\"\n";
  Status secret = writeNew(base + ".key", "# agora CURVE key pair: keep this file secret\n" + pub +
                                              "secret-key = \"" + keys.secretKey + "\"\n", 0600);
  if (!secret.ok()) return secret;
  return writeNew(base + ".pub", "# agora CURVE public key: give it to the allow-list or to peers\n" + pub, 0644);
}

Try<KeyPair> loadKeyPair(const std::string& path) {
  Try<std::string> text = readKeyFile(path);
  if (text.isError()) return Error(text.error());
  KeyPair keys{field(*text, "public-key"), field(*text, "secret-key")};
  if (!validZ85Key(keys.publicKey)) return Error(path + ": no valid public-key line (make one with `agora keygen`)");
  if (!validZ85Key(keys.secretKey))
    return Error(path + ": no valid secret-key line: is this a .pub file? Give the .key file made by `agora keygen`");
  return keys;
}

Try<std::string> loadPublicKey(const std::string& pathOrKey) {
  if (validZ85Key(pathOrKey)) return pathOrKey;
  Try<std::string> text = readKeyFile(pathOrKey);
  if (text.isError()) return Error(text.error());
  std::string key = field(*text, "public-key");
  if (!validZ85Key(key)) return Error(pathOrKey + ": no valid public-key line (make one with `agora keygen`)");
  return key;
}

Try<std::optional<CurveClient>> loadCurveClient(const std::string& keyFile, const std::string& masterPublicKey) {
  if (keyFile.empty() && masterPublicKey.empty()) return std::optional<CurveClient>();
  if (keyFile.empty() || masterPublicKey.empty())
    return Error("CURVE needs both this side's key pair (--curve_key) and the master's public key (--master_public_key)");
  Try<KeyPair> keys = loadKeyPair(keyFile);
  if (keys.isError()) return Error(keys.error());
  Try<std::string> master = loadPublicKey(masterPublicKey);
  if (master.isError()) return Error(master.error());
  return std::optional<CurveClient>(CurveClient{*keys, *master});
}

}  // namespace agora
