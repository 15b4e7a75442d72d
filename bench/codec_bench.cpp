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
