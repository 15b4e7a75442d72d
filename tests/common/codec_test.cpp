// Decoding what peers send: list caps, linear-enough resource decoding, text checks.
#include "common/codec.hpp"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <chrono>

namespace agora {
namespace {

void fillScalars(capnp::List<proto::Resource>::Builder list, const std::string& prefix) {
  for (unsigned i = 0; i < list.size(); ++i) {
    list[i].setName(prefix + std::to_string(i));
    list[i].setRole("*");
    list[i].setScalar(1000);
  }
}

TEST(CodecTest, ResourceListsAreMergedByKindInFirstAppearanceOrder) {
  capnp::MallocMessageBuilder message;
  auto list = message.initRoot<proto::AgentInfo>().initResources(4);
  list[0].setName("mem");
  list[0].setScalar(1000);
  list[1].setName("cpus");
  list[1].setScalar(1500);
  list[2].setName("mem");
  list[2].setScalar(500);
  list[3].setName("ports");
  auto ranges = list[3].initRanges(2);
  ranges[0].setBegin(31005);
  ranges[0].setEnd(31010);
  ranges[1].setBegin(31000);
  ranges[1].setEnd(31004);
  Try<Resources> r = codec::read(list.asReader());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->toString(), "mem:1.5;cpus:1.5;ports:[31000-31010]");
}

TEST(CodecTest, ResourceListErrorsAreThoseOfAdd) {
  capnp::MallocMessageBuilder message;
  auto list = message.initRoot<proto::AgentInfo>().initResources(2);
  list[0].setName("disk");
  list[0].setScalar(1000);
  list[1].setName("disk");
  list[1].setRole("eng");
  list[1].initSet(1).set(0, "x");
  Try<Resources> r = codec::read(list.asReader());
  ASSERT_TRUE(r.isError());
  EXPECT_EQ(r.error(), "resource 'disk' appears with two different types");

  auto bad = message.initRoot<proto::AgentInfo>().initResources(1);
  bad[0].setName("cp\xffus");
  bad[0].setScalar(1);
  Try<Resources> utf8 = codec::read(bad.asReader());
  ASSERT_TRUE(utf8.isError());
  EXPECT_EQ(utf8.error(), "resource name is not UTF-8 text (byte 0xff at offset 2)");
}

TEST(CodecTest, ALongResourceListIsRefusedByItsLength) {
  capnp::MallocMessageBuilder message;
  auto list = message.initRoot<proto::AgentInfo>().initResources(200000);
  fillScalars(list, "r");
  Try<Resources> r = codec::read(list.asReader());
  ASSERT_TRUE(r.isError());
  EXPECT_EQ(r.error(), "resource list has 200000 entries; the limit is 1024");
}

// With add() in a loop this list took seconds; sorting takes well under that. The test
// checks the result only: timing is bench/codec_bench.cpp's business.
TEST(CodecTest, AListAtTheCapDecodesWithEveryKind) {
  capnp::MallocMessageBuilder message;
  auto list = message.initRoot<proto::AgentInfo>().initResources(codec::kMaxResources);
  fillScalars(list, "r");
  Try<Resources> r = codec::read(list.asReader());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->items().size(), codec::kMaxResources);
  EXPECT_EQ(r->items().front().name, "r0");
}

TEST(CodecTest, AgentInfoTextIsChecked) {
  capnp::MallocMessageBuilder message;
  auto info = message.initRoot<proto::AgentInfo>();
  info.setHostname("host\xc3");
  Try<AgentInfo> read = codec::read(info.asReader());
  ASSERT_TRUE(read.isError());
  EXPECT_EQ(read.error(), "hostname is not UTF-8 text (byte 0xc3 at offset 4)");
  info.setHostname("ok");
  auto attrs = info.initAttributes(1);
  attrs[0].setName("rack");
  attrs[0].setValue(std::string(5000, 'a'));
  read = codec::read(info.asReader());
  ASSERT_TRUE(read.isError());
  EXPECT_EQ(read.error(), "value of attribute 'rack' is 5000 bytes long; the limit is 4096");
}

TEST(CodecTest, ChecksAndTheirResultsRoundTrip) {
  TaskInfo task;
  task.taskId = "t";
  task.healthCheck = HealthCheck{};
  task.healthCheck->kind = CheckKind::COMMAND;
  task.healthCheck->command.value = "curl -f localhost";
  task.healthCheck->maxConsecutiveFailures = 0;
  task.healthCheck->gracePeriodSeconds = 300;
  task.readinessCheck = ReadinessCheck{};
  task.readinessCheck->port.name = "http";
  task.readinessCheck->readyStatusCodes = {200, 204};
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<proto::TaskInfo>();
  codec::write(task, b);
  Try<TaskInfo> read = codec::read(b.asReader());
  ASSERT_FALSE(read.isError()) << read.error();
  ASSERT_TRUE(read->healthCheck && read->readinessCheck);
  EXPECT_EQ(read->healthCheck->kind, CheckKind::COMMAND);
  EXPECT_EQ(read->healthCheck->command.value, "curl -f localhost");
  EXPECT_EQ(read->healthCheck->maxConsecutiveFailures, 0u);
  EXPECT_EQ(read->healthCheck->gracePeriodSeconds, 300);
  EXPECT_EQ(read->healthCheck->intervalSeconds, 10) << "Mesos' default";
  EXPECT_EQ(read->readinessCheck->port, (PortRef{-1, "http", 0}));
  EXPECT_EQ(read->readinessCheck->readyStatusCodes, (std::vector<uint16_t>{200, 204}));

  // A task without checks has none after the trip.
  TaskInfo plain;
  plain.taskId = "p";
  capnp::MallocMessageBuilder other;
  auto p = other.initRoot<proto::TaskInfo>();
  codec::write(plain, p);
  read = codec::read(p.asReader());
  ASSERT_FALSE(read.isError());
  EXPECT_FALSE(read->healthCheck || read->readinessCheck);

  TaskStatus status;
  status.healthy = false;
  capnp::MallocMessageBuilder third;
  auto s = third.initRoot<proto::TaskStatus>();
  codec::write(status, s);
  TaskStatus back = codec::read(s.asReader());
  EXPECT_EQ(back.healthy, false);
  EXPECT_FALSE(back.ready.has_value());
}

}  // namespace
}  // namespace agora
