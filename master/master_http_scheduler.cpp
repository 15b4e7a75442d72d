// The HTTP scheduler API, for frameworks in any language: POST /api/v1/scheduler takes Mesos
// v1 scheduler Calls as JSON. SUBSCRIBE answers with a stream of events (RecordIO) and a
// Mesos-Stream-Id; every other call names the framework and carries that id, and is answered
// 202 once taken. The calls are decoded into the same calls::Call as the ZeroMQ protocol's
// and handled by the same code: only the edge differs.
#include <glog/logging.h>

#include "common/ids.hpp"
#include "master/master.hpp"
#include "master/scheduler_json.hpp"

namespace agora {

namespace {

// Mesos answers this API's errors as plain text; its clients print the body as it is.
ApiReply textReply(int status, const std::string& message) { return ApiReply{status, message, "text/plain; charset=utf-8"}; }

}  // namespace

ApiReply Master::schedulerReply(const ApiCall& call) {
  if (call.method != "POST")
    return textReply(405, "POST a scheduler call (Mesos v1 JSON) to /api/v1/scheduler; see docs/api.md");
  Try<v1::HttpCall> decoded = v1::decodeCall(call.body);
  if (decoded.isError()) {
    ++counters_["calls_invalid"];
    return textReply(400, "Failed to validate scheduler::Call: " + decoded.error());
  }
  if (decoded->type == "SUBSCRIBE") return httpSubscribe(std::move(decoded->subscribe), call.principal);
  auto it = frameworks_.find(decoded->frameworkId);
  if (it == frameworks_.end()) return textReply(400, "Framework " + decoded->frameworkId + " cannot be found");
  FrameworkRecord& fw = it->second;
  if (call.principal != fw.info.principal && !call.principal.empty())
    return textReply(403, "Framework " + fw.info.id + " belongs to principal '" + fw.info.principal + "', not '" +
                              call.principal + "'");
  if (!fw.connected) return textReply(403, "Framework " + fw.info.id + " is not subscribed: SUBSCRIBE first");
  if (fw.streamId.empty()) return textReply(403, "Framework " + fw.info.id + " is not connected via HTTP");
  auto given = call.headers.find("mesos-stream-id");
  if (given == call.headers.end())
    return textReply(400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
  if (given->second != fw.streamId)
    return textReply(400, "The stream ID '" + given->second + "' included in this request didn't match the stream ID "
                          "currently associated with framework ID " + fw.info.id);
  fw.lastSeen = loop_.clock().now();
  onCall(fw, *decoded->call);
  return ApiReply{202, "", "text/plain"};
}

ApiReply Master::httpSubscribe(FrameworkInfo info, const std::string& principal) {
  // Mesos answers a subscription its ACLs refuse with 403, an invalid one with 400.
  if (Status allowed = authorizeSubscription(principal, info); !allowed.ok())
    return textReply(403, "Not authorized to subscribe: " + allowed.error());
  std::string streamId = newId("stream");
  auto stream = std::make_shared<HttpStream>(8 << 20);
  Subscriber who;
  who.peer = "http:" + streamId;
  who.streamId = streamId;
  who.principal = principal;
  who.connect = [stream] { return httpFrameworkConnection(stream); };
  who.alive = [stream] { return stream->isOpen(); };
  who.refuse = [stream](const std::string& why) {
    stream->write(v1::record(v1::errorEvent(why)));
    stream->close();
  };
  Status valid = subscribe(info, who);
  if (!valid.ok()) {
    stream->close();
    return textReply(400, "Failed to validate scheduler::Call: subscribe.framework_info: " + valid.error());
  }
  ApiReply reply;
  reply.contentType = "application/json";
  reply.headers["Mesos-Stream-Id"] = streamId;
  reply.stream = stream;
  return reply;
}

}  // namespace agora
