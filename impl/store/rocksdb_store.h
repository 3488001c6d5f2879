// rocksdb_store.h: the durable engine, on RocksDB.
//
// Layout: key states in the column family "default" (RocksDB key = the Dynamo key, so a scan is in
// bytewise key order); hints in the column family "hints", keyed by target and sequence
// (spec/storage-format.md), so data and hints never mix and a target's hints are one prefix scan.
// Values are record_codec records.
//
// Durability: one WriteBatch per merge/put_state (atomic); a kDurable write sets WriteOptions::sync,
// which writes out and fsyncs the write-ahead log and so everything written before it; sync() is
// DB::FlushWAL(true), the same for everything written so far. After power loss or the death of the
// process, reopening recovers a prefix of the writes that includes every write that was durable (WAL
// recovery mode kPointInTimeRecovery). A buffered write stays in RocksDB's WAL buffer, in this
// process, until the next durable write or sync (manual_wal_flush): the death of the process loses
// it, as the spec's Crash loses what is not on disk. A clean close writes the buffer out to the OS.
//
// Reads: the decoded states of recently used keys are kept in a write-through cache (state_cache.h,
// `cache_bytes`), so a read of a hot key costs neither a memtable search nor a decode.
//
// Invariants: as storage.h. Every record written is decodable (checked before writing).
// Thread safety: reads and read-modify-writes hold one mutex (which also guards the cache);
// RocksDB itself is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "impl/store/state_cache.h"
#include "impl/store/storage.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
}  // namespace rocksdb

namespace dynamo::store {

struct RocksDbOptions {
  std::string path;               // a directory; created if missing
  rocksdb::Env* env = nullptr;    // nullptr: the default environment (tests pass a fault-injecting one)
  std::size_t cache_bytes = 64u << 20;  // the state cache's budget; 0: every read goes to RocksDB
};

class RocksDbStore final : public Storage {
 public:
  // Opens (or creates) the database. Errors: RocksDB's status text, with the path.
  static Result<std::unique_ptr<RocksDbStore>> open(const RocksDbOptions& options);
  ~RocksDbStore() override;
  RocksDbStore(const RocksDbStore&) = delete;
  RocksDbStore& operator=(const RocksDbStore&) = delete;

  Result<KeyState> read(std::string_view key) override;
  Result<ScanPage> scan(std::string_view begin, std::string_view end, std::size_t limit) override;
  Result<HintId> add_hint(const Hint& hint, Durability durability) override;
  Result<std::vector<StoredHint>> hints_for(std::string_view target, std::size_t limit) override;
  Result<std::vector<std::string>> hint_targets() override;
  Status delete_hint(const HintId& id, Durability durability) override;
  Status sync() override;

  // Test hook: stores raw bytes as the key's record (durably), e.g. to check corruption handling.
  Status put_raw_for_test(std::string_view key, std::string_view bytes);
  // Reads served from the state cache, and those that went to RocksDB.
  std::uint64_t cache_hits();
  std::uint64_t cache_misses();

 private:
  // The write path of merge and put_state (Storage::update).
  Result<KeyState> update(std::string_view key, const StateChange& change, Durability durability) override;
  RocksDbStore(std::string path, rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles,
               std::size_t cache_bytes);
  Result<KeyState> read_locked(std::string_view key);
  Result<KeyState> write_state_locked(std::string_view key, const KeyState& before,
                                      const KeyState& after, Durability durability);
  // Writes `bytes` (nullptr: deletes the record) as the key's record, then caches `after`.
  Result<KeyState> write_through(std::string_view key, const std::string* bytes, const KeyState& after,
                                 Durability durability);
  Status write(rocksdb::ColumnFamilyHandle* family, std::string_view key,
               const std::string* bytes, Durability durability, const char* what);
  Status load_next_hint_sequence();

  std::string path_;
  std::mutex mu_;  // serialises reads, read-modify-writes (merge, put_state), the cache and hint sequences
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* data_ = nullptr;
  rocksdb::ColumnFamilyHandle* hints_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::uint64_t next_hint_sequence_ = 1;
  StateCache cache_;
};

// The hints column family's key for `id`: target length (1 byte), target, sequence (8 bytes, big
// endian), so one target's hints are contiguous and oldest first.
std::string hint_storage_key(const HintId& id);

}  // namespace dynamo::store
