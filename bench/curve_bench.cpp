// What CURVE costs the master's ZeroMQ port: round trips of status-update-sized envelopes
// between DEALERs and a ROUTER that answers each (as the master acknowledges updates), with
// and without CURVE, on loopback: the port alone, where `agora_sim --curve` measures the
// whole master at scale.
//
//   agora_bench_curve [--peers=100] [--messages=200000]
#include <chrono>
#include <cstdio>
#include <thread>

#include <gflags/gflags.h>
#include <zmq.hpp>

#include "bench/figures.hpp"
#include "common/curve_auth.hpp"
#include "common/transport.hpp"

DEFINE_int32(peers, 100, "DEALER connections, as agents and frameworks.");
DEFINE_int32(messages, 200000, "Round trips in all.");

namespace agora {
namespace {

double run(bool curve) {
  RealClock clock;
  EventLoop master(clock), peers(clock);
  zmq::context_t context(1);
  KeyPair server = newKeyPair(), client = newKeyPair();
  std::shared_ptr<const PrincipalBook> allowList;
  std::unique_ptr<CurveAuthenticator> authenticator;
  if (curve) {
    allowList = std::make_shared<const PrincipalBook>(*PrincipalBook::parse("bench " + client.publicKey + "\n", "bench"));
    authenticator = std::make_unique<CurveAuthenticator>(context, allowList);
  }
  MessageSocket router(context, master, MessageSocket::Kind::kRouter);
  if (curve) router.serveCurve(server);
  router.onMessage([&](const std::string& peer, proto::Envelope::Reader) {
    OutboundEnvelope ack;
    ack.get().initPong();
    router.send(peer, ack);
  });
  std::string endpoint = *router.bind("tcp://127.0.0.1:*");
  std::thread serving([&] { master.run(); });

  std::vector<std::unique_ptr<MessageSocket>> dealers;
  int64_t answered = 0, sent = 0;
  auto sendOne = [&](MessageSocket& d) {
    OutboundEnvelope update;
    auto s = update.get().initStatusUpdate().initStatus();
    s.setTaskId("task-" + std::to_string(sent));
    s.setMessage("command exited with status 0");
    ++sent;
    d.send(update);
  };
  for (int i = 0; i < FLAGS_peers; ++i) {
    auto d = std::make_unique<MessageSocket>(context, peers, MessageSocket::Kind::kDealer);
    if (curve) d->useCurve(CurveClient{client, server.publicKey});
    MessageSocket* self = d.get();
    d->onMessage([&, self](const std::string&, proto::Envelope::Reader) {
      ++answered;
      if (sent < FLAGS_messages) sendOne(*self);
    });
    (void)d->connect(endpoint);
    dealers.push_back(std::move(d));
  }
  auto start = std::chrono::steady_clock::now();
  for (auto& d : dealers) sendOne(*d);
  while (answered < FLAGS_messages) peers.runOnce(std::chrono::milliseconds(100));
  double seconds = bench::secondsSince(start);
  master.stop();
  serving.join();
  dealers.clear();
  return FLAGS_messages / seconds;
}

}  // namespace
}  // namespace agora

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora_bench_curve [--peers=100] [--messages=200000]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  double plain = agora::run(false), curve = agora::run(true);
  std::printf("round trips through the master's port, %d peers: without CURVE %.0f/s, with CURVE %.0f/s (%.0f%% of "
              "the rate)\n",
              FLAGS_peers, plain, curve, 100 * curve / plain);
  return 0;
}
