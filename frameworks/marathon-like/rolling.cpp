#include "frameworks/marathon-like/rolling.hpp"

#include <algorithm>
#include <cmath>

namespace agora::marathon {

uint32_t minimumHealthy(uint32_t target, const UpgradeStrategy& s) {
  // A hair below so that 10 × 0.9 is 9, not 10 from the binary fraction.
  return static_cast<uint32_t>(std::ceil(target * s.minimumHealthCapacity - 1e-9));
}

uint32_t maximumCapacity(uint32_t target, const UpgradeStrategy& s) {
  return static_cast<uint32_t>(std::floor(target * (1 + s.maximumOverCapacity) + 1e-9));
}

RollingMove rollingMove(const RollingCounts& c, const UpgradeStrategy& s) {
  RollingMove m;
  if (c.oldStaying == 0 && c.oldKilling == 0 && c.newLive >= c.target && c.newHealthy >= c.target) {
    m.done = true;
    return m;
  }
  int64_t minHealthy = minimumHealthy(c.target, s), maxCapacity = maximumCapacity(c.target, s);
  int64_t healthy = int64_t(c.oldStaying) + c.newHealthy;
  // No room between the two (1.0 / 0.0): one instance over capacity, as Marathon allows.
  if (minHealthy == maxCapacity && maxCapacity <= healthy) ++maxCapacity;
  m.killOld = static_cast<uint32_t>(std::clamp<int64_t>(healthy - minHealthy, 0, c.oldStaying));
  // An old instance holds its place until it has ended, so the capacity is never exceeded.
  int64_t running = int64_t(c.oldStaying) + c.oldKilling + c.newLive;
  int64_t room = std::max<int64_t>(0, maxCapacity - running);
  m.launchNew = static_cast<uint32_t>(std::min<int64_t>(room, std::max<int64_t>(0, int64_t(c.target) - c.newLive)));
  return m;
}

}  // namespace agora::marathon
