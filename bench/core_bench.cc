// Costs of the core's hot operations: clock compare and merge, reconcile of typical sibling sets
// and of growing ones (up to limits::kMaxSiblings), store_version, a coordinator making a version,
// and preference-list lookup (Q=1024, 64 nodes).
// Run: build/default/bench/core_bench (figures in bench/README.md).
#include <benchmark/benchmark.h>

#include <set>
#include <string>
#include <vector>

#include "impl/core/check.h"
#include "impl/core/limits.h"
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

// Growth with the sibling count, up to limits::kMaxSiblings. The k siblings are blind puts (each
// with the common ancestor's context) spread over the 3 coordinators of an N=3 preference list, so
// the contexts stay small (3 actors, below the truncation threshold). `superseding` is a put by a
// client that read all k: its context is their read_context.
struct SiblingKey {
  KeyState state;      // k reconciled siblings
  Version superseding; // supersedes all k
  Version concurrent;  // one more blind put: concurrent with all k
};

SiblingKey sibling_key(int k) {
  KeyState state = make_version(KeyState{}, "node-0#1", {}, std::string(100, 'a'), 1).state;
  const CausalContext ancestor = read_context(state.siblings);
  std::uint64_t now = 2;
  for (int i = 0; i < k; ++i) {
    state = make_version(state, "node-" + std::to_string(i % 3) + "#1", ancestor, std::string(100, 'b'), now++).state;
  }
  DYNAMO_CHECK(state.siblings.size() == static_cast<std::size_t>(k));
  SiblingKey key{state, {}, {}};
  key.superseding = make_version(state, "node-0#1", read_context(state.siblings), std::string(100, 'c'), now++).version;
  key.concurrent = make_version(state, "node-1#1", ancestor, std::string(100, 'd'), now++).version;
  DYNAMO_CHECK(store_version(state, key.superseding).siblings.size() == 1);
  DYNAMO_CHECK(store_version(state, key.concurrent).siblings.size() == static_cast<std::size_t>(k) + 1);
  return key;
}

// reconcile(k siblings + the superseding version): k+1 versions in, 1 out. reconcile checks every
// pair (the candidate loop runs (k+1)^2 times); "pairs" is that count.
void BM_ReconcileSupersede(benchmark::State& state) {
  const SiblingKey key = sibling_key(static_cast<int>(state.range(0)));
  std::vector<Version> versions = key.state.siblings;
  versions.push_back(key.superseding);
  for (auto _ : state) benchmark::DoNotOptimize(reconcile(versions));  // includes copying the input
  state.counters["pairs"] = static_cast<double>(versions.size() * versions.size());
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_ReconcileSupersede)->RangeMultiplier(2)->Range(1, static_cast<int>(limits::kMaxSiblings))->Complexity();

// The O(k) part of the two benchmarks around it: copying the k+1 versions (reconcile and
// store_version take their input by value).
void BM_CopyVersions(benchmark::State& state) {
  const SiblingKey key = sibling_key(static_cast<int>(state.range(0)));
  std::vector<Version> versions = key.state.siblings;
  versions.push_back(key.superseding);
  for (auto _ : state) {
    std::vector<Version> copy = versions;
    benchmark::DoNotOptimize(copy.data());
  }
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_CopyVersions)->RangeMultiplier(2)->Range(1, static_cast<int>(limits::kMaxSiblings))->Complexity();

// store_version: a replica merges one incoming version into a key holding k siblings (the stored
// state is copied in each call, as a decoded record would be).
void BM_StoreVersionSupersede(benchmark::State& state) {
  const SiblingKey key = sibling_key(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(store_version(key.state, key.superseding));
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_StoreVersionSupersede)->RangeMultiplier(2)->Range(1, static_cast<int>(limits::kMaxSiblings))->Complexity();

// The same with a concurrent version: k+1 siblings out (at k = 64 the storage would refuse the
// result, limits::kMaxSiblings; store_version itself does not check).
void BM_StoreVersionConcurrent(benchmark::State& state) {
  const SiblingKey key = sibling_key(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(store_version(key.state, key.concurrent));
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_StoreVersionConcurrent)->RangeMultiplier(2)->Range(1, static_cast<int>(limits::kMaxSiblings))->Complexity();

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
