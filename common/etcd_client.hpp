#pragma once
// A client of etcd 3.4's v3 JSON gateway: the engine that masters and frameworks elect their
// leaders on and keep their state in when several run. Plain HTTP/1.1 rather than gRPC:
// every etcd 3.4 serves the gateway, and it needs no generated stubs or gRPC stack. Keys and
// values travel base64-encoded and 64-bit numbers as strings, as the gateway wants.
//
// Calls block the calling thread for at most the timeout per server; a server that does not
// answer is skipped for the next one in the list. Keep calls off loops that must not stall;
// one client serves one thread at a time.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/try.hpp"

namespace agora {

struct EtcdTarget {
  std::vector<std::pair<std::string, int>> servers;  // host, port
  std::string prefix;                                // "/agora": no trailing slash
};

// "etcd://127.0.0.1:2379,127.0.0.1:22379/agora" (the prefix defaults to "/agora").
Try<EtcdTarget> parseEtcdUrl(const std::string& url);
bool isEtcdUrl(const std::string& text);

struct EtcdKeyValue {
  std::string key, value;
  int64_t createRevision = 0, modRevision = 0, lease = 0;
};

// A condition of a transaction: the key holds `value`, or (createRevision 0) is absent.
struct EtcdCompare {
  std::string key;
  std::optional<std::string> value;  // nothing: the key does not exist
};

// An operation of a transaction: put `value` (with `lease`, if not 0) or delete the key.
struct EtcdOp {
  std::string key;
  std::optional<std::string> value;
  int64_t lease = 0;
};

class EtcdClient {
 public:
  EtcdClient(EtcdTarget target, std::chrono::milliseconds timeout = std::chrono::seconds(2));

  const EtcdTarget& target() const { return target_; }

  // The key, or every key starting with it when `prefix`, in key order.
  Try<std::vector<EtcdKeyValue>> range(const std::string& key, bool prefix = false) const;
  Status put(const std::string& key, const std::string& value, int64_t lease = 0) const;
  Status remove(const std::string& key, bool prefix = false) const;
  // Applies `then` if every compare holds, else `otherwise`; true if the compares held.
  Try<bool> txn(const std::vector<EtcdCompare>& compares, const std::vector<EtcdOp>& then,
                const std::vector<EtcdOp>& otherwise = {}) const;

  Try<int64_t> grantLease(int64_t ttlSeconds) const;
  // The lease's remaining TTL after renewing it; 0 if it has expired or was revoked.
  Try<int64_t> keepAlive(int64_t lease) const;
  Status revoke(int64_t lease) const;

 private:
  Try<std::string> call(const std::string& path, const std::string& body) const;

  EtcdTarget target_;
  std::chrono::milliseconds timeout_;
  mutable size_t preferred_ = 0;  // the server that answered last
};

}  // namespace agora
