// agora_sim: thousands of simulated agents and frameworks against a real master over the
// real wire protocol, from one process, to measure the master end to end at scale.
//
//   agora_sim [--agents=10000] [--frameworks=1] [--duration=60] [--task_seconds=1] ...
//
// Without --master it starts this build's agora-master pinned to one CPU (--master_cpu) and
// keeps itself off that CPU, so the figures are those of a master with one core. It prints:
// how long the agents took to register; tasks per second from offer to TASK_RUNNING over the
// launch window and the latency from accept to TASK_RUNNING; the master's CPU and memory.
//
// With --ha_masters=3 it starts etcd and three masters electing a leader instead, and with
// --failover it then SIGKILLs the leader, and SIGTERMs the next one (a planned handover),
// printing how long until offers flow again and until every agent has re-registered.
//
// With --curve the master gets CURVE keys and an allow-list, and every simulated connection
// is sealed as libzmq seals it: what encryption costs the master at scale.
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include <gflags/gflags.h>
#include <glog/logging.h>
#include <nlohmann/json.hpp>

#include "bench/figures.hpp"
#include "bench/sim/ha_masters.hpp"
#include "bench/sim/master_under_test.hpp"
#include "bench/sim/sim_agents.hpp"
#include "bench/sim/sim_frameworks.hpp"
#include "common/curve.hpp"
#include "common/file_limit.hpp"
#include "common/ids.hpp"
#include "common/transport.hpp"
#include "isolators/proc_stat.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

DEFINE_string(master, "", "host:port of a running master; empty: start this build's agora-master.");
DEFINE_int32(master_cpu, 0, "The CPU the started master is pinned to (the simulator keeps off it); -1: no pinning.");
DEFINE_string(master_flags, "", "Extra flags for the started master, separated by spaces.");
DEFINE_int32(agents, 10000, "Simulated agents.");
DEFINE_string(agent_resources, "cpus:8;mem:32768;disk:100000", "What each simulated agent offers.");
DEFINE_int32(frameworks, 1, "Simulated frameworks.");
DEFINE_string(roles, "*", "Comma-separated roles each framework subscribes in.");
DEFINE_string(task_resources, "cpus:0.1;mem:32", "What each task asks for.");
DEFINE_double(task_seconds, 1.0, "How long a task runs before TASK_FINISHED; 0: at once; negative: until the end.");
DEFINE_int32(tasks_per_offer, 8, "At most this many tasks in one accept.");
DEFINE_double(launch_rate, 0, "Tasks per second to launch over all frameworks; 0: as many as --max_in_flight allows.");
DEFINE_int32(max_in_flight, 5000, "Tasks launched and not yet TASK_RUNNING, at most, over all frameworks.");
DEFINE_int64(tasks, 0, "Launch at most this many tasks in all, then wait for them to run; 0: no limit.");
DEFINE_double(duration, 60, "Seconds of launching (the measurement window).");
DEFINE_double(register_timeout, 60, "Seconds the agents have to register before the simulation gives up.");
DEFINE_string(json_out, "", "If set, also write the figures here as JSON.");
DEFINE_int32(ha_masters, 0, "Start etcd and this many masters electing a leader on it (instead of one master); the "
                            "simulated peers follow the leader.");
DEFINE_int32(lose_agents, 0, "At the end, this many agents fall silent (no pongs, nothing sent): measures how long "
                             "the master takes to report them lost (with its --ping_interval and --max_missed_pings).");
DEFINE_int32(etcd_port, 22379, "With --ha_masters: etcd's client port (its peer port is the next one).");
DEFINE_bool(curve, false, "Start the master with a CURVE key pair and an allow-list (its --curve_key and --allow_list) "
                          "and seal every simulated connection with CURVE. Not with --master.");
DEFINE_bool(failover, false, "With --ha_masters: after launching, SIGKILL the leader, then SIGTERM the next one, and "
                             "report how long until offers flow and every agent has re-registered.");

namespace agora::sim {
namespace {

using bench::percentile;
using bench::secondsSince;

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(by, start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Keeps the simulator off the master's CPU, so that each has a core of its own.
void pinAwayFrom(int cpu) {
  cpu_set_t set;
  if (cpu < 0 || sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) < 2) return;
  CPU_CLR(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) PLOG(WARNING) << "Could not keep the simulator off CPU " << cpu;
}

class Simulation {
 public:
  Simulation(const std::string& endpoint, MasterUnderTest& master, const std::optional<CurveClient>& curve,
             HaMasters* ha = nullptr, std::vector<std::string> masters = {})
      : sockets_(512, curve), endpoint_(endpoint), master_(master), ha_(ha), masters_(masters), agents_(sockets_, agentOptions(endpoint, masters)),
        frameworks_(sockets_, frameworkOptions(endpoint, masters)) {}

  int run() {
    auto api = sockets_.add(endpoint_, "sim-api-" + newUuid(), [this](proto::Envelope::Reader m) {
      if (m.isApiResponse()) apiResponse_ = std::string(m.getApiResponse().getBody().cStr());
    });
    if (api.isError()) {
      std::fprintf(stderr, "%s\n", api.error().c_str());
      return 1;
    }
    api_ = *api;
    if (!registerAgents()) return 1;
    if (!subscribeFrameworks()) return 1;
    launch();
    if (ha_ && FLAGS_failover) {
      failOver(SIGKILL, "leader SIGKILLed");
      failOver(SIGTERM, "planned handover (SIGTERM)");
    }
    if (FLAGS_lose_agents > 0) loseAgents(FLAGS_lose_agents);
    report();
    return 0;
  }

 private:
  static AgentFleetOptions agentOptions(const std::string& endpoint, const std::vector<std::string>& masters) {
    AgentFleetOptions o;
    o.endpoint = endpoint;
    o.masters = masters;
    // A standby that answers "no leader yet" is asked again as soon as a real agent would
    // (its --registration_retry default).
    if (!masters.empty()) o.registrationRetrySeconds = 0.5;
    o.count = FLAGS_agents;
    o.resources = *Resources::parse(FLAGS_agent_resources);
    o.taskSeconds = FLAGS_task_seconds;
    return o;
  }

  static FrameworkFleetOptions frameworkOptions(const std::string& endpoint, const std::vector<std::string>& masters) {
    FrameworkFleetOptions o;
    o.endpoint = endpoint;
    o.masters = masters;
    o.count = FLAGS_frameworks;
    o.roles = split(FLAGS_roles, ',');
    o.taskResources = *Resources::parse(FLAGS_task_resources);
    o.tasksPerOffer = FLAGS_tasks_per_offer;
    o.launchRate = FLAGS_launch_rate;
    o.maxInFlight = FLAGS_max_in_flight;
    o.totalTasks = FLAGS_tasks;
    return o;
  }

  // Serves traffic until `done` or `seconds` pass; `everySecond` runs once a second.
  bool serve(double seconds, const std::function<bool()>& done, const std::function<void()>& everySecond = {}) {
    auto start = SteadyClock::now(), nextSecond = start + std::chrono::seconds(1);
    auto deadline = start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
    while (!done()) {
      auto now = SteadyClock::now();
      if (now >= deadline) return false;
      sockets_.poll(1);
      now = SteadyClock::now();
      agents_.tick(now);
      frameworks_.tick(now);
      if (now >= nextSecond) {
        nextSecond += std::chrono::seconds(1);
        if (everySecond) everySecond();
      }
    }
    return true;
  }

  bool registerAgents() {
    auto start = SteadyClock::now();
    Status started = agents_.start();
    if (!started.ok()) {
      std::fprintf(stderr, "%s\n", started.error().c_str());
      return false;
    }
    double connected = secondsSince(start);
    bool all = serve(FLAGS_register_timeout, [&] { return agents_.registered() == FLAGS_agents; });
    const auto& times = agents_.registrationSeconds();
    figures_["agents"] = FLAGS_agents;
    figures_["curve"] = FLAGS_curve;
    figures_["agents_registered"] = agents_.registered();
    figures_["register_connect_seconds"] = connected;
    figures_["register_all_seconds"] = times.empty() ? 0.0 : times.back();
    figures_["register_p50_seconds"] = percentile(times, 0.5);
    figures_["registrations_sent"] = agents_.stats().registrationsSent;
    std::printf("registration: %d of %d agents registered in %.2f s (sockets connected in %.2f s, p50 %.2f s, "
                "%lu registrations sent)\n",
                agents_.registered(), FLAGS_agents, figures_["register_all_seconds"].get<double>(), connected,
                percentile(times, 0.5), static_cast<unsigned long>(agents_.stats().registrationsSent));
    if (!all) std::fprintf(stderr, "not every agent registered within %.0f s\n", FLAGS_register_timeout);
    return all;
  }

  bool subscribeFrameworks() {
    Status started = frameworks_.start();
    if (started.ok() && serve(30, [&] { return frameworks_.subscribed() == FLAGS_frameworks; })) return true;
    std::fprintf(stderr, "the frameworks did not subscribe: %s\n",
                 started.ok() ? "no answer within 30 s" : started.error().c_str());
    return false;
  }

  void launch() {
    auto before = master_.usage();
    auto start = SteadyClock::now();
    uint64_t lastRunning = 0;
    std::vector<double> perSecond;
    frameworks_.setLaunching(true);
    auto allRunning = [&] {
      const auto& s = frameworks_.stats();
      return FLAGS_tasks > 0 && static_cast<int64_t>(s.tasksLaunched) >= FLAGS_tasks && frameworks_.inFlight() == 0;
    };
    serve(FLAGS_duration, allRunning, [&] {
      uint64_t running = frameworks_.stats().tasksRunning;
      perSecond.push_back(static_cast<double>(running - lastRunning));
      lastRunning = running;
      if (auto u = master_.usage()) peakRss_ = std::max(peakRss_, u->second);
    });
    frameworks_.setLaunching(false);
    double window = secondsSince(start);
    auto after = master_.usage();
    const auto& s = frameworks_.stats();
    figures_["launch_window_seconds"] = window;
    figures_["tasks_running"] = s.tasksRunning;
    figures_["tasks_per_second"] = static_cast<double>(s.tasksRunning) / window;
    figures_["tasks_per_second_min"] = perSecond.empty() ? 0.0 : *std::min_element(perSecond.begin(), perSecond.end());
    figures_["launch_p50_ms"] = percentile(frameworks_.launchMillis(), 0.5);
    figures_["launch_p99_ms"] = percentile(frameworks_.launchMillis(), 0.99);
    if (before && after) {
      figures_["master_cpu_cores"] = (after->first - before->first) / window;
      // Growth here means the master fell behind: what it has not read waits in its queues.
      figures_["master_rss_growth_mib"] = (static_cast<double>(after->second) - static_cast<double>(before->second)) / (1 << 20);
    }
    // Let the last updates settle before the memory is read.
    serve(2, [] { return false; });
  }

  // Stops the leader with `signal`; measures until offers flow again and until every agent
  // has re-registered with the next leader.
  void failOver(int signal, const std::string& what) {
    int leader = -1;
    serve(10, [&] { return (leader = ha_->leader()) >= 0; });
    if (leader < 0) {
      std::fprintf(stderr, "%s: no master leads\n", what.c_str());
      return;
    }
    agents_.resetRegisteredSince();
    auto start = SteadyClock::now();
    ::kill(ha_->master(static_cast<size_t>(leader)).pid(), signal);
    std::optional<double> offers, agents;
    bool done = serve(120, [&] {
      // Offers of the next leader: made after the framework subscribed with it.
      auto subscribed = frameworks_.lastSubscribedAt();
      if (!offers && subscribed > start && frameworks_.lastOfferAt() > subscribed) offers = secondsSince(start);
      if (!agents && agents_.registeredSince() >= FLAGS_agents) agents = secondsSince(start);
      return offers && agents;
    });
    std::string key = signal == SIGKILL ? "failover_kill" : "failover_term";
    figures_[key + "_offers_seconds"] = offers.value_or(-1);
    figures_[key + "_agents_seconds"] = agents.value_or(-1);
    std::printf("%s: offers flow again after %.2f s; %d of %d agents re-registered after %.2f s%s\n", what.c_str(),
                offers.value_or(-1), agents_.registeredSince(), FLAGS_agents, agents.value_or(-1),
                done ? "" : " (gave up after 120 s)");
    std::fflush(stdout);
    int next = ha_->leader();
    if (next >= 0) {
      Status moved = sockets_.retarget(api_, endpointOf(static_cast<size_t>(next)));
      if (!moved.ok()) std::fprintf(stderr, "%s\n", moved.error().c_str());
    }
  }

  // Silences `n` agents; measures until the master counts them unreachable.
  void loseAgents(int n) {
    nlohmann::json before = askMaster("/api/v1/metrics");
    int already = before.is_object() ? before["agents"].value("unreachable", 0) : 0;
    auto start = SteadyClock::now();
    agents_.silence(n);
    std::optional<double> lost;
    auto lastAsked = start;
    serve(120, [&] {
      if (SteadyClock::now() - lastAsked < std::chrono::milliseconds(100)) return false;
      lastAsked = SteadyClock::now();
      nlohmann::json m = askMaster("/api/v1/metrics");
      if (m.is_object() && m["agents"].value("unreachable", 0) >= already + n) lost = secondsSince(start);
      return lost.has_value();
    });
    figures_["agent_lost_seconds"] = lost.value_or(-1);
    std::printf("%d agents fell silent: the master reported them lost after %.2f s\n", n, lost.value_or(-1));
    std::fflush(stdout);
  }

  std::string endpointOf(size_t master) const { return masters_.at(master); }

  // GET `path` of the master's API over the wire, or null if it does not answer.
  nlohmann::json askMaster(const std::string& path) {
    apiResponse_.reset();
    OutboundEnvelope out;
    auto request = out.get().initApiRequest();
    request.setRequestId(1);
    request.setMethod("GET");
    request.setPath(path);
    sockets_.send(api_, out);
    if (!serve(30, [&] { return apiResponse_.has_value(); })) return nullptr;
    return nlohmann::json::parse(*apiResponse_, nullptr, false);
  }

  void report() {
    const auto& f = frameworks_.stats();
    const auto& a = agents_.stats();
    if (auto u = master_.usage()) {
      peakRss_ = std::max(peakRss_, u->second);
      figures_["master_rss_mib"] = static_cast<double>(u->second) / (1 << 20);
      figures_["master_peak_rss_mib"] = static_cast<double>(peakRss_) / (1 << 20);
    }
    // The master's own count, to check the simulator's against.
    nlohmann::json metrics = askMaster("/api/v1/metrics");
    if (metrics.is_object()) {
      figures_["master_agents_active"] = metrics["agents"].value("active", 0);
      figures_["master_tasks_running"] = metrics["tasks"].value("TASK_RUNNING", 0);
      figures_["master_messages_not_sent"] = metrics["counters"].value("messages_not_sent", 0);
      // Under --curve: every simulated connection went through the master's allow-list.
      figures_["master_curve_admitted"] = metrics["counters"].value("auth_curve_admitted", 0);
      std::printf("the master counts %d active agents and %d running tasks; it could not send %d messages\n",
                  figures_["master_agents_active"].get<int>(), figures_["master_tasks_running"].get<int>(),
                  figures_["master_messages_not_sent"].get<int>());
    }
    figures_["tasks_launched"] = f.tasksLaunched;
    figures_["tasks_finished"] = f.tasksFinished;
    figures_["tasks_failed"] = f.tasksFailed;
    figures_["offers_received"] = f.offersReceived;
    figures_["accepts"] = f.accepts;
    figures_["agent_acknowledgements"] = a.acknowledgements;
    figures_["errors"] = f.errors + a.errors;
    figures_["connections_lost"] = sockets_.connectionsLost();
    figures_["malformed_messages"] = sockets_.malformed();
    std::printf("launching: %lu tasks reached TASK_RUNNING in %.1f s: %.0f tasks/s (slowest second %.0f); "
                "accept -> TASK_RUNNING p50 %.1f ms, p99 %.1f ms\n",
                static_cast<unsigned long>(f.tasksRunning), figures_["launch_window_seconds"].get<double>(),
                figures_["tasks_per_second"].get<double>(), figures_["tasks_per_second_min"].get<double>(),
                figures_["launch_p50_ms"].get<double>(), figures_["launch_p99_ms"].get<double>());
    std::printf("tasks: %lu launched in %lu accepts, %lu finished, %lu failed; %lu offers; %lu errors, "
                "%lu connections lost\n",
                static_cast<unsigned long>(f.tasksLaunched), static_cast<unsigned long>(f.accepts),
                static_cast<unsigned long>(f.tasksFinished), static_cast<unsigned long>(f.tasksFailed),
                static_cast<unsigned long>(f.offersReceived), static_cast<unsigned long>(f.errors + a.errors),
                static_cast<unsigned long>(sockets_.connectionsLost()));
    if (figures_.contains("master_rss_mib"))
      std::printf("master: %.2f cores while launching, RSS %.0f MiB now (peak seen %.0f MiB, %+.0f MiB over the "
                  "launch window) with %d agents\n",
                  figures_.value("master_cpu_cores", 0.0), figures_["master_rss_mib"].get<double>(),
                  figures_["master_peak_rss_mib"].get<double>(), figures_.value("master_rss_growth_mib", 0.0),
                  FLAGS_agents);
    if (!FLAGS_json_out.empty()) std::ofstream(FLAGS_json_out) << figures_.dump(2) << "\n";
  }

  DealerSet sockets_;
  std::string endpoint_;
  size_t api_ = 0;
  std::optional<std::string> apiResponse_;
  MasterUnderTest& master_;
  HaMasters* ha_;
  std::vector<std::string> masters_;
  AgentFleet agents_;
  FrameworkFleet frameworks_;
  nlohmann::json figures_ = nlohmann::json::object();
  uint64_t peakRss_ = 0;
};

Status validateFlags() {
  if (FLAGS_agents < 1 || FLAGS_frameworks < 1) return Error("--agents and --frameworks must be at least 1");
  for (const std::string& r : {FLAGS_agent_resources, FLAGS_task_resources}) {
    auto parsed = Resources::parse(r);
    if (parsed.isError()) return Error("'" + r + "': " + parsed.error());
  }
  if (FLAGS_tasks_per_offer < 1 || FLAGS_max_in_flight < 1)
    return Error("--tasks_per_offer and --max_in_flight must be at least 1");
  if (FLAGS_curve && !FLAGS_master.empty())
    return Error("--curve gives the master it starts keys of its own: it cannot be used with --master");
  return Status::OK();
}

// A key pair for the master and an allow-list that admits the simulator's one key (principal
// "sim"), written to `dir`; the flags that give them to the master.
Try<CurveClient> setUpCurve(const std::string& dir, std::vector<std::string>& masterFlags) {
  KeyPair master = newKeyPair(), sim = newKeyPair();
  if (Status written = writeKeyPair(master, dir + "/master"); !written.ok()) return Error(written.error());
  std::ofstream allowList(dir + "/allow-list");
  allowList << "sim " << sim.publicKey << "\n";
  allowList.close();
  if (!allowList) return Error("cannot write " + dir + "/allow-list");
  masterFlags.push_back("--curve_key=" + dir + "/master.key");
  masterFlags.push_back("--allow_list=" + dir + "/allow-list");
  return CurveClient{sim, master.publicKey};
}

}  // namespace
}  // namespace agora::sim

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora_sim [--agents=10000] [--frameworks=1] [--duration=60] [--task_seconds=1]\n"
                          "Simulated agents and frameworks against a real master; prints scale figures.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  std::signal(SIGPIPE, SIG_IGN);
  using namespace agora::sim;
  if (agora::Status valid = validateFlags(); !valid.ok()) {
    std::fprintf(stderr, "%s\n", valid.error().c_str());
    return 2;
  }
  // Each simulated peer holds one TCP connection.
  uint64_t needed = static_cast<uint64_t>(FLAGS_agents + FLAGS_frameworks) + 1024;
  uint64_t limit = agora::raiseOpenFileLimit(needed);
  if (limit < needed) {
    std::fprintf(stderr, "%d agents need %lu open files but the limit is %lu: raise it (ulimit -n) or run as root\n",
                 FLAGS_agents, static_cast<unsigned long>(needed), static_cast<unsigned long>(limit));
    return 2;
  }
  std::vector<std::string> masterFlags = split(FLAGS_master_flags, ' ');
  agora::testing::TempDir keys("agora-sim-keys");
  std::optional<agora::CurveClient> curve;
  if (FLAGS_curve) {
    auto setUp = setUpCurve(keys.path(), masterFlags);
    if (setUp.isError()) {
      std::fprintf(stderr, "%s\n", setUp.error().c_str());
      return 1;
    }
    curve = *setUp;
  }
  if (FLAGS_ha_masters > 0) {
    HaMasters ha(FLAGS_ha_masters, FLAGS_etcd_port, masterFlags);
    auto endpoints = ha.start();
    if (endpoints.isError()) {
      std::fprintf(stderr, "%s\n", endpoints.error().c_str());
      return 1;
    }
    int leader = ha.leader();
    std::printf("%d masters on etcd at 127.0.0.1:%d; master %d leads\n", FLAGS_ha_masters, FLAGS_etcd_port, leader);
    std::fflush(stdout);
    return Simulation((*endpoints)[static_cast<size_t>(leader)], ha.master(static_cast<size_t>(leader)), curve, &ha,
                      *endpoints)
        .run();
  }
  MasterUnderTest master(FLAGS_master, FLAGS_master_cpu, masterFlags);
  auto endpoint = master.start();
  if (endpoint.isError()) {
    std::fprintf(stderr, "%s\n", endpoint.error().c_str());
    return 1;
  }
  if (FLAGS_master.empty()) {
    pinAwayFrom(FLAGS_master_cpu);
    std::printf("master: pid %d at %s, pinned to CPU %d, %s, log %s\n", master.pid(), endpoint->c_str(),
                FLAGS_master_cpu, curve ? "CURVE on every connection" : "no CURVE", master.log().c_str());
    std::fflush(stdout);
  }
  int rc = Simulation(*endpoint, master, curve).run();
  if (rc != 0 && !master.log().empty()) {
    master.keep();
    std::fprintf(stderr, "the master's log: %s\n", master.log().c_str());
  }
  return rc;
}
