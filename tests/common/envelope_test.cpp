#include "common/envelope.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "common/codec.hpp"

namespace agora {
namespace {

std::string bytesOf(OutboundEnvelope& e) {
  auto words = e.encode();
  return std::string(reinterpret_cast<const char*>(words.asBytes().begin()), words.asBytes().size());
}

std::string sampleUpdate() {
  OutboundEnvelope out;
  TaskStatus s;
  s.taskId = "t1";
  s.frameworkId = "fw";
  s.state = TaskState::FAILED;
  s.reason = TaskReason::COMMAND_EXITED;
  s.message = "command exited with status 3";
  s.uuid = "u";
  s.exitCode = 3;
  codec::write(s, out.get().initStatusUpdate().initStatus());
  return bytesOf(out);
}

TEST(EnvelopeTest, RoundTripsAStatusUpdate) {
  std::string bytes = sampleUpdate();
  auto in = decodeEnvelope(bytes.data(), bytes.size());
  ASSERT_TRUE(in.ok()) << in.error();
  ASSERT_TRUE((*in)->get().isStatusUpdate());
  TaskStatus s = codec::read((*in)->get().getStatusUpdate().getStatus());
  EXPECT_EQ(s.taskId, "t1");
  EXPECT_EQ(s.state, TaskState::FAILED);
  EXPECT_EQ(s.exitCode, 3);
  EXPECT_EQ(envelopeKind((*in)->get()), "statusUpdate");
}

TEST(EnvelopeTest, ReadsFromUnalignedBuffers) {
  std::string bytes = sampleUpdate();
  std::string shifted = "x" + bytes;  // ZeroMQ hands out buffers at any address
  auto in = decodeEnvelope(shifted.data() + 1, bytes.size());
  ASSERT_TRUE(in.ok()) << in.error();
  EXPECT_TRUE((*in)->get().isStatusUpdate());
}

TEST(EnvelopeTest, RejectsMalformedMessagesWithAReason) {
  std::string bytes = sampleUpdate();
  auto partial = decodeEnvelope(bytes.data(), 13);
  ASSERT_TRUE(partial.isError());
  EXPECT_NE(partial.error().find("8-byte words"), std::string::npos) << partial.error();
  auto truncated = decodeEnvelope(bytes.data(), bytes.size() - 16);
  ASSERT_TRUE(truncated.isError());
  EXPECT_NE(truncated.error().find("malformed"), std::string::npos) << truncated.error();
  auto empty = decodeEnvelope(bytes.data(), 0);
  EXPECT_TRUE(empty.isError());
}

TEST(EnvelopeTest, RandomBytesNeverCrashTheDecoder) {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = sampleUpdate();
    // Flip a few bytes of a valid message: a harder test than pure noise.
    for (int k = 0; k < 4; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    auto in = decodeEnvelope(bytes.data(), bytes.size());
    if (in.ok()) (void)envelopeKind((*in)->get());
  }
}

TEST(EnvelopeTest, RejectsOversizedMessages) {
  OutboundEnvelope out;
  out.get().initError().setMessage(std::string(100000, 'x'));
  std::string bytes = bytesOf(out);
  auto in = decodeEnvelope(bytes.data(), bytes.size(), DecodeLimits{65536, 16});
  ASSERT_TRUE(in.isError());
  EXPECT_NE(in.error().find("exceeds the limit"), std::string::npos) << in.error();
}

TEST(EnvelopeTest, RejectsDeepNestingBeyondTheLimit) {
  std::string bytes = sampleUpdate();
  auto in = decodeEnvelope(bytes.data(), bytes.size(), DecodeLimits{1 << 20, 1});
  ASSERT_TRUE(in.isError());
  EXPECT_NE(in.error().find("malformed"), std::string::npos) << in.error();
}

TEST(EnvelopeTest, RejectsAnotherProtocolVersion) {
  OutboundEnvelope out;
  out.get().setVersion(99);
  out.get().initPong();
  std::string bytes = bytesOf(out);
  auto in = decodeEnvelope(bytes.data(), bytes.size());
  ASSERT_TRUE(in.isError());
  EXPECT_NE(in.error().find("protocol version 99"), std::string::npos) << in.error();
}

// The check before the handler walks the whole message; it must not use up what the handler
// needs to read the same message (it did: a valid message over half the limit failed in its
// handler).
TEST(EnvelopeTest, AValidMessageNearTheLimitCanBeReadWhole) {
  OutboundEnvelope out;
  auto list = out.get().initOffers().initOffers(1)[0].initResources(900);
  for (unsigned i = 0; i < list.size(); ++i) {
    list[i].setName("r" + std::to_string(i));
    list[i].setRole("*");
    list[i].setScalar(1000);
  }
  std::string bytes = bytesOf(out);
  DecodeLimits limits{bytes.size() + bytes.size() / 4, 16};
  auto in = decodeEnvelope(bytes.data(), bytes.size(), limits);
  ASSERT_TRUE(in.ok()) << in.error();
  auto offer = (*in)->get().getOffers().getOffers()[0];
  Try<Resources> first = codec::read(offer.getResources());
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first->items().size(), 900u);
  Try<Resources> again = codec::read(offer.getResources());  // handlers may read a field twice
  EXPECT_TRUE(again.ok());
}

}  // namespace
}  // namespace agora
