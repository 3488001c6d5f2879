// state_cache.h: the decoded key states a RocksDB store read or wrote last, bounded in bytes.
//
// Why: every request reads a key (a get at each replica; a put at the coordinator and a merge at
// each replica read it before they write). In RocksDB a read of a recently written key is a search
// of the memtable's skip list, then a record decode with its CRC; under load that was a quarter of
// a node's event loop (bench/README.md, "The state cache"). The working set of hot keys is small, so
// the store keeps their decoded states here, written through: the cache only ever holds what the
// database holds (filled after a successful write or read, never before), so a read from it is a
// read from the database.
//
// Eviction: least recently used, once the states' approximate size passes the budget. A budget of 0
// caches nothing. Not thread-safe: the owner serialises calls (RocksDbStore holds its mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "impl/core/version.h"

namespace dynamo::store {

class StateCache {
 public:
  explicit StateCache(std::size_t budget_bytes) : budget_(budget_bytes) {}

  // The cached state of `key`, or nullopt (not cached: read the database).
  std::optional<KeyState> get(std::string_view key);
  // Records that the database now holds `state` for `key` (an empty state: it holds no record).
  void put(std::string_view key, const KeyState& state);
  void erase(std::string_view key);

  std::size_t bytes() const { return bytes_; }
  std::size_t entries() const { return index_.size(); }
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    std::string key;
    KeyState state;
    std::size_t bytes = 0;
  };
  using Order = std::list<Entry>;  // most recently used first

  void drop(Order::iterator it);

  std::size_t budget_;
  std::size_t bytes_ = 0;
  Order order_;
  std::unordered_map<std::string_view, Order::iterator> index_;  // views into Entry::key
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

// About what `state` takes in memory under `key`: the value bytes, the clocks, and the containers'
// own overhead. Only the budget depends on it.
std::size_t approximate_bytes(std::string_view key, const KeyState& state);

}  // namespace dynamo::store
