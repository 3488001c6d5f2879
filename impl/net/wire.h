// wire.h: the bytes nodes and clients exchange (schema: spec/dynamo.capnp, documented in
// spec/README.md "Wire protocol"), converted to and from the core's messages (impl/core/messages.h).
//
// Two conversations, each one Cap'n Proto message (unpacked, one segment table) per NNG message:
//   node -> node     a PeerBatch: one sender, several peer messages (one NNG message carries every
//                    message the sender's event loop produced for that peer in one turn), one-way.
//   client -> node   a ClientBatch of calls (several operations per NNG message when many are in
//                    flight), answered by one ReplyBatch with one answer per call, in any order
//                    (answers carry the call's request id).
// Every decode checks the protocol version first, reads with explicit ReaderOptions limits
// (kReadLimits), converts every field with the core's limits (limits.h) and returns an Error whose
// message names what is wrong ("wire: ...") for malformed, truncated, oversized or wrong-version
// input. Decoding never trusts a length or a count from the bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "impl/core/causal_context.h"
#include "impl/core/gossip.h"
#include "impl/core/membership.h"
#include "impl/core/messages.h"
#include "impl/core/result.h"
#include "impl/core/ring.h"

namespace dynamo::net {

// Bumped on every incompatible schema change; a peer of another version gets an error, not a guess.
inline constexpr std::uint32_t kProtocolVersion = 1;

// Limits on one wire message (beyond the core's per-field limits).
struct WireLimits {
  std::size_t max_message_bytes = 64u << 20;   // a whole NNG message
  std::size_t max_batch = 4096;                // messages per PeerBatch, calls per ClientBatch
  std::uint64_t traversal_limit_words = 16u << 20;  // capnp ReaderOptions::traversalLimitInWords
  int nesting_limit = 16;                           // capnp ReaderOptions::nestingLimit
};
inline constexpr WireLimits kReadLimits{};

// Bounds of wire fields the core has no limit for (spec/README.md "Wire protocol", Limits).
inline constexpr std::size_t kMaxTextBytes = 4096;    // refusals, reply messages, batch errors
inline constexpr std::size_t kMaxAddressBytes = 256;  // NNG and HTTP addresses in a RingInfo
inline constexpr std::size_t kMaxStores = 256;        // stores in a RingInfo

// --- node -> node ---
struct PeerBatch {
  std::string from;                    // the sender's node id
  std::uint64_t from_epoch = 0;        // the sender's epoch (diagnostics; the core has its own)
  std::vector<PeerMessage> messages;
};
std::string encode_peer_batch(const PeerBatch& batch);
Result<PeerBatch> decode_peer_batch(std::string_view bytes, const WireLimits& limits = kReadLimits);

// --- client -> node ---
struct RingCall { std::uint64_t request_id = 0; };    // "how is the ring laid out?"
struct StatusCall { std::uint64_t request_id = 0; };  // "who is up, what is pending?"
// A membership command, applied at the node that receives it (docs/membership.md "In the node").
struct AdminJoin {  // this node joins through that seed
  std::string seed_id;
  std::string seed_peer_address;
};
struct AdminLeave {};                                  // this node leaves
struct AdminRemove { std::string id; };                // that node is gone for good
struct AdminCall {
  std::uint64_t request_id = 0;
  std::variant<AdminJoin, AdminLeave, AdminRemove> command;
};
using ClientCall = std::variant<ClientRequest, RingCall, StatusCall, AdminCall>;
struct ClientBatch {
  std::vector<ClientCall> calls;
};
std::string encode_client_batch(const ClientBatch& batch);
Result<ClientBatch> decode_client_batch(std::string_view bytes, const WireLimits& limits = kReadLimits);

// --- node -> client ---
struct MemberAddress {
  Member member;              // id, data centre, weight (ring.h)
  std::string peer_address;   // NNG URL for peers, e.g. tcp://127.0.0.1:7101
  std::string client_address; // NNG URL for clients
  std::string http_address;   // http://host:port
};
struct StoreInfo {
  std::string name;
  int n = 0, r = 0, w = 0;
  bool durable_replicas = false;
  std::uint64_t max_value_bytes = 0;
};
// Enough to rebuild the node's Ring (Ring::build(members in order, partitions)) and route keys.
struct RingInfo {
  std::uint64_t request_id = 0;
  std::uint32_t partitions = 0;
  std::vector<MemberAddress> members;  // in join order
  std::vector<StoreInfo> stores;
  MembershipView view;                 // the answering node's, removed members included
  std::uint64_t transfers_pending = 0; // keys it holds but no longer owns, or sent and not confirmed
};
struct PeerState {
  std::string id;
  bool suspected = false;
  std::uint64_t hints_pending = 0;  // hints this node keeps for that peer
};
struct StatusInfo {
  std::uint64_t request_id = 0;
  std::string node;
  std::uint64_t epoch = 0;
  std::uint64_t uptime_ms = 0;
  std::vector<PeerState> peers;
  std::uint64_t requests_in_flight = 0;
  std::uint64_t hints_pending = 0;
  std::uint64_t handoffs_in_flight = 0;
  std::uint64_t read_repairs = 0;
  std::uint64_t dropped_messages = 0;
  std::uint64_t merkle_exchanges = 0;
  std::uint64_t merkle_keys_repaired = 0;
  std::uint64_t merkle_bytes_sent = 0;
  std::uint64_t tombstones_reaped = 0;
  std::uint64_t keys_not_owned = 0;
};
// An answer that is no call's: the whole batch was refused (malformed, wrong version); request_id 0.
struct BatchError {
  std::uint64_t request_id = 0;
  std::string message;
};
struct AdminAnswer {
  std::uint64_t request_id = 0;
  bool ok = false;
  std::string message;  // what happened, or why not
};
using ClientAnswer = std::variant<ClientReply, RingInfo, StatusInfo, BatchError, AdminAnswer>;
struct ReplyBatch {
  std::vector<ClientAnswer> answers;
};
std::string encode_reply_batch(const ReplyBatch& batch);
Result<ReplyBatch> decode_reply_batch(std::string_view bytes, const WireLimits& limits = kReadLimits);

// --- node -> node: membership (gossip of the view, a joiner's request to a seed) ---
struct JoinAsk {
  std::uint64_t ask_id = 0;
  JoinRequest request;  // cluster id, id, addresses, dc, weight
};
struct JoinAnswer {
  std::uint64_t ask_id = 0;
  std::string error;    // empty: admitted
  MembershipView view;  // the seed's view after the join
};
struct MembershipMessage {
  std::string from;               // the sender's node id
  std::string from_peer_address;  // where to answer
  std::variant<GossipMessage, JoinAsk, JoinAnswer> body;
};
std::string encode_membership_message(const MembershipMessage& message);
Result<MembershipMessage> decode_membership_message(std::string_view bytes, const WireLimits& limits = kReadLimits);
// The kind of a top-level message without decoding the rest (kUnset when it is not one): the peer
// port receives PeerBatches and MembershipMessages.
enum class TopKind { kUnset, kPeerBatch, kMembership, kOther };
TopKind peek_kind(std::string_view bytes, const WireLimits& limits = kReadLimits);
// A view alone (the node's persisted membership file).
std::string encode_view(const MembershipView& view);
Result<MembershipView> decode_view(std::string_view bytes, const WireLimits& limits = kReadLimits);

// --- the context a client holds between a get and a put (X-Dynamo-Context is its base64) ---
std::string encode_context(const CausalContext& context);
Result<CausalContext> decode_context(std::string_view bytes, const WireLimits& limits = kReadLimits);

}  // namespace dynamo::net
