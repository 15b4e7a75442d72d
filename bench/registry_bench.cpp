// Registry writes on the real RocksDB store in a temporary directory (on this machine's
// disk): 10,000 agents re-registering at once (after a master failover), written one
// synced write each as the master used to on its loop, against the batched writer thread.
//
//   agora_bench_registry [--agents=10000] [--dir=/var/tmp]
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <unistd.h>

#include <gflags/gflags.h>

#include "master/registry.hpp"

DEFINE_int32(agents, 10000, "Agent registrations to write.");
DEFINE_string(dir, "/var/tmp", "Where the temporary stores go (the disk under test).");

namespace agora {
namespace {

using SteadyClock = std::chrono::steady_clock;

AgentInfo agentInfo(int i) {
  AgentInfo a;
  a.id = "agent-" + std::to_string(i);
  a.hostname = "host-" + std::to_string(i);
  a.resources = *Resources::parse("cpus:16;mem:65536;disk:1000000;ports:[31000-32000]");
  return a;
}

// Seconds to write every registration; `waitEach`: each one waited for before the next, as
// the master's loop used to do.
double writeRegistrations(bool waitEach, RegistryCounters& counters) {
  std::string dir = FLAGS_dir + "/agora-registry-bench-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  RealClock clock;
  EventLoop loop(clock);
  auto store = openRocksDbStore(dir);
  if (store.isError()) return -1;
  double s = 0;
  {
    Registry registry(loop, std::move(*store));
    auto start = SteadyClock::now();
    int answered = 0;
    for (int i = 0; i < FLAGS_agents; ++i) {
      registry.putAgent(agentInfo(i), [&](const Status&) { ++answered; });
      while (waitEach && answered <= i) loop.runOnce(std::chrono::milliseconds(1));
    }
    while (answered < FLAGS_agents) loop.runOnce(std::chrono::milliseconds(1));
    s = std::chrono::duration<double>(SteadyClock::now() - start).count();
    counters = registry.counters();
  }
  std::filesystem::remove_all(dir);
  return s;
}

}  // namespace
}  // namespace agora

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora_bench_registry [--agents=10000] [--dir=/var/tmp]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  agora::RegistryCounters c;
  double serial = agora::writeRegistrations(true, c);
  double batch = agora::writeRegistrations(false, c);
  std::printf("registry, %d agent registrations, one synced write each (the loop waiting): %.2f s (%.0f/s)\n",
              FLAGS_agents, serial, FLAGS_agents / serial);
  std::printf("registry, %d agent registrations, batched off the loop: %.3f s (%.0f/s) in %llu batches, "
              "largest %llu\n",
              FLAGS_agents, batch, FLAGS_agents / batch, static_cast<unsigned long long>(c.batches),
              static_cast<unsigned long long>(c.largestBatch));
  return 0;
}
