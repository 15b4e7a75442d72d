#pragma once
// A small durable key-value store over RocksDB. Writes are synced before they return, so
// whatever a caller acts on after put() survives a SIGKILL or power loss.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/try.hpp"

namespace rocksdb { class DB; }

namespace agora {

class Store {
 public:
  static Try<std::unique_ptr<Store>> open(const std::string& directory);
  ~Store();

  Status put(const std::string& key, const std::string& value);
  Status remove(const std::string& key);
  Try<std::optional<std::string>> get(const std::string& key) const;
  // Every key that starts with `prefix`, in key order.
  Try<std::map<std::string, std::string>> scan(const std::string& prefix) const;

 private:
  explicit Store(rocksdb::DB* db) : db_(db) {}
  rocksdb::DB* db_;
};

}  // namespace agora
