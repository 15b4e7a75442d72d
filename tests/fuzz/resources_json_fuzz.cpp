// Resources::fromJson on any JSON ({"cpus": 4, "ports": [[31000, 32000]], "zones": ["a"],
// "disk(eng)": 100}, or the text form as a JSON string), as the HTTP APIs read resources.
// Whatever reads must hold the invariants of Resources, and its JSON form (toJson), written out
// as text and read again as a client would send it back, must read as the same resources.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/resources.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using agora::Resources;
using agora::Try;
using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  json input = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded()) return 0;
  Try<Resources> read = Resources::fromJson(input);
  if (read.isError()) {
    FUZZ_CHECK(!read.error().empty(), "an error without a message");
    return 0;
  }
  agora::fuzz::checkInvariants(*read);

  const json out = read->toJson();
  FUZZ_CHECK(out.is_object(), "toJson() wrote " + out.dump());
  const std::string text = out.dump();
  json reparsed = json::parse(text, nullptr, false);
  FUZZ_CHECK(!reparsed.is_discarded(), "toJson() wrote text that is not JSON: " + text);
  Try<Resources> again = Resources::fromJson(reparsed);
  FUZZ_CHECK(again.ok(), "'" + read->toString() + "' as JSON " + text + " does not read back: " +
                             (again.ok() ? std::string() : again.error()));
  agora::fuzz::checkInvariants(*again);
  FUZZ_CHECK(*again == *read, "'" + read->toString() + "' -> " + text + " -> '" + again->toString() + "'");
  FUZZ_CHECK(again->toJson() == out, text + " is written back as " + again->toJson().dump());
  return 0;
}
