// The simulator's checks: every stored state is reconciled (the spec's StoresAreAntichains), and,
// in the liveness phase, the spec's Converged and HintsDrained.
#include <algorithm>
#include <cstdint>
#include <set>

#include "impl/sim/sim_cluster.h"

namespace dynamo::sim {
namespace {

std::string dots_text(const std::vector<Dot>& dots) {
  std::string out = "[";
  for (const auto& d : dots) out += (out.size() > 1 ? " " : "") + d.actor + ":" + std::to_string(d.counter);
  return out + "]";
}

}  // namespace

void Cluster::check_reconciled(const NodeSlot& slot, const std::string& key, const std::vector<Version>& siblings) {
  for (const auto& a : siblings)
    for (const auto& b : siblings)
      if (supersedes(a, b))
        fail("node " + slot.id + " stored a state of " + key + " that is not reconciled: " + a.dot.actor + ":" +
             std::to_string(a.dot.counter) + " supersedes " + b.dot.actor + ":" + std::to_string(b.dot.counter));
}

void Cluster::check_overlap(const ClientOp& get, const std::vector<Version>& result) {
  // Quorum overlap is a promise of a fixed membership: while keys move, a new primary may answer
  // before it holds them (no write is lost; the read is merely stale).
  if (result_.counts.crashes > 0 || used_fallback_.contains(get.op)) return;
  if (result_.counts.joins + result_.counts.leaves + result_.counts.removes > 0) return;
  for (const auto& put : acked_puts_[key_name(get.key)]) {
    if (put.fallback || put.tick >= get.invoked) continue;
    ++result_.counts.overlap_checked;
    bool seen = std::any_of(result.begin(), result.end(), [&](const Version& v) {
      return v.dot == put.dot || v.context.contains(put.dot);
    });
    // Tombstones may have been reaped (docs/reaping.md): a write is also seen when a delete made
    // before the get began covers it (or is it) and nothing that delete covers is returned.
    if (!seen) {
      for (const auto& t : created_[storage_key(kDefaultStore, key_name(get.key))]) {
        if (!t.is_tombstone() || t.dot.stamp_ms >= get.invoked * 10) continue;
        if (!(t.dot == put.dot || t.context.contains(put.dot))) continue;
        if (std::none_of(result.begin(), result.end(), [&](const Version& v) { return t.context.contains(v.dot); })) {
          seen = true;
          break;
        }
      }
    }
    if (!seen) ++result_.counts.stale_reads;
  }
}

std::vector<Version> Cluster::surviving(const std::string& key, const std::vector<Version>& made) {
  std::set<Dot> held;
  for (auto& slot : nodes_) {
    if (slot.removed) continue;
    if (auto state = slot.storage->read(key); state.ok())
      for (const auto& v : state.value().siblings) {
        held.insert(v.dot);
        for (const auto& d : made)
          if (v.context.contains(d.dot)) held.insert(d.dot);  // superseded by what survived: not lost
      }
    if (auto targets = slot.storage->hint_targets(); targets.ok())
      for (const auto& target : targets.value())
        if (auto hints = slot.storage->hints_for(target, SIZE_MAX); hints.ok())
          for (const auto& h : hints.value())
            if (h.hint.key == key) held.insert(h.hint.version.dot);
  }
  std::vector<Version> out;
  for (const auto& v : made)
    if (held.contains(v.dot)) out.push_back(v);
  return out;
}

std::vector<Version> Cluster::expected_versions(const std::string& key, const std::vector<Version>& made) {
  // A node removed for good took its disk with it: a version only it held (its put was never
  // acknowledged, or the history checker will say so) is gone, and the others converge without it.
  if (result_.counts.removes > 0) return surviving(key, made);
  const bool some_may_be_gone = std::any_of(made.begin(), made.end(), [&](const Version& v) {
    return maybe_gone_.contains({key, v.dot});
  });
  if (!some_may_be_gone) return made;
  const std::vector<Version> survived = surviving(key, made);
  std::vector<Version> out;
  for (const auto& v : made) {
    const bool kept = std::any_of(survived.begin(), survived.end(), [&](const Version& s) { return s.dot == v.dot; });
    // A reaped tombstone was stored and then dropped on purpose (docs/reaping.md): it still counts.
    if (kept || !maybe_gone_.contains({key, v.dot}) || reaped_.contains({key, v.dot})) out.push_back(v);
  }
  return out;
}

void Cluster::check_no_resurrection(std::uint32_t key) {
  // The spec's NoResurrection, at rest: when every version made of a key is superseded by tombstones
  // (its maximal versions are all tombstones), the final read returns no value, reaped or not. A
  // removal may take the only copy of a tombstone whose delete was never acknowledged, so runs with
  // removals look only at the versions that survive (as divergence does).
  const std::string skey = storage_key(kDefaultStore, key_name(key));
  auto it = created_.find(skey);
  if (it == created_.end() || !result_.ok) return;
  const std::vector<Version> versions = expected_versions(skey, it->second);
  const std::vector<Version> maximal = reconcile(versions);
  if (maximal.empty() || !std::all_of(maximal.begin(), maximal.end(), [](const Version& v) { return v.is_tombstone(); }))
    return;
  ++result_.counts.deleted_keys_read;
  const auto& siblings = history_.back().siblings;
  if (!siblings) return;
  for (const auto& s : *siblings)
    if (!s.deleted)
      fail("resurrection: the final read of " + key_name(key) + " returned value \"" + s.id +
           "\", though every version of the key is superseded by a tombstone");
}

std::optional<std::string> Cluster::divergence() {
  for (auto& slot : nodes_) {
    auto targets = slot.storage->hint_targets();
    if (!targets.ok()) return "node " + slot.id + " cannot list its hints: " + targets.error().message;
    if (!targets.value().empty()) return "node " + slot.id + " still keeps hints for " + targets.value().front();
  }
  for (const auto& [key, made] : created_) {
    const std::vector<Version> versions = expected_versions(key, made);
    const std::vector<Version> reconciled = reconcile(versions);
    const std::vector<Dot> maximal = dots_of(reconciled);
    auto [store, user_key] = split_storage_key(key);
    for (const auto& primary : primaries_of(std::string(user_key))) {
      auto state = node(primary)->storage->read(key);
      if (!state.ok()) return "node " + primary + " cannot read " + key + ": " + state.error().message;
      const std::vector<Dot> held = dots_of(state.value().siblings);
      // Tombstones may have been reaped (docs/reaping.md): a primary may lack maximal tombstones,
      // never a maximal value, and holds nothing that is not maximal.
      const bool reaped_only = std::includes(maximal.begin(), maximal.end(), held.begin(), held.end()) &&
                               std::all_of(reconciled.begin(), reconciled.end(), [&](const Version& v) {
                                 return v.is_tombstone() || std::binary_search(held.begin(), held.end(), v.dot);
                               });
      if (!reaped_only) {
        std::string where;  // who holds what of the key, to tell a stuck transfer from a lost copy
        for (auto& slot : nodes_) {
          if (auto st = slot.storage->read(key); st.ok() && !st.value().siblings.empty())
            where += " " + slot.id + (slot.removed ? "(removed)" : "") + (slot.core ? "" : "(down)") + "=" +
                     dots_text(dots_of(st.value().siblings));
        }
        return "primary " + primary + " of " + key + " holds " + dots_text(held) + ", the maximal versions are " +
               dots_text(maximal) + "; held by:" + (where.empty() ? std::string(" nobody") : where);
      }
    }
  }
  return std::nullopt;
}

}  // namespace dynamo::sim
