#pragma once
// Waiting on a condition with a deadline: the one way tests wait for real processes.

#include <chrono>
#include <functional>
#include <thread>

namespace agora::testing {

// Checks `condition` every few milliseconds until it holds (true) or `timeout` passes (false).
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace agora::testing
