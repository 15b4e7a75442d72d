#include "common/resources.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "common/text.hpp"

namespace agora {

// ---------------------------------------------------------------- ranges

Ranges normalizeRanges(Ranges in) {
  std::sort(in.begin(), in.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  Ranges out;
  for (const Range& r : in) {
    // Overlapping or adjacent. Written as a difference, since end + 1 wraps to 0 when a range
    // ends at the largest value.
    if (!out.empty() && (r.begin <= out.back().end || r.begin - out.back().end == 1)) {
      out.back().end = std::max(out.back().end, r.end);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

Ranges addRanges(const Ranges& a, const Ranges& b) {
  Ranges all = a;
  all.insert(all.end(), b.begin(), b.end());
  return normalizeRanges(std::move(all));
}

Ranges subtractRanges(const Ranges& a, const Ranges& b) {
  Ranges out;
  size_t j = 0;
  for (Range r : a) {
    while (j < b.size() && b[j].end < r.begin) ++j;
    size_t k = j;
    bool alive = true;
    while (k < b.size() && b[k].begin <= r.end) {
      if (b[k].begin > r.begin) out.push_back({r.begin, b[k].begin - 1});
      if (b[k].end >= r.end) { alive = false; break; }
      r.begin = b[k].end + 1;
      ++k;
    }
    if (alive) out.push_back(r);
  }
  return out;
}

bool rangesContain(const Ranges& a, const Ranges& b) {
  size_t i = 0;
  for (const Range& r : b) {
    while (i < a.size() && a[i].end < r.begin) ++i;
    if (i == a.size() || a[i].begin > r.begin || a[i].end < r.end) return false;
  }
  return true;
}

uint64_t rangesSize(const Ranges& r) {
  uint64_t n = 0;
  for (const Range& x : r) {
    // [0, 2^64-1] holds 2^64 values, one more than uint64_t counts: saturate rather than wrap.
    if (__builtin_add_overflow(n, x.end - x.begin, &n) || __builtin_add_overflow(n, uint64_t{1}, &n)) return UINT64_MAX;
  }
  return n;
}

// ---------------------------------------------------------------- Resource

// llround's result is unspecified outside int64, so such values (and NaN, which no text or
// JSON form can give) map to the ends of int64 instead, where checkResource() refuses them.
static int64_t toMilli(double v) {
  constexpr double kTwoTo63 = 0x1p63;  // int64 holds [-2^63, 2^63)
  double m = v * 1000.0;
  if (std::isnan(m) || m < -kTwoTo63) return std::numeric_limits<int64_t>::min();
  if (m >= kTwoTo63) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(std::llround(m));
}

// a + b for scalars in [0, kMaxScalarMilli], saturating there (see operator+=).
static int64_t addSaturating(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum) || sum > kMaxScalarMilli) return kMaxScalarMilli;
  return sum;
}

Resource Resource::scalar(std::string name, double value, std::string role) {
  Resource r;
  r.name = std::move(name);
  r.role = std::move(role);
  r.milli = toMilli(value);
  return r;
}

Resource Resource::range(std::string name, Ranges ranges, std::string role) {
  Resource r;
  r.name = std::move(name);
  r.role = std::move(role);
  r.type = Type::kRanges;
  r.ranges = normalizeRanges(std::move(ranges));
  return r;
}

Resource Resource::stringSet(std::string name, std::set<std::string> items, std::string role) {
  Resource r;
  r.name = std::move(name);
  r.role = std::move(role);
  r.type = Type::kSet;
  r.items = std::move(items);
  return r;
}

bool Resource::empty() const {
  switch (type) {
    case Type::kScalar: return milli <= 0;
    case Type::kRanges: return ranges.empty();
    case Type::kSet: return items.empty();
  }
  return true;
}

static std::string formatMilli(int64_t milli) {
  // The magnitude as unsigned, so that a negative value (in an error message) prints with one
  // sign, INT64_MIN included.
  uint64_t magnitude = milli < 0 ? 0 - static_cast<uint64_t>(milli) : static_cast<uint64_t>(milli);
  std::string s = (milli < 0 ? "-" : "") + std::to_string(magnitude / 1000);
  uint64_t frac = magnitude % 1000;
  if (frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03llu", static_cast<unsigned long long>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    s += f;
  }
  return s;
}

std::string Resource::valueString() const {
  std::ostringstream os;
  switch (type) {
    case Type::kScalar: return formatMilli(milli);
    case Type::kRanges:
      os << "[";
      for (size_t i = 0; i < ranges.size(); ++i) {
        if (i) os << ",";
        os << ranges[i].begin << "-" << ranges[i].end;
      }
      os << "]";
      return os.str();
    case Type::kSet: {
      os << "{";
      bool first = true;
      for (const auto& s : items) { os << (first ? "" : ",") << s; first = false; }
      os << "}";
      return os.str();
    }
  }
  return "";
}

// ---------------------------------------------------------------- Resources

Resource* Resources::find(const Resource& like) {
  for (auto& r : items_) if (r.sameKind(like)) return &r;
  return nullptr;
}

const Resource* Resources::find(const Resource& like) const {
  for (const auto& r : items_) if (r.sameKind(like)) return &r;
  return nullptr;
}

static std::string scalarLimit() { return formatMilli(kMaxScalarMilli); }

// What add() and fromList() refuse when the entries of one name sum past the limit.
static std::string sumTooLarge(const Resource& r) {
  return "resource '" + r.name + "' adds up to more than " + scalarLimit() +
         " over all its roles, the largest scalar Agora holds; give a smaller total";
}

// What add() and fromList() check of one entry on its own.
static Status checkResource(const Resource& r) {
  if (r.name.empty()) return Error("resource has an empty name");
  Status name = checkText("resource name", r.name, kMaxRoleBytes);
  if (!name.ok()) return name;
  if (r.role.empty()) return Error("resource '" + r.name + "' has an empty role (use \"*\" for unreserved)");
  Status role = checkText("role of resource '" + r.name + "'", r.role, kMaxRoleBytes);
  if (!role.ok()) return role;
  if (r.type == Resource::Type::kScalar && r.milli < 0)
    return Error("resource '" + r.name + "' is negative: " + formatMilli(r.milli));
  // Without the value: one from a double past int64 is held as the int64 maximum, not as given.
  if (r.type == Resource::Type::kScalar && r.milli > kMaxScalarMilli)
    return Error("resource '" + r.name + "' is too large: give at most " + scalarLimit());
  for (const auto& x : r.ranges)
    if (x.begin > x.end)
      return Error("resource '" + r.name + "' has a range that ends before it begins: " +
                   std::to_string(x.begin) + "-" + std::to_string(x.end));
  for (const auto& item : r.items) {
    Status text = checkText("item of resource '" + r.name + "'", item, kMaxNameBytes);
    if (!text.ok()) return text;
  }
  return Status::OK();
}

static std::string typeConflict(const std::string& name) {
  return "resource '" + name + "' appears with two different types";
}

Status Resources::add(const Resource& r) {
  Status valid = checkResource(r);
  if (!valid.ok()) return valid;
  if (Resource* mine = find(r)) {
    if (r.type != mine->type) return Error(typeConflict(r.name));
  } else {
    for (const auto& other : items_)
      if (other.name == r.name && other.type != r.type) return Error(typeConflict(r.name));
  }
  // The limit is on a name's total over its roles, so that whether text parses does not depend
  // on its default role. Both sides are within [0, kMaxScalarMilli]: no overflow.
  if (r.type == Resource::Type::kScalar && r.milli > kMaxScalarMilli - scalarMilli(r.name)) return Error(sumTooLarge(r));
  Resources one;
  if (!r.empty()) {
    Resource normalized = r;
    normalized.ranges = normalizeRanges(r.ranges);
    one.items_.push_back(std::move(normalized));
  }
  *this += one;
  return Status::OK();
}

Try<Resources> Resources::fromList(std::vector<Resource> list) {
  for (const Resource& r : list) {
    Status valid = checkResource(r);
    if (!valid.ok()) return Error(valid.error());
  }
  std::vector<size_t> order(list.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Resource &x = list[a], &y = list[b];
    return std::tie(x.name, x.role, x.type, a) < std::tie(y.name, y.role, y.type, b);
  });
  // Merges each run of one kind into its first entry; `first` orders the merged kinds.
  std::vector<std::pair<size_t, Resource>> merged;
  for (size_t k = 0; k < order.size(); ++k) {
    Resource& r = list[order[k]];
    if (!merged.empty() && merged.back().second.name == r.name && merged.back().second.type != r.type)
      return Error(typeConflict(r.name));
    if (merged.empty() || !merged.back().second.sameKind(r)) {
      merged.emplace_back(order[k], std::move(r));
      continue;
    }
    Resource& into = merged.back().second;
    switch (r.type) {
      case Resource::Type::kScalar:
        // Both are within [0, kMaxScalarMilli] (checkResource), so the subtraction cannot overflow.
        if (r.milli > kMaxScalarMilli - into.milli) return Error(sumTooLarge(r));
        into.milli += r.milli;
        break;
      case Resource::Type::kRanges: into.ranges.insert(into.ranges.end(), r.ranges.begin(), r.ranges.end()); break;
      case Resource::Type::kSet: into.items.merge(r.items); break;
    }
  }
  // The limit is on a name's total over its roles, as in add(); entries of one name are next to
  // each other here, and each is within the limit, so the subtraction cannot overflow.
  int64_t total = 0;
  for (size_t k = 0; k < merged.size(); ++k) {
    const Resource& r = merged[k].second;
    if (k == 0 || merged[k - 1].second.name != r.name) total = 0;
    if (r.type != Resource::Type::kScalar) continue;
    if (r.milli > kMaxScalarMilli - total) return Error(sumTooLarge(r));
    total += r.milli;
  }
  std::sort(merged.begin(), merged.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Resources out;
  for (auto& [first, r] : merged) {
    r.ranges = normalizeRanges(std::move(r.ranges));
    if (!r.empty()) out.items_.push_back(std::move(r));
  }
  return out;
}

Resources& Resources::operator+=(const Resources& other) {
  for (const Resource& r : other.items_) {
    Resource* mine = find(r);
    if (!mine) { items_.push_back(r); continue; }
    switch (r.type) {
      case Resource::Type::kScalar: mine->milli = addSaturating(mine->milli, r.milli); break;
      case Resource::Type::kRanges: mine->ranges = addRanges(mine->ranges, r.ranges); break;
      case Resource::Type::kSet: mine->items.insert(r.items.begin(), r.items.end()); break;
    }
  }
  return *this;
}

Resources& Resources::operator-=(const Resources& other) {
  for (const Resource& r : other.items_) {
    Resource* mine = find(r);
    if (!mine) continue;
    switch (r.type) {
      case Resource::Type::kScalar: mine->milli = std::max<int64_t>(0, mine->milli - r.milli); break;
      case Resource::Type::kRanges: mine->ranges = subtractRanges(mine->ranges, r.ranges); break;
      case Resource::Type::kSet:
        for (const auto& s : r.items) mine->items.erase(s);
        break;
    }
  }
  items_.erase(std::remove_if(items_.begin(), items_.end(), [](const Resource& r) { return r.empty(); }),
               items_.end());
  return *this;
}

bool Resources::operator==(const Resources& o) const { return contains(o) && o.contains(*this); }

bool Resources::contains(const Resources& other) const {
  for (const Resource& r : other.items_) {
    const Resource* mine = find(r);
    if (!mine) return false;
    switch (r.type) {
      case Resource::Type::kScalar: if (mine->milli < r.milli) return false; break;
      case Resource::Type::kRanges: if (!rangesContain(mine->ranges, r.ranges)) return false; break;
      case Resource::Type::kSet:
        for (const auto& s : r.items) if (!mine->items.count(s)) return false;
        break;
    }
  }
  return true;
}

int64_t Resources::scalarMilli(const std::string& name) const {
  int64_t total = 0;
  for (const auto& r : items_)
    if (r.name == name && r.type == Resource::Type::kScalar) total = addSaturating(total, r.milli);
  return total;
}

double Resources::scalar(const std::string& name) const { return scalarMilli(name) / 1000.0; }

Ranges Resources::ranges(const std::string& name) const {
  Ranges all;
  for (const auto& r : items_)
    if (r.name == name && r.type == Resource::Type::kRanges) all = addRanges(all, r.ranges);
  return all;
}

Resources Resources::flatten() const {
  Resources out;
  for (Resource r : items_) {
    r.role = "*";
    Resources one;
    one.items_.push_back(std::move(r));
    out += one;
  }
  return out;
}

Resources Resources::reservedFor(const std::string& role) const {
  Resources out;
  for (const auto& r : items_)
    if (r.role == role) out.items_.push_back(r);
  return out;
}

std::set<std::string> Resources::names() const {
  std::set<std::string> out;
  for (const auto& r : items_) out.insert(r.name);
  return out;
}

std::string Resources::toString() const {
  std::string out;
  for (const auto& r : items_) {
    if (!out.empty()) out += ";";
    out += r.name;
    if (r.role != "*") out += "(" + r.role + ")";
    out += ":" + r.valueString();
  }
  return out;
}

nlohmann::json Resources::toJson() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& r : items_) {
    std::string key = r.role == "*" ? r.name : r.name + "(" + r.role + ")";
    switch (r.type) {
      case Resource::Type::kScalar: j[key] = r.value(); break;
      case Resource::Type::kRanges: {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& x : r.ranges) arr.push_back({x.begin, x.end});
        j[key] = arr;
        break;
      }
      case Resource::Type::kSet: j[key] = r.items; break;
    }
  }
  return j;
}

std::ostream& operator<<(std::ostream& os, const Resources& r) { return os << r.toString(); }

}  // namespace agora
