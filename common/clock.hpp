#pragma once
// The one door to time. Daemons use RealClock; tests use ManualClock and advance it by
// hand so that no test sleeps to wait for a timer.

#include <atomic>
#include <chrono>
#include <string>

namespace agora {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

// Saturates at about 31 years (and takes NaN for 0): a huge timeout from a peer must not
// overflow into a negative one that fires at once.
inline Duration seconds(double s) {
  if (!(s == s)) s = 0;
  s = s < -1e9 ? -1e9 : s > 1e9 ? 1e9 : s;
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}
inline Duration millis(int64_t ms) { return std::chrono::milliseconds(ms); }
inline double toSeconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Wall-clock seconds as ISO 8601 UTC with milliseconds, "2026-12-03T21:00:00.000" then
// `zone`: "Z" (Marathon writes that) or "+0000" (Metronome does).
std::string isoTime(double wallSeconds, const char* zone = "Z");

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time: only differences mean anything.
  virtual TimePoint now() const = 0;
  // Wall-clock seconds since the epoch, for timestamps shown to people.
  virtual double wallSeconds() const = 0;
};

class RealClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  double wallSeconds() const override;
};

// Time stands still until advance() is called. Safe to read from any thread.
class ManualClock final : public Clock {
 public:
  TimePoint now() const override { return TimePoint(Duration(nanos_.load())); }
  double wallSeconds() const override { return 1.7e9 + toSeconds(Duration(nanos_.load())); }
  void advance(Duration d) { nanos_ += d.count(); }

 private:
  std::atomic<int64_t> nanos_{1'000'000'000};
};

}  // namespace agora
