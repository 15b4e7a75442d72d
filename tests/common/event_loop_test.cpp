#include "common/event_loop.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace agora {
namespace {

TEST(EventLoopTest, TimersFireInOrderWhenTheManualClockReachesThem) {
  ManualClock clock;
  EventLoop loop(clock);
  std::vector<int> fired;
  loop.after(std::chrono::seconds(2), [&] { fired.push_back(2); });
  loop.after(std::chrono::seconds(1), [&] { fired.push_back(1); });
  auto cancelled = loop.after(std::chrono::milliseconds(1500), [&] { fired.push_back(99); });
  loop.cancel(cancelled);
  loop.runOnce(Duration::zero());
  EXPECT_TRUE(fired.empty());
  clock.advance(std::chrono::seconds(1));
  loop.runOnce(Duration::zero());
  EXPECT_EQ(fired, std::vector<int>{1});
  clock.advance(std::chrono::seconds(5));
  loop.runOnce(Duration::zero());
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
}

TEST(EventLoopTest, WorkPostedFromAnotherThreadRunsOnTheLoop) {
  RealClock clock;
  EventLoop loop(clock);
  std::thread::id ranOn;
  std::thread poster([&] {
    loop.post([&] {
      ranOn = std::this_thread::get_id();
      loop.stop();
    });
  });
  loop.run();
  poster.join();
  EXPECT_EQ(ranOn, std::this_thread::get_id());
}

TEST(EventLoopTest, WorkPostedBeforeStopStillRuns) {
  RealClock clock;
  EventLoop loop(clock);
  bool ran = false;
  loop.post([&] { loop.stop(); });
  loop.post([&] { ran = true; });
  loop.run();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace agora
