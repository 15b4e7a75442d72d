// The posix isolator, for machines where no cgroup can be used: a task's processes are found
// as its session (the task leads a new session), memory is bounded with RLIMIT_DATA, and
// usage is summed from /proc. It cannot tell an out-of-memory end from any other, and a
// process that starts a new session of its own escapes it: cgroups close both gaps.

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "isolators/isolator.hpp"
#include "isolators/proc_stat.hpp"

namespace agora {
namespace {

class PosixIsolator final : public Isolator {
 public:
  std::string name() const override { return "posix"; }

  Status prepare(const std::string& id, const ContainerLimits& limits) override {
    containers_[id].limits = limits;
    return Status::OK();
  }

  Status attach(const std::string& id, pid_t pid) override {
    auto it = containers_.find(id);
    if (it == containers_.end()) return Error("posix isolator: no container " + id + " was prepared");
    it->second.leader = pid;
    return applyLimits(it->second);
  }

  Status recover(const std::string& id, const ContainerLimits& limits, pid_t pid) override {
    Container& c = containers_[id];
    c.limits = limits;
    if (pid > 0) c.leader = pid;
    return Status::OK();
  }

  Status update(const std::string& id, const ContainerLimits& limits) override {
    auto it = containers_.find(id);
    if (it == containers_.end()) return Error("posix isolator: no container " + id);
    it->second.limits = limits;
    return it->second.leader > 0 ? applyLimits(it->second) : Status::OK();
  }

  Try<ContainerUsage> usage(const std::string& id) const override {
    auto it = containers_.find(id);
    if (it == containers_.end()) return Error("posix isolator: no container " + id);
    ContainerUsage u;
    static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    for (const ProcStat& p : listProcesses()) {
      if (p.session != it->second.leader) continue;
      u.cpuSeconds += static_cast<double>(p.utimeTicks + p.stimeTicks) / ticks;
      u.memBytes += p.rssPages * page;
      ++u.pids;
    }
    it->second.peak = std::max(it->second.peak, u.memBytes);
    u.memPeakBytes = it->second.peak;
    return u;
  }

  std::optional<Limitation> limitation(const std::string&) const override { return std::nullopt; }

  Status killAll(const std::string& id) override {
    auto it = containers_.find(id);
    if (it == containers_.end() || it->second.leader <= 0) return Status::OK();
    kill(-it->second.leader, SIGKILL);
    for (const ProcStat& p : listProcesses())
      if (p.session == it->second.leader) kill(p.pid, SIGKILL);
    return Status::OK();
  }

  Status cleanup(const std::string& id) override {
    auto it = containers_.find(id);
    if (it == containers_.end()) return Status::OK();
    for (const ProcStat& p : listProcesses())
      if (it->second.leader > 0 && p.session == it->second.leader)
        return Error("posix isolator: process " + std::to_string(p.pid) + " of container " + id + " still runs");
    containers_.erase(it);
    return Status::OK();
  }

  std::vector<std::string> containers() const override {
    std::vector<std::string> out;
    for (const auto& [id, c] : containers_) out.push_back(id);
    return out;
  }

 private:
  struct Container {
    ContainerLimits limits;
    pid_t leader = -1;
    mutable uint64_t peak = 0;
  };

  static Status applyLimits(const Container& c) {
    if (c.limits.memBytes == 0) return Status::OK();
    struct rlimit limit = {c.limits.memBytes, c.limits.memBytes};
    if (prlimit(c.leader, RLIMIT_DATA, &limit, nullptr) != 0)
      return Error(std::string("posix isolator: cannot set RLIMIT_DATA: ") + std::strerror(errno));
    return Status::OK();
  }

  std::map<std::string, Container> containers_;
};

}  // namespace

std::unique_ptr<Isolator> makePosixIsolator() { return std::make_unique<PosixIsolator>(); }

}  // namespace agora
