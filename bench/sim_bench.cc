// Simulator throughput: client operations per second of wall time on one core, through the whole
// engine (node cores, memory storage, simulated network, clients, history and the final check).
//
// Workload (the paper's common case, §6: most reads return one version): each client alternates a
// get and a read-modify-write put of a random key, so siblings stay few; BM_SimulatorWithFaults adds
// 2% message loss and duplication. Each iteration is one whole run (two phases, final reads and the
// history check included). Counter ops_per_s: client operations per second.
#include <benchmark/benchmark.h>

#include "impl/sim/simulation.h"

namespace {

dynamo::sim::Schedule read_modify_write(std::uint32_t clients, std::uint32_t keys, std::uint32_t rounds,
                                        bool faults) {
  dynamo::sim::Schedule s;
  s.seed = 42;
  s.nodes = 5;
  s.clients = clients;
  s.keys = keys;
  s.max_delay = 1;
  if (faults) {
    s.loss_per_mille = 20;
    s.duplicate_per_mille = 20;
  }
  std::uint64_t x = 88172645463325252ULL;  // xorshift: keys without a dependency on <random>
  auto next_key = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<std::uint32_t>(x % keys);
  };
  // An operation takes 4 ticks without faults (client, coordinator, replicas, back): one every 5.
  for (std::uint32_t round = 0; round < rounds; ++round)
    for (std::uint32_t c = 0; c < clients; ++c) {
      const std::uint32_t key = next_key();
      s.steps.push_back({round * 10, dynamo::sim::StepKind::kGet, c, key});
      s.steps.push_back({round * 10 + 5, dynamo::sim::StepKind::kPut, c, key});
    }
  s.safety_ticks = rounds * 10 + 10;
  return s;
}

void run(benchmark::State& state, bool faults) {
  const auto schedule = read_modify_write(static_cast<std::uint32_t>(state.range(0)), 1000, 200, faults);
  std::uint64_t operations = 0;
  for (auto _ : state) {
    auto result = dynamo::sim::simulate(schedule);
    if (!result.ok) state.SkipWithError(result.failure.c_str());
    operations += result.counts.operations;
  }
  state.counters["ops_per_s"] = benchmark::Counter(static_cast<double>(operations), benchmark::Counter::kIsRate);
}

void BM_Simulator(benchmark::State& state) { run(state, false); }
void BM_SimulatorWithFaults(benchmark::State& state) { run(state, true); }

BENCHMARK(BM_Simulator)->Arg(10)->Arg(50)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimulatorWithFaults)->Arg(10)->Arg(50)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
