#pragma once
// A framework's one rule for acting: whatever a callback decided is written first, in one
// synced batch, and only then acted on (tasks launched or killed, updates acknowledged,
// events sent, HTTP answered). Each entry into the framework's loop ends with commit(). If
// the disk refuses the batch, nothing is acted on; the batch and its actions wait, and
// commit() is tried again.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/store.hpp"

namespace agora {

class Journal {
 public:
  explicit Journal(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  void put(const std::string& key, const nlohmann::json& value) { batch_.push_back({key, value.dump()}); }
  void remove(const std::string& key) { batch_.push_back({key, std::nullopt}); }
  // Runs after the writes before it are durable.
  void then(std::function<void()> action) { actions_.push_back(std::move(action)); }

  // Writes the batch and runs the actions; on an error neither, and they stay queued.
  Status commit();
  bool pending() const { return !batch_.empty() || !actions_.empty(); }

  // Reads, at start.
  Try<std::map<std::string, nlohmann::json>> scan(const std::string& prefix) const;
  Try<std::optional<std::string>> get(const std::string& key) const { return store_->get(key); }

 private:
  Status writeBatch();
  void compact();

  std::unique_ptr<Store> store_;
  std::vector<StoreWrite> batch_;
  std::vector<std::function<void()>> actions_;
};

}  // namespace agora
