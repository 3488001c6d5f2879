// Costs of the core's hot operations: clock compare and merge, reconcile of typical sibling sets,
// a coordinator making a version, and preference-list lookup (Q=1024, 64 nodes).
// Run: build/default/bench/core_bench (figures in bench/README.md).
#include <benchmark/benchmark.h>

#include <set>
#include <string>
#include <vector>

#include "impl/core/ring.h"
#include "impl/core/version.h"

namespace dynamo {
namespace {

// A clock as the paper's typical key has: a handful of coordinators.
VectorClock clock_of(int actors, std::uint64_t base) {
  std::vector<ClockEntry> entries;
  for (int i = 0; i < actors; ++i) entries.push_back({"node-" + std::to_string(i) + "#1", base + static_cast<std::uint64_t>(i), 1000 + static_cast<std::uint64_t>(i)});
  return VectorClock::from_entries(entries);
}

void BM_ClockCompare(benchmark::State& state) {
  const VectorClock a = clock_of(static_cast<int>(state.range(0)), 5);
  VectorClock b = a;
  b.advance("node-0#1", 9, 2000);
  for (auto _ : state) benchmark::DoNotOptimize(compare(a, b));
}
BENCHMARK(BM_ClockCompare)->Arg(3)->Arg(10);

void BM_ClockMerge(benchmark::State& state) {
  const VectorClock a = clock_of(static_cast<int>(state.range(0)), 5);
  const VectorClock b = clock_of(static_cast<int>(state.range(0)), 7);
  for (auto _ : state) benchmark::DoNotOptimize(merge(a, b));
}
BENCHMARK(BM_ClockMerge)->Arg(3)->Arg(10);

// `siblings` concurrent versions of one key (each written by a different coordinator after
// reading a common ancestor), plus their ancestor: reconcile must drop the ancestor.
std::vector<Version> sibling_set(int siblings) {
  KeyState base = make_version(KeyState{}, "node-0#1", {}, std::string(100, 'a'), 1).state;
  const CausalContext read = read_context(base.siblings);
  std::vector<Version> versions = base.siblings;
  for (int i = 0; i < siblings; ++i) {
    versions.push_back(make_version(base, "node-" + std::to_string(i + 1) + "#1", read, std::string(100, 'b'), 2).version);
  }
  return versions;
}

void BM_Reconcile(benchmark::State& state) {
  const std::vector<Version> versions = sibling_set(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(reconcile(versions));
  state.SetLabel(std::to_string(versions.size()) + " versions in");
}
BENCHMARK(BM_Reconcile)->Arg(1)->Arg(2)->Arg(3)->Arg(8);

void BM_MakeVersion(benchmark::State& state) {
  KeyState local;
  local.siblings = reconcile(sibling_set(static_cast<int>(state.range(0))));
  const CausalContext read = read_context(local.siblings);
  for (auto _ : state) benchmark::DoNotOptimize(make_version(local, "node-0#1", read, std::string(100, 'c'), 3));
}
BENCHMARK(BM_MakeVersion)->Arg(1)->Arg(3);

Ring bench_ring(std::uint32_t q, int nodes) {
  std::vector<Member> members;
  for (int i = 0; i < nodes; ++i) members.push_back({"node-" + std::to_string(i), "dc-" + std::to_string(i % 2), 1});
  return Ring::build(members, q).value();
}

void BM_PreferenceList(benchmark::State& state) {
  const Ring ring = bench_ring(1024, 64);
  std::uint64_t i = 0;
  for (auto _ : state) {
    const std::string key = "cart:" + std::to_string(i++ & 1023);
    benchmark::DoNotOptimize(ring.preference_list(ring.partition_of_key(key), 3));
  }
}
BENCHMARK(BM_PreferenceList);

void BM_SloppyPreferenceList(benchmark::State& state) {
  const Ring ring = bench_ring(1024, 64);
  const std::set<std::string> down{"node-3", "node-17", "node-40"};
  std::uint64_t i = 0;
  for (auto _ : state) {
    const std::string key = "cart:" + std::to_string(i++ & 1023);
    benchmark::DoNotOptimize(ring.sloppy_preference_list(ring.partition_of_key(key), 3, down));
  }
}
BENCHMARK(BM_SloppyPreferenceList);

void BM_RingBuild(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(bench_ring(1024, 64));
}
BENCHMARK(BM_RingBuild)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dynamo

BENCHMARK_MAIN();
