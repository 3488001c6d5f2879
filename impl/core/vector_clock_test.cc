// Unit tests for vector clocks: the paper's Figure 3 and the truncation rule.
#include "impl/core/vector_clock.h"

#include <gtest/gtest.h>

#include "impl/core/test_support.h"

namespace dynamo {
namespace {

using testing::clock;

// Reference: §4.4, Figure 3: D1 -> D2 -> {D3, D4} concurrent -> D5.
TEST(VectorClock, Figure3OrdersTheVersionsOfThePaper) {
  const VectorClock d1 = clock({{"Sx", 1}});
  const VectorClock d2 = clock({{"Sx", 2}});
  const VectorClock d3 = clock({{"Sx", 2}, {"Sy", 1}});
  const VectorClock d4 = clock({{"Sx", 2}, {"Sz", 1}});
  const VectorClock d5 = clock({{"Sx", 3}, {"Sy", 1}, {"Sz", 1}});
  EXPECT_EQ(compare(d1, d2), Order::kBefore);
  EXPECT_EQ(compare(d2, d3), Order::kBefore);
  EXPECT_EQ(compare(d3, d4), Order::kConcurrent);
  EXPECT_EQ(compare(d4, d3), Order::kConcurrent);
  EXPECT_EQ(compare(d5, d3), Order::kAfter);
  EXPECT_EQ(compare(d5, d5), Order::kEqual);
  EXPECT_EQ(increment(merge(d3, d4), "Sx", 5), d5);
}

TEST(VectorClock, AbsentActorCountsAsZero) {
  EXPECT_EQ(compare(VectorClock{}, clock({{"a", 1}})), Order::kBefore);
  EXPECT_EQ(compare(clock({{"a", 0}}), VectorClock{}), Order::kEqual);
  EXPECT_EQ(clock({{"a", 2}}).counter("b"), 0u);
}

TEST(VectorClock, FromEntriesKeepsTheLargestCounterOfARepeatedActor) {
  const VectorClock c = VectorClock::from_entries({{"b", 1, 0}, {"a", 4, 0}, {"a", 7, 0}, {"a", 2, 0}});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.entries()[0].actor, "a");
  EXPECT_EQ(c.counter("a"), 7u);
}

TEST(VectorClock, MergeKeepsTheStampOfTheLargerCounter) {
  const VectorClock a = VectorClock::from_entries({{"x", 3, 100}});
  const VectorClock b = VectorClock::from_entries({{"x", 2, 900}});
  EXPECT_EQ(merge(a, b).find("x")->stamp_ms, 100u);
}

// Reference: §4.4 "clock truncation scheme": drop the oldest pair above the threshold.
TEST(VectorClock, TruncationDropsTheOldestEntries) {
  const VectorClock c = VectorClock::from_entries({{"a", 5, 300}, {"b", 1, 100}, {"c", 9, 200}, {"d", 2, 400}});
  const VectorClock t = truncate(c, 2);
  EXPECT_EQ(t, clock({{"a", 5}, {"d", 2}}));
  EXPECT_EQ(compare(t, c), Order::kBefore);
  EXPECT_EQ(truncate(c, 4), c);
}

TEST(VectorClock, TruncationBreaksTiesOnStampByActor) {
  const VectorClock c = VectorClock::from_entries({{"b", 1, 7}, {"a", 1, 7}, {"c", 1, 7}});
  EXPECT_EQ(truncate(c, 2), clock({{"b", 1}, {"c", 1}}));
}

}  // namespace
}  // namespace dynamo
