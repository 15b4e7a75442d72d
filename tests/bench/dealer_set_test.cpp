// The simulator's own ZMTP 3.0 peers against a real libzmq ROUTER on loopback.
#include "bench/sim/dealer_set.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>

#include <gtest/gtest.h>
#include <zmq.hpp>

namespace agora::sim {
namespace {

using std::chrono::steady_clock;

std::string encode(OutboundEnvelope& message) {
  auto words = message.encode();
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

std::string pingBytes(uint64_t sequence) {
  OutboundEnvelope out;
  out.get().initPing().setSequence(sequence);
  return encode(out);
}

class DealerSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router.set(zmq::sockopt::linger, 0);
    router.bind("tcp://127.0.0.1:*");
    endpoint = router.get(zmq::sockopt::last_endpoint);
  }

  // The next message at the ROUTER as (routing id, body), serving the dealers meanwhile.
  std::optional<std::pair<std::string, std::string>> receive(DealerSet& dealers) {
    auto deadline = steady_clock::now() + std::chrono::seconds(10);
    while (steady_clock::now() < deadline) {
      dealers.poll(1);
      zmq::message_t id, body;
      if (!router.recv(id, zmq::recv_flags::dontwait)) continue;
      EXPECT_TRUE(id.more());
      EXPECT_TRUE(router.recv(body, zmq::recv_flags::none));
      return std::make_pair(id.to_string(), body.to_string());
    }
    return std::nullopt;
  }

  void sendFromRouter(const std::string& peer, const std::string& body) {
    router.send(zmq::buffer(peer), zmq::send_flags::sndmore);
    router.send(zmq::buffer(body), zmq::send_flags::none);
  }

  // Serves the dealers until `done` or ten seconds pass.
  static bool serveUntil(DealerSet& dealers, const std::function<bool()>& done) {
    auto deadline = steady_clock::now() + std::chrono::seconds(10);
    while (!done() && steady_clock::now() < deadline) dealers.poll(1);
    return done();
  }

  zmq::context_t context;
  zmq::socket_t router{context, zmq::socket_type::router};
  std::string endpoint;
};

TEST_F(DealerSetTest, TalksToARouterBothWaysWithShortAndLongFrames) {
  DealerSet dealers;
  std::vector<std::string> received;
  auto peer = dealers.add(endpoint, "peer-1", [&](proto::Envelope::Reader m) {
    received.push_back(m.isPong() ? "pong " + std::to_string(m.getPong().getSequence())
                                  : std::string(m.getApiResponse().getBody().cStr()));
  });
  ASSERT_TRUE(peer.ok()) << peer.error();
  OutboundEnvelope ping;
  ping.get().initPing().setSequence(7);
  dealers.send(*peer, ping);  // before the handshake: held until the ROUTER is ready

  auto got = receive(dealers);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->first, "peer-1");
  EXPECT_EQ(got->second, pingBytes(7));

  OutboundEnvelope pong, big;
  pong.get().initPong().setSequence(8);
  big.get().initApiResponse().setBody(std::string(100000, 'x'));  // a long (8-byte size) frame
  sendFromRouter("peer-1", encode(pong));
  sendFromRouter("peer-1", encode(big));
  ASSERT_TRUE(serveUntil(dealers, [&] { return received.size() == 2; }));
  EXPECT_EQ(received[0], "pong 8");
  EXPECT_EQ(received[1], std::string(100000, 'x'));
  EXPECT_EQ(dealers.malformed(), 0u);
  EXPECT_EQ(dealers.connectionsLost(), 0u);
}

TEST_F(DealerSetTest, ConnectsManyPeersAFewAtATime) {
  DealerSet dealers(8);
  for (int i = 0; i < 100; ++i) {
    auto peer = dealers.add(endpoint, "peer-" + std::to_string(i), [](proto::Envelope::Reader) {});
    ASSERT_TRUE(peer.ok()) << peer.error();
    OutboundEnvelope ping;
    ping.get().initPing().setSequence(static_cast<uint64_t>(i));
    dealers.send(*peer, ping);
  }
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto got = receive(dealers);
    ASSERT_TRUE(got.has_value()) << "only " << seen.size() << " of 100 peers were heard";
    std::string n = got->first.substr(5);
    EXPECT_EQ(got->second, pingBytes(std::stoull(n)));
    seen.insert(got->first);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(dealers.connectionsLost(), 0u);
}

TEST_F(DealerSetTest, DropsMalformedAndMultiPartMessagesAndKeepsTheConnection) {
  DealerSet dealers;
  int pongs = 0;
  auto peer = dealers.add(endpoint, "peer-1", [&](proto::Envelope::Reader m) { pongs += m.isPong(); });
  ASSERT_TRUE(peer.ok());
  OutboundEnvelope hello;
  hello.get().initPing().setSequence(1);
  dealers.send(*peer, hello);
  ASSERT_TRUE(receive(dealers).has_value());

  sendFromRouter("peer-1", "not cap'n proto");
  router.send(zmq::buffer(std::string("peer-1")), zmq::send_flags::sndmore);
  router.send(zmq::buffer(pingBytes(2)), zmq::send_flags::sndmore);
  router.send(zmq::buffer(pingBytes(3)), zmq::send_flags::none);
  OutboundEnvelope pong;
  pong.get().initPong().setSequence(4);
  sendFromRouter("peer-1", encode(pong));
  ASSERT_TRUE(serveUntil(dealers, [&] { return pongs == 1; }));
  EXPECT_EQ(dealers.malformed(), 2u);
  EXPECT_EQ(dealers.connectionsLost(), 0u);
}

TEST_F(DealerSetTest, RefusesEndpointsItCannotUse) {
  DealerSet dealers;
  auto noop = [](proto::Envelope::Reader) {};
  auto name = dealers.add("tcp://localhost:5050", "p", noop);
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.error().find("IPv4"), std::string::npos) << name.error();
  auto noPort = dealers.add("tcp://127.0.0.1", "p", noop);
  ASSERT_FALSE(noPort.ok());
  EXPECT_NE(noPort.error().find("no port"), std::string::npos) << noPort.error();
  EXPECT_FALSE(dealers.add(endpoint, "", noop).ok());
}

TEST_F(DealerSetTest, CountsARefusedConnectionAsLost) {
  // A bound socket that does not listen: connecting to it is refused.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t len = sizeof address;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len), 0);
  DealerSet dealers;
  auto peer = dealers.add("tcp://127.0.0.1:" + std::to_string(ntohs(address.sin_port)), "p",
                          [](proto::Envelope::Reader) {});
  ASSERT_TRUE(peer.ok());
  OutboundEnvelope ping;
  ping.get().initPing();
  dealers.send(*peer, ping);
  EXPECT_TRUE(serveUntil(dealers, [&] { return dealers.connectionsLost() == 1; }));
  close(fd);
}

}  // namespace
}  // namespace agora::sim
