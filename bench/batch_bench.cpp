// agora_bench_batch: agora-batch's figures.
//
//   1. --jobs trivial jobs of 1 cpu each (`true`) on a real agent with --agent_cpus cpus (this
//      machine's 2): from the first submission until every run has succeeded;
//   2. --cron_jobs minutely cron jobs against --agents simulated agents and a real master, for
//      --minutes slots: fire skew (from the scheduled instant to the task's launch), p50/p99;
//   3. --idle_schedules jobs with a yearly schedule: agora-batch's CPU and RSS while they wait.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "bench/figures.hpp"
#include "bench/sim/fleet.hpp"
#include "bench/sim/master_under_test.hpp"
#include "common/file_limit.hpp"
#include "frameworks/batch/schedule_time.hpp"
#include "isolators/proc_stat.hpp"
#include "tests/support/batch.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/temp_dir.hpp"

DEFINE_int32(jobs, 500, "Scenario 1: trivial one-cpu jobs run once each; 0 skips it.");
DEFINE_int32(agent_cpus, 2, "Scenario 1: cpus of the one real agent (this machine has 2).");
DEFINE_int32(cron_jobs, 1000, "Scenario 2: minutely cron jobs; 0 skips it.");
DEFINE_int32(minutes, 2, "Scenario 2: slots (minutes) measured.");
DEFINE_int32(agents, 10000, "Scenario 2: simulated agents.");
DEFINE_int32(idle_schedules, 100000, "Scenario 3: jobs with a yearly schedule; 0 skips it.");
DEFINE_int32(clients, 8, "HTTP clients submitting at once.");
DEFINE_double(timeout, 600, "Seconds each scenario may take before the benchmark gives up.");

namespace agora::sim {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using bench::percentile;
const auto since = bench::secondsSince;

bool waitUntil(const std::function<bool()>& done, double seconds) {
  auto start = Clock::now();
  while (!done()) {
    if (since(start) > seconds) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

double counter(const testing::BatchProcess& b, const std::string& name) {
  std::string metrics = b.call("GET", "/metrics").body;
  size_t at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? 0 : std::stod(metrics.substr(at + name.size() + 2));
}

// Sends `n` requests from --clients threads; `request(i)` makes the i-th. False if any failed.
bool submit(int n, const std::function<bool(int)>& request) {
  std::atomic<int> next{0};
  std::atomic<bool> ok{true};
  std::vector<std::thread> clients;
  for (int c = 0; c < FLAGS_clients; ++c)
    clients.emplace_back([&] {
      for (int i = next++; i < n && ok; i = next++)
        if (!request(i)) ok = false;
    });
  for (auto& t : clients) t.join();
  return ok;
}

double secondsOf(const json& t) {
  if (!t.is_string()) return 0;
  std::string s = t.get<std::string>();  // 2026-12-03T21:00:00.123+0000 or ...Z
  Try<agora::batch::Instant> whole = agora::batch::parseInstant(s.substr(0, 19) + "Z");
  if (whole.isError()) return 0;
  double frac = s.size() > 20 && s[19] == '.' ? std::stod("0" + s.substr(19, 4)) : 0;
  return static_cast<double>(whole->time_since_epoch().count()) + frac;
}

// Scenario 1.
void trivialJobs() {
  testing::TestCluster cluster;
  cluster.startMaster();
  cluster.startAgent({"--resources=cpus:" + std::to_string(FLAGS_agent_cpus) + ";mem:8192;ports:[31000-31100]"});
  if (!waitUntil([&] { return cluster.activeAgents() == 1; }, 30)) return (void)std::printf("jobs: the agent did not register\n");
  testing::BatchProcess batch(cluster);
  batch.start();
  auto start = Clock::now();
  bool sent = submit(FLAGS_jobs, [&](int i) {
    std::string id = "trivial-" + std::to_string(i);
    json job = {{"id", id}, {"run", {{"cmd", "true"}, {"cpus", 1}, {"mem", 32}}}};
    return batch.call("POST", "/v1/jobs", job.dump()).status == 201 &&
           batch.call("POST", "/v1/jobs/" + id + "/runs", "{}").status == 201;
  });
  double submitted = since(start);
  bool done = sent && waitUntil([&] { return counter(batch, "agora_batch_runs_succeeded_total") >= FLAGS_jobs; }, FLAGS_timeout);
  double took = since(start);
  std::printf("%d trivial 1-cpu jobs on %d cpus: %s in %.2f s (submitted in %.2f s), %.0f jobs/s\n", FLAGS_jobs,
              FLAGS_agent_cpus, done ? "all succeeded" : "NOT all succeeded", took, submitted, FLAGS_jobs / took);
  // Where a task's time goes, from the run records: launch to RUNNING heard, RUNNING to the
  // end heard, and from one task's end to the next launch (the offer cycle).
  std::vector<double> toRunning, toEnd, launches, ends;
  json jobs = batch.call("GET", "/v1/jobs?embed=history").json;
  for (const json& j : jobs)
    for (const json& r : j["history"]["successfulFinishedRuns"])
      for (const json& t : r["taskResults"]) {
        double created = secondsOf(t["createdAt"]), started = secondsOf(t["startedAt"]), completed = secondsOf(t["completedAt"]);
        if (started > 0) toRunning.push_back((started - created) * 1000), toEnd.push_back((completed - started) * 1000);
        launches.push_back(created);
        ends.push_back(completed);
      }
  std::sort(launches.begin(), launches.end());
  std::sort(ends.begin(), ends.end());
  std::vector<double> gaps;  // each launch after the first FLAGS_agent_cpus waits for an end
  for (size_t i = static_cast<size_t>(FLAGS_agent_cpus); i < launches.size() && i - FLAGS_agent_cpus < ends.size(); ++i)
    gaps.push_back((launches[i] - ends[i - FLAGS_agent_cpus]) * 1000);
  std::printf("  per task: launch -> RUNNING p50 %.1f ms, RUNNING -> end p50 %.1f ms, an end -> the next launch p50 %.1f ms\n",
              percentile(toRunning, 0.5), percentile(toEnd, 0.5), percentile(gaps, 0.5));
  std::fflush(stdout);
}

uint64_t rssBytes(pid_t pid) {
  auto stat = readProcess(pid);
  return stat ? stat->rssPages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

double cpuSeconds(pid_t pid) {
  auto stat = readProcess(pid);
  return stat ? static_cast<double>(stat->utimeTicks + stat->stimeTicks) / static_cast<double>(sysconf(_SC_CLK_TCK)) : 0;
}

// Scenario 2.
void cronSkew(const std::string& master) {
  testing::TempDir dir("agora-bench-batch");
  testing::BatchProcess batch(master, dir.path(), {"--http_port=0"});
  batch.start();
  bool sent = submit(FLAGS_cron_jobs, [&](int i) {
    json job = {{"id", "cron-" + std::to_string(i)},
                {"run", {{"cmd", "true"}, {"cpus", 0.01}, {"mem", 32}}},
                {"schedules", {{{"id", "minutely"}, {"cron", "* * * * *"}}}}};
    return batch.call("POST", "/v1/jobs", job.dump()).status == 201;
  });
  if (!sent) return (void)std::printf("cron: submitting the jobs failed; see %s\n", batch.log().c_str());
  std::printf("cron: %d minutely jobs submitted; waiting for %d slots\n", FLAGS_cron_jobs, FLAGS_minutes);
  std::fflush(stdout);
  double want = static_cast<double>(FLAGS_cron_jobs) * FLAGS_minutes;
  waitUntil([&] { return counter(batch, "agora_batch_tasks_launched_total") >= want; }, 60.0 * (FLAGS_minutes + 1) + 30);
  std::vector<double> skews;
  json jobs = batch.call("GET", "/v1/jobs?embed=history&embed=activeRuns").json;
  for (const json& j : jobs) {
    std::vector<json> runs;
    for (const char* list : {"successfulFinishedRuns", "failedFinishedRuns"})
      for (const json& r : j["history"][list]) runs.push_back(r);
    for (const json& r : runs)
      if (r.contains("scheduledAt") && !r["taskResults"].empty())
        skews.push_back((secondsOf(r["taskResults"][0]["createdAt"]) - secondsOf(r["scheduledAt"])) * 1000);
    if (j.contains("activeRuns"))
      for (const json& r : j["activeRuns"])
        if (r.contains("scheduledAt") && !r["tasks"].empty())
          skews.push_back((secondsOf(r["tasks"][0]["createdAt"]) - secondsOf(r["scheduledAt"])) * 1000);
  }
  std::printf("cron: %zu scheduled launches of %d minutely jobs on %d simulated agents: fire skew p50 %.1f ms, p99 %.1f ms, "
              "max %.1f ms; agora-batch RSS %.0f MiB\n",
              skews.size(), FLAGS_cron_jobs, FLAGS_agents, percentile(skews, 0.5), percentile(skews, 0.99),
              skews.empty() ? 0 : *std::max_element(skews.begin(), skews.end()),
              static_cast<double>(rssBytes(batch.pid())) / (1 << 20));
  std::fflush(stdout);
}

// Scenario 3.
void idleSchedules(const std::string& master) {
  testing::TempDir dir("agora-bench-batch-idle");
  testing::BatchProcess batch(master, dir.path(), {"--http_port=0"});
  batch.start();
  auto start = Clock::now();
  bool sent = submit(FLAGS_idle_schedules, [&](int i) {
    json job = {{"id", "yearly-" + std::to_string(i)},
                {"run", {{"cmd", "true"}, {"cpus", 0.01}, {"mem", 32}}},
                {"schedules", {{{"id", "new-year"}, {"cron", "@yearly"}, {"timezone", i % 2 ? "Europe/Berlin" : "America/New_York"}}}}};
    return batch.call("POST", "/v1/jobs", job.dump()).status == 201;
  });
  double took = since(start);
  if (!sent) return (void)std::printf("idle: submitting the jobs failed; see %s\n", batch.log().c_str());
  std::this_thread::sleep_for(std::chrono::seconds(2));  // settle after the burst
  double cpuBefore = cpuSeconds(batch.pid());
  auto idleStart = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(10));
  double cpu = (cpuSeconds(batch.pid()) - cpuBefore) / since(idleStart);
  std::printf("idle: %d schedules created in %.1f s (%.0f jobs/s over HTTP); while idle agora-batch uses %.2f%% of a "
              "cpu and RSS %.0f MiB\n",
              FLAGS_idle_schedules, took, FLAGS_idle_schedules / took, cpu * 100,
              static_cast<double>(rssBytes(batch.pid())) / (1 << 20));
  std::fflush(stdout);
}

int run() {
  if (FLAGS_jobs > 0) trivialJobs();
  if (FLAGS_cron_jobs <= 0 && FLAGS_idle_schedules <= 0) return 0;
  MasterUnderTest master("", 0, {"--offer_timeout=0"});
  auto endpoint = master.start();
  if (endpoint.isError()) return std::fprintf(stderr, "%s\n", endpoint.error().c_str()), 1;
  std::string address = endpoint->substr(endpoint->rfind('/') + 1);
  if (FLAGS_cron_jobs > 0) {
    Fleet fleet(*endpoint, FLAGS_agents, "cpus:8;mem:32768;disk:100000;ports:[31000-32000]", 1.0);
    if (Status s = fleet.start(); !s.ok()) return std::fprintf(stderr, "%s\n", s.error().c_str()), 1;
    if (!waitUntil([&] { return fleet.registered() >= FLAGS_agents; }, 120))
      return std::fprintf(stderr, "only %d of %d agents registered\n", fleet.registered(), FLAGS_agents), 1;
    cronSkew(address);
  }
  if (FLAGS_idle_schedules > 0) idleSchedules(address);
  return 0;
}

}  // namespace
}  // namespace agora::sim

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora_bench_batch [--jobs=500] [--cron_jobs=1000 --agents=10000] [--idle_schedules=100000]\n"
                          "agora-batch's figures: trivial jobs on a real agent, cron fire skew against simulated "
                          "agents, and idle cost of many schedules.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  std::signal(SIGPIPE, SIG_IGN);
  uint64_t needed = static_cast<uint64_t>(FLAGS_agents) + 1024;
  if (agora::raiseOpenFileLimit(needed) < needed)
    return std::fprintf(stderr, "%d agents need %lu open files: raise the limit (ulimit -n)\n", FLAGS_agents,
                        static_cast<unsigned long>(needed)), 2;
  return agora::sim::run();
}
