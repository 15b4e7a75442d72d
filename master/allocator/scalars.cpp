#include "master/allocator/scalars.hpp"

#include <algorithm>

namespace agora {

int ScalarNames::find(const std::string& name) const {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return static_cast<int>(i);
  return -1;
}

int ScalarNames::slot(const std::string& name) {
  int i = find(name);
  if (i >= 0 || names_.size() == kMaxScalars) return i;
  names_.push_back(name);
  return static_cast<int>(names_.size() - 1);
}

Scalars toScalars(const Resources& r, ScalarNames& names) {
  Scalars out;
  for (const Resource& x : r.items()) {
    if (x.type != Resource::Type::kScalar) continue;
    int i = names.slot(x.name);
    if (i >= 0) out.milli[static_cast<size_t>(i)] += x.milli;
  }
  return out;
}

double dominantShare(const Scalars& allocated, const Scalars& total) {
  double share = 0;
  for (size_t i = 0; i < total.milli.size(); ++i)
    if (total.milli[i] > 0) share = std::max(share, double(allocated.milli[i]) / double(total.milli[i]));
  return share;
}

}  // namespace agora
