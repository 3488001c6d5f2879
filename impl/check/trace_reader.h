// trace_reader.h: reads a trace (spec/trace-format.md, format version 1) into typed structs.
//
// A trace is outside input: any implementation may write one, and TLC replays it against the spec
// (tla/TraceDynamo.tla). read_trace checks exactly what the format check spec/reference/trace_check.py
// checks, in the same order, so the two agree on which line of a trace is the first malformed one:
//   - every line is a JSON object, no blank lines; the first is the header (format, version, nodes,
//     keys with their walks, 1 <= R, W <= N <= number of nodes);
//   - every other line names a known action and has its fields, with the JSON types of the format;
//     nodes and keys are the header's; values inside lines have exactly their listed fields;
//   - put and get ids count 1, 2, 3 in the order of CoordinatePut / ClientGet lines; a completion,
//     repair or timeout names an operation its coordinator started, once;
//   - CoordinatePut's dot is the coordinator's actor; epochs start at 0 and Recover adds one; a node
//     acts only while it is up;
//   - every message a line acts on was sent by an earlier line and is still in flight (the reader
//     keeps the network as a bag, as the Python check does); a hint delivered was stored.
// Whether each step is one the spec allows (counters, siblings, quorums) is TLC's job.
//
// Beyond the Python check, every size is bounded (trace_limits below): a trace past a limit is
// malformed, naming the line, never a crash or an unbounded allocation. Errors read
// `line N: field "x": what is wrong` (or `line N: what is wrong` for a line that is not JSON).
//
// Known differences from trace_check.py, all on input that is not strictly JSON or is past a limit:
// Python's json module also takes NaN, Infinity, lone surrogate escapes, integers beyond 64 bits and
// floats beyond a double's range (1e400); nesting deeper than trace_limits::kMaxNestingDepth; and
// the Python header check takes "version": 1.0 or true (1 == 1.0 == True in Python); this reader
// takes none of them.
//
// Thread safety: read_trace is a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "impl/core/limits.h"
#include "impl/core/result.h"

namespace dynamo::check {

// Limits on a trace. Each is checked before the data is used; the simulator's traces are a few
// hundred lines of a few hundred bytes, and TLC replays a few thousand lines a minute, so these are
// far above any trace TLC can check.
namespace trace_limits {
// The whole trace, and its lines (the header plus one per action).
inline constexpr std::size_t kMaxTraceBytes = std::size_t{64} << 20;
inline constexpr std::size_t kMaxLines = 200'000;
// One line: the largest legitimate one is a CompleteGet carrying several replies' sibling sets.
inline constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;
// Members of the run and keys it touches (the header lists every node once per key's walk).
inline constexpr std::size_t kMaxNodes = limits::kMaxNodes;
inline constexpr std::size_t kMaxKeys = 10'000;
// Node and client names; keys are the store's keys; values are what clients wrote (the simulator's
// are short write identifiers; an implementation tracing large values writes an injective encoding).
inline constexpr std::size_t kMaxNameBytes = 256;
inline constexpr std::size_t kMaxKeyBytes = limits::kMaxKeyBytes;
inline constexpr std::size_t kMaxValueBytes = std::size_t{256} << 10;
// Dots in one context (the simulator lists every dot a context covers, so a key written often has
// a long context), and versions in one sibling set, store view or reply.
inline constexpr std::size_t kMaxContextDots = 65'536;
inline constexpr std::size_t kMaxVersions = 4'096;
// Integers (ids, epochs, counters): the core's own bound on counters from outside.
inline constexpr std::uint64_t kMaxInteger = limits::kMaxCounter;
// What the reader keeps while reading: messages in flight, hints held, results of completed gets, and
// each put's version (a ResendPut line sends it again).
inline constexpr std::size_t kMaxStateBytes = std::size_t{64} << 20;
// JSON nesting: the deepest value the format has is a CompleteGet line's replies[i].vers[j].ctx[k]
// dot (depth 7); the slack admits small metadata objects in ignored fields.
inline constexpr int kMaxNestingDepth = 16;

static_assert(kMaxLines * 16 <= kMaxTraceBytes, "the line cap is reachable with short lines");
static_assert(kMaxLineBytes <= kMaxTraceBytes);
static_assert(kMaxValueBytes * 2 <= kMaxLineBytes, "a put of the longest value fits on a line");
}  // namespace trace_limits

// Index into TraceHeader::nodes / TraceHeader::keys: every node and key a line names is the
// header's, so lines carry indices, never names.
using NodeIndex = std::uint32_t;
using KeyIndex = std::uint32_t;

// The write event <<<<node, epoch>>, counter>> (JSON [node, epoch, counter]).
struct TraceDot {
  NodeIndex node = 0;
  std::uint64_t epoch = 0;
  std::uint64_t counter = 1;
  auto operator<=>(const TraceDot&) const = default;
};

// {"dot", "ctx", "val"} or, for a delete, {"dot", "ctx", "tombstone": true}.
struct TraceVersion {
  TraceDot dot;
  std::vector<TraceDot> ctx;       // a set: no dot twice, in the line's order
  std::optional<std::string> val;  // nullopt: a tombstone
};

// Where a coordinator sends a version: `hint` names the primary a fallback stands in for.
struct TraceTarget {
  NodeIndex node = 0;
  std::optional<NodeIndex> hint;
};

enum class MessageType { kStore, kStoreAck, kRepair, kHandoff, kHandoffAck, kRead, kReadReply };

// A message, with the fields its type has (spec/trace-format.md, "Messages"); the others keep their
// defaults.
struct TraceMessage {
  MessageType type = MessageType::kStore;
  NodeIndex to = 0;
  NodeIndex from = 0;
  std::uint64_t id = 0;             // Store, StoreAck, Read, ReadReply: the put or get id
  KeyIndex key = 0;                 // Store, Repair, Handoff, HandoffAck, Read
  std::optional<TraceVersion> ver;  // Store, Handoff, HandoffAck (always set for these)
  std::optional<NodeIndex> hint;    // Store only, optional
  std::vector<TraceVersion> vers;   // Repair, ReadReply
  TraceDot dot;                     // StoreAck
  std::uint64_t epoch = 0;          // StoreAck
};

enum class ActionKind {
  kCoordinatePut, kPersistPut, kStoreVersion, kCompletePut, kClientGet, kReplicaRead, kCompleteGet, kReadRepair,
  kDeliverHint, kDeleteHint, kFlush, kCrash, kRecover, kLoseMessage, kDuplicateMessage,
  // Stuttering steps (no spec effect).
  kAckPut, kReplyGet, kDiscard, kPutTimeout, kGetTimeout,
  kResendPut,  // added to format version 1 later (spec/trace-format.md): old traces have none
};

struct TraceAck {    // CompletePut's acks[i]
  NodeIndex from = 0;
  std::uint64_t epoch = 0;
};
struct TraceReply {  // CompleteGet's replies[i]
  NodeIndex from = 0;
  std::vector<TraceVersion> vers;
};
struct TraceHint {   // DeliverHint's hint
  NodeIndex to = 0;
  KeyIndex key = 0;
  TraceVersion ver;
};

// One action line. The fields each action has (spec/trace-format.md, "Action lines") are set; the
// others keep their defaults. Fields the format does not name are ignored, as the format says.
struct TraceAction {
  std::size_t line = 0;  // 1-based line number in the trace (the header is line 1)
  ActionKind kind = ActionKind::kFlush;
  NodeIndex node = 0;    // every action but LoseMessage and DuplicateMessage
  std::uint64_t id = 0;  // CoordinatePut, CompletePut, ResendPut, ClientGet, CompleteGet, ReadRepair, *Timeout
  std::string client;    // CoordinatePut, ClientGet
  KeyIndex key = 0;      // CoordinatePut, ClientGet
  std::uint64_t epoch = 0;             // CoordinatePut, ClientGet, Recover
  std::vector<TraceDot> ctx;           // CoordinatePut (sent), CompleteGet (returned)
  std::optional<std::string> val;      // CoordinatePut: nullopt for a delete ("tombstone": true)
  TraceDot dot;                        // CoordinatePut
  std::vector<TraceTarget> targets;    // CoordinatePut, ClientGet; ResendPut: its one {to, hint}
  std::optional<TraceMessage> msg;     // StoreVersion, ReplicaRead, DeleteHint, LoseMessage,
                                       // DuplicateMessage, AckPut, ReplyGet, Discard
  std::vector<TraceVersion> siblings;  // StoreVersion, CompleteGet, ReadRepair
  std::vector<TraceVersion> view;      // ClientGet, ReplicaRead
  std::vector<TraceAck> acks;          // CompletePut
  std::vector<TraceReply> replies;     // CompleteGet
  std::vector<NodeIndex> to;           // ReadRepair
  std::optional<TraceHint> hint;       // DeliverHint
};

struct TraceKey {
  std::string key;
  std::vector<NodeIndex> walk;  // every node once, in the key's preference order
};

// Line 1.
struct TraceHeader {
  std::vector<std::string> nodes;  // distinct, non-empty
  std::vector<TraceKey> keys;      // distinct, non-empty
  int n = 1;                       // 1 <= r, w <= n <= nodes.size()
  int r = 1;
  int w = 1;
};

struct Trace {
  TraceHeader header;
  std::vector<TraceAction> actions;  // one per line after the header, in order
};

// Reads NDJSON text. On success, actions.size() is the number of lines minus one (a final '\n' ends
// the last line; it does not start another) and actions[i].line == i + 2.
Result<Trace> read_trace(std::string_view ndjson);

const char* action_name(ActionKind kind);
const char* message_type_name(MessageType type);

}  // namespace dynamo::check
