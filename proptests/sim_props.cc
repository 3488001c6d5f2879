// Properties of the whole engine, through the simulator (impl/sim/): no acknowledged write is lost
// under faults, the cluster converges once faults stop, and quorum overlap holds in practice.
// Every property prints the counts it saw at the end of the run (SimCountsReport), and a failure
// prints the shrunk schedule (Schedule::describe) with its seed.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdio>

#include "impl/sim/simulation.h"
#include "proptests/sim_generators.h"

namespace dynamo::proptests {
namespace {

struct Totals {
  std::uint64_t schedules = 0;
  sim::SimCounts counts;
  void add(const sim::SimCounts& run) {
    ++schedules;
    sim::add_counts(counts, run);
  }
  void print(const char* name) const {
    std::printf("simulator counts, %s: %llu schedules, %s\n", name, (unsigned long long)schedules,
                sim::describe_counts(counts).c_str());
    std::fflush(stdout);
  }
};

Totals no_lost_writes_totals, overlap_totals;

// Prints what the properties exercised once the process is done (CTest runs each property in its own
// process), and fails when a property ran many cases without exercising what it is about.
class PrintCounts : public testing::Environment {
 public:
  void TearDown() override {
    if (no_lost_writes_totals.schedules > 0) {
      no_lost_writes_totals.print("NoAcknowledgedWriteIsLostAndTheClusterConverges");
      if (no_lost_writes_totals.schedules > 100) {
        EXPECT_GT(no_lost_writes_totals.counts.writes_acknowledged, 0u);
        EXPECT_GT(no_lost_writes_totals.counts.crashes, 0u) << "the schedules injected no crash";
        EXPECT_GT(no_lost_writes_totals.counts.hinted_stores, 0u) << "no fallback ever kept a hint";
        EXPECT_GT(no_lost_writes_totals.counts.resent_puts, 0u) << "no put was ever resent to a fallback";
        const auto& c = no_lost_writes_totals.counts;
        EXPECT_GT(c.joins, 0u) << "the schedules joined no node";
        EXPECT_GT(c.leaves, 0u) << "the schedules made no node leave";
        EXPECT_GT(c.removes, 0u) << "the schedules removed no node";
        EXPECT_GT(c.keys_released, 0u) << "no key was ever handed over and released";
      }
    }
    if (overlap_totals.schedules > 0) {
      overlap_totals.print("QuorumOverlapHoldsWhenRPlusWExceedsN");
      if (overlap_totals.schedules > 100) {
        EXPECT_GT(overlap_totals.counts.overlap_checked, 0u) << "the overlap check never applied";
      }
    }
  }
};
const testing::Environment* const kPrintCounts = testing::AddGlobalTestEnvironment(new PrintCounts);

RC_GTEST_PROP(SimProps, NoAcknowledgedWriteIsLostAndTheClusterConverges, ()) {
  const int n = uniform(1, 4);
  ScheduleShape shape{n, uniform(1, n + 1), uniform(1, n + 1), true, true, true, true};
  const sim::Schedule schedule = arbitrary_schedule(shape);
  const sim::SimResult result = sim::simulate(schedule);
  if (!result.ok) RC_FAIL(result.failure + "\nschedule (rerun with sim::simulate):\n" + schedule.describe());
  no_lost_writes_totals.add(result.counts);
}


// R + W > N, no crash, no fallback: a get that starts after a put was acknowledged sees it.
RC_GTEST_PROP(SimProps, QuorumOverlapHoldsWhenRPlusWExceedsN, ()) {
  const int n = uniform(1, 4);
  const int r = uniform(1, n + 1);
  const int w = uniform(n - r + 1, n + 1);  // r + w > n
  ScheduleShape shape{n, r, w, false, false, true};
  const sim::Schedule schedule = arbitrary_schedule(shape);
  const sim::SimResult result = sim::simulate(schedule);
  if (!result.ok) RC_FAIL(result.failure + "\nschedule:\n" + schedule.describe());
  if (result.counts.stale_reads != 0)
    RC_FAIL(std::to_string(result.counts.stale_reads) + " stale reads\nschedule:\n" + schedule.describe());
  overlap_totals.add(result.counts);
}


// The same check must fail when R + W <= N: read and write quorums can miss each other. Seeds are
// fixed (1..400) so this is deterministic; it shows the overlap check can fail.
TEST(SimProps, QuorumOverlapFailsWhenRPlusWIsAtMostN) {
  std::uint64_t stale = 0, checked = 0;
  for (std::uint64_t seed = 1; seed <= 400 && stale == 0; ++seed) {
    sim::Schedule s = sim::random_schedule(seed, 60, false);
    s.n = 3;
    s.r = 1;
    s.w = 1;
    s.max_delay = 5;
    sim::SimResult result = sim::simulate(s);
    ASSERT_TRUE(result.ok) << result.failure;
    stale += result.counts.stale_reads;
    checked += result.counts.overlap_checked;
  }
  std::printf("R=1 W=1 N=3: %llu stale reads in %llu overlap checks\n", (unsigned long long)stale,
              (unsigned long long)checked);
  EXPECT_GT(stale, 0u) << "with R + W <= N some get must miss an acknowledged put";
}

}  // namespace
}  // namespace dynamo::proptests
