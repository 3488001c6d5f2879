// storage.h: the one interface between a node and its disk (or memory): the versions of each key,
// and the hints kept for nodes that did not answer.
//
// Shape (as etcd-io/raft's storage.go): every method states its contract and its errors. Errors are
// values: an I/O failure carries the engine's own text; a corrupt record names the key
// (record_codec.h). Nothing here decides protocol behaviour: merge is the core's store_version.
//
// Invariants, for every engine:
//   1. every stored KeyState is reconciled (an antichain sorted by dot, version.h), within limits.h;
//   2. merge is idempotent and commutative: merging a version twice, or versions in any order,
//      leaves the same state (it is the spec's StoreVersion, i.e. reconcile);
//   3. data and hints are kept apart: no data operation sees a hint or the reverse;
//   4. durability order: writes take effect in the order they are made. A write made with
//      Durability::kDurable is durable when its call returns OK, and so is every write made before it
//      (buffered or not). sync() makes every write made so far durable. A buffered write may be lost
//      by a crash (power loss: always possible until the next durable write or sync; process death:
//      engine-specific, see each engine), but never out of order: after a crash, the surviving writes
//      are a prefix of the writes made. Group commit is therefore: N writes with kBuffered, then one
//      sync(), then acknowledge all N (one fsync for N writes).
//   5. a failed write (Error) changed nothing.
// Thread safety: every engine serialises its methods internally, so one Storage may be shared, but
// the node core is expected to drive it from its one event loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "impl/core/durability.h"
#include "impl/core/hint.h"
#include "impl/core/result.h"
#include "impl/core/version.h"
#include "impl/store/record_codec.h"

namespace dynamo::store {

// Durability (impl/core/durability.h): kBuffered may be lost by a crash until a later durable write
// or sync(); kDurable is on stable storage when the call returns OK.
using dynamo::Durability;

// One page of a range scan.
struct ScanPage {
  std::vector<std::pair<std::string, KeyState>> entries;  // sorted by key (bytewise)
  std::optional<std::string> next;  // where the next page starts; nullopt: the range is done
};

// Hints and their ids are the core's types (impl/core/hint.h).
using dynamo::HintId;
using dynamo::StoredHint;

class Storage {
 public:
  virtual ~Storage() = default;

  // The state held for `key`; an absent key is the empty state (no siblings, issued counter 0).
  // Errors: I/O; a corrupt record (names the key; nothing is dropped or rewritten).
  virtual Result<KeyState> read(std::string_view key) = 0;

  // Atomically: state := store_version(stored state, each incoming version), written with
  // `durability`; returns the resulting state. The replica side of a put, read repair, hint
  // delivery and anti-entropy. Idempotent (invariant 2). A version already held or superseded
  // leaves the state unchanged and then writes nothing, but a kDurable call still returns only
  // after earlier writes are durable (so an acknowledgement after it is safe).
  // Errors: I/O; a corrupt stored record; the result would exceed limits.h (e.g. kMaxSiblings):
  // nothing is written, and the message says which limit.
  Result<KeyState> merge(std::string_view key, const std::vector<Version>& incoming, Durability durability);

  // Stores the coordinator's new state (make_version's MadeVersion::state): atomically, its
  // siblings are reconciled with those stored (so a version merged since the coordinator read the
  // key is kept, never overwritten) and `issued` becomes state.issued unless the stored issued dot
  // has the same actor and a larger counter. REQUIRES: state.siblings reconciled.
  // Errors: as merge.
  Result<KeyState> put_state(std::string_view key, const KeyState& state, Durability durability);

  // Gives a key up after its new owners confirmed `sent` (partition transfer: ReleasePartition):
  // atomically, when every stored sibling is one of `sent` or superseded by one, the siblings are
  // dropped (the issued dot stays: a node that coordinates the key again must not reuse a counter);
  // otherwise nothing changes (a version arrived since the transfer was sent, and goes in the next
  // one). Returns the resulting state. Errors: as merge.
  Result<KeyState> release(std::string_view key, const std::vector<Version>& sent, Durability durability);
  // Reaps tombstones (docs/reaping.md; spec ReapTombstone): atomically, drops every stored sibling
  // that is a tombstone and is one of `tombstones` or superseded by one; when no sibling is left, the
  // issued dot goes too and the key's record is deleted (the node core keeps its current actor's
  // counters above every dot it issued before a reap, so the record is not needed). A sibling that is
  // not such a tombstone (a write that landed since the reap was agreed) stays, and so does the rest
  // of the state. Returns the resulting state. Errors: as merge.
  Result<KeyState> reap(std::string_view key, const std::vector<Version>& tombstones, Durability durability);
  // Up to `limit` keys (>= 1) in [begin, end) in bytewise order with their states; an empty `end`
  // means no upper bound. To continue, call again with begin = page.next. A page reflects the
  // writes made before the call. Errors: I/O; a corrupt record (names the key).
  virtual Result<ScanPage> scan(std::string_view begin, std::string_view end, std::size_t limit) = 0;

  // Keeps `hint` (in the hint store, apart from data) and returns its id. Errors: I/O; limits.
  virtual Result<HintId> add_hint(const Hint& hint, Durability durability) = 0;
  // Up to `limit` hints for `target`, oldest first. Errors: I/O; a corrupt hint record.
  virtual Result<std::vector<StoredHint>> hints_for(std::string_view target, std::size_t limit) = 0;
  // Every target with at least one hint, sorted (the periodic hint scan walks these).
  virtual Result<std::vector<std::string>> hint_targets() = 0;
  // Drops a hint, after its target stored the version. Deleting an absent hint is OK (idempotent).
  virtual Status delete_hint(const HintId& id, Durability durability) = 0;

  // Makes every write made so far durable (one fsync for all of them). Errors: I/O; after an
  // error, the buffered writes are in an unknown state: the node must not acknowledge them.
  virtual Status sync() = 0;

 protected:
  // How a stored state changes: merge and put_state are both "read, change, write" under one lock.
  using StateChange = std::function<KeyState(const KeyState&)>;
  // Atomically: reads key's state, writes change(stored) with `durability` (nothing when it equals
  // the stored state), returns the result. The one write path of every engine. Errors: as merge.
  virtual Result<KeyState> update(std::string_view key, const StateChange& change, Durability durability) = 0;
};

// The merge rule both engines share (the spec's StoreVersion, folded over `incoming`).
KeyState merge_versions(KeyState stored, const std::vector<Version>& incoming);
// The release rule both engines share (see Storage::release).
KeyState release_versions(KeyState stored, const std::vector<Version>& sent);
// The reap rule both engines share (see Storage::reap).
KeyState reap_versions(KeyState stored, const std::vector<Version>& tombstones);
// True when a state holds nothing: engines delete the key's record instead of writing it.
bool empty_state(const KeyState& state);
// The put_state rule both engines share (see Storage::put_state).
KeyState absorb_state(KeyState stored, const KeyState& state);
// True when the two states hold the same versions and issued dot (stamps and bytes included).
bool same_state(const KeyState& a, const KeyState& b);

}  // namespace dynamo::store
