#pragma once
// How the master speaks to one subscribed framework. A plug-in point: ZeroMQ here; the HTTP
// scheduler API of a later issue is an event stream that implements the same events, so the
// master's framework logic never knows which transport a framework uses.

#include <memory>
#include <string>
#include <vector>

#include "common/http_stream.hpp"
#include "common/transport.hpp"
#include "common/types.hpp"

namespace agora {

class FrameworkConnection {
 public:
  struct Subscribed {
    std::string frameworkId;
    std::string masterId;
    double pingIntervalSeconds = 1;
    uint32_t maxMissedPings = 5;
    bool reregistered = false;
  };

  virtual ~FrameworkConnection() = default;

  // Each is false when the event could not be queued for the framework (the master counts it).
  virtual bool subscribed(const Subscribed& s) = 0;
  virtual bool offers(const std::vector<Offer>& offers) = 0;
  virtual bool rescind(const std::string& offerId) = 0;
  virtual bool update(const TaskStatus& status) = 0;
  virtual bool error(const std::string& message) = 0;
  virtual bool agentLost(const std::string& agentId) = 0;
  virtual bool ping(const std::string& masterId, uint64_t sequence) = 0;
  // "zmq" or "http", for the operator API.
  virtual const char* transport() const = 0;
  // Whether the framework answers pings (ZeroMQ); an HTTP stream is alive while it takes
  // what is written to it.
  virtual bool answersPings() const = 0;
  // An HTTP stream is open; always true over ZeroMQ, where pings tell.
  virtual bool alive() const = 0;
  // The master is done with this connection (retired or removed): an HTTP stream ends.
  virtual void close() = 0;
};

// Events as envelopes to `peer` on the master's ROUTER socket.
std::unique_ptr<FrameworkConnection> zmqFrameworkConnection(MessageSocket& socket, std::string peer);
// Events as RecordIO records of Mesos v1 JSON on the answer to an HTTP SUBSCRIBE.
std::unique_ptr<FrameworkConnection> httpFrameworkConnection(std::shared_ptr<HttpStream> stream);

}  // namespace agora
