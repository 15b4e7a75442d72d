#pragma once
// The narrow durable key-value interface that the master's registry and the agent's
// checkpoint stand on. A plug-in point: RocksDB here; etcd's transactions for masters that
// elect a leader. Every write is durable before it returns, so whatever a caller acts on
// afterwards survives a SIGKILL or a power loss.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/try.hpp"

namespace agora {

// One write of a batch: a value to put, or nothing to delete the key.
struct StoreWrite {
  std::string key;
  std::optional<std::string> value;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Try<std::optional<std::string>> get(const std::string& key) const = 0;
  // Every key that starts with `prefix`, in key order.
  virtual Try<std::map<std::string, std::string>> scan(const std::string& prefix) const = 0;
  // All of `batch` or none of it, in its order.
  virtual Status apply(const std::vector<StoreWrite>& batch) = 0;
  // Applies `batch` only if `key` holds `expected` (nothing: the key is absent); false if it
  // did not, and then nothing was written. A leader's guard: a deposed one cannot write.
  virtual Try<bool> compareAndApply(const std::string& key, const std::optional<std::string>& expected,
                                    const std::vector<StoreWrite>& batch) = 0;

  // The most writes one batch may hold (0: no limit); a batch writer splits its work to fit.
  virtual size_t maxBatchWrites() const { return 0; }

  // One-write batches.
  Status put(const std::string& key, const std::string& value) { return apply({{key, value}}); }
  Status remove(const std::string& key) { return apply({{key, std::nullopt}}); }
};

// A RocksDB database in `directory` (created if missing), synced on every write.
Try<std::unique_ptr<Store>> openRocksDbStore(const std::string& directory);

}  // namespace agora
