// Health checks on a real master and agent (this build's binaries) on loopback.
//
//   agora_bench_health [--tasks=50] [--failures=20]
//
// 1. Launch latency with an HTTP health check: accept -> TASK_RUNNING, and accept -> the
//    first healthy update, one task at a time (python's HTTP server on $PORT0).
// 2. Failure detection: the bench's own HTTP server answers each task's check, 200 until
//    the bench turns it, then 500. From the bench's answer to the last failure the check
//    may have (its maxConsecutiveFailures-th in a row) to TASK_FAILED at the framework.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

#include <gflags/gflags.h>
#include <httplib.h>

#include "bench/figures.hpp"
#include "frameworks/sdk/scheduler.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/recording_scheduler.hpp"
#include "tests/support/wait.hpp"

DEFINE_int32(tasks, 50, "Tasks with an HTTP health check, launched one after another.");
DEFINE_int32(failures, 20, "Tasks whose health check is made to fail, one after another.");

namespace agora::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kMaxFailures = 3;

double millisBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

using bench::percentile;

void print(const char* what, const std::vector<double>& ms) {
  if (ms.empty()) return;
  std::printf("%s, %zu tasks: p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n", what, ms.size(),
              percentile(ms, 0.5), percentile(ms, 0.9), percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()));
}

HealthCheck quickCheck() {
  HealthCheck h;
  h.kind = CheckKind::HTTP;
  h.delaySeconds = 0;
  h.intervalSeconds = 0.1;
  h.timeoutSeconds = 1;
  h.gracePeriodSeconds = 30;
  h.maxConsecutiveFailures = kMaxFailures;
  return h;
}

// Accept -> TASK_RUNNING and accept -> healthy, with the check on the task's own server.
void launchWithHealthCheck(TestCluster& cluster, uint64_t port) {
  TestFramework fw(cluster.master(), "health-bench-launch");
  std::vector<double> running, healthy;
  for (int i = 0; i < FLAGS_tasks; ++i) {
    std::string id = "h" + std::to_string(i);
    TaskInfo task = shellTask(id, "exec python3 -m http.server $PORT0 --bind 127.0.0.1 >/dev/null 2>&1");
    (void)task.resources.add(Resource::range("ports", {{port, port}}));
    task.healthCheck = quickCheck();
    task.healthCheck->port.index = 0;
    fw.scheduler.queue(task);
    std::optional<Clock::time_point> runningAt, healthyAt, accepted;
    fw.scheduler.waitFor([&] {
      for (const TaskStatus& s : fw.scheduler.updatesFor(id)) {
        if (s.state == TaskState::RUNNING && !runningAt) runningAt = Clock::now();
        if (s.healthy == true && !healthyAt) healthyAt = Clock::now();
      }
      if (fw.scheduler.launchedAt.count(id)) accepted = fw.scheduler.launchedAt[id];
      return runningAt && healthyAt;
    });
    if (!runningAt || !healthyAt) {
      std::fprintf(stderr, "task %s never became healthy; see %s\n", id.c_str(), cluster.agentLog(0).c_str());
      return;
    }
    running.push_back(millisBetween(*accepted, *runningAt));
    healthy.push_back(millisBetween(*accepted, *healthyAt));
    fw.driver->killTask(id, 0);
    fw.scheduler.waitFor([&] {
      auto l = fw.scheduler.latest(id);
      return l && isTerminal(l->state);
    });
  }
  print("launch latency with an HTTP health check, accept -> TASK_RUNNING", running);
  print("accept -> first healthy update (check interval 0.1 s, python's server start included)", healthy);
}

// The bench's server: GET /<task> answers 200 until the task is failing, then 500, and
// notes when it answered each failure.
class CheckTarget {
 public:
  CheckTarget() {
    server_.Get(R"(/(\w+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      std::string id = req.matches[1];
      if (!failing_.count(id)) {
        res.status = 200;
        return;
      }
      failedAt_[id].push_back(Clock::now());
      res.status = 500;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~CheckTarget() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  void fail(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    failing_.insert(id);
  }
  std::optional<Clock::time_point> lastAllowedFailure(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto& at = failedAt_[id];
    if (at.size() < kMaxFailures) return std::nullopt;
    return at[kMaxFailures - 1];
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::set<std::string> failing_;
  std::map<std::string, std::vector<Clock::time_point>> failedAt_;
};

void failureToTaskFailed(TestCluster& cluster) {
  CheckTarget target;
  TestFramework fw(cluster.master(), "health-bench-failure");
  std::vector<double> ms;
  for (int i = 0; i < FLAGS_failures; ++i) {
    std::string id = "f" + std::to_string(i);
    TaskInfo task = shellTask(id, "exec sleep 600");
    task.healthCheck = quickCheck();
    task.healthCheck->path = "/" + id;
    task.healthCheck->port.number = static_cast<uint64_t>(target.port());
    fw.scheduler.queue(task);
    fw.scheduler.waitFor([&] {
      for (const TaskStatus& s : fw.scheduler.updatesFor(id))
        if (s.healthy == true) return true;
      return false;
    });
    target.fail(id);
    std::optional<Clock::time_point> failedAt;
    fw.scheduler.waitFor([&] {
      auto l = fw.scheduler.latest(id);
      if (l && l->state == TaskState::FAILED) failedAt = Clock::now();
      return failedAt.has_value();
    });
    auto last = target.lastAllowedFailure(id);
    if (!failedAt || !last) {
      std::fprintf(stderr, "task %s did not fail by its health check; see %s\n", id.c_str(),
                   cluster.agentLog(0).c_str());
      return;
    }
    ms.push_back(millisBetween(*last, *failedAt));
  }
  print("health check's last allowed failure -> TASK_FAILED at the framework (kill grace 3 s; sleep obeys SIGTERM)",
        ms);
}

}  // namespace
}  // namespace agora::testing

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora_bench_health [--tasks=50] [--failures=20]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  agora::testing::TestCluster cluster;
  cluster.startMaster();
  cluster.startAgents(1);
  uint64_t port = cluster.state()["agents"][0]["resources"]["ports"][0][0];
  agora::testing::launchWithHealthCheck(cluster, port);
  agora::testing::failureToTaskFailed(cluster);
  return 0;
}
