// Task launch latency and agent recovery time on a real master and agent (this build's
// binaries) on loopback, with the isolation chosen by flag.
//
//   agora_bench_launch [--tasks=200] [--isolation=cgroups|posix|auto] [--recovery_tasks=20]
//
// Launch latency: from the framework's accept to its receipt of TASK_RUNNING, one task at a
// time so that no task waits behind another; without and with CURVE on the master's port. Recovery time: from the restart of a SIGKILLed
// agent running N tasks until it is re-registered with all of them re-attached.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>

#include <gflags/gflags.h>

#include "bench/figures.hpp"
#include "cli/credentials.hpp"
#include "common/curve.hpp"
#include "frameworks/sdk/scheduler.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

DEFINE_int32(tasks, 200, "Tasks to launch one after another for the latency figures.");
DEFINE_string(isolation, "auto", "The agent's --isolation.");
DEFINE_int32(recovery_tasks, 20, "Running tasks while the agent is SIGKILLed and restarted.");

namespace agora::testing {
namespace {

using Clock = std::chrono::steady_clock;

double millisBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

using bench::percentile;

// Launches one task per offer, the next only once the previous one runs.
class OneAtATime : public sdk::Scheduler {
 public:
  explicit OneAtATime(int total) : total_(total) {}

  void resourceOffers(sdk::SchedulerDriver& driver, const std::vector<Offer>& offers) override {
    std::lock_guard<std::mutex> lock(mutex);
    for (const Offer& offer : offers) {
      if (inFlight_ || launched_ == total_) {
        driver.declineOffer(offer.id, 0);
        continue;
      }
      TaskInfo task = shellTask("t" + std::to_string(launched_++), "true", 0.01, 8);
      inFlight_ = true;
      acceptedAt[task.taskId] = Clock::now();
      driver.launchTasks({offer.id}, {task}, 0);
    }
  }

  void statusUpdate(sdk::SchedulerDriver& driver, const TaskStatus& status) override {
    std::lock_guard<std::mutex> lock(mutex);
    if (status.state != TaskState::RUNNING || runningAt.count(status.taskId)) return;
    runningAt[status.taskId] = Clock::now();
    inFlight_ = false;
    driver.reviveOffers();
    done.notify_all();
  }

  std::mutex mutex;
  std::condition_variable done;
  std::map<std::string, Clock::time_point> acceptedAt, runningAt;

 private:
  int total_;
  int launched_ = 0;
  bool inFlight_ = false;
};

// Keys for a master, its agent and one framework, and the allow-list naming the two.
struct CurveSetup {
  TempDir dir{"agora-bench-curve"};
  KeyPair master = newKeyPair(), agent = newKeyPair(), framework = newKeyPair();
  CurveSetup() {
    for (auto [name, keys] : {std::pair{"master", &master}, {"agent", &agent}, {"framework", &framework}})
      (void)writeKeyPair(*keys, dir.path() + "/" + name);
    std::ofstream(dir.path() + "/allow-list") << "agents " << agent.publicKey << "\nbench " << framework.publicKey << "\n";
    cli::Credentials self;  // this process's state() calls, as the framework
    self.curve = CurveClient{framework, master.publicKey};
    cli::useCredentials(self);
  }
  ~CurveSetup() { cli::useCredentials({}); }
  std::vector<std::string> masterFlags() const {
    return {"--curve_key=" + dir.path() + "/master.key", "--allow_list=" + dir.path() + "/allow-list"};
  }
  std::vector<std::string> agentFlags() const {
    return {"--curve_key=" + dir.path() + "/agent.key", "--master_public_key=" + master.publicKey};
  }
};

void launchLatency(const std::string& isolation, bool curve) {
  std::unique_ptr<CurveSetup> keys = curve ? std::make_unique<CurveSetup>() : nullptr;
  TestCluster cluster(keys ? keys->masterFlags() : std::vector<std::string>{});
  cluster.startMaster();
  std::vector<std::string> agentFlags = {"--isolation=" + isolation, "--resources=cpus:4;mem:8192"};
  if (keys) {
    std::vector<std::string> more = keys->agentFlags();
    agentFlags.insert(agentFlags.end(), more.begin(), more.end());
  }
  cluster.startAgent(agentFlags);
  if (!eventually([&] { return cluster.activeAgents() == 1; })) {
    std::fprintf(stderr, "the agent did not register; see %s\n", cluster.agentLog(0).c_str());
    return;
  }
  std::string used = cluster.state()["agents"][0]["isolation"];
  OneAtATime scheduler(FLAGS_tasks);
  FrameworkInfo info;
  info.name = "launch-bench";
  sdk::DriverOptions options;
  if (keys) options.curve = CurveClient{keys->framework, keys->master.publicKey};
  sdk::SchedulerDriver driver(scheduler, info, cluster.master(), options);
  if (!driver.start().ok()) return;
  {
    std::unique_lock<std::mutex> lock(scheduler.mutex);
    if (!scheduler.done.wait_for(lock, std::chrono::seconds(300),
                                 [&] { return scheduler.runningAt.size() == static_cast<size_t>(FLAGS_tasks); })) {
      std::fprintf(stderr, "only %zu of %d tasks reached TASK_RUNNING\n", scheduler.runningAt.size(), FLAGS_tasks);
      return;
    }
  }
  std::vector<double> ms;
  for (const auto& [id, at] : scheduler.runningAt) ms.push_back(millisBetween(scheduler.acceptedAt[id], at));
  std::printf("launch latency, accept -> TASK_RUNNING, %d tasks, isolation %s, %s: p50 %.2f ms  p90 %.2f ms  "
              "p99 %.2f ms  max %.2f ms\n",
              FLAGS_tasks, used.c_str(), curve ? "CURVE" : "no CURVE", percentile(ms, 0.5), percentile(ms, 0.9), percentile(ms, 0.99),
              *std::max_element(ms.begin(), ms.end()));
  driver.stop();
}

void recoveryTime(const std::string& isolation) {
  TestCluster cluster;
  cluster.startMaster();
  cluster.startAgent({"--isolation=" + isolation});
  if (!eventually([&] { return cluster.activeAgents() == 1; })) return;
  TestFramework fw(cluster.master(), "recovery-bench");
  for (int i = 0; i < FLAGS_recovery_tasks; ++i) fw.scheduler.queue(shellTask("r" + std::to_string(i), "exec sleep 600"));
  if (!fw.scheduler.waitFor([&] {
        for (int i = 0; i < FLAGS_recovery_tasks; ++i) {
          auto l = fw.scheduler.latest("r" + std::to_string(i));
          if (!l || l->state != TaskState::RUNNING) return false;
        }
        return true;
      }))
    return;
  std::string agentId = cluster.state()["agents"][0]["id"];
  cluster.stopAgent(0, SIGKILL);
  auto restart = Clock::now();
  cluster.restartAgent(0);
  // Re-registered, and every task re-attached: its supervisor has reported to the new agent.
  bool recovered = eventually(
      [&] {
        auto state = cluster.agentApi(agentId, "/api/v1/state");
        auto containers = cluster.agentApi(agentId, "/api/v1/containers");
        if (state.is_null() || !state["registered"].get<bool>() || containers.is_null()) return false;
        return containers.size() == static_cast<size_t>(FLAGS_recovery_tasks);
      },
      std::chrono::seconds(60));
  auto at = Clock::now();
  if (!recovered) {
    std::fprintf(stderr, "the agent did not recover; see %s\n", cluster.agentLog(0).c_str());
    return;
  }
  std::printf("agent recovery, restart -> re-registered with %d running tasks, isolation %s: %.1f ms\n",
              FLAGS_recovery_tasks, isolation.c_str(), millisBetween(restart, at));
}

}  // namespace
}  // namespace agora::testing

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora_bench_launch [--tasks=200] [--isolation=auto|cgroups|posix] [--recovery_tasks=20]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  agora::testing::launchLatency(FLAGS_isolation, false);
  agora::testing::launchLatency(FLAGS_isolation, true);
  agora::testing::recoveryTime(FLAGS_isolation);
  return 0;
}
