// store_bench.cc: what a durable write costs on RocksDB, and what group commit buys back.
//   BM_DurableEachWrite  one fsync per write (WriteOptions::sync)
//   BM_GroupCommit/64    64 buffered writes, then one sync() (the node's group commit)
//   BM_Buffered          no sync at all (the paper's write buffer, Fig. 5)
// Each iteration is one merge of a fresh 100-byte version into its own key, in a temp directory.
// Figures are writes per second (items_per_second).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <unistd.h>

#include "impl/core/check.h"
#include "impl/store/rocksdb_store.h"

namespace dynamo::store {
namespace {

class TempStore {
 public:
  TempStore() {
    dir_ = std::filesystem::temp_directory_path() / ("dynamo_store_bench_" + std::to_string(::getpid()));
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

}  // namespace
}  // namespace dynamo::store

BENCHMARK_MAIN();
