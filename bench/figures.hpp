#pragma once
// The arithmetic of the figures the benchmarks print.

#include <algorithm>
#include <chrono>
#include <vector>

namespace agora::bench {

// The value below which a fraction `p` of `v` lies (0 for no values).
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

inline double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace agora::bench
