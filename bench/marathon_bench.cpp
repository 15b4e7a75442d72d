// agora_bench_marathon: agora-marathon against thousands of simulated agents and a real
// master, driven through its REST API. Health checks "pass" at once here: the simulated
// agents report TASK_RUNNING and the apps have none, so the figures are the framework's.
//
//   1. one app scaled from 0 to --instances: time until all run, instances/s, and the most
//      instances ever seen at once (an overshoot is a bug);
//   2. --apps apps of --app_instances each: GET /v2/apps latency, agora-marathon's RSS;
//   3. a rolling restart of the first app with minimumHealthCapacity --min_health.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include <gflags/gflags.h>
#include <httplib.h>
#include <glog/logging.h>

#include "bench/figures.hpp"
#include "bench/sim/fleet.hpp"
#include "bench/sim/master_under_test.hpp"
#include "common/file_limit.hpp"
#include "isolators/proc_stat.hpp"
#include "tests/support/marathon.hpp"
#include "tests/support/temp_dir.hpp"

DEFINE_int32(agents, 10000, "Simulated agents.");
DEFINE_string(agent_resources, "cpus:8;mem:32768;disk:100000;ports:[31000-32000]", "What each simulated agent offers.");
DEFINE_int32(instances, 10000, "Instances of the app scaled up from 0 (scenario 1, and restarted in 3).");
DEFINE_int32(apps, 1000, "Apps for the GET /v2/apps scenario (2); 0 skips it.");
DEFINE_int32(app_instances, 10, "Instances of each of those apps.");
DEFINE_double(min_health, 0.9, "minimumHealthCapacity of the rolling restart (3); negative skips it.");
DEFINE_int32(requests, 200, "GET /v2/apps requests timed in scenario 2.");
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

json app(const std::string& id, int instances, double minHealth = 1) {
  return {{"id", id}, {"cmd", "sleep 100000"}, {"instances", instances}, {"cpus", 0.01}, {"mem", 1},
          {"portDefinitions", json::array()},
          {"upgradeStrategy", {{"minimumHealthCapacity", minHealth}, {"maximumOverCapacity", 1 - minHealth}}}};
}

uint64_t rssBytes(pid_t pid) {
  auto stat = readProcess(pid);
  return stat ? stat->rssPages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// Scenario 1: scale one app from 0 to --instances, watching the count from /metrics.
bool scaleUp(testing::MarathonProcess& m) {
  if (m.call("POST", "/v2/apps", app("/big", 0, FLAGS_min_health < 0 ? 1 : FLAGS_min_health).dump()).status != 201) return false;
  if (!waitUntil([&] { return m.call("GET", "/v2/deployments").json.empty(); }, 30)) return false;
  auto start = Clock::now();
  if (m.call("PUT", "/v2/apps/big", json{{"instances", FLAGS_instances}}.dump()).status != 200) return false;
  int highest = 0, running = 0;
  auto gauge = [](const std::string& text, const std::string& name) {
    size_t at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stoi(text.substr(at + name.size() + 2));
  };
  bool done = waitUntil(
      [&] {
        std::string metrics = m.call("GET", "/metrics").body;
        highest = std::max(highest, gauge(metrics, "agora_marathon_instances"));
        running = gauge(metrics, "agora_marathon_instances_running");
        return running >= FLAGS_instances && m.call("GET", "/v2/deployments").json.empty();
      },
      FLAGS_timeout);
  double took = since(start);
  std::printf("scale 0 -> %d: %s in %.1f s, %.0f instances/s; highest instance count seen %d (overshoot %d)\n",
              FLAGS_instances, done ? "all running" : "NOT all running", took, running / took, highest,
              std::max(0, highest - FLAGS_instances));
  return done;
}

// Scenario 2: many apps; the latency of reading them all.
void manyApps(testing::MarathonProcess& m) {
  json list = json::array();
  for (int i = 0; i < FLAGS_apps; ++i) list.push_back(app("/many/app-" + std::to_string(i), FLAGS_app_instances));
  auto start = Clock::now();
  if (m.call("PUT", "/v2/apps", list.dump()).status != 200) {
    std::printf("apps: the PUT of %d apps failed\n", FLAGS_apps);
    return;
  }
  int want = FLAGS_apps * FLAGS_app_instances + FLAGS_instances;
  bool done = waitUntil(
      [&] {
        std::string metrics = m.call("GET", "/metrics").body;
        size_t at = metrics.find("\nagora_marathon_instances_running ");
        return at != std::string::npos && std::stoi(metrics.substr(at + 34)) >= want;
      },
      FLAGS_timeout);
  std::printf("apps: %d apps x %d instances %s in %.1f s\n", FLAGS_apps, FLAGS_app_instances,
              done ? "running" : "NOT all running", since(start));
  // Timed as a client sees it: from the request to the last byte of the answer (on a kept
  // connection, not counting the client's own parsing).
  std::vector<double> millis;
  size_t bytes = 0;
  httplib::Client client("127.0.0.1", m.port());
  client.set_keep_alive(true);
  for (int i = 0; i < FLAGS_requests; ++i) {
    auto t = Clock::now();
    auto r = client.Get("/v2/apps");
    millis.push_back(since(t) * 1000);
    if (r) bytes = r->body.size();
  }
  std::printf("GET /v2/apps (%zu KiB): p50 %.1f ms, p99 %.1f ms over %d requests; agora-marathon RSS %.0f MiB\n",
              bytes / 1024, percentile(millis, 0.5), percentile(millis, 0.99), FLAGS_requests,
              static_cast<double>(rssBytes(m.pid())) / (1 << 20));
}

// Scenario 3: a rolling restart of the big app.
void rollingRestart(testing::MarathonProcess& m) {
  auto start = Clock::now();
  testing::HttpResult r = m.call("POST", "/v2/apps/big/restart", "{}");
  if (r.status != 200) {
    std::printf("restart: refused (%d %s)\n", r.status, r.body.c_str());
    return;
  }
  bool done = waitUntil([&] { return m.call("GET", "/v2/deployments").json.empty(); }, FLAGS_timeout);
  std::printf("rolling restart of %d instances, minimumHealthCapacity %.2f: %s in %.1f s\n", FLAGS_instances,
              FLAGS_min_health, done ? "done" : "NOT done", since(start));
}

int run() {
  MasterUnderTest master("", 0, {"--offer_timeout=0"});
  auto endpoint = master.start();
  if (endpoint.isError()) return std::fprintf(stderr, "%s\n", endpoint.error().c_str()), 1;
  Fleet fleet(*endpoint, FLAGS_agents, FLAGS_agent_resources, -1);  // services: they run until killed
  if (Status s = fleet.start(); !s.ok()) return std::fprintf(stderr, "%s\n", s.error().c_str()), 1;
  if (!waitUntil([&] { return fleet.registered() >= FLAGS_agents; }, 120))
    return std::fprintf(stderr, "only %d of %d agents registered\n", fleet.registered(), FLAGS_agents), 1;
  std::printf("%d simulated agents registered with the master (pid %d, log %s)\n", FLAGS_agents, master.pid(),
              master.log().c_str());
  testing::TempDir dir("agora-bench-marathon");
  std::string address = endpoint->substr(endpoint->rfind('/') + 1);
  testing::MarathonProcess marathon(address, dir.path(), {"--http_port=0"});
  marathon.start();
  if (marathon.port() == 0) return std::fprintf(stderr, "agora-marathon did not start; see %s\n", marathon.log().c_str()), 1;
  std::printf("agora-marathon: pid %d, http://127.0.0.1:%d, log %s\n", marathon.pid(), marathon.port(), marathon.log().c_str());
  std::fflush(stdout);
  if (!scaleUp(marathon)) {
    std::fprintf(stderr, "scaling up did not finish; see %s\n", marathon.log().c_str());
    master.keep();
    return 1;
  }
  std::fflush(stdout);
  if (FLAGS_apps > 0) manyApps(marathon);
  std::fflush(stdout);
  if (FLAGS_min_health >= 0) rollingRestart(marathon);
  return 0;
}

}  // namespace
}  // namespace agora::sim

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora_bench_marathon [--agents=10000] [--instances=10000] [--apps=1000]\n"
                          "agora-marathon against simulated agents and a real master; prints figures.");
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
