// rocksdb_store.cc: see rocksdb_store.h.
#include "impl/store/rocksdb_store.h"

#include <algorithm>
#include <utility>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "impl/core/check.h"
#include "impl/core/limits.h"

namespace dynamo::store {
namespace {

constexpr char kHintsFamily[] = "hints";
constexpr std::size_t kSequenceBytes = 8;

Error rocks_error(const std::string& path, const char* what, const rocksdb::Status& status) {
  return Error{"rocksdb " + std::string(what) + " in " + path + ": " + status.ToString()};
}

rocksdb::Slice slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// Parses a hints-family key; nullopt when malformed.
std::optional<HintId> parse_hint_storage_key(std::string_view key) {
  if (key.empty()) return std::nullopt;
  std::size_t n = static_cast<std::uint8_t>(key[0]);
  if (n == 0 || key.size() != 1 + n + kSequenceBytes) return std::nullopt;
  HintId id{std::string(key.substr(1, n)), 0};
  for (std::size_t i = 0; i < kSequenceBytes; ++i)
    id.sequence = (id.sequence << 8) | static_cast<std::uint8_t>(key[1 + n + i]);
  return id;
}

std::string target_prefix(std::string_view target) {
  std::string out(1, static_cast<char>(target.size()));
  out.append(target);
  return out;
}

}  // namespace

std::string hint_storage_key(const HintId& id) {
  DYNAMO_CHECK(!id.target.empty() && id.target.size() <= limits::kMaxNodeIdBytes);
  std::string out = target_prefix(id.target);
  for (int i = kSequenceBytes - 1; i >= 0; --i) out.push_back(static_cast<char>((id.sequence >> (8 * i)) & 0xFF));
  return out;
}

namespace {

// Data: a Bloom filter per SST file, so a read of a key that is not there (every first write of a key
// reads it first) skips the files instead of searching each one's index: under a put load it was
// a sixth of a node's time (bench/README.md). 10 bits per key: about 1% false positives. The same
// for the memtable (a Bloom filter of 5% of its size, on whole keys): that read of a new key then skips
// the skip-list search (bench/README.md, "HTTP puts reach 3 × etcd").
rocksdb::ColumnFamilyOptions data_family_options() {
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions options;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.memtable_prefix_bloom_size_ratio = 0.05;
  options.memtable_whole_key_filtering = true;
  return options;
}

}  // namespace

Result<std::unique_ptr<RocksDbStore>> RocksDbStore::open(const RocksDbOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  // Buffered writes stay in RocksDB's WAL buffer until the next sync() or durable write (which write
  // it out, in order, before the fsync), so a buffered write costs no system call. The event loop
  // makes them, and a write(2) to the WAL there could wait for a journal commit that another sync
  // started (bench/README.md, "Buffered writes in RocksDB's WAL buffer").
  db_options.manual_wal_flush = true;
  // A crash recovers a prefix of the writes (storage.h, invariant 4), never a hole.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  if (options.env) db_options.env = options.env;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, data_family_options()},
      {kHintsFamily, rocksdb::ColumnFamilyOptions()}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, families, &handles, &db);
  // RocksDB's LOCK file: one open per directory. Its own words ("While lock file: DIR/LOCK: Resource
  // temporarily unavailable", or "lock hold by current process") do not say what to do.
  if (s.IsIOError() && s.ToString().find("/LOCK: ") != std::string::npos)
    return Error{"the data directory " + options.path + " is in use (is another node with the same data_dir "
                 "running?): " + s.ToString()};
  if (!s.ok()) return rocks_error(options.path, "open", s);
  DYNAMO_CHECK(handles.size() == families.size());
  std::unique_ptr<RocksDbStore> store(new RocksDbStore(options.path, db, std::move(handles), options.cache_bytes));
  if (auto loaded = store->load_next_hint_sequence(); !loaded.ok()) return loaded.error();
  return store;
}

RocksDbStore::RocksDbStore(std::string path, rocksdb::DB* db,
                           std::vector<rocksdb::ColumnFamilyHandle*> handles, std::size_t cache_bytes)
    : path_(std::move(path)),
      db_(db),
      data_(handles[0]),
      hints_(handles[1]),
      handles_(std::move(handles)),
      cache_(cache_bytes) {}

RocksDbStore::~RocksDbStore() {
  for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  // A clean close hands the WAL buffer to the OS but does not sync: what was buffered stays as
  // durable as the OS makes it (a power loss may still take it).
  db_->FlushWAL(false).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
  delete db_;
}

Status RocksDbStore::load_next_hint_sequence() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), hints_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto id = parse_hint_storage_key(std::string_view(it->key().data(), it->key().size()));
    if (!id) return Error{"corrupt hint key in " + path_ + ": '" + printable_key(std::string_view(it->key().data(), it->key().size())) + "'"};
    next_hint_sequence_ = std::max(next_hint_sequence_, id->sequence + 1);
  }
  if (!it->status().ok()) return rocks_error(path_, "hint scan", it->status());
  return {};
}

Status RocksDbStore::write(rocksdb::ColumnFamilyHandle* family, std::string_view key,
                           const std::string* bytes, Durability durability, const char* what) {
  rocksdb::WriteBatch batch;
  rocksdb::Status s = bytes ? batch.Put(family, slice(key), slice(*bytes)) : batch.Delete(family, slice(key));
  if (!s.ok()) return rocks_error(path_, what, s);
  rocksdb::WriteOptions options;
  options.sync = durability == Durability::kDurable;
  s = db_->Write(options, &batch);
  if (!s.ok()) return rocks_error(path_, what, s);
  return {};
}

Result<KeyState> RocksDbStore::read_locked(std::string_view key) {
  if (auto cached = cache_.get(key)) return std::move(*cached);
  std::string bytes;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), data_, slice(key), &bytes);
  if (s.IsNotFound()) {
    // Kept too: a put of a new key reads it at the coordinator, then again in put_state.
    cache_.put(key, KeyState{});
    return KeyState{};
  }
  if (!s.ok()) return rocks_error(path_, "read", s);
  auto state = decode_key_state(key, bytes);
  if (state.ok()) cache_.put(key, state.value());  // a corrupt record is reported on every read
  return state;
}

Result<KeyState> RocksDbStore::write_state_locked(std::string_view key, const KeyState& before,
                                                  const KeyState& after, Durability durability) {
  if (same_state(before, after)) {
    if (durability == Durability::kDurable) {
      if (auto s = sync(); !s.ok()) return s.error();
    }
    return after;
  }
  if (empty_state(after)) return write_through(key, nullptr, after, durability);  // a reaped key: the record goes
  auto bytes = encode_key_state(key, after);
  if (!bytes.ok()) return bytes.error();
  DYNAMO_CHECK(decode_key_state(key, bytes.value()).ok());  // never write what cannot be read
  return write_through(key, &bytes.value(), after, durability);
}

Result<KeyState> RocksDbStore::write_through(std::string_view key, const std::string* bytes,
                                             const KeyState& after, Durability durability) {
  // The cache changes only once the write is known to have happened. A failed write changes nothing
  // in the database (storage.h invariant 5), but the key leaves the cache so the next read asks the
  // database rather than trust that.
  if (auto s = write(data_, key, bytes, durability, bytes ? "write" : "delete"); !s.ok()) {
    cache_.erase(key);
    return s.error();
  }
  cache_.put(key, after);
  return after;
}

Result<KeyState> RocksDbStore::read(std::string_view key) {
  // Under the lock: a read that missed the cache must not put back a state an update replaced
  // between its Get and its fill.
  std::lock_guard lock(mu_);
  return read_locked(key);
}

std::uint64_t RocksDbStore::cache_hits() {
  std::lock_guard lock(mu_);
  return cache_.hits();
}

std::uint64_t RocksDbStore::cache_misses() {
  std::lock_guard lock(mu_);
  return cache_.misses();
}

Result<KeyState> RocksDbStore::update(std::string_view key, const StateChange& change, Durability durability) {
  std::lock_guard lock(mu_);
  auto stored = read_locked(key);
  if (!stored.ok()) return stored.error();
  return write_state_locked(key, stored.value(), change(stored.value()), durability);
}

Result<ScanPage> RocksDbStore::scan(std::string_view begin, std::string_view end, std::size_t limit) {
  DYNAMO_CHECK(limit >= 1);
  ScanPage page;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), data_));
  for (it->Seek(slice(begin)); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (!end.empty() && key >= end) break;
    if (page.entries.size() == limit) {
      page.next = std::string(key);
      break;
    }
    auto state = decode_key_state(key, std::string_view(it->value().data(), it->value().size()));
    if (!state.ok()) return state.error();
    page.entries.emplace_back(std::string(key), std::move(state).value());
  }
  if (!it->status().ok()) return rocks_error(path_, "scan", it->status());
  return page;
}

Result<HintId> RocksDbStore::add_hint(const Hint& hint, Durability durability) {
  auto bytes = encode_hint(hint);
  if (!bytes.ok()) return bytes.error();
  std::lock_guard lock(mu_);
  HintId id{hint.target, next_hint_sequence_++};
  if (auto s = write(hints_, hint_storage_key(id), &bytes.value(), durability, "hint write"); !s.ok())
    return s.error();
  return id;
}

Result<std::vector<StoredHint>> RocksDbStore::hints_for(std::string_view target, std::size_t limit) {
  std::vector<StoredHint> out;
  if (target.empty() || target.size() > limits::kMaxNodeIdBytes) return out;
  const std::string prefix = target_prefix(target);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), hints_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && out.size() < limit; it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    auto id = parse_hint_storage_key(key);
    std::string name = "hint " + printable_key(key);
    if (!id) return Error{"corrupt stored record for " + name + ": malformed hint key"};
    auto hint = decode_hint(name, std::string_view(it->value().data(), it->value().size()));
    if (!hint.ok()) return hint.error();
    if (hint.value().target != id->target) return Error{"corrupt stored record for " + name + ": target differs from its key"};
    out.push_back(StoredHint{std::move(*id), std::move(hint).value()});
  }
  if (!it->status().ok()) return rocks_error(path_, "hint scan", it->status());
  return out;
}

Result<std::vector<std::string>> RocksDbStore::hint_targets() {
  std::vector<std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), hints_));
  // One seek per target: jump past the target's last possible sequence.
  for (it->SeekToFirst(); it->Valid();) {
    auto id = parse_hint_storage_key(std::string_view(it->key().data(), it->key().size()));
    if (!id) return Error{"corrupt hint key in " + path_};
    out.push_back(id->target);
    if (id->sequence == UINT64_MAX) break;
    const std::string last = hint_storage_key(HintId{id->target, UINT64_MAX});
    it->Seek(last);
    if (it->Valid() && it->key() == rocksdb::Slice(last)) it->Next();
  }
  if (!it->status().ok()) return rocks_error(path_, "hint scan", it->status());
  std::sort(out.begin(), out.end());
  return out;
}

Status RocksDbStore::delete_hint(const HintId& id, Durability durability) {
  if (id.target.empty() || id.target.size() > limits::kMaxNodeIdBytes) return {};  // never stored
  return write(hints_, hint_storage_key(id), nullptr, durability, "hint delete");
}

Status RocksDbStore::sync() {
  rocksdb::Status s = db_->FlushWAL(/*sync=*/true);  // the buffer to the file, then fsync
  if (!s.ok()) return rocks_error(path_, "sync", s);
  return {};
}

Status RocksDbStore::put_raw_for_test(std::string_view key, std::string_view bytes) {
  std::string copy(bytes);
  std::lock_guard lock(mu_);
  cache_.erase(key);
  return write(data_, key, &copy, Durability::kDurable, "raw write");
}

}  // namespace dynamo::store
