#pragma once
// How a task's health follows from its check results, as Mesos and Marathon count them: a
// success makes it healthy; a failure counts once the grace period since the start is over
// or the task has been healthy once, and makes it unhealthy; enough counted failures in a
// row end the task. Pure, so that its rules are tested on their own.

#include <cstdint>
#include <optional>

#include "common/clock.hpp"

namespace agora {

class HealthPolicy {
 public:
  struct Verdict {
    bool changed = false;  // healthy() is new: tell the framework
    bool kill = false;     // the task has failed its check too often
  };

  HealthPolicy(double gracePeriodSeconds, uint32_t maxConsecutiveFailures, TimePoint started);

  Verdict record(bool passed, TimePoint now);

  std::optional<bool> healthy() const { return healthy_; }
  uint32_t consecutiveFailures() const { return failures_; }
  // The failure just recorded fell in the grace period and was not counted.
  bool lastIgnored() const { return lastIgnored_; }

 private:
  Duration grace_;
  uint32_t maxFailures_;
  TimePoint started_;
  std::optional<bool> healthy_;
  bool everHealthy_ = false;
  bool lastIgnored_ = false;
  uint32_t failures_ = 0;
};

}  // namespace agora
