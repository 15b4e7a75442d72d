#pragma once
// Garbage collection of finished tasks' sandboxes. A sandbox stays for its logs until it has
// been idle for the maximum age; sooner, oldest first, while the disk holding the work dir is
// fuller than the allowed fraction. Sandboxes of tasks the agent still tracks are never touched.

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace agora {

struct SandboxGcPolicy {
  std::chrono::nanoseconds maxAge{std::chrono::hours(24 * 7)};
  double maxDiskUsage = 0.9;  // fraction of the filesystem; above it, age does not matter
};

// Removes what the policy says from `<sandboxesDir>/<framework>/<sandbox>` and returns the
// removed paths. `inUse` holds sandbox paths to keep; `diskUsage` reports the used fraction
// of the filesystem now (it is asked again after each removal).
std::vector<std::string> collectSandboxes(const std::string& sandboxesDir, const std::set<std::string>& inUse,
                                          std::filesystem::file_time_type now, const SandboxGcPolicy& policy,
                                          const std::function<double()>& diskUsage);

// The used fraction of the filesystem holding `path` (0 if it cannot be read).
double diskUsage(const std::string& path);

}  // namespace agora
