#include "isolators/isolator.hpp"

#include "isolators/cgroups_v1_isolator.hpp"
#include "isolators/cgroups_v2_isolator.hpp"

namespace agora {

Try<std::unique_ptr<Isolator>> makeIsolator(const std::string& kind, const IsolatorOptions& options) {
  if (kind == "posix") return makePosixIsolator();
  if (kind == "cgroups-v1") return CgroupsV1Isolator::create(options);
  if (kind == "cgroups-v2") return CgroupsV2Isolator::create(options);
  if (kind == "cgroups" || kind == "auto") {
    auto v2 = CgroupsV2Isolator::create(options);
    if (v2.ok()) return v2;
    auto v1 = CgroupsV1Isolator::create(options);
    if (v1.ok()) return v1;
    if (kind == "cgroups") return Error("no cgroups can be used here: " + v2.error() + "; " + v1.error());
    LOG(WARNING) << "Isolating tasks with posix rlimits only: " << v2.error() << "; " << v1.error();
    return makePosixIsolator();
  }
  return Error("--isolation='" + kind + "' is not one of auto, cgroups, cgroups-v1, cgroups-v2, posix");
}

}  // namespace agora
