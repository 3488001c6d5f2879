// Unit tests for versions: reconciliation, read contexts, and how a put makes a version.
#include "impl/core/version.h"

#include <gtest/gtest.h>

#include "impl/core/test_support.h"

namespace dynamo {
namespace {

using testing::context;
using testing::version;

std::vector<std::string> values_of(const std::vector<Version>& siblings) {
  std::vector<std::string> out;
  for (const Version& v : siblings) out.push_back(v.value.value_or("<deleted>"));
  return out;
}

// Reference: §4.4 Figure 3, replayed through make_version: Sx writes D1 and D2, Sy and Sz each write
// a successor of D2 concurrently (D3, D4), and Sx reconciles them into D5.
TEST(Version, Figure3ThroughMakeVersion) {
  KeyState sx, sy, sz;
  MadeVersion d1 = make_version(sx, "Sx", {}, "D1", 1);
  MadeVersion d2 = make_version(d1.state, "Sx", read_context(d1.state.siblings), "D2", 2);
  EXPECT_EQ(values_of(d2.state.siblings), (std::vector<std::string>{"D2"}));
  const CausalContext read_d2 = read_context(d2.state.siblings);
  sy = store_version(sy, d2.version);
  sz = store_version(sz, d2.version);
  MadeVersion d3 = make_version(sy, "Sy", read_d2, "D3", 3);
  MadeVersion d4 = make_version(sz, "Sz", read_d2, "D4", 4);
  KeyState client_view = store_version(store_version(KeyState{}, d3.version), d4.version);
  EXPECT_EQ(values_of(client_view.siblings), (std::vector<std::string>{"D3", "D4"}));
  const CausalContext read_both = read_context(client_view.siblings);
  EXPECT_EQ(read_both.summary(), testing::clock({{"Sx", 2}, {"Sy", 1}, {"Sz", 1}}));
  MadeVersion d5 = make_version(store_version(store_version(d2.state, d3.version), d4.version), "Sx",
                                read_both, "D5", 5);
  EXPECT_EQ(values_of(d5.state.siblings), (std::vector<std::string>{"D5"}));
  EXPECT_EQ(d5.version.history().summary(), testing::clock({{"Sx", 3}, {"Sy", 1}, {"Sz", 1}}));
}

// The rule that dotted versions exist for: a coordinator must not let its second blind put
// supersede its first. Reference: §4.4; Riak's pre-2.0 sibling loss, fixed by dotted version vectors.
TEST(Version, TwoContextFreePutsThroughOneCoordinatorBothSurvive) {
  MadeVersion first = make_version(KeyState{}, "A", {}, "first", 1);
  MadeVersion second = make_version(first.state, "A", {}, "second", 2);
  EXPECT_EQ(values_of(second.state.siblings), (std::vector<std::string>{"first", "second"}));
  EXPECT_NE(first.version.dot, second.version.dot);
}

TEST(Version, APutSupersedesExactlyWhatItsContextCovers) {
  KeyState s = make_version(KeyState{}, "A", {}, "x", 1).state;
  s = make_version(s, "A", {}, "y", 2).state;  // siblings x (A,1), y (A,2)
  CausalContext saw_only_y;
  saw_only_y.add(Dot{"A", 2, 0});
  MadeVersion z = make_version(s, "A", saw_only_y, "z", 3);
  EXPECT_EQ(values_of(z.state.siblings), (std::vector<std::string>{"x", "z"}));
  EXPECT_EQ(z.version.dot.counter, 3u);
}

// A reader that saw (A,2) but not its sibling (A,1) gets a context without (A,1).
TEST(Version, ReadContextNeverClaimsAnUnseenSibling) {
  MadeVersion first = make_version(KeyState{}, "A", {}, "first", 1);
  MadeVersion second = make_version(first.state, "A", {}, "second", 2);
  const CausalContext seen = read_context({second.version});
  EXPECT_FALSE(seen.contains(first.version.dot));
  MadeVersion third = make_version(second.state, "A", seen, "third", 3);
  EXPECT_EQ(values_of(third.state.siblings), (std::vector<std::string>{"first", "third"}));
}

TEST(Version, ADeleteIsAVersionedTombstone) {
  MadeVersion put = make_version(KeyState{}, "A", {}, "v", 1);
  MadeVersion del = make_version(put.state, "B", read_context(put.state.siblings), std::nullopt, 2);
  ASSERT_EQ(del.state.siblings.size(), 1u);
  EXPECT_TRUE(del.state.siblings[0].is_tombstone());
  // A concurrent write beside the tombstone stays as a sibling.
  KeyState both = store_version(del.state, make_version(put.state, "C", {}, "w", 3).version);
  EXPECT_EQ(values_of(both.siblings), (std::vector<std::string>{"<deleted>", "w"}));
}

// Truncation of a context forgets history: the new version supersedes less, never more, and the
// issued record keeps the node from reusing a counter the truncated contexts forgot (riak_kv#679).
TEST(Version, TruncatedContextsNeverCauseADotToBeReused) {
  KeyState s;
  CausalContext ctx;
  for (int i = 0; i < 12; ++i) {
    const std::string actor = "n" + std::to_string(i);
    MadeVersion made = make_version(KeyState{}, actor, ctx, "v" + std::to_string(i), 100 + i);
    ctx = read_context({made.version});
  }
  MadeVersion first = make_version(KeyState{}, "A", ctx, "a1", 1);  // stamped oldest
  CausalContext many = read_context({first.version});
  for (int i = 0; i < 12; ++i) many.add(Dot{"m" + std::to_string(i), 1, 500 + static_cast<std::uint64_t>(i)});
  // B's coordinator does not hold (A,1) itself (truncation would keep the actor of a sibling it
  // holds), so "A", the oldest of 13 actors, is truncated away.
  MadeVersion second = make_version(KeyState{}, "B", many, "b1", 600);
  EXPECT_FALSE(second.version.context.contains(first.version.dot));
  KeyState at_a = first.state;
  at_a.siblings = {second.version};  // A now holds only B's version, whose context forgot (A,1)
  MadeVersion again = make_version(at_a, "A", {}, "a2", 700);
  EXPECT_EQ(again.version.dot.counter, 2u);  // never (A,1) again
}

TEST(Version, ReconcileKeepsOneCopyPerDotWhateverTheOrder) {
  const Version a = version(Dot{"A", 1, 0}, {}, "a");
  const Version b = version(Dot{"B", 1, 0}, context({{"A", 1}}), "b");
  EXPECT_EQ(values_of(reconcile({a, b, a})), (std::vector<std::string>{"b"}));
  EXPECT_EQ(values_of(reconcile({b, a})), (std::vector<std::string>{"b"}));
}

}  // namespace
}  // namespace dynamo
