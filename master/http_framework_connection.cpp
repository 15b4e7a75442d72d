// A framework of the HTTP scheduler API: its events are RecordIO records of Mesos v1 JSON on
// the response stream of its SUBSCRIBE call.
#include "master/framework_connection.hpp"
#include "master/scheduler_json.hpp"

namespace agora {

namespace {

class HttpFrameworkConnection final : public FrameworkConnection {
 public:
  explicit HttpFrameworkConnection(std::shared_ptr<HttpStream> stream) : stream_(std::move(stream)) {}

  bool subscribed(const Subscribed& s) override {
    return send(v1::subscribedEvent(s.frameworkId, s.masterId, s.pingIntervalSeconds));
  }
  bool offers(const std::vector<Offer>& offers) override { return send(v1::offersEvent(offers)); }
  bool rescind(const std::string& offerId) override { return send(v1::rescindEvent(offerId)); }
  bool update(const TaskStatus& status) override { return send(v1::updateEvent(status)); }
  bool error(const std::string& message) override { return send(v1::errorEvent(message)); }
  bool agentLost(const std::string& agentId) override { return send(v1::failureEvent(agentId)); }
  // Mesos' HEARTBEAT: it keeps proxies from closing the stream, and a client that is gone
  // is found when the write fails.
  bool ping(const std::string&, uint64_t) override { return send(v1::heartbeatEvent()); }
  const char* transport() const override { return "http"; }
  bool answersPings() const override { return false; }
  bool alive() const override { return stream_->isOpen(); }
  void close() override { stream_->close(); }

 private:
  bool send(const nlohmann::json& event) { return stream_->write(v1::record(event)); }

  std::shared_ptr<HttpStream> stream_;
};

}  // namespace

std::unique_ptr<FrameworkConnection> httpFrameworkConnection(std::shared_ptr<HttpStream> stream) {
  return std::make_unique<HttpFrameworkConnection>(std::move(stream));
}

}  // namespace agora
