#include "cli/master_client.hpp"

#include <optional>

#include <zmq.hpp>

#include "common/transport.hpp"

namespace agora::cli {

Try<ApiReply> callMaster(const std::string& master, const std::string& method, const std::string& path,
                         const std::string& body, Duration timeout) {
  RealClock clock;
  EventLoop loop(clock);
  zmq::context_t context(1);
  MessageSocket socket(context, loop, MessageSocket::Kind::kDealer);
  std::string endpoint = tcpEndpoint(master);
  Status connected = socket.connect(endpoint);
  if (!connected.ok()) return Error(connected.error());
  std::optional<ApiReply> reply;
  socket.onMessage([&](const std::string&, proto::Envelope::Reader m) {
    if (m.isApiResponse()) reply = ApiReply{m.getApiResponse().getStatus(), m.getApiResponse().getBody()};
  });
  OutboundEnvelope out;
  auto req = out.get().initApiRequest();
  req.setRequestId(1);
  req.setMethod(method);
  req.setPath(path);
  req.setBody(body);
  socket.send(out);
  TimePoint deadline = clock.now() + timeout;
  while (!reply && clock.now() < deadline) loop.runOnce(std::chrono::milliseconds(50));
  if (!reply)
    return Error("no answer from the master at " + endpoint + " within " + std::to_string(int(toSeconds(timeout))) +
                 " s: is it running? (start one with `agora dev`, or point --master / AGORA_MASTER at it)");
  return *reply;
}

}  // namespace agora::cli
