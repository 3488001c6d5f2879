// vector_clock.h: version vectors as in the Dynamo paper (§4.4): actor -> counter.
//
// Invariants of every VectorClock value:
//   1. entries are sorted by actor, with no actor twice;
//   2. every counter is >= 1 (an absent actor means counter 0).
// Each entry also keeps a wall-time stamp, passed in by the caller and never read from a clock: it
// is used only to pick which entry truncation drops (the paper's "oldest pair").
//
// Reference: §4.4 "Data Versioning", Figure 3.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "impl/core/dot.h"

namespace dynamo {

enum class Order { kBefore, kAfter, kEqual, kConcurrent };

const char* to_string(Order order);
// The order seen from the other side: before <-> after, equal and concurrent stay.
Order mirror(Order order);

struct ClockEntry {
  std::string actor;
  std::uint64_t counter = 0;
  std::uint64_t stamp_ms = 0;
  friend bool operator==(const ClockEntry&, const ClockEntry&) = default;
};

class VectorClock {
 public:
  VectorClock() = default;
  // Builds a clock from entries in any order; a repeated actor keeps its largest counter and, among
  // equal counters, its largest stamp; entries with counter 0 are dropped.
  static VectorClock from_entries(std::vector<ClockEntry> entries);

  const std::vector<ClockEntry>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::uint64_t counter(std::string_view actor) const;
  const ClockEntry* find(std::string_view actor) const;
  // True when the dot's event is in this clock's history: counter(dot.actor) >= dot.counter.
  bool covers(const Dot& dot) const;

  // Raises actor's counter to at least `counter` (stamp follows the larger counter).
  void advance(std::string_view actor, std::uint64_t counter, std::uint64_t stamp_ms);
  void erase(std::string_view actor);

  // Equality of the causal content (counters); stamps are metadata.
  friend bool operator==(const VectorClock& a, const VectorClock& b);
  friend VectorClock merge(const VectorClock& a, const VectorClock& b);

 private:
  std::vector<ClockEntry> entries_;
};

// The paper's partial order: a is before b when every counter of a is <= b's and a != b.
Order compare(const VectorClock& a, const VectorClock& b);
// Least upper bound: entry-wise maximum.
VectorClock merge(const VectorClock& a, const VectorClock& b);
// A strict successor: actor's counter + 1, stamped `now_ms`.
VectorClock increment(VectorClock clock, std::string_view actor, std::uint64_t now_ms);
// While the clock has more than `max_entries` entries, drops the oldest one (smallest stamp; among
// equal stamps, the smallest actor). The result is always before-or-equal to the input: truncation
// forgets history, it never invents any. Reference: §4.4, "clock truncation scheme".
VectorClock truncate(VectorClock clock, std::size_t max_entries);

}  // namespace dynamo
