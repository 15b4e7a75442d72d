#pragma once
// Scalar quantities (cpus, mem, disk, gpus, ...) as a fixed array indexed by resource name,
// for the allocator's share arithmetic: a cycle over ten thousand agents adds and compares
// them millions of times, and this must neither allocate nor look names up.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/resources.hpp"

namespace agora {

// The scalar names the allocator has seen, each given a slot. Names past kMaxScalars share
// no slot and do not count in shares or quota (a cluster has a handful).
class ScalarNames {
 public:
  static constexpr size_t kMaxScalars = 12;
  // The slot of `name`, assigning one if there is room; -1 if there is none.
  int slot(const std::string& name);
  int find(const std::string& name) const;
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
};

struct Scalars {
  std::array<int64_t, ScalarNames::kMaxScalars> milli{};

  Scalars& operator+=(const Scalars& o) {
    for (size_t i = 0; i < milli.size(); ++i) milli[i] += o.milli[i];
    return *this;
  }
  Scalars& operator-=(const Scalars& o) {
    for (size_t i = 0; i < milli.size(); ++i) milli[i] -= o.milli[i];
    return *this;
  }
  bool operator==(const Scalars&) const = default;
  bool anyPositive() const {
    for (int64_t v : milli)
      if (v > 0) return true;
    return false;
  }
};

Scalars toScalars(const Resources& r, ScalarNames& names);

// max over slots of allocated / total, 0 where the total is 0.
double dominantShare(const Scalars& allocated, const Scalars& total);

}  // namespace agora
