#pragma once
// The uuids of status updates already handed to the scheduler, and whether each was
// acknowledged: a resend (the agent did not see the acknowledgement in time) is acknowledged
// again but never delivered twice. Bounded: the oldest are forgotten first.

#include <deque>
#include <string>
#include <unordered_map>

namespace agora::sdk {

class SeenUpdates {
 public:
  enum Seen { kNew, kDelivered, kAcknowledged };

  // What was known of `uuid` before; it is known (as delivered) after.
  Seen insert(const std::string& uuid) {
    auto [it, inserted] = seen_.try_emplace(uuid, false);
    if (!inserted) return it->second ? kAcknowledged : kDelivered;
    order_.push_back(uuid);
    if (order_.size() > kCapacity) {
      seen_.erase(order_.front());
      order_.pop_front();
    }
    return kNew;
  }

  void markAcknowledged(const std::string& uuid) {
    if (auto it = seen_.find(uuid); it != seen_.end()) it->second = true;
  }

 private:
  static constexpr size_t kCapacity = 100000;
  std::unordered_map<std::string, bool> seen_;  // uuid -> acknowledged
  std::deque<std::string> order_;
};

}  // namespace agora::sdk
