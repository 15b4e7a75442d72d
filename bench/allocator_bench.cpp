// The allocator alone, on the shapes of Mesos's allocator benchmarks: agents x frameworks
// sweeps, one role or ten, with or without decline filters on half the agents. Figures:
//   BM_FullCycle        one allocation cycle over every agent, all resources free
//   BM_IncrementalCycle the cycle after one agent's resources change (kChanged)
// Run: ./build/bench/agora_bench_allocator [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "master/allocator/hierarchical_allocator.hpp"

namespace agora {
namespace {

struct Cluster {
  ManualClock clock;
  std::unique_ptr<HierarchicalAllocator> allocator = std::make_unique<HierarchicalAllocator>(clock);
  Resources agentTotal = *Resources::parse("cpus:16;mem:65536;disk:100000;ports:[31000-32000]");
  std::vector<std::string> agents, frameworks;

  Cluster(int64_t agentCount, int64_t frameworkCount, int64_t roleCount, bool declines) {
    for (int64_t f = 0; f < frameworkCount; ++f) {
      frameworks.push_back("framework-" + std::to_string(f));
      allocator->addFramework(frameworks.back(), {"role-" + std::to_string(f % roleCount)}, true);
    }
    for (int64_t a = 0; a < agentCount; ++a) {
      agents.push_back("agent-" + std::to_string(a));
      allocator->addAgent(agents.back(), agentTotal, {});
    }
    // Every framework has declined half the agents for an hour.
    if (declines)
      for (const auto& f : frameworks)
        for (size_t a = 0; a < agents.size(); a += 2)
          allocator->recoverResources(f, agents[a], agentTotal, seconds(3600));
  }
};

void returnAll(HierarchicalAllocator& allocator, const std::vector<Allocation>& out) {
  for (const auto& a : out) allocator.recoverResources(a.frameworkId, a.agentId, a.resources, std::nullopt);
}

// Each iteration: everything back, then one cycle, timed alone. Reports the mean (Time),
// and the p99 and maximum of the single cycles as counters (in ms).
void BM_FullCycle(benchmark::State& state) {
  Cluster c(state.range(0), state.range(1), state.range(2), state.range(3) != 0);
  std::vector<Allocation> out;
  std::vector<double> ms;
  size_t offers = 0;
  for (auto _ : state) {
    returnAll(*c.allocator, out);
    auto start = std::chrono::steady_clock::now();
    out = c.allocator->allocate(Allocator::Scope::kAll);
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(took);
    ms.push_back(took * 1000);
    offers = out.size();
  }
  std::sort(ms.begin(), ms.end());
  state.counters["offers"] = static_cast<double>(offers);
  state.counters["p99_ms"] = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  state.counters["max_ms"] = ms.back();
}

void BM_IncrementalCycle(benchmark::State& state) {
  Cluster c(state.range(0), state.range(1), state.range(2), state.range(3) != 0);
  auto first = c.allocator->allocate(Allocator::Scope::kAll);
  Allocation one = first.at(first.size() / 2);
  for (auto _ : state) {
    c.allocator->recoverResources(one.frameworkId, one.agentId, one.resources, std::nullopt);
    auto out = c.allocator->allocate(Allocator::Scope::kChanged);
    if (out.size() != 1) state.SkipWithError("the changed agent was not offered again");
    one = out.front();
  }
}

void shapes(benchmark::internal::Benchmark* b) {
  for (int64_t agents : {1000, 10000, 40000})
    for (int64_t frameworks : {1, 100, 1000})
      for (int64_t roles : {1, 10})
        for (int64_t declines : {0, 1}) {
          if (roles > frameworks) continue;
          b->Args({agents, frameworks, roles, declines});
        }
  b->ArgNames({"agents", "frameworks", "roles", "declines"});
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_FullCycle)->Apply(shapes)->UseManualTime()->Iterations(20);
BENCHMARK(BM_IncrementalCycle)->Apply(shapes);

}  // namespace
}  // namespace agora

BENCHMARK_MAIN();
