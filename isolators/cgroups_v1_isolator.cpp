#include "isolators/cgroups_v1_isolator.hpp"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include "isolators/cgroup_fs.hpp"

namespace agora {

static const char* kControllers[] = {"cpu", "cpuacct", "memory", "pids", "freezer"};

Try<std::unique_ptr<Isolator>> CgroupsV1Isolator::create(const IsolatorOptions& options) {
  cgroups::Layout layout = cgroups::readLayout(options.fsRoot);
  std::map<std::string, std::string> bases;
  std::string missing;
  for (const char* c : kControllers) {
    auto mount = layout.v1Mounts.find(c);
    if (mount == layout.v1Mounts.end()) { missing += std::string(missing.empty() ? "" : ", ") + c; continue; }
    std::string own = layout.own.count(c) ? layout.own[c] : "/";
    bases[c] = mount->second + (own == "/" ? "" : own) + "/" + options.cgroupsRoot;
  }
  if (!missing.empty()) return Error("cgroups v1: no hierarchy mounted for " + missing);
  for (const auto& [controller, base] : bases) {
    Status made = cgroups::makeDir(base);
    if (!made.ok()) return Error(made.error() + " (the agent needs root to create cgroups)");
  }
  return std::unique_ptr<Isolator>(new CgroupsV1Isolator(std::move(bases)));
}

Status CgroupsV1Isolator::prepare(const std::string& id, const ContainerLimits& limits) {
  for (const char* c : kControllers) {
    Status s = cgroups::makeDir(dir(c, id));
    if (!s.ok()) return s;
  }
  return update(id, limits);
}

Status CgroupsV1Isolator::attach(const std::string& id, pid_t pid) {
  std::set<std::string> done;  // co-mounted controllers share one directory
  for (const char* c : kControllers) {
    if (!done.insert(dir(c, id)).second) continue;
    Status s = cgroups::writeFile(dir(c, id) + "/cgroup.procs", std::to_string(pid));
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status CgroupsV1Isolator::recover(const std::string& id, const ContainerLimits&, pid_t) {
  if (!std::filesystem::is_directory(dir("memory", id))) return Error("container " + id + " has no cgroup " + dir("memory", id));
  return Status::OK();
}

Status CgroupsV1Isolator::update(const std::string& id, const ContainerLimits& limits) {
  // 1024 shares per cpu, as the kernel's default group has; 2 is the kernel's minimum.
  uint64_t shares = std::max<uint64_t>(2, static_cast<uint64_t>(limits.cpus * 1024));
  Status s = cgroups::writeFile(dir("cpu", id) + "/cpu.shares", std::to_string(shares));
  if (!s.ok()) return s;
  const uint64_t period = 100000;
  std::string quota = limits.cpuHardCap && limits.cpus > 0
                          ? std::to_string(std::max<uint64_t>(1000, static_cast<uint64_t>(limits.cpus * period)))
                          : "-1";
  s = cgroups::writeFile(dir("cpu", id) + "/cpu.cfs_period_us", std::to_string(period));
  if (s.ok()) s = cgroups::writeFile(dir("cpu", id) + "/cpu.cfs_quota_us", quota);
  if (!s.ok()) return s;
  std::string mem = limits.memBytes > 0 ? std::to_string(limits.memBytes) : "-1";
  s = cgroups::writeFile(dir("memory", id) + "/memory.limit_in_bytes", mem);
  if (!s.ok()) return s;
  // With swap accounting, bound memory+swap too: a task must not escape its limit into swap.
  std::string memsw = dir("memory", id) + "/memory.memsw.limit_in_bytes";
  if (std::filesystem::exists(memsw)) (void)cgroups::writeFile(memsw, mem);
  return cgroups::writeFile(dir("pids", id) + "/pids.max",
                            limits.pidsMax > 0 ? std::to_string(limits.pidsMax) : "max");
}

Try<ContainerUsage> CgroupsV1Isolator::usage(const std::string& id) const {
  ContainerUsage u;
  Try<uint64_t> cpu = cgroups::readNumber(dir("cpuacct", id) + "/cpuacct.usage");
  if (cpu.isError()) return Error(cpu.error());
  u.cpuSeconds = static_cast<double>(*cpu) / 1e9;
  Try<uint64_t> mem = cgroups::readNumber(dir("memory", id) + "/memory.usage_in_bytes");
  Try<uint64_t> peak = cgroups::readNumber(dir("memory", id) + "/memory.max_usage_in_bytes");
  Try<uint64_t> pids = cgroups::readNumber(dir("pids", id) + "/pids.current");
  if (mem.isError()) return Error(mem.error());
  u.memBytes = *mem;
  u.memPeakBytes = peak.ok() ? *peak : *mem;
  u.pids = pids.ok() ? *pids : 0;
  return u;
}

std::optional<Limitation> CgroupsV1Isolator::limitation(const std::string& id) const {
  auto oom = cgroups::readKeyValues(dir("memory", id) + "/memory.oom_control");
  Try<uint64_t> limit = cgroups::readNumber(dir("memory", id) + "/memory.limit_in_bytes");
  Try<uint64_t> peak = cgroups::readNumber(dir("memory", id) + "/memory.max_usage_in_bytes");
  bool killed = oom.ok() && oom->count("oom_kill") ? (*oom)["oom_kill"] > 0
                                                    // kernels before 4.13 do not count kills
                                                    : limit.ok() && peak.ok() && *peak >= *limit;
  if (!killed) return std::nullopt;
  auto mib = [](const Try<uint64_t>& v) { return v.ok() ? std::to_string(*v / (1024 * 1024)) : std::string("?"); };
  return Limitation{TaskReason::MEMORY_LIMIT, "memory limit of " + mib(limit) + " MiB reached (peak " + mib(peak) +
                                                  " MiB): the kernel killed the task out of memory"};
}

Status CgroupsV1Isolator::killAll(const std::string& id) {
  // Frozen processes cannot fork while we kill them one by one.
  std::string freezer = dir("freezer", id);
  Status s = cgroups::writeFile(freezer + "/freezer.state", "FROZEN");
  if (!s.ok()) return s;
  for (int i = 0; i < 1000; ++i) {
    auto state = cgroups::readFile(freezer + "/freezer.state");
    if (!state.ok() || state->rfind("FROZEN", 0) == 0) break;
    std::this_thread::yield();
  }
  for (pid_t pid : cgroups::processes(freezer)) kill(pid, SIGKILL);
  return cgroups::writeFile(freezer + "/freezer.state", "THAWED");
}

Status CgroupsV1Isolator::cleanup(const std::string& id) {
  for (const char* c : kControllers) {
    if (!cgroups::processes(dir(c, id)).empty())
      return Error("container " + id + " still has processes in its " + std::string(c) + " cgroup");
  }
  for (const char* c : kControllers) {
    Status s = cgroups::removeDir(dir(c, id));
    if (!s.ok()) return s;
  }
  return Status::OK();
}

std::vector<std::string> CgroupsV1Isolator::containers() const {
  return cgroups::subdirectories(bases_.at("memory"));
}

}  // namespace agora
