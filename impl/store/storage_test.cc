// storage_test.cc: one behavioural suite, run against every engine (a typed test), plus the memory
// engine's crash model. Each test names the rule of storage.h (or of the paper) it checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <unistd.h>

#include "impl/core/limits.h"
#include "impl/store/memory_store.h"
#include "impl/store/rocksdb_store.h"

namespace dynamo::store {
namespace {

struct MemoryEngine {
  std::unique_ptr<MemoryStore> store = std::make_unique<MemoryStore>();
  Storage& get() { return *store; }
  // Memory has no process to restart: a crash is power loss, which keeps what was synced.
  void crash_and_reopen() { store->crash(); }
  void put_raw(std::string_view key, std::string bytes) { store->put_raw_for_test(key, std::move(bytes)); }
};

struct RocksEngine {
  std::filesystem::path dir;
  std::unique_ptr<RocksDbStore> store;
  RocksEngine() {
    static int counter = 0;
    dir = std::filesystem::temp_directory_path() /
          ("dynamo_store_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    open();
  }
  ~RocksEngine() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  void open() {
    auto opened = RocksDbStore::open(RocksDbOptions{dir.string(), nullptr});
    DYNAMO_CHECK(opened.ok());
    store = std::move(opened).value();
  }
  Storage& get() { return *store; }
  void crash_and_reopen() {
    store.reset();
    open();
  }
  void put_raw(std::string_view key, std::string bytes) { ASSERT_TRUE(store->put_raw_for_test(key, bytes).ok()); }
};

template <class Engine>
class StorageTest : public ::testing::Test {
 protected:
  Engine engine;
  Storage& store() { return engine.get(); }
};

using Engines = ::testing::Types<MemoryEngine, RocksEngine>;
class EngineNames {
 public:
  template <class T>
  static std::string GetName(int) { return std::is_same_v<T, MemoryEngine> ? "Memory" : "RocksDb"; }
};
TYPED_TEST_SUITE(StorageTest, Engines, EngineNames);

Version write_of(std::string_view actor, std::string value, CausalContext context = {}) {
  return make_version(KeyState{}, actor, context, std::move(value), 5).version;
}

TYPED_TEST(StorageTest, AbsentKeyIsTheEmptyState) {
  auto state = this->store().read("nothing");
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state.value().siblings.empty());
  EXPECT_EQ(state.value().issued.counter, 0u);
}

// Reference: §4.4: concurrent versions are kept as siblings; a version whose writer read another
// replaces it (syntactic reconciliation).
TYPED_TEST(StorageTest, MergeKeepsSiblingsAndDropsSuperseded) {
  Version a = write_of("a#1", "x"), b = write_of("b#1", "y");
  ASSERT_TRUE(this->store().merge("k", {a}, Durability::kBuffered).ok());
  auto both = this->store().merge("k", {b}, Durability::kBuffered);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both.value().siblings.size(), 2u);
  Version c = write_of("c#1", "z", read_context(both.value().siblings));
  auto one = this->store().merge("k", {c}, Durability::kDurable);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one.value().siblings.size(), 1u);
  EXPECT_EQ(one.value().siblings[0].dot, c.dot);
  EXPECT_TRUE(same_state(this->store().read("k").value(), one.value()));
}

// storage.h invariant 2: duplicated or reordered deliveries (the network does both) change nothing.
TYPED_TEST(StorageTest, MergeIsIdempotentAndOrderFree) {
  Version a = write_of("a#1", "x"), b = write_of("b#1", "y");
  ASSERT_TRUE(this->store().merge("k1", {a, b, a}, Durability::kBuffered).ok());
  ASSERT_TRUE(this->store().merge("k1", {b}, Durability::kBuffered).ok());
  ASSERT_TRUE(this->store().merge("k2", {b, a}, Durability::kBuffered).ok());
  KeyState one = this->store().read("k1").value(), two = this->store().read("k2").value();
  EXPECT_TRUE(same_state(one, two));
  EXPECT_EQ(one.siblings.size(), 2u);
}

// A version merged between the coordinator's read and its put_state must not be overwritten.
TYPED_TEST(StorageTest, PutStateNeverOverwritesAConcurrentMerge) {
  KeyState read = this->store().read("k").value();
  MadeVersion made = make_version(read, "coord#1", CausalContext{}, std::string("mine"), 9);
  Version other = write_of("peer#1", "theirs");
  ASSERT_TRUE(this->store().merge("k", {other}, Durability::kBuffered).ok());
  auto after = this->store().put_state("k", made.state, Durability::kDurable);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after.value().siblings.size(), 2u);
  EXPECT_EQ(after.value().issued, made.state.issued);
}

// Reference: riak_kv#679: the issued record must never move back, or a dot could be issued twice.
TYPED_TEST(StorageTest, PutStateNeverLowersTheIssuedCounter) {
  KeyState s = make_version(KeyState{}, "coord#1", {}, std::string("1"), 1).state;
  KeyState s2 = make_version(s, "coord#1", {}, std::string("2"), 2).state;
  ASSERT_TRUE(this->store().put_state("k", s2, Durability::kBuffered).ok());
  auto after = this->store().put_state("k", s, Durability::kBuffered);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after.value().issued.counter, 2u);
}

// limits.h kMaxSiblings: the answer is an Error and the stored state is unchanged (invariant 5).
// Partition transfer (storage.h release): a key is dropped only when every version it holds was
// confirmed by its new owners, or is superseded by one that was; one that arrived since keeps it.
TYPED_TEST(StorageTest, ReleaseDropsOnlyWhatWasConfirmed) {
  KeyState read = this->store().read("k").value();
  MadeVersion made = make_version(read, "coord#1", CausalContext{}, std::string("mine"), 9);
  ASSERT_TRUE(this->store().put_state("k", made.state, Durability::kDurable).ok());
  const Version sent = made.version;
  Version late = write_of("peer#1", "arrived after the transfer was sent");
  ASSERT_TRUE(this->store().merge("k", {late}, Durability::kBuffered).ok());
  auto kept = this->store().release("k", {sent}, Durability::kDurable);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept.value().siblings.size(), 2u) << "a version the owners never confirmed must stay";
  auto released = this->store().release("k", {sent, late}, Durability::kDurable);
  ASSERT_TRUE(released.ok());
  EXPECT_TRUE(released.value().siblings.empty());
  EXPECT_EQ(this->store().read("k").value().issued, made.state.issued) << "the issued dot stays: no counter reuse";
  // A confirmed successor covers what it superseded.
  Version old = write_of("a#1", "old");
  ASSERT_TRUE(this->store().merge("k2", {old}, Durability::kBuffered).ok());
  Version newer = write_of("b#1", "newer", read_context({old}));
  EXPECT_TRUE(this->store().release("k2", {newer}, Durability::kDurable).value().siblings.empty());
}

// Reaping (storage.h reap, docs/reaping.md): only tombstones the reap names (or that one of them
// supersedes) go; a value, or a tombstone nobody agreed on, stays; with nothing left, the record goes,
// issued dot included, and survives a crash as gone.
TYPED_TEST(StorageTest, ReapDropsOnlyCoveredTombstonesAndThenTheRecord) {
  Version value = write_of("a#1", "deleted soon");
  Version old_tomb = make_version(KeyState{}, "b#1", CausalContext{}, std::nullopt, 5).version;
  ASSERT_TRUE(this->store().merge("k", {value, old_tomb}, Durability::kBuffered).ok());
  KeyState read = this->store().read("k").value();
  MadeVersion del = make_version(read, "c#1", read_context({value}), std::nullopt, 9);  // covers value only
  ASSERT_TRUE(this->store().put_state("k", del.state, Durability::kDurable).ok());
  ASSERT_EQ(this->store().read("k").value().siblings.size(), 2u);  // del and the concurrent old_tomb
  // The reap agreed on del alone: old_tomb is concurrent with it and stays.
  auto partly = this->store().reap("k", {del.version}, Durability::kDurable);
  ASSERT_TRUE(partly.ok());
  ASSERT_EQ(partly.value().siblings.size(), 1u);
  EXPECT_EQ(partly.value().siblings[0].dot, old_tomb.dot);
  EXPECT_EQ(this->store().read("k").value().issued, del.state.issued) << "the issued dot stays while siblings do";
  // A value that landed since is never reaped, even when a reap tombstone would cover its dot.
  Version late = write_of("d#1", "written after the reap was agreed");
  ASSERT_TRUE(this->store().merge("k", {late}, Durability::kBuffered).ok());
  auto kept = this->store().reap("k", {old_tomb}, Durability::kDurable);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept.value().siblings.size(), 1u);
  EXPECT_EQ(kept.value().siblings[0].dot, late.dot);
  // A key holding only covered tombstones goes entirely: not even an empty record is scanned.
  Version t1 = make_version(KeyState{}, "e#1", read_context({value}), std::nullopt, 5).version;
  ASSERT_TRUE(this->store().merge("k2", {t1}, Durability::kBuffered).ok());
  Version t2 = make_version(KeyState{}, "f#1", read_context({t1}), std::nullopt, 6).version;  // supersedes t1
  auto gone = this->store().reap("k2", {t2}, Durability::kDurable);
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone.value().siblings.empty());
  EXPECT_EQ(gone.value().issued.counter, 0u);
  auto page = this->store().scan("k2", "k3", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page.value().entries.empty()) << "a reaped key leaves no record";
  this->engine.crash_and_reopen();
  EXPECT_TRUE(this->store().read("k2").value().siblings.empty()) << "a reap is durable";
  EXPECT_EQ(this->store().read("k").value().siblings.size(), 1u);
  // Reaping an absent key, or with tombstones that cover nothing held, changes nothing.
  EXPECT_TRUE(this->store().reap("absent", {t2}, Durability::kDurable).ok());
  EXPECT_EQ(this->store().reap("k", {t2}, Durability::kDurable).value().siblings.size(), 1u);
}

TYPED_TEST(StorageTest, SiblingLimitIsAnErrorAndWritesNothing) {
  std::vector<Version> many;
  for (std::size_t i = 0; i < limits::kMaxSiblings; ++i) many.push_back(write_of("n" + std::to_string(i) + "#1", "v"));
  ASSERT_TRUE(this->store().merge("k", many, Durability::kBuffered).ok());
  auto over = this->store().merge("k", {write_of("late#1", "v")}, Durability::kBuffered);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("kMaxSiblings"), std::string::npos);
  EXPECT_EQ(this->store().read("k").value().siblings.size(), limits::kMaxSiblings);
}

TYPED_TEST(StorageTest, ScanPagesThroughARangeInKeyOrder) {
  for (const char* key : {"b", "a", "d", "c", "e"})
    ASSERT_TRUE(this->store().merge(key, {write_of("n#1", key)}, Durability::kBuffered).ok());
  std::vector<std::string> seen;
  std::string begin = "b";
  for (int pages = 0; pages < 10; ++pages) {
    auto page = this->store().scan(begin, "e", 2);
    ASSERT_TRUE(page.ok());
    for (const auto& [key, state] : page.value().entries) {
      seen.push_back(key);
      EXPECT_EQ(state.siblings.at(0).value, key);
    }
    if (!page.value().next) break;
    begin = *page.value().next;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(this->store().scan("", "", 100).value().entries.size(), 5u);
}

// Reference: §4.6: hints live apart from the data, are found by target, dropped after delivery.
TYPED_TEST(StorageTest, HintsAreApartFromDataListedByTargetAndDeleted) {
  Version v = write_of("a#1", "x");
  auto h1 = this->store().add_hint(Hint{"node-b", "k", v}, Durability::kDurable);
  auto h2 = this->store().add_hint(Hint{"node-c", "k", v}, Durability::kDurable);
  auto h3 = this->store().add_hint(Hint{"node-b", "k2", v}, Durability::kDurable);
  ASSERT_TRUE(h1.ok() && h2.ok() && h3.ok());
  EXPECT_TRUE(this->store().read("k").value().siblings.empty());
  EXPECT_TRUE(this->store().scan("", "", 10).value().entries.empty());
  EXPECT_EQ(this->store().hint_targets().value(), (std::vector<std::string>{"node-b", "node-c"}));
  auto for_b = this->store().hints_for("node-b", 10);
  ASSERT_TRUE(for_b.ok());
  ASSERT_EQ(for_b.value().size(), 2u);
  EXPECT_EQ(for_b.value()[0].hint.key, "k");  // oldest first
  EXPECT_EQ(for_b.value()[1].hint.key, "k2");
  EXPECT_EQ(this->store().hints_for("node-b", 1).value().size(), 1u);
  ASSERT_TRUE(this->store().delete_hint(h1.value(), Durability::kDurable).ok());
  ASSERT_TRUE(this->store().delete_hint(h1.value(), Durability::kDurable).ok());  // idempotent
  EXPECT_EQ(this->store().hints_for("node-b", 10).value().size(), 1u);
  EXPECT_TRUE(this->store().hints_for("node-x", 10).value().empty());
}

// storage.h invariant 4: what was durable, or buffered and then synced, survives a crash.
TYPED_TEST(StorageTest, DurableAndSyncedWritesSurviveACrash) {
  ASSERT_TRUE(this->store().merge("durable", {write_of("a#1", "1")}, Durability::kDurable).ok());
  for (int i = 0; i < 64; ++i)
    ASSERT_TRUE(this->store().merge("group" + std::to_string(i), {write_of("a#1", "g")}, Durability::kBuffered).ok());
  ASSERT_TRUE(this->store().sync().ok());
  auto hint = this->store().add_hint(Hint{"node-b", "k", write_of("a#1", "h")}, Durability::kDurable);
  ASSERT_TRUE(hint.ok());
  this->engine.crash_and_reopen();
  EXPECT_EQ(this->store().read("durable").value().siblings.size(), 1u);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(this->store().read("group" + std::to_string(i)).value().siblings.size(), 1u);
  EXPECT_EQ(this->store().hints_for("node-b", 10).value().size(), 1u);
  // Hint sequences are never reused after a restart.
  auto next = this->store().add_hint(Hint{"node-b", "k", write_of("a#1", "h")}, Durability::kDurable);
  ASSERT_TRUE(next.ok());
  EXPECT_GT(next.value().sequence, hint.value().sequence);
}

// A corrupt record is an Error naming the key, on read, merge and scan; it is never replaced.
TYPED_TEST(StorageTest, CorruptRecordIsAnErrorNamingTheKey) {
  ASSERT_TRUE(this->store().merge("bad", {write_of("a#1", "1")}, Durability::kDurable).ok());
  std::string bytes = encode_key_state("bad", this->store().read("bad").value()).value();
  bytes[bytes.size() / 2] ^= 0x10;
  this->engine.put_raw("bad", bytes);
  for (auto result : {this->store().read("bad"),
                      this->store().merge("bad", {write_of("b#1", "2")}, Durability::kDurable)}) {
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("'bad'"), std::string::npos) << result.error().message;
  }
  auto scan = this->store().scan("", "", 10);
  ASSERT_FALSE(scan.ok());
  EXPECT_NE(scan.error().message.find("'bad'"), std::string::npos);
}

// ---- the memory engine's power-loss model ----

// Paper §6.1 (Fig. 5): a buffered write is fast, and lost if the node fails before it is flushed.
TEST(MemoryStore, CrashLosesExactlyTheUnsyncedSuffix) {
  MemoryStore store;
  ASSERT_TRUE(store.merge("a", {write_of("n#1", "1")}, Durability::kBuffered).ok());
  ASSERT_TRUE(store.merge("b", {write_of("n#1", "2")}, Durability::kDurable).ok());  // syncs "a" too
  ASSERT_TRUE(store.merge("c", {write_of("n#1", "3")}, Durability::kBuffered).ok());
  ASSERT_TRUE(store.add_hint(Hint{"t", "c", write_of("n#1", "3")}, Durability::kBuffered).ok());
  EXPECT_EQ(store.unsynced_writes(), 2u);
  store.crash();
  EXPECT_EQ(store.read("a").value().siblings.size(), 1u);
  EXPECT_EQ(store.read("b").value().siblings.size(), 1u);
  EXPECT_TRUE(store.read("c").value().siblings.empty());
  EXPECT_TRUE(store.hint_targets().value().empty());
  EXPECT_EQ(store.unsynced_writes(), 0u);
}

TEST(MemoryStore, GroupCommitIsOneSyncForManyWrites) {
  MemoryStore store;
  for (int i = 0; i < 64; ++i)
    ASSERT_TRUE(store.merge("k" + std::to_string(i), {write_of("n#1", "v")}, Durability::kBuffered).ok());
  EXPECT_EQ(store.unsynced_writes(), 64u);
  ASSERT_TRUE(store.sync().ok());
  EXPECT_EQ(store.unsynced_writes(), 0u);
  store.crash();
  EXPECT_EQ(store.scan("", "", 100).value().entries.size(), 64u);
}

// A merge that changes nothing writes nothing (a duplicate delivery costs no write).
TEST(MemoryStore, NoOpMergeWritesNothing) {
  MemoryStore store;
  Version v = write_of("n#1", "v");
  ASSERT_TRUE(store.merge("k", {v}, Durability::kBuffered).ok());
  ASSERT_TRUE(store.merge("k", {v}, Durability::kBuffered).ok());
  EXPECT_EQ(store.unsynced_writes(), 1u);
}

// One process per data directory (RocksDB's LOCK file), and the error says so in words a node's
// operator can act on (two nodes configured with the same data_dir).
TEST(RocksDbStore, ASecondOpenOfTheSameDirectoryNamesTheCause) {
  RocksEngine first;
  auto second = RocksDbStore::open(RocksDbOptions{first.dir.string(), nullptr});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("is in use (is another node with the same data_dir running?)"), std::string::npos)
      << second.error().message;
}

}  // namespace
}  // namespace dynamo::store
