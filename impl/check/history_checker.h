// history_checker.h: finds every acknowledged write a Dynamo-style store lost, from a client history
// alone (a Jepsen-style check for Dynamo's semantics; definitions in spec/history-format.md).
//
// Definitions, as the checker applies them:
//   - A write is a put (named by its unique value) or a delete (named by its op id).
//   - The history of a write x is empty for a blind write; otherwise it is, for every sibling s its
//     based-on get returned, {s} plus the history of s. x *covers* w when w is in x's history.
//   - An acknowledged (outcome ok) write w of key k is *lost* when the final read of k does not
//     return w and no write whose outcome is ok or unknown covers w. Failed writes are never required
//     and never excuse a loss; failed and unknown writes may or may not appear.
//   - A *phantom* is a sibling a get returned that no write of that key wrote before the get ended.
//
// Invariants of a CheckReport:
//   - verdict is kMalformed exactly when error is set; then counts, lost and phantoms are empty;
//   - otherwise verdict is kInvalid exactly when lost or phantoms is non-empty;
//   - lost is ordered by the write's invoke line; phantoms by the get's completion line, then by the
//     sibling's position in that get's list.
// The checker is pure: no I/O, deterministic, and bounded by the history's limits (history.h); it
// runs in time and memory linear in the history plus the siblings its reads returned.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "impl/check/history.h"

namespace dynamo::check {

enum class Verdict { kValid, kInvalid, kMalformed };

struct LostWrite {
  std::string key;
  WriteId write;
  std::string op;       // the op that wrote it
  std::string process;
  std::string why;
  std::optional<std::string> last_seen_by;  // the last get (by completion) that returned it, if any
};

struct Phantom {
  std::string key;
  std::string get;  // the op id of the get that returned it
  WriteId returned;
  std::string why;
};

struct CheckReport {
  Verdict verdict = Verdict::kValid;
  std::optional<HistoryError> error;  // set exactly when verdict == kMalformed
  std::size_t events = 0;
  std::size_t keys = 0;
  std::size_t acknowledged = 0;  // puts and deletes whose outcome is ok
  std::size_t failed = 0;        // ... fail
  std::size_t unknown = 0;       // ... unknown, or never completed
  std::size_t reads = 0;         // gets that completed ok (final reads included)
  std::vector<LostWrite> lost;
  std::vector<Phantom> phantoms;
};

// Checks a parsed history. REQUIRES: events as parse_history returns them (no error).
CheckReport check_history(const std::vector<Event>& events);

// Parses and checks NDJSON text; a parse error gives a kMalformed report.
CheckReport check_history_text(std::string_view text);

// The verdict as JSON (spec/history-format.md, "Verdict").
nlohmann::json report_to_json(const CheckReport& report);

const char* verdict_name(Verdict verdict);

// A write as it appears in a history: a string value, or {"deleted": "<op id>"}.
nlohmann::json write_to_json(const WriteId& write);

}  // namespace dynamo::check
