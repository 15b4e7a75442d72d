#include "isolators/cgroups_v2_isolator.hpp"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "isolators/cgroup_fs.hpp"

namespace agora {

namespace fs = std::filesystem;

static const char* kNeeded[] = {"cpu", "memory", "pids"};

uint64_t cpuWeight(double cpus) {
  uint64_t shares = std::max<uint64_t>(2, static_cast<uint64_t>(cpus * 1024));
  return std::clamp<uint64_t>(1 + ((shares - 2) * 9999) / 262142, 1, 10000);
}

static bool lists(const std::string& text, const std::string& word) {
  std::istringstream in(text);
  std::string w;
  while (in >> w)
    if (w == word) return true;
  return false;
}

Try<std::unique_ptr<Isolator>> CgroupsV2Isolator::create(const IsolatorOptions& options) {
  cgroups::Layout layout = cgroups::readLayout(options.fsRoot);
  if (!layout.v2Mount) return Error("cgroups v2: no cgroup2 filesystem is mounted");
  std::string own = layout.own.count("") ? layout.own[""] : "/";
  std::string ownDir = *layout.v2Mount + (own == "/" ? "" : own);
  auto available = cgroups::readFile(ownDir + "/cgroup.controllers");
  if (available.isError()) return Error("cgroups v2: " + available.error());
  auto enabled = cgroups::readFile(ownDir + "/cgroup.subtree_control");
  std::string toEnable;
  for (const char* c : kNeeded) {
    if (!lists(*available, c))
      return Error(std::string("cgroups v2: controller '") + c + "' is not available in " + ownDir +
                   " (its parent must delegate cpu, memory and pids)");
    if (!enabled.ok() || !lists(*enabled, c)) toEnable += std::string(toEnable.empty() ? "+" : " +") + c;
  }
  // Enabling controllers for children fails if the agent's own cgroup holds processes (the
  // kernel's no-internal-processes rule) unless it is the root: then say what to do.
  if (!toEnable.empty()) {
    Status s = cgroups::writeFile(ownDir + "/cgroup.subtree_control", toEnable);
    if (!s.ok())
      return Error("cgroups v2: cannot enable " + toEnable + " below " + ownDir + ": " + s.error() +
                   " (run the agent in a delegated cgroup, or use --isolation=cgroups-v1 or posix)");
  }
  std::string base = ownDir + "/" + options.cgroupsRoot;
  Status made = cgroups::makeDir(base);
  if (!made.ok()) return Error(made.error() + " (the agent needs root or a delegated cgroup)");
  Status s = cgroups::writeFile(base + "/cgroup.subtree_control", "+cpu +memory +pids");
  if (!s.ok()) return Error("cgroups v2: " + s.error());
  return std::unique_ptr<Isolator>(new CgroupsV2Isolator(base));
}

Status CgroupsV2Isolator::prepare(const std::string& id, const ContainerLimits& limits) {
  Status s = cgroups::makeDir(dir(id));
  if (!s.ok()) return s;
  peaks_[id] = 0;
  return update(id, limits);
}

Status CgroupsV2Isolator::attach(const std::string& id, pid_t pid) {
  return cgroups::writeFile(dir(id) + "/cgroup.procs", std::to_string(pid));
}

Status CgroupsV2Isolator::recover(const std::string& id, const ContainerLimits&, pid_t) {
  if (!std::filesystem::is_directory(dir(id))) return Error("container " + id + " has no cgroup " + dir(id));
  return Status::OK();
}

Status CgroupsV2Isolator::update(const std::string& id, const ContainerLimits& limits) {
  Status s = cgroups::writeFile(dir(id) + "/cpu.weight", std::to_string(cpuWeight(limits.cpus)));
  if (!s.ok()) return s;
  const uint64_t period = 100000;
  std::string max = limits.cpuHardCap && limits.cpus > 0
                        ? std::to_string(std::max<uint64_t>(1000, static_cast<uint64_t>(limits.cpus * period)))
                        : "max";
  s = cgroups::writeFile(dir(id) + "/cpu.max", max + " " + std::to_string(period));
  if (!s.ok()) return s;
  std::string mem = limits.memBytes > 0 ? std::to_string(limits.memBytes) : "max";
  s = cgroups::writeFile(dir(id) + "/memory.max", mem);
  if (!s.ok()) return s;
  if (fs::exists(dir(id) + "/memory.swap.max")) (void)cgroups::writeFile(dir(id) + "/memory.swap.max", "0");
  return cgroups::writeFile(dir(id) + "/pids.max", limits.pidsMax > 0 ? std::to_string(limits.pidsMax) : "max");
}

Try<ContainerUsage> CgroupsV2Isolator::usage(const std::string& id) const {
  ContainerUsage u;
  auto cpu = cgroups::readKeyValues(dir(id) + "/cpu.stat");
  if (cpu.isError()) return Error(cpu.error());
  u.cpuSeconds = static_cast<double>((*cpu)["usage_usec"]) / 1e6;
  Try<uint64_t> mem = cgroups::readNumber(dir(id) + "/memory.current");
  if (mem.isError()) return Error(mem.error());
  u.memBytes = *mem;
  Try<uint64_t> peak = cgroups::readNumber(dir(id) + "/memory.peak");  // Linux 5.19+
  uint64_t& seen = peaks_[id];
  seen = std::max({seen, *mem, peak.ok() ? *peak : 0});
  u.memPeakBytes = seen;
  Try<uint64_t> pids = cgroups::readNumber(dir(id) + "/pids.current");
  u.pids = pids.ok() ? *pids : 0;
  return u;
}

std::optional<Limitation> CgroupsV2Isolator::limitation(const std::string& id) const {
  auto events = cgroups::readKeyValues(dir(id) + "/memory.events");
  if (!events.ok() || (*events)["oom_kill"] == 0) return std::nullopt;
  auto limit = cgroups::readFile(dir(id) + "/memory.max");
  std::string limitMiB = "?";
  if (limit.ok() && limit->find_first_not_of("0123456789\n") == std::string::npos && !limit->empty())
    limitMiB = std::to_string(std::stoull(*limit) / (1024 * 1024));
  uint64_t peak = peaks_.count(id) ? peaks_.at(id) : 0;
  if (Try<uint64_t> p = cgroups::readNumber(dir(id) + "/memory.peak"); p.ok()) peak = std::max(peak, *p);
  return Limitation{TaskReason::MEMORY_LIMIT, "memory limit of " + limitMiB + " MiB reached (peak " +
                                                  std::to_string(peak / (1024 * 1024)) +
                                                  " MiB): the kernel killed the task out of memory"};
}

Status CgroupsV2Isolator::killAll(const std::string& id) {
  if (fs::exists(dir(id) + "/cgroup.kill")) return cgroups::writeFile(dir(id) + "/cgroup.kill", "1");  // Linux 5.14+
  Status s = cgroups::writeFile(dir(id) + "/cgroup.freeze", "1");
  if (!s.ok()) return s;
  for (pid_t pid : cgroups::processes(dir(id))) kill(pid, SIGKILL);
  return cgroups::writeFile(dir(id) + "/cgroup.freeze", "0");
}

Status CgroupsV2Isolator::cleanup(const std::string& id) {
  if (!cgroups::processes(dir(id)).empty()) return Error("container " + id + " still has processes");
  Status s = cgroups::removeDir(dir(id));
  if (s.ok()) peaks_.erase(id);
  return s;
}

std::vector<std::string> CgroupsV2Isolator::containers() const { return cgroups::subdirectories(base_); }

}  // namespace agora
