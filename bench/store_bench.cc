// store_bench.cc: what a durable write costs on RocksDB, and what group commit buys back.
//   BM_DurableEachWrite  one fsync per write (WriteOptions::sync)
//   BM_GroupCommit/64    64 buffered writes, then one sync() (the node's group commit)
//   BM_Buffered          no sync at all (the paper's write buffer, Fig. 5)
// Each iteration is one merge of a fresh 100-byte version into its own key, in a temp directory.
// Figures are writes per second (items_per_second).
//
// BM_Put/{durable,buffered,group64} and BM_Get: the node's replica path on a steady key set. A
// store of kKeys keys, each holding one 1 KiB version, is written once per process; each put
// merges a new 1 KiB version (superseding the key's last one, so the key keeps one sibling) into a
// key drawn uniformly from that set, and each get reads one. Besides the mean, every call is timed
// with steady_clock and the p50/p99/p99.9 latencies (µs) are published as counters.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "impl/core/check.h"
#include "impl/store/rocksdb_store.h"

namespace dynamo::store {
namespace {

class TempStore {
 public:
  explicit TempStore(const std::string& name = "dynamo_store_bench_") {
    dir_ = std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    auto opened = RocksDbStore::open(RocksDbOptions{dir_.string(), nullptr});
    DYNAMO_CHECK(opened.ok());
    store_ = std::move(opened).value();
  }
  ~TempStore() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  RocksDbStore& get() { return *store_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<RocksDbStore> store_;
};

Version version_for(std::uint64_t i) {
  return make_version(KeyState{}, "bench#1", CausalContext{}, std::string(100, 'v'), i).version;
}

void run(benchmark::State& state, Durability durability, std::int64_t group) {
  TempStore store;
  std::uint64_t i = 0;
  for (auto _ : state) {
    auto r = store.get().merge("key/" + std::to_string(i), {version_for(i + 1)}, durability);
    DYNAMO_CHECK(r.ok());
    ++i;
    if (group > 0 && i % static_cast<std::uint64_t>(group) == 0) DYNAMO_CHECK(store.get().sync().ok());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
}

void BM_DurableEachWrite(benchmark::State& state) { run(state, Durability::kDurable, 0); }
void BM_GroupCommit(benchmark::State& state) { run(state, Durability::kBuffered, state.range(0)); }
void BM_Buffered(benchmark::State& state) { run(state, Durability::kBuffered, 0); }

BENCHMARK(BM_DurableEachWrite)->UseRealTime();
BENCHMARK(BM_GroupCommit)->Arg(64)->UseRealTime();
BENCHMARK(BM_Buffered)->UseRealTime();

constexpr std::size_t kKeys = 16384;
constexpr std::size_t kValueBytes = 1024;

// The steady key set: every key holds one version; `last[i]` is the dot of key i's version.
class KeySet {
 public:
  KeySet() : store_("dynamo_store_bench_keys_") {
    std::mt19937_64 rng(7);
    pool_.resize(64 * 1024);  // random bytes (so compression sees realistic values), sliced per write
    for (char& c : pool_) c = static_cast<char>('!' + rng() % 94);
    keys_.reserve(kKeys);
    last_.resize(kKeys);
    for (std::size_t i = 0; i < kKeys; ++i) {
      keys_.push_back("cart:" + std::to_string(1000000 + i));
      DYNAMO_CHECK(store_.get().merge(keys_[i], {next_version(i)}, Durability::kBuffered).ok());
    }
    DYNAMO_CHECK(store_.get().sync().ok());
  }
  RocksDbStore& store() { return store_.get(); }
  const std::string& key(std::size_t i) const { return keys_[i]; }
  // A new version of key i that supersedes its current one.
  Version next_version(std::size_t i) {
    ++counter_;
    CausalContext context;
    if (last_[i].counter != 0) context.add(last_[i]);
    Version v{Dot{"bench#1", counter_, counter_}, std::move(context),
              pool_.substr((counter_ * 977) % (pool_.size() - kValueBytes), kValueBytes)};
    last_[i] = v.dot;
    return v;
  }

 private:
  TempStore store_;
  std::string pool_;
  std::vector<std::string> keys_;
  std::vector<Dot> last_;
  std::uint64_t counter_ = 0;
};

KeySet& key_set() {
  static KeySet set;  // built once per process; its directory is removed at exit
  return set;
}

// Publishes p50/p99/p99.9 (µs) of the per-call latencies.
void publish_percentiles(benchmark::State& state, std::vector<double>& ns) {
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  auto at = [&](double p) {
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(ns.size())));
    return ns[std::min(ns.size(), std::max<std::size_t>(rank, 1)) - 1] / 1000.0;
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  state.counters["p999_us"] = at(0.999);
  state.counters["max_us"] = ns.back() / 1000.0;
  state.counters["samples"] = static_cast<double>(ns.size());
}

using Clock = std::chrono::steady_clock;

double elapsed_ns(Clock::time_point from, Clock::time_point to) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count());
}

// One put = one merge of a new 1 KiB version into a random key; with `group` > 0, every group-th
// put also calls sync() and that put's latency includes it.
void BM_Put(benchmark::State& state, Durability durability, std::uint64_t group) {
  KeySet& set = key_set();
  DYNAMO_CHECK(set.store().sync().ok());  // earlier benchmarks' buffered writes are not ours to sync
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::size_t> pick(0, kKeys - 1);
  std::vector<double> ns;
  ns.reserve(static_cast<std::size_t>(state.max_iterations));
  std::uint64_t n = 0;
  for (auto _ : state) {
    const std::size_t i = pick(rng);
    const std::vector<Version> incoming{set.next_version(i)};
    const auto start = Clock::now();
    auto r = set.store().merge(set.key(i), incoming, durability);
    if (group > 0 && ++n % group == 0) DYNAMO_CHECK(set.store().sync().ok());
    const auto end = Clock::now();
    DYNAMO_CHECK(r.ok() && r.value().siblings.size() == 1);
    ns.push_back(elapsed_ns(start, end));
  }
  state.SetItemsProcessed(state.iterations());
  publish_percentiles(state, ns);
}
BENCHMARK_CAPTURE(BM_Put, durable, Durability::kDurable, 0)->UseRealTime();
BENCHMARK_CAPTURE(BM_Put, buffered, Durability::kBuffered, 0)->UseRealTime();
BENCHMARK_CAPTURE(BM_Put, group64, Durability::kBuffered, 64)->UseRealTime();

// One get = one read (and decode) of a random key.
void BM_Get(benchmark::State& state) {
  KeySet& set = key_set();
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<std::size_t> pick(0, kKeys - 1);
  std::vector<double> ns;
  ns.reserve(static_cast<std::size_t>(state.max_iterations));
  for (auto _ : state) {
    const std::size_t i = pick(rng);
    const auto start = Clock::now();
    auto r = set.store().read(set.key(i));
    const auto end = Clock::now();
    DYNAMO_CHECK(r.ok() && r.value().siblings.size() == 1);
    ns.push_back(elapsed_ns(start, end));
  }
  state.SetItemsProcessed(state.iterations());
  publish_percentiles(state, ns);
}
BENCHMARK(BM_Get)->UseRealTime();

}  // namespace
}  // namespace dynamo::store

BENCHMARK_MAIN();
