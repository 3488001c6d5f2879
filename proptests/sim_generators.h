// sim_generators.h: RapidCheck generators of simulator schedules (impl/sim/schedule.h). Schedules
// are data, so RapidCheck shrinks a failing one (fewer steps, smaller rates) and prints it.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>

#include "impl/sim/schedule.h"
#include "proptests/generators.h"

namespace dynamo::proptests {

struct ScheduleShape {
  int n = 3, r = 2, w = 2;
  bool crashes = true;       // crash and restart steps
  bool partitions = true;
  bool message_faults = true;  // loss and duplication
  bool membership = false;     // joins, leaves and removes (in about half the schedules)
};

inline sim::Schedule arbitrary_schedule(const ScheduleShape& shape) {
  sim::Schedule s;
  s.seed = *rc::gen::arbitrary<std::uint64_t>();
  s.nodes = uniform<std::uint32_t>(static_cast<std::uint32_t>(shape.n), 7);
  s.data_centres = uniform<std::uint32_t>(1, 3);
  s.clients = uniform<std::uint32_t>(1, 4);
  s.keys = uniform<std::uint32_t>(1, 4);
  s.n = shape.n;
  s.r = shape.r;
  s.w = shape.w;
  s.durable_replicas = *rc::gen::arbitrary<bool>();
  s.overlap_writes = *rc::gen::arbitrary<bool>();
  s.async_storage = *rc::gen::arbitrary<bool>();
  if (shape.message_faults) {
    s.loss_per_mille = *rc::gen::inRange<std::uint32_t>(0, 150);
    s.duplicate_per_mille = *rc::gen::inRange<std::uint32_t>(0, 150);
  }
  s.max_delay = uniform<std::uint32_t>(1, 5);
  s.safety_ticks = 120;
  const int operations = *rc::gen::inRange(1, 40);
  for (int i = 0; i < operations; ++i) {
    sim::Step step;
    step.tick = uniform<std::uint32_t>(0, s.safety_ticks);
    step.kind = static_cast<sim::StepKind>(uniform(0, 5));
    step.a = uniform<std::uint32_t>(0, s.clients);
    step.c = uniform<std::uint32_t>(0, s.keys);
    s.steps.push_back(step);
  }
  const int faults = (shape.crashes || shape.partitions) ? *rc::gen::inRange(0, 6) : 0;
  for (int i = 0; i < faults; ++i) {
    sim::Step step;
    step.tick = uniform<std::uint32_t>(0, s.safety_ticks);
    int kind = shape.crashes ? uniform(5, 7) : 8;  // crash, restart
    if (shape.partitions && (!shape.crashes || *rc::gen::arbitrary<bool>())) kind = uniform(7, 9);  // partition, heal
    step.kind = static_cast<sim::StepKind>(kind);
    step.a = step.kind == sim::StepKind::kPartition ? uniform<std::uint32_t>(1, (1u << s.nodes) - 1)
                                                    : uniform<std::uint32_t>(0, s.nodes);
    s.steps.push_back(step);
  }
  if (shape.membership && *rc::gen::arbitrary<bool>()) {
    s.spare_nodes = uniform<std::uint32_t>(0, 3);
    const int changes = *rc::gen::inRange(1, 4);
    // One node at most is removed (gone for good, with its disk), and only where every acknowledged
    // write is durable on W >= 2 nodes: losing the one durable copy of a write (W = 1, or a buffered
    // replica that then crashes) is data loss the store does not claim to survive.
    bool may_remove = s.w >= 2;
    for (int i = 0; i < changes; ++i) {
      sim::Step step;
      step.tick = uniform<std::uint32_t>(0, s.safety_ticks);
      int kind = uniform(9, 12);  // join, leave, remove
      if (kind == 9 && s.spare_nodes == 0) kind = 10;
      if (kind == 11 && !may_remove) kind = 10;
      if (kind == 11) {
        may_remove = false;
        s.durable_replicas = true;
      }
      step.kind = static_cast<sim::StepKind>(kind);
      step.a = kind == 9 ? uniform<std::uint32_t>(0, s.spare_nodes) : uniform<std::uint32_t>(0, s.nodes + s.spare_nodes);
      s.steps.push_back(step);
    }
  }
  std::stable_sort(s.steps.begin(), s.steps.end(), [](const sim::Step& a, const sim::Step& b) { return a.tick < b.tick; });
  return s;
}

}  // namespace dynamo::proptests
