#include "impl/sim/simulation.h"

#include <algorithm>
#include <utility>

#include "impl/check/history_checker.h"
#include "impl/core/check.h"
#include "impl/sim/sim_cluster.h"

namespace dynamo::sim {

Cluster::Cluster(const Schedule& schedule, SimOptions options)
    : schedule_(schedule), options_(options), network_(schedule.seed) {
  std::vector<Member> everyone;  // the members, then the spare nodes
  for (std::uint32_t i = 1; i <= schedule_.nodes + schedule_.spare_nodes; ++i)
    everyone.push_back(Member{"n" + std::to_string(i), "dc-" + std::to_string((i - 1) % std::max(1u, schedule_.data_centres) + 1), 1});
  set_members(std::vector<Member>(everyone.begin(), everyone.begin() + schedule_.nodes));
  network_.set_faults(schedule_.loss_per_mille, schedule_.duplicate_per_mille, schedule_.max_delay);
  network_.on_fault = [this](const Envelope& e, bool duplicated) { trace_fault(e, duplicated); };
  for (std::uint32_t i = 1; i <= schedule_.clients; ++i) clients_.push_back(ClientSlot{"c" + std::to_string(i), {}, {}, 1, 1});
  clients_.push_back(ClientSlot{"final", {}, {}, 1, 1});  // the final reads
  trace_header();
  for (const auto& m : everyone)
    nodes_.push_back(NodeSlot{m.id, std::make_unique<store::MemoryStore>(), std::nullopt, 0, 0, {}, ring_, 0, false, false, {}});
  for (std::uint32_t i = 0; i < schedule_.nodes; ++i) boot(nodes_[i], false);
}

bool Cluster::fail(std::string why) {
  if (result_.ok) {
    result_.ok = false;
    result_.failure = std::move(why);
  }
  return false;
}

void Cluster::apply(const Step& step) {
  switch (step.kind) {
    case StepKind::kGet:
    case StepKind::kPut:
    case StepKind::kBlindPut:
    case StepKind::kDelete:
    case StepKind::kCartAdd:
      if (step.a < schedule_.clients && step.c < schedule_.keys) start_op(step.a, step.kind, step.c, false);
      return;
    case StepKind::kCrash:
      if (step.a < nodes_.size() && nodes_[step.a].core) crash(nodes_[step.a]);
      return;
    case StepKind::kRestart:
      if (step.a < nodes_.size() && !nodes_[step.a].core && nodes_[step.a].joined && !nodes_[step.a].removed)
        boot(nodes_[step.a], true);
      return;
    case StepKind::kJoin:
    case StepKind::kLeave:
    case StepKind::kRemove:
      change_membership(step);
      return;
    case StepKind::kPartition:
      ++result_.counts.partitions;
      // The mask names the side of the first 32 nodes; later nodes stay on side 0.
      for (std::size_t i = 0; i < nodes_.size(); ++i) nodes_[i].side = i < 32 ? (step.a >> i) & 1u : 0u;
      return;
    case StepKind::kHeal:
      for (auto& slot : nodes_) slot.side = 0;
      return;
  }
}

void Cluster::tick() {
  ++now_;
  deliver_ring_news();
  Envelope e;
  while (network_.next_due(now_, e)) deliver(e);
  for (auto& slot : nodes_)
    if (slot.core) {
      release_storage(slot);
      if (slot.core) process(slot, slot.core->on_tick(now_ * 10));
    }
  expire_clients();
}

void Cluster::safety_phase() {
  std::size_t next = 0;
  const auto& steps = schedule_.steps;
  while (now_ < schedule_.safety_ticks && result_.ok) {
    while (next < steps.size() && steps[next].tick <= now_) apply(steps[next++]);
    tick();
  }
}

void Cluster::liveness_phase() {
  // Faults stop: partitions heal, crashed nodes restart, the network stops losing and duplicating.
  faults_on_ = false;
  network_.set_faults(0, 0, schedule_.max_delay);
  for (auto& slot : nodes_) slot.side = 0;
  for (auto& slot : nodes_)
    if (!slot.core && slot.joined && !slot.removed) boot(slot, true);
  const std::uint64_t start = now_;
  // A traced run has no anti-entropy (spec/trace-format.md), so it cannot be held to convergence:
  // it waits for clients and hints only, and its history is not checked.
  auto settled = [&]() -> std::optional<std::string> {
    if (!options_.trace) {
      if (auto why = membership_divergence()) return why;
      return divergence();
    }
    for (auto& slot : nodes_)
      if (!slot.storage->hint_targets().value().empty()) return "node " + slot.id + " still keeps hints";
    return std::nullopt;
  };
  // Settled means: no client operation in flight and, checked after that, every replica converged
  // (a put still in flight when the phase began may land after an earlier check).
  auto wait_settled = [&](std::uint64_t from) {
    while (result_.ok) {
      std::optional<std::string> why;
      if (!clients_idle()) why = "client operations still in flight";
      else if (std::any_of(nodes_.begin(), nodes_.end(), [](const NodeSlot& n) { return !n.queued.empty(); }))
        why = "storage operations still in flight:" + queued_ops();
      else why = settled();
      if (!why) break;
      if (now_ - from >= schedule_.liveness_ticks) {
        // Ops in flight at the last tick may be periodic scans; say what else was not settled.
        if (why->starts_with("storage")) why = *why + (settled() ? "; and " + *settled() : "; replicas converged");
        fail("no convergence within " + std::to_string(schedule_.liveness_ticks) + " ticks after faults stopped: " + *why);
        break;
      }
      tick();
    }
  };
  wait_settled(start);
  result_.counts.ticks_to_converge = now_ - start;
  // Reaping (docs/reaping.md): tombstones past their grace go at the anti-entropy passes; three
  // passes more let the reaps run (and any late message land), then the cluster must be settled
  // again: a primary holds a key's maximal versions, or nothing when they are all tombstones.
  if (!options_.trace && result_.ok) {
    const std::uint64_t until = now_ + 3 * NodeTiming{}.anti_entropy_every;
    while (result_.ok && now_ < until) tick();
    wait_settled(now_);
  }
  // One final read per written key (the history format allows one); faults have stopped and the
  // cluster converged, so a failure here is a liveness failure.
  for (std::uint32_t key = 0; key < schedule_.keys && result_.ok; ++key) {
    if (!created_.contains(storage_key(kDefaultStore, key_name(key)))) continue;
    run_op(schedule_.clients, StepKind::kGet, key, true);
    if (history_.back().outcome != check::Outcome::kOk) fail("the final read of " + key_name(key) + " failed");
    else check_no_resurrection(key);
  }
}

const check::Event* Cluster::run_op(std::uint32_t client, StepKind kind, std::uint32_t key, bool final) {
  const std::size_t before = history_.size();
  start_op(client, kind, key, final);
  if (history_.size() == before) return nullptr;  // the client was busy
  while (clients_[client].busy) tick();
  return &history_.back();
}

void Cluster::check_history_verdict() {
  if (!result_.ok || options_.trace) return;
  check::CheckReport report = check::check_history(history_);
  if (report.verdict == check::Verdict::kValid) return;
  std::string why = std::string("history check: ") + check::verdict_name(report.verdict);
  if (report.error) why += ": " + report.error->to_string();
  for (const auto& lost : report.lost)
    why += "\n  lost write " + check::write_to_json(lost.write).dump() + " of key " + lost.key + " (op " + lost.op +
           "): " + lost.why;
  for (const auto& p : report.phantoms)
    why += "\n  phantom " + check::write_to_json(p.returned).dump() + " in get " + p.get + ": " + p.why;
  fail(why);
}

SimResult Cluster::finish() {
  check_history_verdict();
  for (const auto& slot : nodes_)
    if (slot.core) {
      result_.counts.keys_transferred += slot.core->stats().keys_transferred;
      result_.counts.keys_released += slot.core->stats().keys_released;
      result_.counts.reap_rounds += slot.core->stats().reap_rounds;
      result_.counts.tombstones_reaped += slot.core->stats().tombstones_reaped;
    }
  result_.counts.messages_lost = network_.lost();
  result_.counts.messages_duplicated = network_.duplicated();
  if (options_.keep_history) result_.history = std::move(history_);
  return std::move(result_);
}

SimResult Cluster::run() {
  safety_phase();
  liveness_phase();
  return finish();
}

SimResult simulate(const Schedule& schedule, SimOptions options) {
  Cluster cluster(schedule, options);
  return cluster.run();
}

}  // namespace dynamo::sim
