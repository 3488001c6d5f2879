// harness.h: the simulator driven one command at a time, for model-based tests (rc::state): each
// client operation runs until its client has an answer (or gives up), faults are applied when asked,
// and settle() runs the liveness phase, the final reads and the history check.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "impl/check/history.h"
#include "impl/sim/schedule.h"
#include "impl/sim/simulation.h"

namespace dynamo::sim {

class Cluster;

class SimHarness {
 public:
  // The cluster's shape and fault rates come from `shape`; its steps are ignored.
  explicit SimHarness(const Schedule& shape);
  ~SimHarness();

  // Runs one operation of `client` on key `key` to completion; returns its completion event
  // (outcome, and for a get the siblings as the history names them: values, or deleted op ids).
  check::Event run(std::uint32_t client, StepKind kind, std::uint32_t key);
  void crash(std::uint32_t node);
  void restart(std::uint32_t node);
  void partition(std::uint32_t mask);
  void heal();
  // Faults stop; the cluster must converge, every key gets its final read, and the history check
  // must pass. Returns the run's result (ok, or why not, with the counts).
  SimResult settle();
  // The history so far (the op ids and values the events above refer to).
  const std::vector<check::Event>& history() const;

 private:
  std::unique_ptr<Cluster> cluster_;
};

}  // namespace dynamo::sim
