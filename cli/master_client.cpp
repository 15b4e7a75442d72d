#include "cli/master_client.hpp"

#include <optional>

#include <zmq.hpp>

#include "cli/credentials.hpp"
#include "common/master_locator.hpp"
#include "common/transport.hpp"

namespace agora::cli {

namespace {

// What one master said to a request: the answer, or where the leader is.
struct Heard {
  std::optional<ApiReply> reply;
  std::optional<std::string> redirect;  // empty: no master leads at the moment
};

}  // namespace

// Asks the master that `master` names; a standby's redirect is followed to the leader, and
// a master that does not answer gives way to the next one the locator knows of.
Try<ApiReply> callMaster(const std::string& master, const std::string& method, const std::string& path,
                         const std::string& body, Duration timeout) {
  Try<std::unique_ptr<MasterLocator>> locator = MasterLocator::make(master);
  if (locator.isError()) return Error("--master: " + locator.error());
  RealClock clock;
  EventLoop loop(clock);
  zmq::context_t context(1);
  MessageSocket socket(context, loop, MessageSocket::Kind::kDealer);
  const Try<Credentials>& who = credentials();
  if (who.isError()) return Error(who.error());
  if (who->curve) socket.useCurve(*who->curve);
  std::string refused;
  socket.onRefused([&refused](const std::string& why) { refused = why; });
  Heard heard;
  socket.onMessage([&](const std::string&, proto::Envelope::Reader m) {
    if (m.isApiResponse()) heard.reply = ApiReply{m.getApiResponse().getStatus(), m.getApiResponse().getBody()};
    if (m.isRedirect()) heard.redirect = m.getRedirect().getZmq();
  });
  // One master that does not answer must not use up the whole wait when others may.
  Duration perTry = (*locator)->usesEtcd() || master.find(',') != std::string::npos
                        ? std::min<Duration>(timeout, std::chrono::seconds(2))
                        : timeout;
  TimePoint deadline = clock.now() + timeout;
  std::string endpoint = (*locator)->locate(), tried;
  while (clock.now() < deadline) {
    if (endpoint.empty()) {  // none known yet: an election is under way
      loop.runOnce(std::chrono::milliseconds(200));
      endpoint = (*locator)->locate();
      continue;
    }
    Status moved = socket.switchTo(endpoint);
    if (!moved.ok()) return Error(moved.error());
    tried = endpoint;
    heard = Heard{};
    OutboundEnvelope out;
    auto req = out.get().initApiRequest();
    req.setRequestId(1);
    req.setMethod(method);
    req.setPath(path);
    req.setBody(body);
    socket.send(out);
    TimePoint giveUp = std::min(deadline, clock.now() + perTry);
    while (!heard.reply && !heard.redirect && refused.empty() && clock.now() < giveUp)
      loop.runOnce(std::chrono::milliseconds(50));
    if (heard.reply) return *heard.reply;
    if (!refused.empty()) return Error(refused);
    if (heard.redirect && heard.redirect->empty()) loop.runOnce(std::chrono::milliseconds(200));
    endpoint = heard.redirect && !heard.redirect->empty() ? *heard.redirect : (*locator)->locate();
  }
  return Error("no answer from the master at " + (tried.empty() ? master : tried) + " within " +
               std::to_string(int(toSeconds(timeout))) +
               " s: is it running? (start one with `agora dev`, or point --master / AGORA_MASTER at it)");
}

}  // namespace agora::cli
