// history.h: a client history of a Dynamo-style store, as NDJSON events, and its parser.
//
// The format (spec/history-format.md) is black-box: writes are named by the unique values they
// wrote (a delete by its own op id), never by an implementation's clocks or dots, so any
// implementation's test harness can produce it.
//
// Invariants of a parsed history (parse_history returns either these or an error, never both):
//   - events are in file order; `line` is the event's 1-based line number, strictly increasing;
//   - every string is valid UTF-8 (the JSON parser checks) and within the limits below;
//   - an invoke event has a type; a put has a value; only puts and deletes have `read`; only gets
//     have `final`; a complete event has an outcome, and `siblings` only if the line gave them.
// Pairing invokes with completions, and every rule that spans lines, is the checker's job
// (history_checker.h). Thread safety: pure functions, no shared state.
#pragma once

#include <compare>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "impl/core/limits.h"

namespace dynamo::check {

// Limits on a history, which comes from anyone's harness. Each is checked before the data is used,
// and exceeding one is a malformed history naming the line and field, never a crash.
namespace history_limits {
// A whole history is read into memory by the CLI; 256 MiB holds about two million events.
inline constexpr std::size_t kMaxHistoryBytes = std::size_t{256} << 20;
// Events: one invocation and one completion per operation, so a million operations.
inline constexpr std::size_t kMaxEvents = 2'000'000;
// One event per line; the largest legitimate line is a get listing kMaxSiblingsPerRead siblings.
inline constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;
// Keys are the store's keys, so the store's own bound applies.
inline constexpr std::size_t kMaxKeyBytes = limits::kMaxKeyBytes;
// Distinct keys in one history: the checker keeps per-key state; harnesses use a few hundred.
inline constexpr std::size_t kMaxKeys = 100'000;
// Values are unique write identifiers chosen by the harness ("c3-17"), not payloads.
inline constexpr std::size_t kMaxValueBytes = 1024;
// Op and process ids: names chosen by the harness.
inline constexpr std::size_t kMaxIdBytes = 256;
// Siblings returned by one get: far above the store's own cap (limits::kMaxSiblings), so a store
// that breaks its cap is still checked rather than refused.
inline constexpr std::size_t kMaxSiblingsPerRead = 512;
// JSON nesting: an event object holds a siblings array holding tombstone objects (depth 3); the
// slack admits small metadata objects in ignored fields, and the bound keeps the parser's stack
// small whatever the input.
inline constexpr int kMaxNestingDepth = 8;

static_assert(kMaxSiblingsPerRead >= limits::kMaxSiblings, "a conforming store's reads always fit");
static_assert(kMaxSiblingsPerRead * (kMaxValueBytes + 16) <= kMaxLineBytes,
              "a get with the most siblings of the longest values fits on one line");
static_assert(kMaxEvents * 16 <= kMaxHistoryBytes, "the event cap is reachable with short events");
}  // namespace history_limits

enum class EventKind { kInvoke, kComplete };
enum class OpType { kPut, kDelete, kGet };
enum class Outcome { kOk, kFail, kUnknown };

// A write's identity: the value a put wrote, or (deleted = true) the op id of a delete.
struct WriteId {
  bool deleted = false;
  std::string id;
  auto operator<=>(const WriteId&) const = default;
};

struct Event {
  std::size_t line = 0;
  EventKind kind = EventKind::kInvoke;
  std::string process;
  std::string op;
  // Invoke events only.
  OpType type = OpType::kGet;
  std::string key;
  std::string value;                // puts only
  std::optional<std::string> read;  // puts and deletes: the get whose context was sent; nullopt = blind
  bool final = false;               // gets only
  // Complete events only.
  Outcome outcome = Outcome::kUnknown;
  std::optional<std::vector<WriteId>> siblings;  // as given on the line (gets that completed ok)
};

// An error in a history: the line it is on (0 when it concerns the whole history) and a message
// that names the field and says what is wrong.
struct HistoryError {
  std::size_t line = 0;
  std::string message;
  std::string to_string() const;  // "line 7: field \"read\": ..." or the bare message
};

struct ParsedHistory {
  std::vector<Event> events;
  std::optional<HistoryError> error;  // set: the history is malformed and `events` is empty
};

// Parses NDJSON text (spec/history-format.md). Blank lines are skipped; unknown fields are ignored.
ParsedHistory parse_history(std::string_view text);

const char* op_type_name(OpType type);
const char* outcome_name(Outcome outcome);

}  // namespace dynamo::check
