#pragma once
// The arithmetic of a rolling restart, as Marathon's: at least ceil(n × minimumHealthCapacity)
// instances stay healthy, and at most floor(n × (1 + maximumOverCapacity)) run at once. When
// the two leave no room (minimumHealthCapacity 1, maximumOverCapacity 0), one new instance
// may run over capacity, as Marathon allows, so the restart goes one at a time.

#include <cstdint>

#include "frameworks/marathon-like/app.hpp"

namespace agora::marathon {

struct RollingCounts {
  uint32_t target = 0;      // the new version's instances
  uint32_t oldStaying = 0;  // old instances not asked to stop
  uint32_t oldKilling = 0;  // instances asked to stop and not yet gone (they hold their place)
  uint32_t newLive = 0;     // new instances launched and not ended
  uint32_t newHealthy = 0;  // of those, running and passing their checks
};

struct RollingMove {
  uint32_t killOld = 0;
  uint32_t launchNew = 0;
  bool done = false;
};

RollingMove rollingMove(const RollingCounts& c, const UpgradeStrategy& strategy);

uint32_t minimumHealthy(uint32_t target, const UpgradeStrategy& strategy);
uint32_t maximumCapacity(uint32_t target, const UpgradeStrategy& strategy);

}  // namespace agora::marathon
