#include "common/text.hpp"

#include <gtest/gtest.h>

namespace agora {
namespace {

TEST(TextTest, AcceptsWellFormedUtf8) {
  EXPECT_TRUE(isUtf8(""));
  EXPECT_TRUE(isUtf8("plain ascii"));
  EXPECT_TRUE(isUtf8("caf\xc3\xa9"));              // é
  EXPECT_TRUE(isUtf8("\xe2\x82\xac"));             // €
  EXPECT_TRUE(isUtf8("\xf0\x9f\x98\x80"));         // U+1F600
  EXPECT_TRUE(isUtf8("\xf4\x8f\xbf\xbf"));         // U+10FFFF
}

TEST(TextTest, RefusesWhatJsonCannotCarry) {
  EXPECT_FALSE(isUtf8("bad\xffname"));
  EXPECT_FALSE(isUtf8("\x80"));                    // a lone continuation byte
  EXPECT_FALSE(isUtf8("\xc3"));                    // truncated
  EXPECT_FALSE(isUtf8("\xc0\xaf"));                // overlong '/'
  EXPECT_FALSE(isUtf8("\xe0\x80\xaf"));            // overlong, three bytes
  EXPECT_FALSE(isUtf8("\xed\xa0\x80"));            // a UTF-16 surrogate
  EXPECT_FALSE(isUtf8("\xf4\x90\x80\x80"));        // above U+10FFFF
}

TEST(TextTest, ErrorsSayWhatAndWhere) {
  EXPECT_TRUE(checkText("task name", "ok", 10).ok());
  Status bad = checkText("task 'x' name", "bad\xffname", 100);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "task 'x' name is not UTF-8 text (byte 0xff at offset 3)");
  Status longer = checkText("label 'a'", std::string(11, 'a'), 10);
  ASSERT_FALSE(longer.ok());
  EXPECT_EQ(longer.error(), "label 'a' is 11 bytes long; the limit is 10");
}

// ZeroMQ's own routing ids are binary (a zero byte and a number): logged as hex, not raw.
TEST(TextTest, PeerIdsAreLoggedPrintably) {
  EXPECT_EQ(printable("agent-1"), "agent-1");
  EXPECT_EQ(printable(std::string("\0\x80\x01\x2a\xff", 5)), "0x0080012aff");
  EXPECT_EQ(printable("a\nb"), "0x610a62");
  EXPECT_EQ(printable(""), "0x");
}

}  // namespace
}  // namespace agora
