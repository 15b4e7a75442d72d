// agora-marathon's app definitions: any bytes as a POST /v2/apps body, read and checked as the
// API does (readApp: appFromJson, then validateApp), in the framework's default role "*".
//
// A valid app must then go through what the service does with it: stored as appToJson's text
// and read back by storedAppFromJson after a restart (Service::storeApp, Service::recover), and
// shown by a GET whose output can be PUT back unchanged (app_json.hpp). Both must give the same
// definition again; an invalid app must come with its violations.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/violations.hpp"
#include "frameworks/marathon-like/app_json.hpp"
#include "frameworks/marathon-like/app_validation.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace agora;
using namespace agora::marathon;
using nlohmann::json;

namespace {

std::string firstViolation(const Violations& v) { return v.empty() ? "" : v.front().path + ": " + v.front().error; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  json body = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;

  Violations violations;
  Try<AppDefinition> app = readApp(body, "/", "*", violations);
  if (app.isError()) {
    FUZZ_CHECK(!violations.empty(), "refused without a violation: " + app.error());
    json answer = violationsBody(violations);  // the 422 the API answers
    FUZZ_CHECK(answer["details"].is_array() && !answer["details"].empty(), answer.dump());
    return 0;
  }
  FUZZ_CHECK(violations.empty(), "accepted with a violation: " + firstViolation(violations));
  FUZZ_CHECK(!app->id.empty() && app->id[0] == '/', "the id '" + app->id + "' is not absolute");

  // Stored as text, read back after a restart.
  const json stored = appToJson(*app);
  const std::string text = stored.dump();
  json reread = json::parse(text, nullptr, false);
  FUZZ_CHECK(!reread.is_discarded(), "appToJson wrote text that is not JSON: " + text);
  Try<AppDefinition> restored = storedAppFromJson(reread);
  FUZZ_CHECK(restored.ok(), "stored as " + text + ", does not read back: " + (restored.ok() ? "" : restored.error()));
  FUZZ_CHECK(appToJson(*restored) == stored,
             "stored as " + text + ", read back as " + appToJson(*restored).dump());
  FUZZ_CHECK(!configDiffers(*app, *restored), "read back from the store with another configuration: " + text);

  // What a GET shows, PUT back.
  Violations again;
  Try<AppDefinition> put = readApp(reread, "/", "*", again);
  FUZZ_CHECK(put.ok(), "a GET's output is refused when PUT back: " + firstViolation(again) + " in " + text);
  FUZZ_CHECK(appToJson(*put) == stored, "PUT back as " + appToJson(*put).dump() + ", shown as " + text);
  return 0;
}
