// causal_context.h: an exact set of dots, stored compactly.
//
// A context says which write events a client has seen (spec: a set of dots). It is encoded as a
// version vector `summary` (actor a at counter c stands for the dots (a,1) .. (a,c)) plus a `cloud`
// of loose dots that the summary does not cover. The encoding is exact: it never claims a dot the
// client did not see. That matters: a reader who saw (a,8) but not its concurrent sibling (a,7)
// must not get the context {a:8}, or its next put would silently supersede (a,7).
//
// Invariants of every CausalContext value:
//   1. the cloud is sorted, without duplicates;
//   2. no cloud dot is covered by the summary;
//   3. no cloud dot (a,c) has summary.counter(a) == c - 1 (it would have been folded in).
// Hence two contexts hold the same set of dots exactly when their encodings are equal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "impl/core/dot.h"
#include "impl/core/vector_clock.h"

namespace dynamo {

class CausalContext {
 public:
  CausalContext() = default;
  // Builds the context holding every dot of `summary` plus the given dots (in any order).
  static CausalContext from_parts(VectorClock summary, std::vector<Dot> dots);

  const VectorClock& summary() const { return summary_; }
  const std::vector<Dot>& cloud() const { return cloud_; }
  bool empty() const { return summary_.empty() && cloud_.empty(); }
  bool contains(const Dot& dot) const;
  // The largest counter of `actor` among the dots held (0 when none).
  std::uint64_t max_counter(std::string_view actor) const;
  // Actors with at least one dot held, sorted.
  std::vector<std::string> actors() const;
  // Dot count, counting each summary entry as its counter (for tests on small contexts).
  std::uint64_t dot_count() const;

  void add(const Dot& dot);
  // Removes every dot of `actor`.
  void forget(std::string_view actor);

  friend bool operator==(const CausalContext& a, const CausalContext& b) {
    return a.summary_ == b.summary_ && a.cloud_ == b.cloud_;
  }

 private:
  void compact();

  VectorClock summary_;
  std::vector<Dot> cloud_;
};

// Set union.
CausalContext merge(const CausalContext& a, const CausalContext& b);
// Set inclusion: before = proper subset, equal, after = proper superset, else concurrent.
Order compare(const CausalContext& a, const CausalContext& b);
// While more than `max_actors` actors have dots in the context, forgets every dot of the actor
// whose newest stamp is oldest (ties: smallest actor). Only ever removes dots: a put carrying the
// truncated context supersedes fewer versions (more siblings), never more.
// The actors of `to_cover` (dots the context contains and should go on containing: the siblings a
// put supersedes) are forgotten only after every other actor, so that history goes before the
// dots the put was made to replace.
CausalContext truncate(CausalContext context, std::size_t max_actors, const std::vector<Dot>& to_cover = {});

}  // namespace dynamo
