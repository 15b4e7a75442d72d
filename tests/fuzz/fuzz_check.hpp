#pragma once
// What the libFuzzer harnesses in tests/fuzz share: a check that ends the run with a message
// (libFuzzer then keeps the input as a crash), and the invariants every Resources value must
// hold however it was made (common/resources.hpp).
//
// A harness catches nothing that the code under test promises to handle itself: an exception
// that leaves a parser's public API, a sanitizer report or a failed FUZZ_CHECK is a finding.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/resources.hpp"

namespace agora::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* condition, const std::string& detail) {
  std::fprintf(stderr, "\n%s:%d: FUZZ_CHECK(%s) failed: %s\n", file, line, condition, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace agora::fuzz

// FUZZ_CHECK(condition, detail): `detail` (a std::string) is only built when the check fails.
#define FUZZ_CHECK(condition, detail)                                        \
  do {                                                                       \
    if (!(condition)) ::agora::fuzz::fail(__FILE__, __LINE__, #condition, (detail)); \
  } while (0)

namespace agora::fuzz {

// No empty entries, no negative or zero scalars, ranges sorted, disjoint and not adjacent, one
// entry per (name, role), and one type per name.
inline void checkInvariants(const Resources& resources) {
  const auto& items = resources.items();
  for (size_t i = 0; i < items.size(); ++i) {
    const Resource& r = items[i];
    std::string where = "entry " + std::to_string(i) + " of '" + resources.toString() + "'";
    FUZZ_CHECK(!r.name.empty() && !r.role.empty(), where + ": empty name or role");
    FUZZ_CHECK(!r.empty(), where + ": an empty entry is kept");
    if (r.type == Resource::Type::kScalar) FUZZ_CHECK(r.milli > 0, where + ": scalar not positive");
    if (r.type != Resource::Type::kRanges) FUZZ_CHECK(r.ranges.empty(), where + ": ranges on a non-range entry");
    if (r.type != Resource::Type::kSet) FUZZ_CHECK(r.items.empty(), where + ": items on a non-set entry");
    for (size_t k = 0; k < r.ranges.size(); ++k) {
      const Range& x = r.ranges[k];
      FUZZ_CHECK(x.begin <= x.end, where + ": range " + std::to_string(k) + " ends before it begins");
      if (k > 0) {
        const Range& prev = r.ranges[k - 1];
        // prev.end + 1 < x.begin, written so that it cannot wrap at UINT64_MAX.
        FUZZ_CHECK(x.begin > prev.end && x.begin - prev.end >= 2,
                   where + ": ranges " + std::to_string(k - 1) + " and " + std::to_string(k) +
                       " overlap, touch or are out of order (" + std::to_string(prev.begin) + "-" +
                       std::to_string(prev.end) + ", " + std::to_string(x.begin) + "-" + std::to_string(x.end) + ")");
      }
    }
    for (size_t j = 0; j < i; ++j) {
      const Resource& o = items[j];
      if (o.name != r.name) continue;
      FUZZ_CHECK(o.type == r.type, where + ": '" + r.name + "' appears with two types");
      FUZZ_CHECK(o.role != r.role, where + ": '" + r.name + "(" + r.role + ")' appears twice");
    }
  }
}

}  // namespace agora::fuzz
