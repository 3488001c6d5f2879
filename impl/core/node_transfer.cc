// Partition transfer (tla/Membership.tla: StreamPartition, ConfirmTransfer, ReleasePartition; a new
// ring reaches the node as the result of Gossip).
//
// When a ring change takes keys away from this node (it was a primary of their partition and is no
// longer), the node hands them over before it lets them go:
//   stream_partition   the anti-entropy pass (node_handoff.cc) reads every key the node holds, a page
//                      at a time; each key the node is not a primary of is sent (TransferKey, all its
//                      versions) to every primary of the key under the current ring;
//   confirm_transfer   a receiver merges the versions durably (the replica write path, so a transfer
//                      is idempotent and can be resent or resumed at will) and confirms the dots;
//   release_partition  once every primary confirmed, the key is released: its versions are dropped
//                      unless one arrived since the transfer was sent (a coordinator with an older
//                      ring may still write here), which the next pass sends again.
// Nothing is dropped before every primary holds it durably, so a transfer loses no acknowledged
// write (the model MCMembership_EarlyRelease_bug shows the write lost when the release comes
// earlier). The same pass moves a fallback's read-repaired copies to the primaries, so they do not
// stay behind for ever. Nothing about a transfer is kept across a crash: the ring and the data say
// what is left to move, so the next pass resumes it.
#include <algorithm>
#include <utility>

#include "impl/core/node.h"
#include "impl/core/node_ops.h"

namespace dynamo {

Result<Effects> Node::adopt_ring(std::shared_ptr<const Ring> ring) {
  if (!ring) return Error{"no ring"};
  if (ring->partitions() != config_.ring->partitions())
    return Error{"a ring of " + std::to_string(ring->partitions()) + " partitions cannot replace one of " +
                 std::to_string(config_.ring->partitions()) + " (Q is fixed for a cluster's life)"};
  for (const auto& store : config_.stores)
    if (auto s = validate(store.quorum, ring->members().size()); !s.ok())
      return Error{"store \"" + store.name + "\" cannot live on the new ring: " + s.error().message};
  for (const auto& member : ring->members()) known_nodes_.insert(member.id);
  const std::set<TreeId> hosted_before = hosted_partitions();
  config_.ring = std::move(ring);
  preference_cache_.clear();
  partition_cache_.clear();
  on_hosted_changed(hosted_before);  // Merkle trees follow the partitions this node hosts
  // Suspicions of nodes that are no longer members would name non-members in a sloppy list.
  std::erase_if(suspected_until_, [&](const auto& entry) { return !config_.ring->index_of(entry.first); });
  return Effects{};
}

void Node::stream_partition(Effects& out, const std::string& key, const KeyState& state, const StoreConfig& store) {
  if (keys_in_transfer_.contains(key) || transfers_.size() >= config_.limits.max_requests_in_flight) return;
  const std::string_view user_key = split_storage_key(key).second;
  Transferring t{key, state.siblings, preference_list(user_key, store.quorum.n), {},
                 now_ + config_.timing.handoff_timeout, false};
  const std::uint64_t sequence = next_transfer_++;
  for (const auto& primary : t.primaries) {
    t.awaiting.insert(primary);
    out.sends.push_back(Send{primary, TransferKey{sequence, store.name, std::string(user_key), state.siblings}});
    ++counters_.keys_transferred;
  }
  keys_in_transfer_.emplace(key, sequence);
#ifdef DYNAMO_MUTANT_RELEASE_BEFORE_CONFIRM
  // Mutant: the key is released as soon as it is sent, before any primary confirmed it.
  t.releasing = true;
  issue(out, ReleaseKey{key, t.versions}, Released{sequence});
#endif
  transfers_.emplace(sequence, std::move(t));
}

void Node::confirm_transfer(Effects& out, const std::string& from, const TransferKey& transfer) {
  const StoreConfig* store = find_store(transfer.store);
  if (!store) return;
  // Only an owner confirms. Two nodes whose stale rings each name the other as the owner would
  // otherwise confirm each other's transfers and both release, leaving fewer copies than W (TLC found
  // this in tla/Membership.tla). The sender tries again once this node's ring says it owns the key.
  bool owner = is_primary(config_.id, transfer.key, store->quorum.n);
#ifdef DYNAMO_MUTANT_CONFIRM_ANY_TRANSFER  // mutant: confirms keys it does not own
  owner = true;
#endif
  if (!owner) return;
  // Nor while this node's own release of the key is in flight. The release rests on confirmations
  // from the owners of an earlier ring; were this merge done first and the release after it, the
  // key would be confirmed and then dropped, and the sender would drop its copy too (the simulator
  // found it: two rings in quick succession, each node the other's new owner). The spec's
  // ReleasePartition is one step, so no confirmation can come between its check and its drop; the
  // sender sends again on its next pass, once the release is done.
#ifndef DYNAMO_MUTANT_CONFIRM_WHILE_RELEASING
  if (release_in_flight(storage_key(transfer.store, transfer.key))) return;
#endif
  // Durably before the confirmation: the sender drops its copy on it.
  issue(out, MergeVersions{storage_key(transfer.store, transfer.key), transfer.versions, Durability::kDurable},
        TransferStored{from, transfer});
}

void Node::on_transfer_stored(Effects& out, const TransferStored& done, Result<StorageOutcome> outcome) {
  if (!outcome.ok()) return;  // no confirmation: the sender keeps the key and sends it again
  const TransferKey& t = done.transfer;
  ++counters_.keys_received;
  out.sends.push_back(Send{done.from, TransferAck{t.sequence, t.store, t.key, dots_of(t.versions)}});
}

void Node::release_partition(Effects& out, const std::string& from, const TransferAck& ack) {
  auto it = transfers_.find(ack.sequence);
  if (it == transfers_.end()) return;  // expired or a duplicate: the next pass decides again
  Transferring& t = it->second;
  if (storage_key(ack.store, ack.key) != t.key || ack.dots != dots_of(t.versions)) return;
  t.awaiting.erase(from);
  if (!t.awaiting.empty() || t.releasing) return;
  // The spec's ReleasePartition checks the ring the node holds now, not the one it sent the key
  // under: the node must still not be a primary, and those who confirmed must still be the key's
  // primaries. After a ring change either way the transfer is over without a release (the next
  // pass decides again under the new ring).
  const StoreConfig* store = find_store(ack.store);
  bool still_given_up = store != nullptr && !is_primary(config_.id, ack.key, store->quorum.n) &&
                        preference_list(ack.key, store->quorum.n) == t.primaries;
#ifdef DYNAMO_MUTANT_RELEASE_UNDER_STALE_RING  // mutant: releases on the ring it sent the key under
  still_given_up = true;
#endif
  if (!still_given_up) {
    keys_in_transfer_.erase(t.key);
    transfers_.erase(it);
    return;
  }
  t.releasing = true;
  issue(out, ReleaseKey{t.key, t.versions}, Released{ack.sequence});
}

bool Node::release_in_flight(const std::string& key) const {
  auto k = keys_in_transfer_.find(key);
  if (k == keys_in_transfer_.end()) return false;
  auto t = transfers_.find(k->second);
  return t != transfers_.end() && t->second.releasing;
}

void Node::on_released(const Released& done, Result<StorageOutcome> outcome) {
  auto it = transfers_.find(done.sequence);
  if (it == transfers_.end()) return;
  if (outcome.ok() && std::get<KeyStored>(outcome.value()).state.siblings.empty()) ++counters_.keys_released;
  keys_in_transfer_.erase(it->second.key);
  transfers_.erase(it);
}

void Node::expire_transfers() {
  for (auto it = transfers_.begin(); it != transfers_.end();) {
    if (it->second.deadline > now_ || it->second.releasing) {
      ++it;
      continue;
    }
    keys_in_transfer_.erase(it->second.key);
    it = transfers_.erase(it);
  }
}

}  // namespace dynamo
