// state_cache_test.cc: the state cache keeps what it was given, forgets the least recently used
// first, and stays within its budget; RocksDbStore reads through it without changing what a read
// returns (the engine contract itself is storage_test.cc, run with the cache on).
#include "impl/store/state_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "impl/store/rocksdb_store.h"

namespace dynamo::store {
namespace {

KeyState state_with(const std::string& value, std::uint64_t counter = 1) {
  return make_version(KeyState{}, "n1#1", CausalContext{}, value, counter).state;
}

TEST(StateCache, ReturnsWhatWasPutAndCountsHitsAndMisses) {
  StateCache cache(1 << 20);
  EXPECT_FALSE(cache.get("a").has_value());
  cache.put("a", state_with("one"));
  auto got = cache.get("a");
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->siblings.size(), 1u);
  EXPECT_EQ(got->siblings[0].value, "one");
  cache.put("a", state_with("two"));  // replaced, not added
  EXPECT_EQ(cache.get("a")->siblings[0].value, "two");
  EXPECT_EQ(cache.entries(), 1u);
  cache.erase("a");
  EXPECT_FALSE(cache.get("a").has_value());
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(StateCache, EvictsTheLeastRecentlyUsedWithinTheBudget) {
  const KeyState state = state_with(std::string(1000, 'x'));
  const std::size_t one = approximate_bytes("k0", state);
  StateCache cache(3 * one + one / 2);  // room for three
  cache.put("k0", state);
  cache.put("k1", state);
  cache.put("k2", state);
  ASSERT_TRUE(cache.get("k0").has_value());  // k0 is now the most recently used; k1 the least
  cache.put("k3", state);
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_LE(cache.bytes(), 3 * one + one / 2);
  EXPECT_FALSE(cache.get("k1").has_value());
  EXPECT_TRUE(cache.get("k0").has_value());
  EXPECT_TRUE(cache.get("k2").has_value());
  EXPECT_TRUE(cache.get("k3").has_value());
}

// A key written again reuses its entry (the write path's common case): it becomes the most recently
// used, and the byte count follows its new size.
TEST(StateCache, APutOfACachedKeyRefreshesItsPlaceAndSize) {
  const KeyState small = state_with(std::string(100, 'x'));
  const KeyState large = state_with(std::string(1000, 'y'));
  const std::size_t big = approximate_bytes("k0", large);
  StateCache cache(4 * big);
  cache.put("k0", small);
  cache.put("k1", large);
  cache.put("k2", large);
  cache.put("k0", large);  // k0 is now the most recently used; k1 the least
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_EQ(cache.bytes(), 3 * big);
  cache.put("k3", large);
  cache.put("k4", large);  // five large states in a budget of four: one goes
  EXPECT_EQ(cache.entries(), 4u);
  EXPECT_FALSE(cache.get("k1").has_value());
  EXPECT_EQ(cache.get("k0")->siblings[0].value, std::string(1000, 'y'));
  cache.put("k0", state_with(std::string(8 * big, 'z')));  // too large to keep: the old entry goes too
  EXPECT_FALSE(cache.get("k0").has_value());
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_EQ(cache.bytes(), 3 * big);
}

TEST(StateCache, AStateLargerThanTheBudgetIsNotKept) {
  StateCache cache(100);
  cache.put("big", state_with(std::string(1000, 'x')));
  EXPECT_EQ(cache.entries(), 0u);
  StateCache none(0);
  none.put("a", state_with("v"));
  EXPECT_FALSE(none.get("a").has_value());
}

TEST(StateCache, SizeGrowsWithTheValueAndTheSiblings) {
  EXPECT_GT(approximate_bytes("k", state_with(std::string(2000, 'x'))),
            approximate_bytes("k", state_with(std::string(1000, 'x'))) + 900);
  KeyState two = state_with("a");
  two.siblings.push_back(make_version(KeyState{}, "n2#1", CausalContext{}, "b", 1).version);
  EXPECT_GT(approximate_bytes("k", two), approximate_bytes("k", state_with("a")));
}

class RocksDbCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("dynamo_cache_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    auto opened = RocksDbStore::open(RocksDbOptions{dir.string(), nullptr});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store = std::move(opened).value();
  }
  void TearDown() override {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  std::unique_ptr<RocksDbStore> store;
};

TEST_F(RocksDbCache, ReadsAfterAWriteComeFromTheCacheAndMatchTheDatabase) {
  Version v = make_version(KeyState{}, "n1#1", CausalContext{}, "value", 1).version;
  ASSERT_TRUE(store->merge("k", {v}, Durability::kBuffered).ok());
  const auto misses = store->cache_misses();
  auto cached = store->read("k");
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(store->cache_misses(), misses);  // the write filled it
  EXPECT_GE(store->cache_hits(), 1u);
  // What the cache answered is what the database holds (a fresh store has an empty cache).
  store.reset();
  auto opened = RocksDbStore::open(RocksDbOptions{dir.string(), nullptr});
  ASSERT_TRUE(opened.ok());
  store = std::move(opened).value();
  auto stored = store->read("k");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored.value().siblings.size(), cached.value().siblings.size());
  EXPECT_EQ(stored.value().siblings[0].value, cached.value().siblings[0].value);
  EXPECT_EQ(stored.value().issued, cached.value().issued);
  EXPECT_EQ(store->cache_misses(), 1u);
}

TEST_F(RocksDbCache, ACorruptRecordIsReportedEvenAfterTheKeyWasCached) {
  Version v = make_version(KeyState{}, "n1#1", CausalContext{}, "value", 1).version;
  ASSERT_TRUE(store->merge("k", {v}, Durability::kBuffered).ok());
  ASSERT_TRUE(store->read("k").ok());
  ASSERT_TRUE(store->put_raw_for_test("k", "not a record").ok());
  EXPECT_FALSE(store->read("k").ok());
}

TEST_F(RocksDbCache, AReapThatEmptiesTheKeyLeavesNothingCached) {
  Version v = make_version(KeyState{}, "n1#1", CausalContext{}, std::nullopt, 1).version;  // a tombstone
  ASSERT_TRUE(store->merge("k", {v}, Durability::kBuffered).ok());
  ASSERT_TRUE(store->reap("k", {v}, Durability::kBuffered).ok());
  auto read = store->read("k");
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read.value().siblings.empty());
}

}  // namespace
}  // namespace dynamo::store
