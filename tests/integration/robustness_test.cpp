// Bad input loses nothing: garbage on the master's port is dropped and counted, and the
// cluster keeps working.
#include <gtest/gtest.h>

#include <zmq.hpp>

#include "common/envelope.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

TEST(RobustnessTest, GarbageOnTheMasterPortIsDroppedAndTheClusterKeepsWorking) {
  TestCluster cluster({"--max_message_bytes=65536"});
  cluster.startMaster();
  cluster.startAgents(1);
  {
    zmq::context_t context(1);
    zmq::socket_t raw(context, zmq::socket_type::dealer);
    raw.set(zmq::sockopt::linger, 1000);
    raw.connect("tcp://" + cluster.master());
    std::string notWords = "hello, master";             // not a whole number of words
    std::string words(64, '\xff');                      // words, but no valid message
    std::string huge(60000, '\0');                      // under ZeroMQ's cap, over no limit: zero segments
    raw.send(zmq::buffer(notWords), zmq::send_flags::none);
    raw.send(zmq::buffer(words), zmq::send_flags::none);
    raw.send(zmq::buffer(huge), zmq::send_flags::none);
    raw.send(zmq::buffer(words), zmq::send_flags::sndmore);  // a multi-part message
    raw.send(zmq::buffer(words), zmq::send_flags::none);
    // A well-formed message from a peer that never registered is answered, not obeyed.
    OutboundEnvelope accept;
    accept.get().initAccept().setFrameworkId("framework-nobody");
    auto bytes = accept.encode();
    raw.send(zmq::buffer(bytes.asBytes().begin(), bytes.asBytes().size()), zmq::send_flags::none);
    zmq::message_t reply;
    raw.set(zmq::sockopt::rcvtimeo, 5000);
    ASSERT_TRUE(raw.recv(reply));
    auto decoded = decodeEnvelope(reply.data(), reply.size());
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_TRUE((*decoded)->get().isReregisterRequired());
  }
  ASSERT_TRUE(eventually([&] {
    auto s = cluster.state();
    return !s.is_null() && s["malformed_messages"].get<int>() >= 4;
  })) << cluster.state().dump();

  TestFramework fw(cluster.master(), "after-garbage");
  fw.scheduler.queue(shellTask("still-works", "true"));
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.terminalCount() == 1; }));
  std::lock_guard<std::mutex> lock(fw.scheduler.mutex);
  EXPECT_EQ(fw.scheduler.latest("still-works")->state, TaskState::FINISHED);
}

TEST(RobustnessTest, OversizedMessageIsRefusedBeforeItIsRead) {
  TestCluster cluster({"--max_message_bytes=65536"});
  cluster.startMaster();
  cluster.startAgents(1);
  {
    zmq::context_t context(1);
    zmq::socket_t raw(context, zmq::socket_type::dealer);
    raw.set(zmq::sockopt::linger, 1000);
    raw.connect("tcp://" + cluster.master());
    std::string huge(1 << 20, 'x');
    raw.send(zmq::buffer(huge), zmq::send_flags::none);
  }
  // ZeroMQ drops the connection of a peer that sends more than the limit; the master lives on.
  TestFramework fw(cluster.master(), "after-huge");
  fw.scheduler.queue(shellTask("fine", "true"));
  ASSERT_TRUE(fw.scheduler.waitFor([&] { return fw.scheduler.terminalCount() == 1; }));
}

}  // namespace
}  // namespace agora::testing
