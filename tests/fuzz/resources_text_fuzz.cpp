// Resources::parse on the text form ("cpus:4;mem:8192;ports:[31000-32000];zones:{a,b}"), as
// agents take --resources and the registry stores reservations. Whatever parses must hold the
// invariants of Resources, and its text form (toString) must parse back to the same resources
// and the same text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/resources.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using agora::Resources;
using agora::Try;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Try<Resources> parsed = Resources::parse(text);
  if (parsed.isError()) {
    FUZZ_CHECK(!parsed.error().empty(), "an error without a message for '" + text + "'");
    return 0;
  }
  agora::fuzz::checkInvariants(*parsed);

  const std::string once = parsed->toString();
  Try<Resources> again = Resources::parse(once);
  FUZZ_CHECK(again.ok(), "'" + text + "' parsed, but its text form '" + once + "' does not: " +
                             (again.ok() ? std::string() : again.error()));
  agora::fuzz::checkInvariants(*again);
  FUZZ_CHECK(*again == *parsed, "'" + text + "' -> '" + once + "' -> '" + again->toString() + "': not the same resources");
  FUZZ_CHECK(again->toString() == once, "'" + once + "' is written back as '" + again->toString() + "'");

  // A role given by default is the role of every entry that names none.
  Try<Resources> reserved = Resources::parse(text, "eng");
  FUZZ_CHECK(reserved.ok(), "'" + text + "' parses with role * but not with role eng: " +
                                (reserved.ok() ? std::string() : reserved.error()));
  agora::fuzz::checkInvariants(*reserved);
  FUZZ_CHECK(reserved->flatten() == parsed->flatten(),
             "'" + text + "': the default role changed more than the roles: '" + reserved->toString() + "'");
  return 0;
}
