#pragma once
// Resources: named quantities an agent offers. A value is a scalar (cpus, mem and disk in
// MiB, gpus), a set of ranges (ports) or a set of strings. Each resource carries the role it
// is reserved for ("*" = unreserved). Arithmetic is exact: scalars are held in thousandths
// (three decimal places, as in Mesos), ranges are kept sorted and merged, and subtraction
// never produces a negative or empty entry. Every scalar a Resources holds lies in
// [0, kMaxScalar]. parse(), fromJson(), add() and fromList() keep each name's total over all
// its roles within it too (so whether a text parses does not depend on its default role) and
// refuse more; operator+= saturates instead (see there).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/try.hpp"

namespace agora {

// The largest scalar: 10^12 (a trillion cpus, or an exabyte of mem in MiB). Scalars travel as
// doubles (JSON, the scheduler API) and a double keeps every thousandth of a value exactly, so
// that thousandths -> double -> thousandths gives the same number, only up to about 2 * 10^12;
// 10^12 leaves a margin. It also keeps thousandths far inside int64: thousands of maximal
// values can be summed before a sum could overflow.
inline constexpr double kMaxScalar = 1e12;
inline constexpr int64_t kMaxScalarMilli = 1'000'000'000'000'000;  // kMaxScalar in thousandths

struct Range {
  uint64_t begin = 0;
  uint64_t end = 0;  // inclusive
  bool operator==(const Range&) const = default;
};

// A sorted list of disjoint, non-adjacent ranges.
using Ranges = std::vector<Range>;

struct Resource {
  enum class Type { kScalar, kRanges, kSet };

  std::string name;
  std::string role = "*";
  Type type = Type::kScalar;
  int64_t milli = 0;  // scalar value in thousandths
  Ranges ranges;
  std::set<std::string> items;

  // A value outside what int64 thousandths can hold (or NaN) becomes the int64 maximum (or
  // minimum), which add() and fromList() refuse as too large (or negative).
  static Resource scalar(std::string name, double value, std::string role = "*");
  static Resource range(std::string name, Ranges ranges, std::string role = "*");
  static Resource stringSet(std::string name, std::set<std::string> items, std::string role = "*");

  bool empty() const;
  double value() const { return static_cast<double>(milli) / 1000.0; }
  bool sameKind(const Resource& o) const { return name == o.name && role == o.role && type == o.type; }
  std::string valueString() const;
  bool operator==(const Resource&) const = default;
};

class Resources {
 public:
  Resources() = default;

  // "cpus:4;mem:8192;disk(eng):100;ports:[31000-32000];zones:{a,b}". Unnamed role means
  // `defaultRole`. Errors name the offending entry and say what is expected.
  static Try<Resources> parse(const std::string& text, const std::string& defaultRole = "*");
  // {"cpus": 4, "mem": 8192, "ports": [[31000, 32000]], "zones": ["a"], "disk(eng)": 100}
  // or the same text form as a JSON string.
  static Try<Resources> fromJson(const nlohmann::json& json);

  // Adds one resource after checking it (no negative value, none above kMaxScalar, no empty
  // name) and that the name's total over its roles stays within kMaxScalar.
  Status add(const Resource& r);
  // The sum of `list`, each entry checked as add() checks it, in O(n log n): a peer's list of
  // any length costs no more than sorting it (add() in a loop costs O(n^2)). Kinds keep the
  // order in which they first appear. A name whose total over its roles is more than
  // kMaxScalar is an error.
  static Try<Resources> fromList(std::vector<Resource> list);

  // A scalar sum past kMaxScalar stays at kMaxScalar. The operands were checked on the way in,
  // so only totals (a sum over agents) can get there; saturating keeps every held value
  // printable, parseable and exact as a double, where refusing would need an error path in
  // every caller for a trillion cpus no cluster has.
  Resources& operator+=(const Resources& other);
  // Removes what `other` holds; anything `other` has that this does not is ignored, so the
  // result never goes negative. Use contains() first where that matters.
  Resources& operator-=(const Resources& other);
  Resources operator+(const Resources& o) const { Resources r = *this; r += o; return r; }
  Resources operator-(const Resources& o) const { Resources r = *this; r -= o; return r; }
  bool operator==(const Resources& o) const;

  bool contains(const Resources& other) const;
  bool empty() const { return items_.empty(); }

  // Sum of a scalar over all roles; 0 when absent; at most kMaxScalar (it saturates as
  // operator+= does).
  double scalar(const std::string& name) const;
  int64_t scalarMilli(const std::string& name) const;
  // All ranges of `name` over all roles, merged.
  Ranges ranges(const std::string& name) const;
  // The same resources with every role set to "*".
  Resources flatten() const;
  // Only the resources reserved for `role` (or unreserved, for "*").
  Resources reservedFor(const std::string& role) const;
  std::set<std::string> names() const;

  const std::vector<Resource>& items() const { return items_; }
  std::string toString() const;
  nlohmann::json toJson() const;

 private:
  Resource* find(const Resource& like);
  const Resource* find(const Resource& like) const;
  std::vector<Resource> items_;
};

std::ostream& operator<<(std::ostream& os, const Resources& r);

// Range arithmetic on normalized lists; exposed for tests and for port assignment.
Ranges normalizeRanges(Ranges in);
Ranges addRanges(const Ranges& a, const Ranges& b);
Ranges subtractRanges(const Ranges& a, const Ranges& b);
bool rangesContain(const Ranges& a, const Ranges& b);
uint64_t rangesSize(const Ranges& r);

}  // namespace agora
