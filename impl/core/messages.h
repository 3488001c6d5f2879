// messages.h: what nodes send each other, and what clients send a node and get back.
//
// Peer messages are the spec's messages (tla/Dynamo.tla: Store, StoreAck, Read, ReadReply, Repair,
// Handoff, HandoffAck), plus anti-entropy's KeySync and Tree* messages (the Merkle exchange) and
// partition transfer's TransferKey and TransferAck (tla/Membership.tla). Every field is checked by the receiver against
// limits.h before it is used; a message that fails a check is dropped (and counted), never trusted.
// Ids (put_id, get_id) are the coordinator's own and only mean something to it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "impl/core/causal_context.h"
#include "impl/core/dot.h"
#include "impl/core/merkle_exchange.h"
#include "impl/core/version.h"

namespace dynamo {

// Coordinator -> replica: store this version. `hint` names the down primary a fallback stands in
// for (empty: the receiver is a primary and stores it as its own data).
struct StoreRequest {
  std::uint64_t put_id = 0;
  std::string store;
  std::string key;
  Version version;
  std::string hint;
};

// Replica -> coordinator. `stored` is false when the replica refused (a limit; `refusal` says
// which); `epoch` is the replica's (a crash since makes its buffered copy suspect, spec ghost `held`).
struct StoreAck {
  std::uint64_t put_id = 0;
  Dot dot;
  std::uint64_t epoch = 0;
  bool stored = true;
  std::string refusal;
};

struct ReadRequest {
  std::uint64_t get_id = 0;
  std::string store;
  std::string key;
};

// Replica -> coordinator: the replica's view of the key (its siblings and any hints it keeps for
// it), or ok = false when it could not read (the coordinator counts no reply from it).
struct ReadReply {
  std::uint64_t get_id = 0;
  std::string store;  // echoed from the request: the coordinator counts a reply only for its get's key
  std::string key;
  bool ok = true;
  std::vector<Version> versions;
};

// Coordinator -> stale replica after a get (read repair); not acknowledged.
struct RepairRequest {
  std::string store;
  std::string key;
  std::vector<Version> versions;
};

// Fallback -> recovered primary: a hinted version coming home. `sequence` is the fallback's hint id.
struct Handoff {
  std::uint64_t sequence = 0;
  std::string store;
  std::string key;
  Version version;
};

// Primary -> fallback: the handed-off version is stored durably; the hint may go. The fallback deletes
// the hint only when sender, key and dot all match it (a dot names one write of one key).
struct HandoffAck {
  std::uint64_t sequence = 0;
  std::string store;
  std::string key;
  Dot dot;
};

// Anti-entropy between two primaries of a key: the sender's versions. The receiver merges them and,
// unless `reply` is set, answers with what it holds when that differs (so both end with the union).
struct KeySync {
  std::string store;
  std::string key;
  std::vector<Version> versions;
  bool reply = false;
};

// Partition transfer (tla/Membership.tla: StreamPartition, ConfirmTransfer). A node that is no longer
// a primary of a key under its ring sends the key's versions to each of the key's primaries; each
// stores them durably through the merge path and confirms with the dots it stored. `sequence` is the
// sender's own; a transfer is idempotent, so a resent or duplicated one does no harm.
struct TransferKey {
  std::uint64_t sequence = 0;
  std::string store;
  std::string key;
  std::vector<Version> versions;
};
struct TransferAck {
  std::uint64_t sequence = 0;
  std::string store;
  std::string key;
  std::vector<Dot> dots;  // of the versions the TransferKey carried, all now durable at the sender
};
// Merkle anti-entropy (docs/anti-entropy.md; spec action AntiEntropy): the initiator asks a
// fellow primary of a partition for node hashes of its tree of one store, then for the listings of
// the leaves that differ; the differing keys then travel as KeySync. `exchange` and `request` are
// the initiator's ids, echoed in the reply so a late or duplicated answer is matched to what it
// answers (or ignored). A reply with ok = false says the responder cannot answer (its trees are not
// filled yet, another shape, not a primary): the initiator ends the exchange.
struct TreeHashRequest {
  std::uint64_t exchange = 0;
  std::uint64_t request = 0;
  std::string store;
  MerkleHashRequest hashes;  // names the partition and the tree's shape
};
struct TreeHashReply {
  std::uint64_t exchange = 0;
  std::uint64_t request = 0;
  std::string store;
  std::uint32_t partition = 0;
  bool ok = true;
  MerkleHashReply hashes;  // one per requested position, in order
};
struct TreeLeafRequest {
  std::uint64_t exchange = 0;
  std::uint64_t request = 0;
  std::string store;
  MerkleLeafRequest leaves;
};
struct TreeLeafReply {
  std::uint64_t exchange = 0;
  std::uint64_t request = 0;
  std::string store;
  std::uint32_t partition = 0;
  bool ok = true;
  MerkleLeafReply leaves;  // one (key, digest) listing per requested leaf, in order
};
// Tombstone reaping (docs/reaping.md; tla/Membership.tla ReapTombstone). A primary whose siblings
// of a key are all tombstones older than the grace period asks every member of its ring, twice
// (reap_settle ticks apart), whether it holds anything for the key that the tombstones do not
// cover; when every member said no both times, with the same holdings, it sends the same message
// with `reap` set to every member that holds some of them, which drops the covered tombstones.
// `ring` is the sender's ring digest (ring_digest): a member with another ring answers "not ok".
class Ring;

// The digest a ReapQuery carries: the ring's identity (members in join order, their data centres
// and weights, Q). Two nodes with the same digest place every key on the same primaries.
std::uint64_t ring_digest(const Ring& ring);

struct ReapQuery {
  std::uint64_t query = 0;  // the querier's id, echoed in the reply
  std::string store;
  std::string key;
  std::uint64_t ring = 0;
  std::vector<Version> tombstones;  // the querier's siblings: tombstones only
  bool reap = false;                // false: a question; true: drop what these cover
};
// Member -> querier. ok: every version the member holds for the key (siblings and hints) is a
// tombstone covered by the query's (a primary: exactly the query's), the key is not in transfer
// there, its hints are loaded, and its ring is the querier's. `held`: the dots it holds, sorted.
struct ReapReply {
  std::uint64_t query = 0;
  std::string store;
  std::string key;
  bool ok = false;
  std::vector<Dot> held;
};
using PeerMessage = std::variant<StoreRequest, StoreAck, ReadRequest, ReadReply, RepairRequest,
                                 Handoff, HandoffAck, KeySync, TransferKey, TransferAck,
                                 TreeHashRequest, TreeHashReply, TreeLeafRequest, TreeLeafReply,
                                 ReapQuery, ReapReply>;
const char* message_name(const PeerMessage& message);

enum class OpKind { kPut, kDelete, kGet };

struct ClientRequest {
  std::uint64_t request_id = 0;  // the client's own; echoed in the reply
  OpKind op = OpKind::kGet;
  std::string store;             // empty: "default"
  std::string key;
  std::string value;             // puts only
  CausalContext context;         // puts and deletes: from the client's last get; empty = blind
  std::optional<int> r;          // per-request overrides of the store's R and W
  std::optional<int> w;
};

enum class ReplyStatus {
  kOk,        // done: a put reached W stores, a get R replies
  kFailed,    // not done, and nothing was stored: bad request, unknown store, a limit, busy
  kUnknown,   // a put that may or may not have happened (it timed out, or could no longer reach W,
              // after the coordinator stored it). A get that times out is kFailed: nothing happened
  kRedirect,  // this node is not a coordinator of the key: ask one of `coordinators`
};
const char* reply_status_name(ReplyStatus status);

struct ClientReply {
  std::uint64_t request_id = 0;
  ReplyStatus status = ReplyStatus::kOk;
  std::string message;                 // why, for every status but kOk
  std::vector<Version> siblings;       // a get: every causally-maximal version (tombstones included)
  CausalContext context;               // a get: read_context(siblings); a put: the new version's history
  std::optional<Dot> dot;              // a put or delete: the new version's dot (kOk, and kUnknown
                                       // once the version was made: it may exist)
  std::vector<std::string> coordinators;  // kRedirect: the key's preference list
};

}  // namespace dynamo
