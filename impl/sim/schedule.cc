#include "impl/sim/schedule.h"

#include <algorithm>

#include "impl/sim/sim_random.h"

namespace dynamo::sim {

const char* step_kind_name(StepKind kind) {
  switch (kind) {
    case StepKind::kGet: return "get";
    case StepKind::kPut: return "put";
    case StepKind::kBlindPut: return "blind-put";
    case StepKind::kDelete: return "delete";
    case StepKind::kCartAdd: return "cart-add";
    case StepKind::kCrash: return "crash";
    case StepKind::kRestart: return "restart";
    case StepKind::kPartition: return "partition";
    case StepKind::kHeal: return "heal";
    case StepKind::kJoin: return "join";
    case StepKind::kLeave: return "leave";
    case StepKind::kRemove: return "remove";
  }
  return "?";
}

std::string Schedule::describe() const {
  std::string out = "seed=" + std::to_string(seed) + " nodes=" + std::to_string(nodes) +
                    (spare_nodes > 0 ? " spare=" + std::to_string(spare_nodes) : std::string()) + " dcs=" +
                    std::to_string(data_centres) + " clients=" + std::to_string(clients) + " keys=" +
                    std::to_string(keys) + " N=" + std::to_string(n) + " R=" + std::to_string(r) + " W=" +
                    std::to_string(w) + (durable_replicas ? " durable" : " buffered") +
                    (overlap_writes ? " overlap-writes" : "") +
                    (async_storage ? " async-storage" : "") + " loss=" +
                    std::to_string(loss_per_mille) + "/1000 dup=" + std::to_string(duplicate_per_mille) +
                    "/1000 max_delay=" + std::to_string(max_delay) + " safety_ticks=" + std::to_string(safety_ticks) +
                    " liveness_ticks=" + std::to_string(liveness_ticks) + "\n";
  for (const auto& s : steps) {
    out += "  t=" + std::to_string(s.tick) + " " + step_kind_name(s.kind);
    switch (s.kind) {
      case StepKind::kCrash:
      case StepKind::kRestart:
      case StepKind::kLeave:
      case StepKind::kRemove: out += " n" + std::to_string(s.a + 1); break;
      case StepKind::kJoin: out += " n" + std::to_string(nodes + s.a + 1); break;
      case StepKind::kPartition: out += " mask=" + std::to_string(s.a); break;
      case StepKind::kHeal: break;
      default: out += " c" + std::to_string(s.a + 1) + " k" + std::to_string(s.c); break;
    }
    out += "\n";
  }
  return out;
}

Schedule random_schedule(std::uint64_t seed, std::uint32_t operations, bool with_faults, Schedule shape) {
  SimRandom random(seed ^ 0x5eedULL);
  Schedule s = std::move(shape);
  s.seed = seed;
  s.steps.clear();
  if (with_faults) {
    s.loss_per_mille = static_cast<std::uint32_t>(random.below(50));
    s.duplicate_per_mille = static_cast<std::uint32_t>(random.below(50));
  }
  s.safety_ticks = std::max<std::uint32_t>(50, operations * 2);
  for (std::uint32_t i = 0; i < operations; ++i) {
    Step step;
    step.tick = static_cast<std::uint32_t>(random.below(s.safety_ticks));
    step.kind = static_cast<StepKind>(random.below(5));
    step.a = static_cast<std::uint32_t>(random.below(s.clients));
    step.c = static_cast<std::uint32_t>(random.below(s.keys));
    s.steps.push_back(step);
  }
  if (with_faults) {
    for (std::uint32_t i = 0; i < 1 + operations / 40; ++i) {
      Step step;
      step.tick = static_cast<std::uint32_t>(random.below(s.safety_ticks));
      step.kind = static_cast<StepKind>(5 + random.below(4));
      step.a = step.kind == StepKind::kPartition
                   ? static_cast<std::uint32_t>(random.below(std::uint64_t{1} << std::min(s.nodes, 32u)))
                                                 : static_cast<std::uint32_t>(random.below(s.nodes));
      s.steps.push_back(step);
    }
  }
  std::stable_sort(s.steps.begin(), s.steps.end(), [](const Step& a, const Step& b) { return a.tick < b.tick; });
  return s;
}

}  // namespace dynamo::sim
