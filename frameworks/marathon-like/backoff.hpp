#pragma once
// Each app's launch delay after its tasks fail: backoffSeconds, times backoffFactor for each
// failure in a row, up to maxLaunchDelaySeconds. A new version of the app, or DELETE on
// /v2/queue/{app}/delay, starts it over. Kept in memory, as Marathon keeps it: a restarted
// agora-marathon launches at once.

#include <map>
#include <string>

#include "common/clock.hpp"
#include "frameworks/marathon-like/app.hpp"

namespace agora::marathon {

class LaunchDelays {
 public:
  struct Delay {
    double seconds = 0;  // the current delay; 0: none yet
    TimePoint until{};
    std::string lastFailure;
  };

  // A task of `app` failed at `now`: the next launch waits.
  void failed(const AppDefinition& app, TimePoint now, const std::string& why);
  void reset(const std::string& appId) { delays_.erase(appId); }
  // How long launches of `appId` still wait at `now` (zero: none).
  Duration remaining(const std::string& appId, TimePoint now) const;
  const Delay* find(const std::string& appId) const;

 private:
  std::map<std::string, Delay> delays_;
};

}  // namespace agora::marathon
