// effects.h: what the node core asks of its shell (the simulator or the real node), and the order in
// which the shell must carry it out.
//
// The core does no I/O. Every input (a client request, a peer message, a storage completion, a tick)
// returns one Effects value. The shell:
//   1. performs each StorageOp against its storage engine and reports its completion with
//      Node::on_storage_done(token, outcome), exactly once per token. A completion of an op with
//      Durability::kDurable (and of every Sync) may be reported only once the write is on stable
//      storage; a buffered op once it is in the live view. The shell may delay completions to share
//      one sync between many durable writes (group commit), and may run ops of different tokens in
//      any order: the core never emits two ops whose order matters at once (a coordinator's writes
//      of one key are serialised by the core; merges commute).
//   2. sends every message of `sends` and every reply of `replies`, in any order, as soon as it
//      likes. THE ORDERING CONTRACT lives in the core, not in the batch: a message or reply that
//      depends on a write (a StoreAck, a HandoffAck, a put's answer) is emitted only in the Effects
//      of the completion of that write, i.e. after the shell reported it done (durable, for a
//      durable write). So nothing the core emits is ever unsafe to send at once, and a shell cannot
//      reorder it into a lost write. (A put's Store requests leave beside the coordinator's own
//      durable write, not after it: they acknowledge nothing, and the put's answer waits for both;
//      spec CoordinatePut then PersistPut.)
//      (etcd-io/raft puts this contract on Ready: persist, then send; here the core itself waits.)
//   3. on a crash, forgets every op it had not completed (it is as if never done, or done only as
//      far as the engine's durability promises) and starts a new core with the next epoch.
// `steps` describes what happened in terms of the spec's actions (tla/Dynamo.tla), for traces
// (spec/trace-format.md); a shell that writes no trace ignores it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "impl/core/durability.h"
#include "impl/core/hint.h"
#include "impl/core/messages.h"
#include "impl/core/version.h"

namespace dynamo {

// --- Storage requests. Keys are storage keys (node_config.h storage_key). ---

// Read a key's state; with_hints: also every hint kept for this key (a replica's view includes them).
struct ReadKey {
  std::string key;
  bool with_hints = false;
};
// Storage::merge: reconcile the versions into the key's state (a replica store, a repair, a handoff).
struct MergeVersions {
  std::string key;
  std::vector<Version> versions;
  Durability durability = Durability::kBuffered;
};
// Storage::put_state: the coordinator's new state from make_version (always durable).
struct PutState {
  std::string key;
  KeyState state;
  Durability durability = Durability::kDurable;
};
struct AddHint {
  Hint hint;
  Durability durability = Durability::kDurable;
};
// Durable: a deleted hint must stay deleted through a crash (spec: hints change only durably).
struct DeleteHint {
  HintId id;
};
// Every hint, up to `limit_per_target` per target (the periodic scan; also rebuilds hint counts).
struct ScanHints {
  std::size_t limit_per_target = 0;
};
// Up to `limit` keys from `begin` (bytewise), for anti-entropy.
struct ScanKeys {
  std::string begin;
  std::size_t limit = 0;
};
// Make every write so far durable (the write buffer's periodic flush).
struct Sync {};
// Storage::release: drop the key's versions once its new owners confirmed `sent` (always durable:
// a release undone by a crash would only transfer the key again, but a release must never be seen
// before the confirmations it rests on, and those are durable).
struct ReleaseKey {
  std::string key;
  std::vector<Version> sent;
};

// Storage::reap: drop the key's siblings that are tombstones covered by `tombstones` (one of them or
// superseded by one), and the key's record with them when nothing else is left (reaping,
// docs/reaping.md). Anything else (a write that landed since the question) stays. Always durable.
struct ReapKey {
  std::string key;
  std::vector<Version> tombstones;
};

using StorageRequest =
    std::variant<ReadKey, MergeVersions, PutState, AddHint, DeleteHint, ScanHints, ScanKeys, Sync, ReleaseKey,
                 ReapKey>;

struct StorageOp {
  std::uint64_t token = 0;
  StorageRequest request;
};

// --- Storage completions, one per request kind (the shell answers with the matching one, or with
//     an Error naming what failed). ---
struct KeyRead {
  KeyState state;
  std::vector<StoredHint> hints;  // those for this key; empty unless with_hints
};
struct KeyStored {
  KeyState state;  // after the merge, put or release
};
struct HintAdded {
  HintId id;
};
struct HintsScanned {
  std::vector<StoredHint> hints;
};
struct KeysScanned {
  std::vector<std::pair<std::string, KeyState>> entries;
  bool done = false;  // the scan reached the end of the keys
};
struct Done {};  // DeleteHint, Sync

using StorageOutcome = std::variant<KeyRead, KeyStored, HintAdded, HintsScanned, KeysScanned, Done>;

// --- Messages and replies. ---
struct Send {
  std::string to;
  PeerMessage message;
};
struct Reply {
  std::string client;
  ClientReply reply;
};

// --- What happened, as the spec's actions (for traces). ---
enum class SpecAction {
  kCoordinatePut,  // the coordinator's new version is stored (durable write under way) and sent to the targets
  kPersistPut,     // the coordinator's own durable write of the put completed
  kStoreVersion,   // a replica or fallback stored a Store, Repair or Handoff message
  kAckPut,         // one acknowledgement counted, before the W-th (folded into CompletePut by the spec)
  kCompletePut,    // the W-th acknowledgement: the client is answered
  kPutTimeout,     // the coordinator gave up on a put (the client is told "unknown")
  kResendPut,      // a put still short of W sent its version to one more fallback, hinted for a silent primary
  kClientGet,      // the coordinator read itself and asked the other targets
  kReplicaRead,    // a replica answered a Read
  kCompleteGet,    // the R-th reply: the client is answered
  kGetTimeout,
  kReadRepair,     // the reconciled result sent to stale repliers
  kDeliverHint,    // a hint sent to its recovered primary
  kDeleteHint,     // a hint dropped after its primary acknowledged it
  kAntiEntropy,    // a KeySync stored (issue 7 replaces this with Merkle exchanges)
};
const char* spec_action_name(SpecAction action);

struct SpecTarget {
  std::string node;
  std::string hint;  // empty: the node is a primary standing for itself
};

struct SpecStep {
  SpecAction action = SpecAction::kCoordinatePut;
  std::string node;                 // the node that acted
  std::string client;               // CoordinatePut, ResendPut, ClientGet: the client served
  std::uint64_t request_id = 0;     // CoordinatePut, ResendPut, ClientGet: the client's request id
  std::uint64_t op_id = 0;          // put id or get id (the coordinator's); hint sequence for hints
  std::string key;                  // storage key
  std::string message;              // StoreVersion: "Store", "Repair" or "Handoff"
  std::string from;                 // StoreVersion, ReplicaRead: who sent the message
  std::string hint;                 // StoreVersion of a hinted Store, DeliverHint: the hint's target
  std::vector<Version> versions;    // the version(s) made, stored, sent or returned
  CausalContext context;            // CoordinatePut: the client's context
  std::vector<SpecTarget> targets;  // CoordinatePut, ClientGet: the sloppy list used; ResendPut: the new target
  std::vector<std::pair<std::string, std::uint64_t>> acks;  // CompletePut: acking nodes and epochs
  std::vector<std::pair<std::string, std::vector<Version>>> replies;  // CompleteGet: node -> view
  std::vector<std::string> to;      // ReadRepair: the stale replicas
};

struct Effects {
  std::vector<StorageOp> storage;
  std::vector<Send> sends;
  std::vector<Reply> replies;
  std::vector<SpecStep> steps;

  bool empty() const { return storage.empty() && sends.empty() && replies.empty(); }
};

}  // namespace dynamo
