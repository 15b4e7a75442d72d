#include "common/clock.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace agora {

double RealClock::wallSeconds() const {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string isoTime(double wallSeconds, const char* zone) {
  time_t whole = static_cast<time_t>(std::floor(wallSeconds));
  int millis = static_cast<int>((wallSeconds - std::floor(wallSeconds)) * 1000);
  struct tm utc;
  gmtime_r(&whole, &utc);
  char buf[40];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  char out[64];
  snprintf(out, sizeof out, "%s.%03d%s", buf, millis, zone);
  return out;
}

}  // namespace agora
