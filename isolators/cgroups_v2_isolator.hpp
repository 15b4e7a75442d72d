#pragma once
// cgroups v2: cpu.weight, cpu.max, memory.max (out-of-memory kills counted in memory.events),
// pids.max and cgroup.kill. Containers live at <cgroup2 mount>/<agent's own cgroup>/
// <cgroupsRoot>/<container id>; the agent's own cgroup must delegate cpu, memory and pids.

#include <map>

#include "isolators/isolator.hpp"

namespace agora {

class CgroupsV2Isolator final : public Isolator {
 public:
  static Try<std::unique_ptr<Isolator>> create(const IsolatorOptions& options);

  std::string name() const override { return "cgroups-v2"; }
  Status prepare(const std::string& id, const ContainerLimits& limits) override;
  Status attach(const std::string& id, pid_t pid) override;
  Status recover(const std::string& id, const ContainerLimits& limits, pid_t pid) override;
  Status update(const std::string& id, const ContainerLimits& limits) override;
  Try<ContainerUsage> usage(const std::string& id) const override;
  std::optional<Limitation> limitation(const std::string& id) const override;
  Status killAll(const std::string& id) override;
  Status cleanup(const std::string& id) override;
  std::vector<std::string> containers() const override;

 private:
  explicit CgroupsV2Isolator(std::string base) : base_(std::move(base)) {}
  std::string dir(const std::string& id) const { return base_ + "/" + id; }

  std::string base_;
  mutable std::map<std::string, uint64_t> peaks_;  // for kernels without memory.peak
};

// cpu.weight for a cpus amount: the kernel's conversion of cgroup v1 shares (1024 per cpu).
uint64_t cpuWeight(double cpus);

}  // namespace agora
