// Unit tests of the simulator: runs converge and keep every write, and a seed fixes a run exactly.
#include "impl/sim/simulation.h"

#include <gtest/gtest.h>

namespace dynamo::sim {
namespace {

TEST(Simulation, FaultFreeRunConvergesAndKeepsEveryWrite) {
  Schedule s = random_schedule(1, 200, false);
  SimResult r = simulate(s);
  EXPECT_TRUE(r.ok) << r.failure << "\n" << s.describe();
  EXPECT_GT(r.counts.writes_acknowledged, 50u);
  EXPECT_EQ(r.counts.writes_unknown, 0u);
}

TEST(Simulation, RunWithFaultsConvergesAndKeepsEveryAcknowledgedWrite) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Schedule s = random_schedule(seed, 200, true);
    SimResult r = simulate(s);
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.failure << "\n" << s.describe();
  }
}

TEST(Simulation, TheSameScheduleGivesTheSameTraceByteForByte) {
  Schedule s = random_schedule(7, 150, true);
  SimOptions traced{.trace = true, .keep_history = true};
  SimResult a = simulate(s, traced);
  SimResult b = simulate(s, traced);
  ASSERT_GT(a.trace.size(), 100u);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(history_to_ndjson(a.history), history_to_ndjson(b.history));
  s.seed = 8;
  EXPECT_NE(simulate(s, traced).trace, a.trace) << "a different seed must give a different run";
}

TEST(Simulation, AThousandNodeCoresRunInOneProcess) {
  Schedule shape;
  shape.nodes = 1000;
  shape.data_centres = 4;
  shape.clients = 20;
  shape.keys = 50;
  Schedule s = random_schedule(3, 300, true, shape);
  SimResult r = simulate(s);
  EXPECT_TRUE(r.ok) << r.failure;
  EXPECT_GT(r.counts.writes_acknowledged, 50u);
}

}  // namespace
}  // namespace dynamo::sim
