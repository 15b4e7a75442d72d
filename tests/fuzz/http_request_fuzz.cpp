// The master's HTTP request path: a request line and a body, split by parseApiTarget as the
// HTTP front door and the ZeroMQ ApiRequest both do (common/http_server.hpp), and the body as
// a Mesos v1 scheduler call (POST /api/v1/scheduler, master/scheduler_json.hpp).
//
// Input: the first line is "METHOD TARGET" (or a target alone, for GET); the rest is the body.
//
// Checked: the target splits into its path and its parameters and nothing is lost or invented;
// a call that decodes has what its type needs; every Resources in it holds its invariants and
// comes back the same through resourcesJson (the form offers carry, which frameworks send back
// in RESERVE and LAUNCH); a refused call says why.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "common/base64.hpp"
#include "common/http_server.hpp"
#include "master/scheduler_json.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace agora;
using nlohmann::json;

namespace {

void checkTarget(const std::string& method, const std::string& target, const std::string& body) {
  ApiCall call = parseApiTarget(method, target, body);
  FUZZ_CHECK(call.method == method && call.body == body, "the method or the body changed");
  size_t q = target.find('?');
  if (q == std::string::npos) {
    FUZZ_CHECK(call.path == target && call.query.empty(), "'" + target + "' has no query, but was split");
    return;
  }
  FUZZ_CHECK(call.path == target.substr(0, q), "'" + target + "' has the path '" + call.path + "'");
  std::string rest = target.substr(q + 1);
  size_t parts = 1;
  for (char c : rest) parts += c == '&';
  FUZZ_CHECK(call.query.size() <= parts, "'" + target + "' has more parameters than parts");
  for (const auto& [key, value] : call.query) {
    FUZZ_CHECK(key.find('&') == std::string::npos, "the key '" + key + "' of '" + target + "' holds a '&'");
    FUZZ_CHECK(rest.find(key) != std::string::npos, "the key '" + key + "' is not in '" + target + "'");
  }
}

// `r` as a RESERVE of an accept, in the Mesos JSON of resourcesJson, must decode as `r`.
void checkResources(const Resources& r) {
  fuzz::checkInvariants(r);
  json call = {{"type", "ACCEPT"},
               {"framework_id", {{"value", "fw"}}},
               {"accept", {{"offer_ids", json::array({{{"value", "o"}}})},
                           {"operations", json::array({{{"type", "RESERVE"}, {"reserve", {{"resources", v1::resourcesJson(r)}}}}})}}}};
  const std::string text = call.dump();
  Try<v1::HttpCall> back = v1::decodeCall(text);
  FUZZ_CHECK(back.ok(), "'" + r.toString() + "' as Mesos JSON does not decode: " + (back.ok() ? "" : back.error()) + " in " + text);
  FUZZ_CHECK(back->call && std::holds_alternative<calls::Accept>(*back->call), "not an accept: " + text);
  const calls::Accept& accept = std::get<calls::Accept>(*back->call);
  FUZZ_CHECK(accept.steps.size() == 1 && accept.steps[0].reserve && accept.steps[0].reserve->ok(), "no reserve in " + text);
  const Resources& again = **accept.steps[0].reserve;
  FUZZ_CHECK(again == r, "'" + r.toString() + "' comes back from Mesos JSON as '" + again.toString() + "'");
}

void checkCall(const v1::HttpCall& c) {
  FUZZ_CHECK(!c.type.empty(), "a call without a type");
  if (c.type == "SUBSCRIBE") {
    FUZZ_CHECK(!c.call, "a SUBSCRIBE with a call");
    FUZZ_CHECK(c.frameworkId.empty() || !c.subscribe.id.empty(), "a resubscription lost its framework id");
    return;
  }
  FUZZ_CHECK(c.call.has_value(), "a " + c.type + " without its call");
  FUZZ_CHECK(!c.frameworkId.empty(), "a " + c.type + " without a framework id");
  if (const auto* accept = std::get_if<calls::Accept>(&*c.call)) {
    for (const calls::AcceptStep& step : accept->steps) {
      for (const Try<TaskInfo>& t : step.launch)
        if (t.ok()) checkResources(t->resources);
      if (step.reserve && step.reserve->ok()) checkResources(**step.reserve);
      if (step.unreserve && step.unreserve->ok()) checkResources(**step.unreserve);
    }
  } else if (const auto* ack = std::get_if<calls::Acknowledge>(&*c.call)) {
    Try<std::string> uuid = base64Decode(base64Encode(ack->uuid));
    FUZZ_CHECK(uuid.ok() && *uuid == ack->uuid, "the uuid of an acknowledgement does not survive base64");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  std::string line = input.substr(0, newline);
  std::string body = newline == std::string::npos ? "" : input.substr(newline + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  size_t space = line.find(' ');
  std::string method = space == std::string::npos ? "GET" : line.substr(0, space);
  std::string target = space == std::string::npos ? line : line.substr(space + 1);

  checkTarget(method, target, body);

  Try<v1::HttpCall> call = v1::decodeCall(body);
  if (call.isError()) {
    FUZZ_CHECK(!call.error().empty(), "a call refused without a reason");
    (void)v1::record(v1::errorEvent(call.error()));  // how the refusal goes back to the framework
    return 0;
  }
  checkCall(*call);
  return 0;
}
