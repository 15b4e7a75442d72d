#pragma once
// The schedule clock's queue: each schedule's next slot, earliest first. A tick pops only
// what is due, so its cost is per due slot, never a pass over every schedule (Chronos'
// loop and the first Kubernetes CronJob controller looked at every job on every tick).

#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "frameworks/batch/schedule_time.hpp"

namespace agora::batch {

class DueQueue {
 public:
  // `key` fires next at `at` (replacing what it had).
  void set(const std::string& key, Instant at) {
    remove(key);
    byKey_.emplace(key, at);
    byTime_.emplace(at, key);
  }
  void remove(const std::string& key) {
    auto it = byKey_.find(key);
    if (it == byKey_.end()) return;
    byTime_.erase({it->second, key});
    byKey_.erase(it);
  }
  std::optional<Instant> earliest() const {
    if (byTime_.empty()) return std::nullopt;
    return byTime_.begin()->first;
  }
  std::optional<Instant> of(const std::string& key) const {
    auto it = byKey_.find(key);
    if (it == byKey_.end()) return std::nullopt;
    return it->second;
  }
  // The keys due at or before `now`, earliest first; they leave the queue.
  std::vector<std::string> popDue(Instant now) {
    std::vector<std::string> due;
    while (!byTime_.empty() && byTime_.begin()->first <= now) {
      due.push_back(byTime_.begin()->second);
      byKey_.erase(byTime_.begin()->second);
      byTime_.erase(byTime_.begin());
    }
    return due;
  }
  size_t size() const { return byKey_.size(); }

 private:
  std::set<std::pair<Instant, std::string>> byTime_;
  std::unordered_map<std::string, Instant> byKey_;
};

}  // namespace agora::batch
