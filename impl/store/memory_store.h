// memory_store.h: the memory engine, for tests and the simulator.
//
// It keeps encoded records (record_codec.h), so limits and corruption behave as on disk, and it
// models durability exactly as storage.h states it: every write goes to the live view and to a log
// of unsynced writes; sync() (or a durable write) applies the log to the durable image; crash()
// replaces the live view by the durable image, losing every write not yet synced. This is the
// power-loss model (the strict one): what a lost sync loses, a test can see.
//
// Invariants: durable image + unsynced log, replayed in order, equals the live view; after crash()
// the log is empty and live == durable.
// Thread safety: all methods lock one mutex.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "impl/store/storage.h"

namespace dynamo::store {

class MemoryStore final : public Storage {
 public:
  MemoryStore() = default;

  Result<KeyState> read(std::string_view key) override;
  Result<ScanPage> scan(std::string_view begin, std::string_view end, std::size_t limit) override;
  Result<HintId> add_hint(const Hint& hint, Durability durability) override;
  Result<std::vector<StoredHint>> hints_for(std::string_view target, std::size_t limit) override;
  Result<std::vector<std::string>> hint_targets() override;
  Status delete_hint(const HintId& id, Durability durability) override;
  Status sync() override;

  // Power loss: every write not yet synced is gone.
  void crash();
  // Writes not yet synced (for tests of group commit).
  std::size_t unsynced_writes() const;
  // Test hook: stores raw bytes as the key's record (durably), e.g. to check corruption handling.
  void put_raw_for_test(std::string_view key, std::string bytes);

 private:
  // The write path of merge and put_state (Storage::update).
  Result<KeyState> update(std::string_view key, const StateChange& change, Durability durability) override;

  using HintKey = std::pair<std::string, std::uint64_t>;
  struct Image {
    std::map<std::string, std::string, std::less<>> data;
    std::map<HintKey, std::string> hints;
  };
  struct Write {
    std::optional<std::string> data_key;  // a data write, else a hint write
    HintKey hint_key;
    std::optional<std::string> bytes;     // nullopt: delete
  };

  Result<KeyState> read_locked(std::string_view key) const;
  Result<KeyState> write_state_locked(std::string_view key, const KeyState& before,
                                      const KeyState& after, Durability durability);
  void apply(Image& image, const Write& write) const;
  void record_locked(Write write, Durability durability);
  void sync_locked();

  mutable std::mutex mu_;
  Image live_;
  Image durable_;
  std::vector<Write> unsynced_;
  std::uint64_t next_hint_sequence_ = 1;  // never reused, even across crash()
};

}  // namespace dynamo::store
