// Merkle anti-entropy, the node's side (tla/Dynamo.tla: AntiEntropy; docs/anti-entropy.md).
//
// Trees. For each (store, partition) this node is a primary of and holds a key of, a MerkleTree
// (merkle_tree.h) over every key it holds there and digest_of_siblings of the key's versions.
// An entry changes where storage hands back a key's state: every data write's KeyStored (put,
// merge, release: Node::issue records the key, on_storage_done feeds note_key_state), and every page
// of the pass's key scan. No rebuild per write: an update is O(depth) XORs and three MD5s.
//
// Filled. Trees are in memory only, so a (re)started core has none, and a partition the ring newly
// gives this node has none of what it already stores. The pass's next full sweep of the keys (begun
// at the first key after the start or the ring change) fills them; until it ends the node neither
// starts nor answers an exchange. An unfilled tree would not lose anything, but it would call every
// key not yet scanned missing: its owner would pull, and its peers push, every such key.
// Later sweeps keep refreshing the entries: that repairs an entry left stale when the shell reports
// two writes of a key out of order (effects.h allows it). A key written while a scan is in flight
// keeps the write's state, which is at least as new as the scan's.
//
// Exchange. Every anti-entropy round, up to merkle_exchanges_per_round trees with keys (in turn,
// round robin over (store, partition)) each start an exchange with one other primary of the
// partition (round robin over the ones not suspected): hash requests from the root down where hashes
// differ, then the listings of the differing leaves. Each differing key is then repaired by the
// existing merge path: this node reads its versions and pushes them (KeySync; the peer merges and
// answers with its own when they differ), or, for a key only the peer lists, pulls it (a KeySync with
// no versions, answered with the peer's). A tree with no key starts nothing: any peer that has keys
// there starts the exchange. So a round costs one root request per tree with keys, and a repair
// O(differences), not O(keys).
#include <algorithm>
#include <utility>

#include "impl/core/check.h"
#include "impl/core/node.h"
#include "impl/core/node_ops.h"

namespace dynamo {
namespace {

// Leaves per leaf request the node sends: at most 16 x kMaxLeafKeys keys of 1 KiB, 17 MiB, stays
// well under the wire's 64 MiB message (merkle_limits allows 64 leaves, a worst case of 67 MiB).
constexpr std::size_t kLeavesPerRequest = 16;

// Bytes of the ids, store and partition the Tree* messages add to the exchange's own encoding.
std::size_t envelope_bytes(const std::string& store, bool reply) { return 8 + 8 + 4 + store.size() + (reply ? 5 : 0); }

std::size_t tree_message_bytes(const PeerMessage& message) {
  if (const auto* m = std::get_if<TreeHashRequest>(&message)) return envelope_bytes(m->store, false) + encoded_bytes(m->hashes);
  if (const auto* m = std::get_if<TreeHashReply>(&message)) return envelope_bytes(m->store, true) + encoded_bytes(m->hashes);
  if (const auto* m = std::get_if<TreeLeafRequest>(&message)) return envelope_bytes(m->store, false) + encoded_bytes(m->leaves);
  if (const auto* m = std::get_if<TreeLeafReply>(&message)) return envelope_bytes(m->store, true) + encoded_bytes(m->leaves);
  return 0;
}

}  // namespace

MerkleShape Node::tree_shape(std::uint32_t partition) const {
  return MerkleShape{config_.ring->partitions(), partition, config_.limits.merkle_tree_depth};
}

const std::vector<std::string>& Node::partition_primaries(std::uint32_t partition, int n) const {
  const std::uint64_t slot = (std::uint64_t{partition} << 8) | static_cast<std::uint64_t>(n);
  auto it = preference_cache_.find(slot);
  if (it == preference_cache_.end()) {
    auto list = config_.ring->preference_list(partition, n);
    DYNAMO_CHECK(list.ok());  // n was validated against the ring
    it = preference_cache_.emplace(slot, std::move(list).value()).first;
  }
  return it->second;
}

std::set<Node::TreeId> Node::hosted_partitions() const {
  std::set<TreeId> out;
  for (const auto& store : config_.stores)
    for (std::uint32_t p = 0; p < config_.ring->partitions(); ++p) {
      const auto& primaries = partition_primaries(p, store.quorum.n);
      if (std::find(primaries.begin(), primaries.end(), config_.id) != primaries.end()) out.emplace(store.name, p);
    }
  return out;
}

void Node::on_hosted_changed(const std::set<TreeId>& before) {
  const std::set<TreeId> after = hosted_partitions();
  if (after == before) return;
  std::erase_if(trees_, [&](const auto& entry) { return !after.contains(entry.first); });
  std::erase_if(exchanges_, [&](const auto& entry) { return !after.contains(entry.second.tree); });
  // A newly hosted partition may hold keys already (read-repaired copies, an old ownership): its tree
  // is complete only after a full sweep, and the trees are used only when all are complete.
  if (std::any_of(after.begin(), after.end(), [&](const TreeId& id) { return !before.contains(id); })) {
    trees_filled_ = false;
    ++tree_generation_;
  }
}

void Node::note_key_state(const std::string& storage, const KeyState& state, bool from_scan) {
  auto [store_name, user_key] = split_storage_key(storage);
  if (store_name.empty() || user_key.empty()) return;
  const StoreConfig* store = find_store(store_name);
  if (!store) return;
  if (!from_scan && key_scan_in_flight_) written_during_scan_.insert(storage);
  if (!is_primary(config_.id, user_key, store->quorum.n)) return;  // not hosted: the pass hands it over
  const TreeId id{store->name, partition_of(user_key)};
  auto it = trees_.find(id);
  if (state.siblings.empty()) {  // released (or reaped): the key is gone from this replica
    if (it != trees_.end()) it->second.tree.remove(user_key);
    return;
  }
  if (it == trees_.end()) it = trees_.emplace(id, TreeSlot{MerkleTree(tree_shape(id.second))}).first;
  // A leaf at kMaxLeafKeys refuses the key: the tree can no longer speak for the partition, so it sits
  // out exchanges (its partition wants a deeper merkle_tree_depth, node_config.h).
  if (!it->second.tree.update(user_key, digest_of_siblings(state.siblings)).ok()) it->second.broken = true;
}

void Node::fill_trees(const KeysScanned& page) {
  for (const auto& [key, state] : page.entries)
    if (!written_during_scan_.contains(key)) note_key_state(key, state, true);
  written_during_scan_.clear();
  if ((page.done || page.entries.empty()) && fill_pass_generation_ == tree_generation_) trees_filled_ = true;
}

void Node::send_tree(Effects& out, const std::string& to, PeerMessage message) {
  counters_.merkle_bytes_sent += tree_message_bytes(message);
  out.sends.push_back(Send{to, std::move(message)});
}

void Node::start_exchanges(Effects& out) {
  if (!trees_filled_ || trees_.empty()) return;
  std::set<TreeId> busy;
  for (const auto& [id, exchange] : exchanges_) busy.insert(exchange.tree);
  auto it = trees_.upper_bound(merkle_cursor_);
  std::size_t started = 0;
  for (std::size_t seen = 0; seen < trees_.size() && started < config_.limits.merkle_exchanges_per_round &&
                             exchanges_.size() < config_.limits.merkle_exchanges_per_round;
       ++seen, ++it) {
    if (it == trees_.end()) it = trees_.begin();
    merkle_cursor_ = it->first;
    TreeSlot& slot = it->second;
    if (slot.broken || slot.tree.size() == 0 || busy.contains(it->first)) continue;
    const StoreConfig* store = find_store(it->first.first);
    if (!store) continue;
    std::vector<std::string> peers;
    for (const auto& primary : partition_primaries(it->first.second, store->quorum.n))
      if (primary != config_.id && !suspected(primary)) peers.push_back(primary);
    if (peers.empty()) continue;
    const std::string peer = peers[slot.next_peer++ % peers.size()];
    const std::uint64_t exchange_id = next_op_id_++;
    const std::uint64_t request_id = next_op_id_++;
    Exchange& exchange = exchanges_[exchange_id];
    exchange.peer = peer;
    exchange.tree = it->first;
    exchange.deadline = now_ + config_.timing.request_timeout;
    MerkleHashRequest root = root_request(slot.tree);
    exchange.hash_wave.emplace(request_id, root);
    send_tree(out, peer, TreeHashRequest{exchange_id, request_id, store->name, std::move(root)});
    ++counters_.merkle_exchanges;
    ++started;
  }
}

const MerkleTree* Node::tree_to_answer(const std::string& from, const std::string& store_name, const MerkleShape& shape,
                                       std::optional<MerkleTree>& empty) const {
  const StoreConfig* store = find_store(store_name);
  if (!store || !trees_filled_ || store_name.empty()) return nullptr;
  if (!(shape == tree_shape(shape.partition))) return nullptr;  // another Q or depth (a configuration error)
  // Anti-entropy is between primaries of the partition (spec: AntiEntropy(n, p, k), n and p in Pref(k)).
  const auto& primaries = partition_primaries(shape.partition, store->quorum.n);
  const auto is = [&](const std::string& node) { return std::find(primaries.begin(), primaries.end(), node) != primaries.end(); };
  if (!is(config_.id) || !is(from)) return nullptr;
  auto it = trees_.find(TreeId{store->name, shape.partition});
  if (it == trees_.end()) return &empty.emplace(shape);
  return it->second.broken ? nullptr : &it->second.tree;
}

void Node::answer_tree_hashes(Effects& out, const std::string& from, const TreeHashRequest& request) {
  TreeHashReply reply{request.exchange, request.request, request.store, request.hashes.shape.partition, false, {}};
  std::optional<MerkleTree> empty;
  if (const MerkleTree* tree = tree_to_answer(from, request.store, request.hashes.shape, empty))
    if (auto answer = answer_hash_request(*tree, request.hashes); answer.ok()) {
      reply.ok = true;
      reply.hashes = std::move(answer).value();
    }
  send_tree(out, from, std::move(reply));
}

void Node::answer_tree_leaves(Effects& out, const std::string& from, const TreeLeafRequest& request) {
  TreeLeafReply reply{request.exchange, request.request, request.store, request.leaves.shape.partition, false, {}};
  std::optional<MerkleTree> empty;
  if (const MerkleTree* tree = tree_to_answer(from, request.store, request.leaves.shape, empty))
    if (auto answer = answer_leaf_request(*tree, request.leaves); answer.ok()) {
      reply.ok = true;
      reply.leaves = std::move(answer).value();
    }
  send_tree(out, from, std::move(reply));
}

void Node::on_tree_hashes(Effects& out, const std::string& from, const TreeHashReply& reply) {
  auto it = exchanges_.find(reply.exchange);
  if (it == exchanges_.end()) return;  // late (expired), duplicated, or not ours
  Exchange& exchange = it->second;
  if (from != exchange.peer || reply.store != exchange.tree.first || reply.partition != exchange.tree.second) return;
  auto sent = exchange.hash_wave.find(reply.request);
  if (sent == exchange.hash_wave.end()) return;
  auto slot = trees_.find(exchange.tree);
  if (!reply.ok || slot == trees_.end()) {  // the peer cannot answer now: try again at a later round
    exchanges_.erase(it);
    return;
  }
  const MerkleTree& tree = slot->second.tree;
  auto differing = differing_positions(tree, sent->second, reply.hashes);
  if (!differing.ok()) {  // a reply that does not fit its request: dropped and counted, like a bad message
    ++counters_.dropped_messages;
    exchanges_.erase(it);
    return;
  }
  exchange.hash_wave.erase(sent);
  for (const auto& p : differing.value()) exchange.differing.push_back(p);
  if (!exchange.hash_wave.empty()) return;  // more replies of this level to come
  std::vector<MerklePosition> positions = std::move(exchange.differing);
  exchange.differing.clear();
  if (positions.empty()) {  // equal where asked: done
    exchanges_.erase(it);
    return;
  }
  exchange.deadline = now_ + config_.timing.request_timeout;
  const std::string& store = exchange.tree.first;
  if (positions.front().level == tree.shape().depth) {  // the leaves: ask for their listings
    for (std::size_t i = 0; i < positions.size(); i += kLeavesPerRequest) {
      const std::vector<MerklePosition> chunk(positions.begin() + static_cast<std::ptrdiff_t>(i),
                                              positions.begin() + static_cast<std::ptrdiff_t>(std::min(i + kLeavesPerRequest, positions.size())));
      for (auto& request : leaf_requests(tree, chunk)) {
        const std::uint64_t id = next_op_id_++;
        exchange.leaf_wave.emplace(id, request);
        send_tree(out, exchange.peer, TreeLeafRequest{reply.exchange, id, store, std::move(request)});
      }
    }
    return;
  }
  for (auto& request : child_requests(tree, positions)) {
    const std::uint64_t id = next_op_id_++;
    exchange.hash_wave.emplace(id, request);
    send_tree(out, exchange.peer, TreeHashRequest{reply.exchange, id, store, std::move(request)});
  }
}

void Node::on_tree_leaves(Effects& out, const std::string& from, const TreeLeafReply& reply) {
  auto it = exchanges_.find(reply.exchange);
  if (it == exchanges_.end()) return;
  Exchange& exchange = it->second;
  if (from != exchange.peer || reply.store != exchange.tree.first || reply.partition != exchange.tree.second) return;
  auto sent = exchange.leaf_wave.find(reply.request);
  if (sent == exchange.leaf_wave.end()) return;
  auto slot = trees_.find(exchange.tree);
  if (!reply.ok || slot == trees_.end()) {
    exchanges_.erase(it);
    return;
  }
  auto differences = differing_keys(slot->second.tree, sent->second, reply.leaves);
  if (!differences.ok()) {
    ++counters_.dropped_messages;
    exchanges_.erase(it);
    return;
  }
  exchange.leaf_wave.erase(sent);
  const std::string peer = exchange.peer;
  const std::string store = exchange.tree.first;
  if (exchange.leaf_wave.empty()) exchanges_.erase(it);  // the last listing: the exchange is done
  bool skip = false;
#ifdef DYNAMO_MUTANT_MERKLE_EXCHANGE_SKIPS_LEAF_DIFF
  skip = true;  // MUTANT: the first differing key of every listing is ignored
#endif
  for (const auto& difference : differences.value()) {
    if (std::exchange(skip, false)) continue;
    ++counters_.merkle_keys_repaired;
    if (difference.local) {  // this node has versions: read them and push (the peer answers with its own)
      issue(out, ReadKey{storage_key(store, difference.key), false}, MerkleRead{peer, store, difference.key});
    } else {  // only the peer has the key: pull it
      out.sends.push_back(Send{peer, KeySync{store, difference.key, {}, false}});
      ++counters_.anti_entropy_syncs;
    }
  }
}

void Node::on_merkle_read(Effects& out, const MerkleRead& done, Result<StorageOutcome> outcome) {
  if (!outcome.ok()) return;  // the next exchange finds the key again
  // Empty when the key went since the listing (released): then this is a pull, answered likewise.
  out.sends.push_back(Send{done.peer, KeySync{done.store, done.key, std::get<KeyRead>(outcome.value()).state.siblings, false}});
  ++counters_.anti_entropy_syncs;
}

void Node::expire_exchanges() {
  // A peer that never answered (down, or the message lost): the tree is tried again at a later round.
  std::erase_if(exchanges_, [&](const auto& entry) { return entry.second.deadline <= now_; });
}

}  // namespace dynamo
