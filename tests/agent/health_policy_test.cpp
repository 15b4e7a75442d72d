#include "agent/health_policy.hpp"

#include <gtest/gtest.h>

namespace agora {
namespace {

TimePoint at(double s) { return TimePoint{} + seconds(s); }

TEST(HealthPolicyTest, FailuresInTheGracePeriodDoNotCount) {
  HealthPolicy policy(10, 3, at(0));
  for (double t : {1.0, 2.0, 9.5}) {
    HealthPolicy::Verdict v = policy.record(false, at(t));
    EXPECT_FALSE(v.changed);
    EXPECT_FALSE(v.kill);
    EXPECT_TRUE(policy.lastIgnored());
  }
  EXPECT_FALSE(policy.healthy().has_value());
  HealthPolicy::Verdict v = policy.record(false, at(10));
  EXPECT_TRUE(v.changed);
  EXPECT_EQ(policy.healthy(), false);
  EXPECT_EQ(policy.consecutiveFailures(), 1u);
}

TEST(HealthPolicyTest, AFirstSuccessEndsTheGracePeriod) {
  HealthPolicy policy(300, 2, at(0));
  EXPECT_TRUE(policy.record(true, at(1)).changed);
  EXPECT_EQ(policy.healthy(), true);
  EXPECT_FALSE(policy.record(true, at(2)).changed) << "no news: still healthy";
  HealthPolicy::Verdict first = policy.record(false, at(3));
  EXPECT_TRUE(first.changed);
  EXPECT_FALSE(first.kill);
  EXPECT_FALSE(policy.lastIgnored());
  HealthPolicy::Verdict second = policy.record(false, at(4));
  EXPECT_FALSE(second.changed) << "no news: still unhealthy";
  EXPECT_TRUE(second.kill) << "two failures in a row, well inside the 300 s grace period";
}

TEST(HealthPolicyTest, ASuccessResetsTheCount) {
  HealthPolicy policy(0, 3, at(0));
  policy.record(false, at(1));
  policy.record(false, at(2));
  EXPECT_TRUE(policy.record(true, at(3)).changed);
  EXPECT_EQ(policy.consecutiveFailures(), 0u);
  EXPECT_FALSE(policy.record(false, at(4)).kill);
  EXPECT_FALSE(policy.record(false, at(5)).kill);
  EXPECT_TRUE(policy.record(false, at(6)).kill);
}

TEST(HealthPolicyTest, ZeroMaximumReportsButNeverKills) {
  HealthPolicy policy(0, 0, at(0));
  for (int i = 1; i <= 50; ++i) EXPECT_FALSE(policy.record(false, at(i)).kill);
  EXPECT_EQ(policy.healthy(), false);
  EXPECT_EQ(policy.consecutiveFailures(), 50u);
}

}  // namespace
}  // namespace agora
