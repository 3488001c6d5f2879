// crash_test.cc: every write acknowledged as durable survives a crash of the process (fork, write,
// SIGKILL, reopen) and of the machine (a file system that loses what was never synced).
// Reference: §4.1 / §6.1 of the paper: durability is a per-write choice; the acknowledged durable
// copy is the one the system relies on (docs/design.md: the coordinator's own write).
#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

#include <rocksdb/env.h>

#include "impl/store/fault_file_system.h"
#include "impl/store/rocksdb_store.h"

namespace dynamo::store {
namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("dynamo_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

Version write_of(std::uint32_t i) {
  return make_version(KeyState{}, "writer#1", CausalContext{}, "value " + std::to_string(i), i).version;
}
std::string key_of(std::uint32_t i) { return "key/" + std::to_string(i); }

// The child: writes forever; after each write (or group) is durable, reports its number on `out`.
[[noreturn]] void run_writer(const std::string& dir, int out, std::uint32_t group) {
  auto opened = RocksDbStore::open(RocksDbOptions{dir, nullptr});
  if (!opened.ok()) _exit(2);
  auto store = std::move(opened).value();
  for (std::uint32_t i = 0;; i += group) {
    for (std::uint32_t j = i; j < i + group; ++j) {
      Durability d = group == 1 ? Durability::kDurable : Durability::kBuffered;
      if (!store->merge(key_of(j), {write_of(j)}, d).ok()) _exit(3);
    }
    if (group > 1 && !store->sync().ok()) _exit(4);
    for (std::uint32_t j = i; j < i + group; ++j)
      if (::write(out, &j, sizeof j) != sizeof j) _exit(5);
  }
}

// Forks a writer, kills it with SIGKILL once `reports` writes were reported durable, reopens the
// database and checks that every reported write is there.
void kill_mid_stream_and_check(std::uint32_t group, std::uint32_t reports) {
  auto dir = fresh_dir("kill" + std::to_string(group));
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    run_writer(dir.string(), fds[1], group);
  }
  ::close(fds[1]);
  std::set<std::uint32_t> reported;
  std::uint32_t n = 0;
  while (reported.size() < reports && ::read(fds[0], &n, sizeof n) == sizeof n) reported.insert(n);
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself, status " << status;
  while (::read(fds[0], &n, sizeof n) == sizeof n) reported.insert(n);  // reported before the kill
  ::close(fds[0]);
  ASSERT_GE(reported.size(), reports);

  auto opened = RocksDbStore::open(RocksDbOptions{dir.string(), nullptr});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto store = std::move(opened).value();
  for (std::uint32_t i : reported) {
    auto state = store->read(key_of(i));
    ASSERT_TRUE(state.ok()) << state.error().message;
    ASSERT_EQ(state.value().siblings.size(), 1u) << "durable write " << i << " was lost";
    EXPECT_EQ(state.value().siblings[0].value, "value " + std::to_string(i));
  }
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST(RocksDbCrash, KilledWriterKeepsEveryDurableWrite) { kill_mid_stream_and_check(1, 300); }
TEST(RocksDbCrash, KilledWriterKeepsEveryGroupCommittedWrite) { kill_mid_stream_and_check(16, 1000); }

// Power loss: writes acknowledged as durable (sync per write, or buffered then sync) survive; the
// buffered writes after the last sync are really lost (so the test could fail), and only a suffix
// of the writes is lost, never a write in the middle (storage.h invariant 4).
TEST(RocksDbPowerLoss, EveryDurableWriteSurvivesDroppingUnsyncedData) {
  auto dir = fresh_dir("power");
  auto fs = std::make_shared<FaultFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  constexpr std::uint32_t kWrites = 420;  // ends with 6 buffered writes after a durable one
  std::uint32_t durable_upto = 0;  // writes [0, durable_upto) were acknowledged as durable
  {
    auto opened = RocksDbStore::open(RocksDbOptions{dir.string(), env.get()});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    auto store = std::move(opened).value();
    for (std::uint32_t i = 0; i < kWrites; ++i) {
      // Mixed: a durable write every 7th; a group commit (sync) every 50th; buffered otherwise.
      Durability d = i % 7 == 0 ? Durability::kDurable : Durability::kBuffered;
      ASSERT_TRUE(store->merge(key_of(i), {write_of(i)}, d).ok());
      if (d == Durability::kDurable) durable_upto = i + 1;
      if (i % 50 == 49) {
        ASSERT_TRUE(store->sync().ok());
        durable_upto = i + 1;
      }
    }
    ASSERT_LT(durable_upto, kWrites);  // the tail is buffered
    fs->deactivate();                  // the power cut
  }
  // Often 0 bytes: the buffered tail never left RocksDB's WAL buffer (manual_wal_flush; the close
  // after the power cut cannot write it). Either way the tail is gone, which `survived` checks.
  fs->drop_unsynced_data();
  fs->reactivate();

  auto opened = RocksDbStore::open(RocksDbOptions{dir.string(), env.get()});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto store = std::move(opened).value();
  std::uint32_t survived = 0;
  for (std::uint32_t i = 0; i < kWrites; ++i) {
    bool present = store->read(key_of(i)).value().siblings.size() == 1;
    if (i < durable_upto) {
      ASSERT_TRUE(present) << "durable write " << i << " lost";
    }
    if (present) {
      ASSERT_EQ(survived, i) << "write " << i << " survived but an earlier one was lost";
      ++survived;
    }
  }
  EXPECT_LT(survived, kWrites) << "nothing buffered was lost: the fault file system dropped nothing";
  store.reset();
  std::filesystem::remove_all(dir);
}

// The state cache (state_cache.h) holds only what the database holds: a write that fails must not
// be read back from it. (Filling the cache before the write would show the failed version here.)
TEST(RocksDbStateCache, AFailedWriteIsNotReadBack) {
  auto dir = fresh_dir("cache_failed_write");
  auto fs = std::make_shared<FaultFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  {
    auto opened = RocksDbStore::open(RocksDbOptions{dir.string(), env.get()});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    auto store = std::move(opened).value();
    ASSERT_TRUE(store->merge(key_of(1), {write_of(1)}, Durability::kDurable).ok());
    ASSERT_EQ(store->read(key_of(1)).value().siblings.size(), 1u);  // cached
    fs->deactivate();  // from now on every write fails
    EXPECT_FALSE(store->merge(key_of(1), {write_of(2)}, Durability::kDurable).ok());
    auto read = store->read(key_of(1));
    ASSERT_TRUE(read.ok()) << read.error().message;
    ASSERT_EQ(read.value().siblings.size(), 1u) << "a write that failed is read back";
    EXPECT_EQ(read.value().siblings[0].value, "value 1");
  }
  fs->reactivate();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dynamo::store
