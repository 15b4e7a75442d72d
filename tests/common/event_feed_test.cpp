#include "common/event_feed.hpp"

#include <gtest/gtest.h>

namespace agora {
namespace {

std::string drain(HttpStream& s) {
  std::string out;
  while (auto chunk = s.next(std::chrono::milliseconds(0))) out += *chunk;
  return out;
}

EventFeed feed(size_t capacity) {
  return EventFeed(capacity, [](uint64_t last, uint64_t first) {
    return sseEvent("LOST", std::to_string(last) + "<" + std::to_string(first));
  });
}

TEST(EventFeedTest, ReplaysWhatAResumingClientMissedAndSaysWhatIsLost) {
  EventFeed f = feed(3);
  f.startAt(100);
  for (int i = 0; i < 5; ++i) f.publish(f.nextId(), i % 2 ? "ODD" : "EVEN", std::to_string(i));
  // Kept: 102, 103, 104.
  auto resumed = f.subscribe(102, {});
  EXPECT_EQ(drain(*resumed), sseEvent("ODD", "3", 103) + sseEvent("EVEN", "4", 104));
  auto behind = f.subscribe(100, {});
  EXPECT_EQ(drain(*behind), sseEvent("LOST", "100<102") + sseEvent("EVEN", "2", 102) + sseEvent("ODD", "3", 103) +
                                sseEvent("EVEN", "4", 104));
  auto foreign = f.subscribe(5000, {"ODD"});
  EXPECT_EQ(drain(*foreign), sseEvent("LOST", "5000<102") + sseEvent("ODD", "3", 103));
  auto fresh = f.subscribe(std::nullopt, {"EVEN"});
  EXPECT_EQ(drain(*fresh), "");
  f.publish(f.nextId(), "ODD", "5");
  f.publish(f.nextId(), "EVEN", "6");
  f.broadcast("SAMPLE", "{}");
  EXPECT_EQ(drain(*fresh), sseEvent("EVEN", "6", 106));
  EXPECT_EQ(drain(*resumed), sseEvent("ODD", "5", 105) + sseEvent("EVEN", "6", 106) + sseEvent("SAMPLE", "{}"));
}

// A daemon that persists its events sends each only once it is durable; a client that
// resumes meanwhile is not told of what may yet be lost.
TEST(EventFeedTest, RetainedEventsAreSentOnlyWhenReleased) {
  EventFeed f = feed(10);
  auto live = f.subscribe(std::nullopt, {});
  EXPECT_TRUE(f.retain(1, "A", "1").empty());
  f.retain(2, "B", "2");
  EXPECT_EQ(drain(*live), "");
  auto resumed = f.subscribe(0, {});
  EXPECT_EQ(drain(*resumed), "");
  f.release(1);
  EXPECT_EQ(drain(*live), sseEvent("A", "1", 1));
  f.release(2);
  EXPECT_EQ(drain(*live), sseEvent("B", "2", 2));
  EXPECT_EQ(drain(*resumed), sseEvent("A", "1", 1) + sseEvent("B", "2", 2));
  EventFeed small = feed(1);
  small.retain(7, "A", "");
  EXPECT_EQ(small.retain(8, "A", ""), std::vector<uint64_t>{7});
}

// A replay larger than a stream holds would close the stream at once, and the client would
// come back for it for ever: it is told to read the state again instead.
TEST(EventFeedTest, AReplayTooLargeForTheStreamIsSaidToBeLost) {
  EventFeed f = feed(100);
  std::string megabyte(1 << 20, 'x');
  for (int i = 0; i < 10; ++i) f.publish(f.nextId(), "BIG", megabyte);
  auto resumed = f.subscribe(1, {});
  EXPECT_EQ(drain(*resumed), sseEvent("LOST", "1<11"));
  EXPECT_TRUE(resumed->isOpen());
  f.publish(f.nextId(), "SMALL", "1");
  EXPECT_EQ(drain(*resumed), sseEvent("SMALL", "1", 11));
}

}  // namespace
}  // namespace agora
