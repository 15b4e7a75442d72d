#include "master/framework_connection.hpp"

#include "common/codec.hpp"

namespace agora {

namespace {

class ZmqFrameworkConnection final : public FrameworkConnection {
 public:
  ZmqFrameworkConnection(MessageSocket& socket, std::string peer) : socket_(socket), peer_(std::move(peer)) {}

  bool subscribed(const Subscribed& s) override {
    OutboundEnvelope out;
    auto b = out.get().initSubscribed();
    b.setFrameworkId(s.frameworkId);
    b.setMasterId(s.masterId);
    b.setPingIntervalSeconds(s.pingIntervalSeconds);
    b.setMaxMissedPings(s.maxMissedPings);
    b.setReregistered(s.reregistered);
    return socket_.send(peer_, out);
  }

  bool offers(const std::vector<Offer>& offers) override {
    OutboundEnvelope out;
    auto list = out.get().initOffers().initOffers(static_cast<unsigned>(offers.size()));
    for (unsigned i = 0; i < offers.size(); ++i) codec::write(offers[i], list[i]);
    return socket_.send(peer_, out);
  }

  bool rescind(const std::string& offerId) override {
    OutboundEnvelope out;
    out.get().initRescind().setOfferId(offerId);
    return socket_.send(peer_, out);
  }

  bool update(const TaskStatus& status) override {
    OutboundEnvelope out;
    codec::write(status, out.get().initUpdate().initStatus());
    return socket_.send(peer_, out);
  }

  bool error(const std::string& message) override {
    OutboundEnvelope out;
    out.get().initError().setMessage(message);
    return socket_.send(peer_, out);
  }

  bool agentLost(const std::string& agentId) override {
    OutboundEnvelope out;
    out.get().initAgentLost().setAgentId(agentId);
    return socket_.send(peer_, out);
  }

  const char* transport() const override { return "zmq"; }
  bool answersPings() const override { return true; }
  bool alive() const override { return true; }
  void close() override {}

  bool ping(const std::string& masterId, uint64_t sequence) override {
    OutboundEnvelope out;
    auto p = out.get().initPing();
    p.setMasterId(masterId);
    p.setSequence(sequence);
    return socket_.send(peer_, out);
  }

 private:
  MessageSocket& socket_;
  std::string peer_;
};

}  // namespace

std::unique_ptr<FrameworkConnection> zmqFrameworkConnection(MessageSocket& socket, std::string peer) {
  return std::make_unique<ZmqFrameworkConnection>(socket, std::move(peer));
}

}  // namespace agora
