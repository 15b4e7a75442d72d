#include "agent/health_policy.hpp"

namespace agora {

HealthPolicy::HealthPolicy(double gracePeriodSeconds, uint32_t maxConsecutiveFailures, TimePoint started)
    : grace_(seconds(gracePeriodSeconds)), maxFailures_(maxConsecutiveFailures), started_(started) {}

HealthPolicy::Verdict HealthPolicy::record(bool passed, TimePoint now) {
  Verdict verdict;
  lastIgnored_ = false;
  if (passed) {
    failures_ = 0;
    everHealthy_ = true;
    verdict.changed = healthy_ != true;
    healthy_ = true;
    return verdict;
  }
  // A service still starting up is not failing yet.
  if (!everHealthy_ && now - started_ < grace_) {
    lastIgnored_ = true;
    return verdict;
  }
  ++failures_;
  verdict.changed = healthy_ != false;
  healthy_ = false;
  verdict.kill = maxFailures_ > 0 && failures_ >= maxFailures_;
  return verdict;
}

}  // namespace agora
