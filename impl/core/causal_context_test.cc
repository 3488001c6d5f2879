// Unit tests for the exact dot-set encoding of contexts.
#include "impl/core/causal_context.h"

#include <gtest/gtest.h>

#include "impl/core/test_support.h"

namespace dynamo {
namespace {

using testing::clock;
using testing::context;

TEST(CausalContext, ContiguousDotsFoldIntoTheSummary) {
  CausalContext c;
  c.add(Dot{"a", 1, 0});
  c.add(Dot{"a", 3, 0});
  EXPECT_EQ(c.summary(), clock({{"a", 1}}));
  ASSERT_EQ(c.cloud().size(), 1u);
  c.add(Dot{"a", 2, 0});
  EXPECT_EQ(c.summary(), clock({{"a", 3}}));
  EXPECT_TRUE(c.cloud().empty());
}

// The reason the context is not a plain version vector: seeing (a,8) says nothing about (a,7).
TEST(CausalContext, ALooseDotDoesNotClaimTheDotsBelowIt) {
  CausalContext c;
  c.add(Dot{"a", 8, 0});
  EXPECT_TRUE(c.contains(Dot{"a", 8, 0}));
  EXPECT_FALSE(c.contains(Dot{"a", 7, 0}));
  EXPECT_EQ(c.max_counter("a"), 8u);
}

TEST(CausalContext, MergeIsSetUnion) {
  const CausalContext a = context({{"a", 2}}, {Dot{"b", 5, 0}});
  const CausalContext b = context({{"b", 4}}, {Dot{"a", 4, 0}});
  const CausalContext m = merge(a, b);
  EXPECT_EQ(m.summary(), clock({{"a", 2}, {"b", 5}}));
  ASSERT_EQ(m.cloud().size(), 1u);
  EXPECT_EQ(m.cloud()[0], (Dot{"a", 4, 0}));
  EXPECT_EQ(compare(a, m), Order::kBefore);
  EXPECT_EQ(compare(m, b), Order::kAfter);
  EXPECT_EQ(compare(a, b), Order::kConcurrent);
}

TEST(CausalContext, TruncationForgetsWholeActorsOldestFirst) {
  CausalContext c = CausalContext::from_parts(
      VectorClock::from_entries({{"old", 3, 10}, {"mid", 1, 20}}), {Dot{"new", 4, 30}, Dot{"old", 9, 5}});
  const CausalContext t = truncate(c, 2);
  EXPECT_EQ(t.actors(), (std::vector<std::string>{"mid", "new"}));
  EXPECT_EQ(compare(t, c), Order::kBefore);
}

TEST(CausalContext, TruncationForgetsTheActorsOfDotsToCoverLast) {
  CausalContext c = CausalContext::from_parts(
      VectorClock::from_entries({{"old", 3, 10}, {"mid", 1, 20}}), {Dot{"new", 4, 30}, Dot{"old", 9, 5}});
  // "old" is the oldest, but a dot to cover needs it: "mid" goes instead.
  EXPECT_EQ(truncate(c, 2, {Dot{"old", 2, 0}}).actors(), (std::vector<std::string>{"new", "old"}));
  // A dot the context does not hold protects nothing.
  EXPECT_EQ(truncate(c, 2, {Dot{"old", 5, 0}}).actors(), (std::vector<std::string>{"mid", "new"}));
  // More actors to cover than room: the oldest of them go.
  EXPECT_EQ(truncate(c, 1, {Dot{"old", 2, 0}, Dot{"mid", 1, 0}}).actors(), (std::vector<std::string>{"mid"}));
}

}  // namespace
}  // namespace dynamo
