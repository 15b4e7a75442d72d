#pragma once
// cgroups v1: cpu (shares, optional CFS cap), cpuacct, memory (hard limit, out-of-memory
// kills counted in memory.oom_control), pids and freezer (to kill every process of a task at
// once). Containers live at <hierarchy>/<agent's own cgroup>/<cgroupsRoot>/<container id>.

#include <map>

#include "isolators/isolator.hpp"

namespace agora {

class CgroupsV1Isolator final : public Isolator {
 public:
  static Try<std::unique_ptr<Isolator>> create(const IsolatorOptions& options);

  std::string name() const override { return "cgroups-v1"; }
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
  explicit CgroupsV1Isolator(std::map<std::string, std::string> bases) : bases_(std::move(bases)) {}
  std::string dir(const std::string& controller, const std::string& id) const {
    return bases_.at(controller) + "/" + id;
  }

  std::map<std::string, std::string> bases_;  // controller -> directory holding the containers
};

}  // namespace agora
