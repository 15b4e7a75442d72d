#include "common/event_loop.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

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

namespace agora {
namespace {

// Two fds readable in one poll: the first callback removes the second's watch (it destroys
// what the second belongs to), so the second callback must not run.
TEST(EventLoopTest, ACallbackWhoseWatchWasRemovedInTheSameRoundDoesNotRun) {
  ManualClock clock;
  EventLoop loop(clock);
  int a[2], b[2];
  ASSERT_EQ(pipe(a), 0);
  ASSERT_EQ(pipe(b), 0);
  int ranA = 0, ranB = 0;
  loop.watchFd(a[0], [&] {
    ++ranA;
    loop.unwatchFd(a[0]);
    loop.unwatchFd(b[0]);
  });
  loop.watchFd(b[0], [&] {
    ++ranB;
    loop.unwatchFd(a[0]);
    loop.unwatchFd(b[0]);
  });
  ASSERT_EQ(write(a[1], "x", 1), 1);
  ASSERT_EQ(write(b[1], "x", 1), 1);
  loop.runOnce(std::chrono::milliseconds(100));
  EXPECT_EQ(ranA + ranB, 1) << "a callback ran after its watch was removed";
  for (int fd : {a[0], a[1], b[0], b[1]}) close(fd);
}

}  // namespace
}  // namespace agora
