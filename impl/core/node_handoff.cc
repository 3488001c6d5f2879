// Hinted handoff and anti-entropy (tla/Dynamo.tla: DeliverHint, DeleteHint, AntiEntropy; the Handoff
// and KeySync stores are StoreVersion and AntiEntropy on the receiving side). Which keys a KeySync
// carries is decided by the Merkle exchange (node_merkle.cc); the pass here hands keys over and
// fills the trees.
#include <algorithm>
#include <utility>

#include "impl/core/node.h"
#include "impl/core/node_ops.h"

namespace dynamo {

void Node::scan_hints(Effects& out) {
  if (hint_scan_in_flight_) return;
  hint_scan_in_flight_ = true;
  // The first scan counts every hint kept; later ones only need what the next handoffs can use.
  const std::size_t limit = hints_loaded_ ? config_.limits.handoffs_per_scan + handoffs_.size()
                                          : config_.limits.max_pending_hints_per_target;
  issue(out, ScanHints{limit}, HintScan{});
}

void Node::on_hints_scanned(Effects& out, Result<StorageOutcome> outcome) {
  hint_scan_in_flight_ = false;
  if (!outcome.ok()) return;  // tried again at the next scan
  const auto& hints = std::get<HintsScanned>(outcome.value()).hints;
  if (!hints_loaded_) {
    // The first scan after a start only counts what the storage keeps (hinted stores wait for it).
    // Delivery starts at the next periodic scan, once messages a previous life sent have landed.
    for (const auto& stored : hints) {
      ++pending_hints_[stored.id.target];
      ++hinted_keys_[stored.hint.key];
    }
    hints_loaded_ = true;
    return;
  }
  std::map<std::string, std::size_t> sent;
  for (const auto& stored : hints) {
    const std::string destination = hint_destination(stored);
    if (destination.empty() || destination == config_.id || suspected(destination)) continue;
    if (auto h = handoffs_.find(stored.id.sequence); h != handoffs_.end() && !h->second.expired) continue;
    if (sent[destination]++ >= config_.limits.handoffs_per_scan) continue;
    deliver_hint(out, stored, destination);
  }
}

std::string Node::hint_destination(const StoredHint& stored) const {
  if (config_.ring->index_of(stored.id.target)) return stored.id.target;
  // The target left the ring (or was removed): the hint goes to the key's new owner, the first
  // primary that is not this node (tla/Membership.tla: hints follow the partition; none is dropped).
  auto [store_name, key] = split_storage_key(stored.hint.key);
  const StoreConfig* store = find_store(store_name);
  if (!store) return "";
  for (const auto& primary : preference_list(key, store->quorum.n))
    if (primary != config_.id && !suspected(primary)) return primary;
  return "";
}

void Node::deliver_hint(Effects& out, const StoredHint& stored, const std::string& destination) {
  auto [store, key] = split_storage_key(stored.hint.key);
  handoffs_[stored.id.sequence] = Handoffing{stored.id.target, destination, stored.hint.key, stored.hint.version,
                                             now_ + config_.timing.handoff_timeout, false};
  out.sends.push_back(Send{destination, Handoff{stored.id.sequence, std::string(store), std::string(key),
                                                stored.hint.version}});
  if (SpecStep* step = record_step(out, SpecAction::kDeliverHint, stored.id.sequence, stored.hint.key)) {
    step->hint = stored.id.target;
    step->versions = {stored.hint.version};
  }
}

void Node::on_handoff(Effects& out, const std::string& from, const Handoff& handoff) {
  if (!find_store(handoff.store)) return;
  // Durably before the acknowledgement: the fallback deletes its hint on it (spec: Handoff -> disk).
  issue(out, MergeVersions{storage_key(handoff.store, handoff.key), {handoff.version}, Durability::kDurable},
        HandoffStored{from, handoff});
}

void Node::on_handoff_stored(Effects& out, const HandoffStored& done, Result<StorageOutcome> outcome) {
  if (!outcome.ok()) return;  // no acknowledgement: the fallback keeps the hint and retries
  const Handoff& h = done.handoff;
  if (SpecStep* step = record_step(out, SpecAction::kStoreVersion, h.sequence, h.store, h.key)) {
    step->message = "Handoff";
    step->from = done.from;
    step->versions = {h.version};
  }
  out.sends.push_back(Send{done.from, HandoffAck{h.sequence, h.store, h.key, h.version.dot}});
}

void Node::delete_hint(Effects& out, const std::string& from, const HandoffAck& ack) {
  auto it = handoffs_.find(ack.sequence);
  if (it == handoffs_.end()) return;  // a duplicate acknowledgement: the hint is already going
  // The spec's DeleteHint matches the hint itself: its target stored exactly this version of this key.
  const Handoffing& h = it->second;
  if (from != h.sent_to || storage_key(ack.store, ack.key) != h.key || ack.dot != h.version.dot) return;
  const std::string key = h.key;
  const std::string target = h.target;
  const Version version = h.version;
  handoffs_.erase(it);
  issue(out, DeleteHint{HintId{target, ack.sequence}}, HintDropped{target, key});
  if (SpecStep* step = record_step(out, SpecAction::kDeleteHint, ack.sequence, key)) {
    step->versions = {version};
    step->from = from;
    step->hint = target;
  }
}

void Node::expire_handoffs() {
  for (auto& [sequence, handoff] : handoffs_)
    if (handoff.deadline <= now_) handoff.expired = true;  // sent again at a later scan
}

void Node::anti_entropy(Effects& out) {
  start_exchanges(out);  // the Merkle exchanges of this round (node_merkle.cc)
  if (key_scan_in_flight_) return;
  key_scan_in_flight_ = true;
  // The pass no longer pushes keys (the Merkle exchange repairs differences); it hands over keys this
  // node does not own, and its first full pass fills the trees (node_merkle.cc fill_trees).
  if (anti_entropy_cursor_.empty()) fill_pass_generation_ = tree_generation_;
  written_during_scan_.clear();
  issue(out, ScanKeys{anti_entropy_cursor_, config_.limits.anti_entropy_keys_per_round}, KeyScan{});
}

void Node::on_keys_scanned(Effects& out, Result<StorageOutcome> outcome) {
  key_scan_in_flight_ = false;
  if (!outcome.ok()) return;
  const auto& page = std::get<KeysScanned>(outcome.value());
  fill_trees(page);
  for (const auto& [key, state] : page.entries) {
    auto [store_name, user_key] = split_storage_key(key);
    const StoreConfig* store = find_store(store_name);
    if (!store || user_key.empty() || state.siblings.empty()) continue;
    if (!is_primary(config_.id, user_key, store->quorum.n)) {
      stream_partition(out, key, state, *store);  // not ours (any more): hand it over
      ++keys_not_owned_in_pass_;
    } else consider_reap(out, key, state, *store);  // node_reap.cc
  }
  if (page.done || page.entries.empty()) {
    anti_entropy_cursor_.clear();
    // A whole pass is done: what it found not owned is what is left to hand over (a leaver is
    // drained when a pass finds nothing and nothing is in transfer).
    counters_.keys_not_owned = std::exchange(keys_not_owned_in_pass_, 0);
    ++counters_.anti_entropy_passes;
  } else anti_entropy_cursor_ = page.entries.back().first + std::string(1, '\0');
}

void Node::on_key_sync(Effects& out, const std::string& from, const KeySync& sync) {
  const StoreConfig* store = find_store(sync.store);
  if (!store) return;
  // Anti-entropy is between primaries of the key (spec: AntiEntropy(n, p, k) with n, p in Pref(k)).
  const int n = store->quorum.n;
  if (!is_primary(from, sync.key, n) || !is_primary(config_.id, sync.key, n)) return;
  // No versions: a pull (the Merkle exchange found the key only here); read and answer, merge nothing.
  if (sync.versions.empty()) {
    if (!sync.reply) issue(out, ReadKey{storage_key(sync.store, sync.key), false}, KeySyncStored{from, sync});
    return;
  }
  issue(out, MergeVersions{storage_key(sync.store, sync.key), sync.versions, Durability::kBuffered},
        KeySyncStored{from, sync});
}

void Node::on_key_sync_stored(Effects& out, const KeySyncStored& done, Result<StorageOutcome> outcome) {
  if (!outcome.ok()) return;
  if (const auto* read = std::get_if<KeyRead>(&outcome.value())) {  // a pull: answer with what is here
    if (!read->state.siblings.empty())
      out.sends.push_back(Send{done.from, KeySync{done.sync.store, done.sync.key, read->state.siblings, true}});
    return;
  }
  note_write_completed();
  const KeyState& state = std::get<KeyStored>(outcome.value()).state;
  if (SpecStep* step = record_step(out, SpecAction::kAntiEntropy, 0, done.sync.store, done.sync.key)) {
    step->from = done.from;
    step->versions = state.siblings;
  }
  if (!done.sync.reply && dots_of(state.siblings) != dots_of(done.sync.versions))
    out.sends.push_back(Send{done.from, KeySync{done.sync.store, done.sync.key, state.siblings, true}});
}

}  // namespace dynamo
