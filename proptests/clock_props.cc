// Properties of vector clocks: compare is a partial order, merge the least upper bound, increment a
// strict successor, truncation drops exactly the oldest entries. Reference: §4.4.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <tuple>

#include "impl/core/vector_clock.h"
#include "proptests/generators.h"

namespace dynamo::proptests {
namespace {

bool at_most(const VectorClock& a, const VectorClock& b) {
  const Order o = compare(a, b);
  return o == Order::kBefore || o == Order::kEqual;
}

RC_GTEST_PROP(ClockProps, CompareIsReflexive, ()) {
  const VectorClock a = arbitrary_clock();
  RC_ASSERT(compare(a, a) == Order::kEqual);
}

RC_GTEST_PROP(ClockProps, CompareMirrorsWhenArgumentsSwap, ()) {
  const VectorClock a = arbitrary_clock();
  const VectorClock b = arbitrary_clock();
  RC_ASSERT(compare(b, a) == mirror(compare(a, b)));
}

RC_GTEST_PROP(ClockProps, CompareIsAntisymmetric, ()) {
  const VectorClock a = arbitrary_clock();
  const VectorClock b = *rc::gen::arbitrary<bool>() ? a : arbitrary_clock();
  if (at_most(a, b) && at_most(b, a)) RC_ASSERT(a == b);
  RC_ASSERT((compare(a, b) == Order::kEqual) == (a == b));
}

RC_GTEST_PROP(ClockProps, CompareIsTransitive, ()) {
  const VectorClock a = arbitrary_clock();
  const VectorClock b = clock_above(a);
  const VectorClock c = *rc::gen::arbitrary<bool>() ? clock_above(b) : arbitrary_clock();
  RC_ASSERT(at_most(a, b));
  if (at_most(b, c)) RC_ASSERT(at_most(a, c));
  if (compare(a, b) == Order::kBefore && at_most(b, c)) RC_ASSERT(compare(a, c) == Order::kBefore);
}

RC_GTEST_PROP(ClockProps, MergeIsCommutativeAssociativeIdempotent, ()) {
  const VectorClock a = arbitrary_clock();
  const VectorClock b = arbitrary_clock();
  const VectorClock c = arbitrary_clock();
  RC_ASSERT(merge(a, b) == merge(b, a));
  RC_ASSERT(merge(merge(a, b), c) == merge(a, merge(b, c)));
  RC_ASSERT(merge(a, a) == a);
}

RC_GTEST_PROP(ClockProps, MergeIsTheLeastUpperBound, ()) {
  const VectorClock a = arbitrary_clock();
  const VectorClock b = arbitrary_clock();
  const VectorClock m = merge(a, b);
  RC_ASSERT(at_most(a, m));
  RC_ASSERT(at_most(b, m));
  // Any other upper bound: built above both, or drawn at random and kept only if it is one.
  const VectorClock u = *rc::gen::arbitrary<bool>() ? clock_above(m) : arbitrary_clock();
  if (at_most(a, u) && at_most(b, u)) RC_ASSERT(at_most(m, u));
  // Entry-wise: every counter of m is the larger of a's and b's.
  for (const ClockEntry& e : m.entries()) RC_ASSERT(e.counter == std::max(a.counter(e.actor), b.counter(e.actor)));
}

RC_GTEST_PROP(ClockProps, IncrementYieldsAStrictSuccessor, ()) {
  const VectorClock a = arbitrary_clock();
  const std::string actor(1, static_cast<char>('a' + *rc::gen::inRange(0, 6)));
  const VectorClock next = increment(a, actor, 99);
  RC_ASSERT(compare(a, next) == Order::kBefore);
  RC_ASSERT(next.counter(actor) == a.counter(actor) + 1);
  RC_ASSERT(next.find(actor)->stamp_ms == 99u);
  VectorClock rest = next;
  rest.erase(actor);
  VectorClock a_rest = a;
  a_rest.erase(actor);
  RC_ASSERT(rest == a_rest);
}

// The truncation rule (spec/README.md "Truncation"): keeps exactly the `max` newest entries,
// unchanged, and so is always before-or-equal to the input; it never invents history.
RC_GTEST_PROP(ClockProps, TruncationDropsExactlyTheOldestEntries, ()) {
  const VectorClock a = arbitrary_clock(12, 6);
  const std::size_t max = *rc::gen::inRange<std::size_t>(0, 13);
  const VectorClock t = truncate(a, max);
  RC_ASSERT(t.size() == std::min(a.size(), max));
  RC_ASSERT(at_most(t, a));
  auto age = [](const ClockEntry& e) { return std::tie(e.stamp_ms, e.actor); };
  for (const ClockEntry& kept : t.entries()) {
    const ClockEntry* original = a.find(kept.actor);
    RC_ASSERT(original != nullptr);
    RC_ASSERT(*original == kept);
    for (const ClockEntry& e : a.entries()) {
      if (t.find(e.actor) == nullptr) RC_ASSERT(age(e) < age(kept));
    }
  }
}

}  // namespace
}  // namespace dynamo::proptests
