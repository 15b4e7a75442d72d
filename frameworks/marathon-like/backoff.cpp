#include "frameworks/marathon-like/backoff.hpp"

#include <algorithm>

namespace agora::marathon {

void LaunchDelays::failed(const AppDefinition& app, TimePoint now, const std::string& why) {
  Delay& d = delays_[app.id];
  d.seconds = d.seconds == 0 ? app.backoffSeconds : d.seconds * app.backoffFactor;
  d.seconds = std::min(d.seconds, app.maxLaunchDelaySeconds);
  d.until = now + seconds(d.seconds);
  d.lastFailure = why;
}

Duration LaunchDelays::remaining(const std::string& appId, TimePoint now) const {
  auto it = delays_.find(appId);
  if (it == delays_.end() || it->second.until <= now) return Duration::zero();
  return it->second.until - now;
}

const LaunchDelays::Delay* LaunchDelays::find(const std::string& appId) const {
  auto it = delays_.find(appId);
  return it == delays_.end() ? nullptr : &it->second;
}

}  // namespace agora::marathon
