// Properties of versions over random executions (puts with partial reads, replication in any
// order, crashes that start a new epoch): reconcile keeps an antichain that covers its input, no
// put hides a write its client did not read, dots are never issued twice, replicas converge.
// Reference: §4.4 "Data Versioning"; spec/README.md "Versions".
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "impl/core/limits.h"
#include "impl/core/version.h"
#include "proptests/generators.h"

namespace dynamo::proptests {
namespace {

std::set<Dot> dot_set(const std::vector<Version>& versions) {
  std::set<Dot> dots;
  for (const Version& v : versions) dots.insert(v.dot);
  return dots;
}

// Few actors: no context reaches the truncation threshold, so supersession is transitive.
Execution small_execution() {
  return random_execution(*rc::gen::inRange(1, 5), *rc::gen::inRange(1, 40), *rc::gen::inRange(0, 2));
}
// Many actors (crashes start new epochs): truncation is in play.
Execution wide_execution() { return random_execution(uniform(8, 17), uniform(40, 120), 12, true); }

RC_GTEST_PROP(VersionProps, ReconcileYieldsAnAntichain, ()) {
  const Execution ex = *rc::gen::arbitrary<bool>() ? small_execution() : wide_execution();
  const std::vector<Version> out = reconcile(ex.universe());
  for (const Version& a : out) {
    for (const Version& b : out) RC_ASSERT(!supersedes(a, b));
  }
  RC_ASSERT(dot_set(out).size() == out.size());
  for (const KeyState& replica : ex.replicas) {
    RC_ASSERT(dot_set(reconcile(replica.siblings)) == dot_set(replica.siblings));
  }
}

// Every input is equal to an output or superseded, directly or through a chain, by one.
RC_GTEST_PROP(VersionProps, ReconcileCoversEveryInput, ()) {
  const Execution ex = *rc::gen::arbitrary<bool>() ? small_execution() : wide_execution();
  const std::vector<Version> in = ex.universe();
  const std::set<Dot> out = dot_set(reconcile(in));
  std::set<Dot> covered = out;
  for (bool grew = true; grew;) {  // close downwards under supersedes
    grew = false;
    for (const Version& newer : in) {
      if (!covered.count(newer.dot)) continue;
      for (const Version& older : in) {
        if (supersedes(newer, older) && covered.insert(older.dot).second) grew = true;
      }
    }
  }
  RC_ASSERT(covered == dot_set(in));
}

RC_GTEST_PROP(VersionProps, ReconcileIgnoresInputOrderAndIsIdempotent, ()) {
  const Execution ex = *rc::gen::arbitrary<bool>() ? small_execution() : wide_execution();
  std::vector<Version> in = ex.universe();
  const std::vector<Version> once = reconcile(in);
  in.insert(in.end(), once.begin(), once.end());  // duplicates too
  const auto in_any_order = shuffled(in);
  RC_ASSERT(dot_set(reconcile(in_any_order)) == dot_set(once));
  RC_ASSERT(dot_set(reconcile(once)) == dot_set(once));
}

// The rule of the foundation issue: a write leaves the reconciled set only when a later write
// whose client had really read it (or a successor of it) supersedes it. Ground truth comes from
// what each client read, not from clocks.
RC_GTEST_PROP(VersionProps, NoPutHidesAWriteItsClientDidNotRead, ()) {
  const Execution ex = *rc::gen::arbitrary<bool>() ? small_execution() : wide_execution();
  const std::set<Dot> kept = dot_set(reconcile(ex.universe()));
  for (const Write& w : ex.writes) {
    if (kept.count(w.version.dot)) continue;
    bool read_by_a_successor = false;
    for (const Write& x : ex.writes) {
      read_by_a_successor = read_by_a_successor || (x.truly_read.count(w.version.dot) && x.version.context.contains(w.version.dot));
    }
    RC_ASSERT(read_by_a_successor);
  }
}

// The context a put carries is exactly what its client read (below the truncation threshold), and
// never more than that (above it).
RC_GTEST_PROP(VersionProps, ContextsAreExactlyWhatWasRead, ()) {
  const bool wide = *rc::gen::arbitrary<bool>();
  const Execution ex = wide ? wide_execution() : small_execution();
  bool truncated = false;
  for (const Write& w : ex.writes) {
    const DotSet context = dots_of(w.version.context);
    truncated = truncated || context != w.truly_read;
    if (!wide) RC_ASSERT(context == w.truly_read);
    RC_ASSERT(std::includes(w.truly_read.begin(), w.truly_read.end(), context.begin(), context.end()));
    RC_ASSERT(w.version.context.actors().size() <= limits::kClockTruncateAbove);
  }
  RC_CLASSIFY(truncated, "some context truncated");
}

// Truncation forgets history before the siblings a put replaces (spec/README.md, "Truncation"): a
// put whose client read a coordinator's siblings, with a context naming any number of actors,
// supersedes every one of them when their actors number at most 10.
RC_GTEST_PROP(VersionProps, APutSupersedesEverySiblingItReadWhenTheirActorsFitTheTruncation, ()) {
  const Execution ex = wide_execution();
  const KeyState& local = *rc::gen::elementOf(ex.replicas);
  std::set<std::string> sibling_actors;
  for (const Version& s : local.siblings) sibling_actors.insert(s.dot.actor);
  RC_PRE(sibling_actors.size() <= limits::kClockTruncateAbove);
  // The client read these siblings, and history from all over: every write's context.
  CausalContext context = read_context(local.siblings);
  for (const Version& v : ex.universe()) context = merge(context, v.context);
  const MadeVersion made = make_version(local, "coordinator#0", context, "v", 1'000'000);
  // The context covers every sibling, so the new version is all that is left.
  RC_ASSERT(made.state.siblings.size() == 1u);
  RC_ASSERT(made.state.siblings[0].dot == made.version.dot);
  RC_CLASSIFY(context.actors().size() > limits::kClockTruncateAbove, "context truncated");
  bool oldest_first_loses_one = false;  // the cases the rule is for
  const CausalContext plain = truncate(context, limits::kClockTruncateAbove);
  for (const Version& s : local.siblings) oldest_first_loses_one = oldest_first_loses_one || !plain.contains(s.dot);
  RC_CLASSIFY(oldest_first_loses_one, "plain oldest-first truncation would keep a sibling");
}

// No dot is issued twice: not through truncated contexts, not after a crash (new epoch).
RC_GTEST_PROP(VersionProps, EveryWriteHasItsOwnDot, ()) {
  const Execution ex = wide_execution();
  std::set<Dot> seen;
  for (const Write& w : ex.writes) RC_ASSERT(seen.insert(w.version.dot).second);
}

// Replicas that receive the same writes in any order and batching end with the same siblings
// (below the truncation threshold, where supersession is transitive).
RC_GTEST_PROP(VersionProps, ReplicasConvergeWhateverTheDeliveryOrder, ()) {
  const Execution ex = small_execution();
  const auto first = shuffled(ex.universe());
  const auto second = shuffled(ex.universe());
  KeyState a, b;
  for (const Version& v : first) a = store_version(std::move(a), v);
  for (const Version& v : second) b = store_version(std::move(b), v);
  RC_ASSERT(dot_set(a.siblings) == dot_set(b.siblings));
  RC_ASSERT(dot_set(a.siblings) == dot_set(reconcile(ex.universe())));
  RC_ASSERT(read_context(a.siblings) == read_context(b.siblings));
}

}  // namespace
}  // namespace dynamo::proptests
