#include "impl/sim/harness.h"

#include "impl/core/check.h"
#include "impl/sim/sim_cluster.h"

namespace dynamo::sim {

SimHarness::SimHarness(const Schedule& shape)
    : cluster_(std::make_unique<Cluster>(shape, SimOptions{.trace = false, .keep_history = true})) {}
SimHarness::~SimHarness() = default;

check::Event SimHarness::run(std::uint32_t client, StepKind kind, std::uint32_t key) {
  const check::Event* done = cluster_->run_op(client, kind, key, false);
  DYNAMO_CHECK(done != nullptr);  // run_op waits for the client, so it is never busy here
  return *done;
}

void SimHarness::crash(std::uint32_t node) { cluster_->apply(Step{0, StepKind::kCrash, node, 0}); }
void SimHarness::restart(std::uint32_t node) { cluster_->apply(Step{0, StepKind::kRestart, node, 0}); }
void SimHarness::partition(std::uint32_t mask) { cluster_->apply(Step{0, StepKind::kPartition, mask, 0}); }
void SimHarness::heal() { cluster_->apply(Step{0, StepKind::kHeal, 0, 0}); }

SimResult SimHarness::settle() {
  cluster_->liveness_phase();
  return cluster_->finish();
}

const std::vector<check::Event>& SimHarness::history() const { return cluster_->history(); }

}  // namespace dynamo::sim
