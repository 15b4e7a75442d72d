// What the wire and the resource arithmetic cost: envelope encode and decode of a status
// update and of an offer batch, and resource add/subtract/contains with ranges.
#include <benchmark/benchmark.h>

#include "common/codec.hpp"
#include "common/envelope.hpp"

namespace agora {
namespace {

std::string encodedOffers(int n) {
  OutboundEnvelope out;
  auto list = out.get().initOffers().initOffers(static_cast<unsigned>(n));
  Resources r = *Resources::parse("cpus:8;mem:32768;disk:100000;ports:[31000-32000]");
  for (int i = 0; i < n; ++i) codec::write(Offer{"offer-" + std::to_string(i), "fw", "agent", "host", r, {}}, list[i]);
  auto words = out.encode();
  return std::string(reinterpret_cast<const char*>(words.asBytes().begin()), words.asBytes().size());
}

void BM_EncodeStatusUpdate(benchmark::State& state) {
  TaskStatus s;
  s.taskId = "task-0001";
  s.frameworkId = "framework-0001";
  s.message = "command exited with status 0";
  s.uuid = "0123456789abcdef0123456789abcdef";
  for (auto _ : state) {
    OutboundEnvelope out;
    codec::write(s, out.get().initStatusUpdate().initStatus());
    benchmark::DoNotOptimize(out.encode());
  }
}
BENCHMARK(BM_EncodeStatusUpdate);

void BM_DecodeOffers(benchmark::State& state) {
  std::string bytes = encodedOffers(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto in = decodeEnvelope(bytes.data(), bytes.size());
    for (auto o : (*in)->get().getOffers().getOffers()) benchmark::DoNotOptimize(codec::read(o));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DecodeOffers)->Arg(1)->Arg(100);

// A resource list of n distinct scalars, as a hostile RegisterAgent would carry it.
std::vector<Resource> distinctScalars(int64_t n) {
  std::vector<Resource> list;
  for (int64_t i = 0; i < n; ++i) list.push_back(Resource::scalar("r" + std::to_string(i), 1));
  return list;
}

// How the codec decoded a resource list before: add() in a loop, O(n^2).
void BM_ResourceListByAdd(benchmark::State& state) {
  std::vector<Resource> list = distinctScalars(state.range(0));
  for (auto _ : state) {
    Resources out;
    for (const Resource& r : list) benchmark::DoNotOptimize(out.add(r));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ResourceListByAdd)->Arg(1024)->Arg(20000)->Unit(benchmark::kMillisecond);

// How it decodes one now: Resources::fromList, O(n log n).
void BM_ResourceListFromList(benchmark::State& state) {
  std::vector<Resource> list = distinctScalars(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(Resources::fromList(list));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ResourceListFromList)->Arg(1024)->Arg(20000)->Arg(200000)->Unit(benchmark::kMillisecond);

// The 14 MB RegisterAgent of 200,000 resources, end to end: decoded, checked, and refused
// by the list cap.
void BM_DecodeHugeRegistration(benchmark::State& state) {
  OutboundEnvelope out;
  auto list = out.get().initRegisterAgent().initAgent().initResources(200000);
  for (unsigned i = 0; i < list.size(); ++i) {
    list[i].setName("r" + std::to_string(i));
    list[i].setScalar(1000);
  }
  auto words = out.encode();
  std::string bytes(reinterpret_cast<const char*>(words.asBytes().begin()), words.asBytes().size());
  state.counters["message_MiB"] = static_cast<double>(bytes.size()) / (1 << 20);
  for (auto _ : state) {
    auto in = decodeEnvelope(bytes.data(), bytes.size(), DecodeLimits{32 << 20, 16});
    benchmark::DoNotOptimize(codec::read((*in)->get().getRegisterAgent().getAgent()));
  }
}
BENCHMARK(BM_DecodeHugeRegistration)->Unit(benchmark::kMillisecond);

void BM_ResourcesArithmetic(benchmark::State& state) {
  Resources agent = *Resources::parse("cpus:8;mem:32768;disk:100000;ports:[31000-32000]");
  Resources task = *Resources::parse("cpus:0.5;mem:256;ports:[31500-31501]");
  for (auto _ : state) {
    Resources left = agent - task;
    benchmark::DoNotOptimize(left.contains(task));
    benchmark::DoNotOptimize(left + task);
  }
}
BENCHMARK(BM_ResourcesArithmetic);

}  // namespace
}  // namespace agora

BENCHMARK_MAIN();
