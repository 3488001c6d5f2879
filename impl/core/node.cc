#include "impl/core/node.h"

#include <algorithm>
#include <utility>

#include "impl/core/check.h"
#include "impl/core/message_checks.h"
#include "impl/core/node_ops.h"

namespace dynamo {

Result<Node> Node::create(NodeConfig config) {
  if (auto s = validate(config); !s.ok()) return s.error();
  return Node(std::move(config));
}

// Op ids start at (epoch mod 2^24) * 2^40, so an answer to a get of a previous life (a late or
// duplicated ReadReply) never matches a get of this one: two lives collide only if their epochs are
// equal modulo 2^24. Epochs that count up from 1 never do; an epoch taken from the clock (the memory
// engine, a fresh or wiped data directory: wall-clock ms, about 2^41) collides with an earlier life
// only when the two differ by a multiple of 2^24 ms, about one restart pair in 16 million.
Node::Node(NodeConfig config)
    : config_(std::move(config)), actor_(actor_of(config_.id, config_.epoch)),
      next_op_id_(((config_.epoch & ((std::uint64_t{1} << 24) - 1)) << 40) + 1) {
  for (const auto& member : config_.ring->members()) known_nodes_.insert(member.id);
}
Node::~Node() = default;
Node::Node(Node&&) noexcept = default;
Node& Node::operator=(Node&&) noexcept = default;

NodeStats Node::stats() const {
  NodeStats s = counters_;
  s.requests_in_flight = in_flight();
  for (const auto& [target, count] : pending_hints_) s.pending_hints += count;
  s.handoffs_in_flight = handoffs_.size();
  s.suspected = suspects().size();
  s.transfers_in_flight = transfers_.size();
  s.reaps_in_flight = reaps_.size();
  return s;
}

std::vector<Node::PeerView> Node::peer_views() const {
  std::vector<PeerView> out;
  for (const auto& member : config_.ring->members()) {
    if (member.id == config_.id) continue;
    auto hints = pending_hints_.find(member.id);
    out.push_back({member.id, suspected(member.id), hints == pending_hints_.end() ? 0 : hints->second});
  }
  return out;
}

bool Node::quiescent() const {
  return pending_.empty() && puts_.empty() && gets_.empty() && handoffs_.empty() && transfers_.empty() &&
         exchanges_.empty();
}

std::uint64_t Node::issue(Effects& out, StorageRequest request, Pending pending) {
  const std::uint64_t token = next_token_++;
  pending_.emplace(token, std::move(pending));
  // Every write that returns a key's new state (KeyStored) feeds that key's Merkle tree entry.
  if (const auto* m = std::get_if<MergeVersions>(&request)) write_keys_.emplace(token, m->key);
  else if (const auto* p = std::get_if<PutState>(&request)) write_keys_.emplace(token, p->key);
  else if (const auto* r = std::get_if<ReleaseKey>(&request)) write_keys_.emplace(token, r->key);
  else if (const auto* k = std::get_if<ReapKey>(&request)) write_keys_.emplace(token, k->key);
  out.storage.push_back(StorageOp{token, std::move(request)});
  return token;
}

const StoreConfig* Node::find_store(std::string_view name) const {
  if (name.empty()) name = kDefaultStore;
  for (const auto& store : config_.stores)
    if (store.name == name) return &store;
  return nullptr;
}

bool Node::suspected(const std::string& node) const {
  auto it = suspected_until_.find(node);
  return it != suspected_until_.end() && it->second > now_;
}

void Node::suspect(const std::string& node) {
  if (node != config_.id) suspected_until_[node] = now_ + config_.timing.suspect_for;
}

std::set<std::string> Node::suspects() const {
  // Members only: an operation begun under an older ring may suspect a node that has left since.
  std::set<std::string> out;
  for (const auto& [node, until] : suspected_until_)
    if (until > now_ && config_.ring->index_of(node)) out.insert(node);
  return out;
}

std::vector<Version> Node::view_of(KeyRead read) {
  std::vector<Version> view = std::move(read.state.siblings);
  for (auto& h : read.hints) view.push_back(std::move(h.hint.version));
  return reconcile(std::move(view));
}

std::string Node::suspect_silent(const std::vector<SpecTarget>& targets,
                                 const std::function<bool(const std::string&)>& answered) {
  std::string silent;
  for (const auto& t : targets)
    if (!answered(t.node)) {
      suspect(t.node);
      silent += " " + t.node;
    }
  return silent;
}

std::uint32_t Node::partition_of(std::string_view key) const {
  const std::string k(key);
  if (auto it = partition_cache_.find(k); it != partition_cache_.end()) return it->second;
  if (partition_cache_.size() >= kPartitionCacheKeys) partition_cache_.clear();
  const std::uint32_t partition = config_.ring->partition_of_key(key);
  partition_cache_.emplace(k, partition);
  return partition;
}

const std::vector<std::string>& Node::preference_list(std::string_view key, int n) const {
  const std::uint32_t partition = partition_of(key);
  const std::uint64_t slot = (std::uint64_t{partition} << 8) | static_cast<std::uint64_t>(n);
  auto it = preference_cache_.find(slot);
  if (it == preference_cache_.end()) {
    auto list = config_.ring->preference_list(partition, n);
    DYNAMO_CHECK(list.ok());  // n was validated against the ring with the configuration
    it = preference_cache_.emplace(slot, std::move(list).value()).first;
  }
  return it->second;
}

SpecStep* Node::record_step(Effects& out, SpecAction action, std::uint64_t op_id, const std::string& key) const {
  if (!config_.record_spec_steps) return nullptr;
  SpecStep& step = out.steps.emplace_back();
  step.action = action;
  step.node = config_.id;
  step.op_id = op_id;
  step.key = key;
  return &step;
}

SpecStep* Node::record_step(Effects& out, SpecAction action, std::uint64_t op_id, std::string_view store,
                            std::string_view key) const {
  if (!config_.record_spec_steps) return nullptr;
  return record_step(out, action, op_id, storage_key(store, key));
}

bool Node::is_primary(const std::string& node, std::string_view key, int n) const {
  const auto& primaries = preference_list(key, n);
  return std::find(primaries.begin(), primaries.end(), node) != primaries.end();
}

std::vector<SpecTarget> Node::targets_for(std::string_view key, int n) const {
  const std::set<std::string> down = suspects();
  if (down.empty()) {  // the common case: the preference list itself
    std::vector<SpecTarget> targets;
    for (const auto& node : preference_list(key, n)) targets.push_back(SpecTarget{node, ""});
    return targets;
  }
  auto sloppy = config_.ring->sloppy_preference_list(partition_of(key), n, down);
  DYNAMO_CHECK(sloppy.ok());
  std::vector<SpecTarget> targets;
  for (const auto& slot : sloppy.value().slots) {
    // No healthy node left for a down primary: send to the primary itself (it may answer after all).
    if (slot.is_unfilled()) targets.push_back(SpecTarget{slot.stands_in_for, ""});
    else targets.push_back(SpecTarget{slot.node, slot.stands_in_for});
  }
  return targets;
}

std::optional<ClientReply> Node::admit(const ClientRequest& request, const StoreConfig*& store) const {
  ClientReply refuse;
  refuse.request_id = request.request_id;
  refuse.status = ReplyStatus::kFailed;
  store = find_store(request.store);
  if (!store) {
    refuse.message = "unknown store \"" + request.store + "\"; this cluster has:";
    for (const auto& s : config_.stores) refuse.message += " " + s.name;
    return refuse;
  }
  if (request.key.empty() || request.key.size() > limits::kMaxKeyBytes) {
    refuse.message = "key must be 1 to " + std::to_string(limits::kMaxKeyBytes) + " bytes, got " +
                     std::to_string(request.key.size());
    return refuse;
  }
  if (request.op == OpKind::kPut && request.value.size() > store->max_value_bytes) {
    refuse.message = "value of " + std::to_string(request.value.size()) + " bytes exceeds store \"" +
                     store->name + "\"'s limit of " + std::to_string(store->max_value_bytes) + " bytes";
    return refuse;
  }
  if (request.op != OpKind::kGet) {
    if (auto s = check_context(request.context); !s.ok()) {
      refuse.message = "bad context: " + s.error().message;
      return refuse;
    }
    // A context is what a read returned, so it covers no dot of this actor that was never issued.
    // A forged one would push this actor's next dots past it (make_version), and through the reap
    // floor every key's, up to the counter limit: one request would stop the node's writes.
    const std::uint64_t own = request.context.max_counter(actor_);
    if (own > std::max(max_issued_, reap_floor_)) {
      refuse.message = "bad context: it covers version " + actor_ + ":" + std::to_string(own) +
                       ", which this node never issued; send a context exactly as a read returned it";
      return refuse;
    }
  }
  const int n = store->quorum.n;
  if (request.r && (*request.r < 1 || *request.r > n)) {
    refuse.message = "r must be 1 to N=" + std::to_string(n);
    return refuse;
  }
  if (request.w && (*request.w < 1 || *request.w > n)) {
    refuse.message = "w must be 1 to N=" + std::to_string(n);
    return refuse;
  }
  if (in_flight() >= config_.limits.max_requests_in_flight) {
    refuse.message = "busy: " + std::to_string(in_flight()) + " requests in flight (the limit); retry later";
    return refuse;
  }
  if (!is_primary(config_.id, request.key, n)) {
    refuse.status = ReplyStatus::kRedirect;
    refuse.message = "this node is not in the key's preference list; ask one of the coordinators";
    refuse.coordinators = preference_list(request.key, n);
    return refuse;
  }
  return std::nullopt;
}

Effects Node::start() {
  Effects out;
  scan_hints(out);
  return out;
}

Effects Node::on_client_request(const std::string& client, const ClientRequest& request) {
  Effects out;
  const StoreConfig* store = nullptr;
  if (auto refusal = admit(request, store)) {
    out.replies.push_back(Reply{client, std::move(*refusal)});
    return out;
  }
  if (request.op == OpKind::kGet) client_get(out, client, request, *store);
  else coordinate_put(out, client, request, *store);
  return out;
}

Effects Node::on_message(const std::string& from, const PeerMessage& message) {
  Effects out;
  // A node that left before this one joined (or whose join this node never saw) is unknown to it,
  // yet may still hand keys over to it: its data (TransferKey) and the hints it keeps for a node
  // that is gone (Handoff, hint_destination). Both are durable merges, answered to the sender.
  const bool may_be_unknown = std::holds_alternative<TransferKey>(message) || std::holds_alternative<Handoff>(message);
  if (from.empty() || (!known_node(from) && !may_be_unknown) || !check_peer_message(message).ok()) {
    ++counters_.dropped_messages;
    return out;
  }
  suspected_until_.erase(from);  // it answered: no longer suspected
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, StoreRequest>) store_version(out, from, m);
        else if constexpr (std::is_same_v<M, StoreAck>) ack_put(out, from, m);
        else if constexpr (std::is_same_v<M, ReadRequest>) replica_read(out, from, m);
        else if constexpr (std::is_same_v<M, ReadReply>) on_read_reply(out, from, m);
        else if constexpr (std::is_same_v<M, RepairRequest>) on_repair(out, from, m);
        else if constexpr (std::is_same_v<M, Handoff>) on_handoff(out, from, m);
        else if constexpr (std::is_same_v<M, HandoffAck>) delete_hint(out, from, m);
        else if constexpr (std::is_same_v<M, KeySync>) on_key_sync(out, from, m);
        else if constexpr (std::is_same_v<M, TransferKey>) confirm_transfer(out, from, m);
        else if constexpr (std::is_same_v<M, TransferAck>) release_partition(out, from, m);
        else if constexpr (std::is_same_v<M, TreeHashRequest>) answer_tree_hashes(out, from, m);
        else if constexpr (std::is_same_v<M, TreeHashReply>) on_tree_hashes(out, from, m);
        else if constexpr (std::is_same_v<M, TreeLeafRequest>) answer_tree_leaves(out, from, m);
        else if constexpr (std::is_same_v<M, TreeLeafReply>) on_tree_leaves(out, from, m);
        else if constexpr (std::is_same_v<M, ReapQuery>) answer_reap_query(out, from, m);
        else if constexpr (std::is_same_v<M, ReapReply>) on_reap_reply(out, from, m);
        else static_assert(sizeof(M) == 0, "a peer message without a handler");
      },
      message);
  return out;
}

Effects Node::on_storage_done(std::uint64_t token, Result<StorageOutcome> outcome) {
  Effects out;
  auto it = pending_.find(token);
  DYNAMO_CHECK(it != pending_.end());  // the shell reports each token it was given, once
  Pending pending = std::move(it->second);
  pending_.erase(it);
  if (auto w = write_keys_.find(token); w != write_keys_.end()) {
    if (outcome.ok())
      if (const auto* stored = std::get_if<KeyStored>(&outcome.value())) note_key_state(w->second, stored->state, false);
    write_keys_.erase(w);
  }
  std::visit(
      [&](auto& p) {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, PutRead>) on_put_read(out, p.put_id, std::move(outcome));
        else if constexpr (std::is_same_v<P, PutWrite>) persist_put(out, p.put_id, std::move(outcome));
        else if constexpr (std::is_same_v<P, GetSelfRead>) on_get_self_read(out, p.get_id, std::move(outcome));
        else if constexpr (std::is_same_v<P, ReplicaStore>) on_replica_stored(out, p, std::move(outcome));
        else if constexpr (std::is_same_v<P, HintStore>) on_hint_stored(out, p, std::move(outcome));
        else if constexpr (std::is_same_v<P, ReplicaView>) on_replica_view(out, p, std::move(outcome));
        else if constexpr (std::is_same_v<P, RepairStored>) {
          if (outcome.ok()) {
            note_write_completed();
            if (SpecStep* step = record_step(out, SpecAction::kStoreVersion, 0, p.key)) {
              step->message = "Repair";
              step->from = p.from;
              step->versions = p.versions;
            }
          }
        } else if constexpr (std::is_same_v<P, HandoffStored>) on_handoff_stored(out, p, std::move(outcome));
        else if constexpr (std::is_same_v<P, HintDropped>) {
          // Counted down only once the hint is gone; a failed delete leaves the hint, which is
          // delivered and acknowledged again (merges are idempotent).
          if (outcome.ok()) {
            if (auto c = pending_hints_.find(p.target); c != pending_hints_.end() && --c->second == 0)
              pending_hints_.erase(c);
            if (auto k = hinted_keys_.find(p.key); k != hinted_keys_.end() && --k->second == 0) hinted_keys_.erase(k);
          }
        } else if constexpr (std::is_same_v<P, HintScan>) on_hints_scanned(out, std::move(outcome));
        else if constexpr (std::is_same_v<P, KeyScan>) on_keys_scanned(out, std::move(outcome));
        else if constexpr (std::is_same_v<P, Synced>) {
          sync_in_flight_ = false;
          if (!outcome.ok()) buffered_since_sync_ = true;  // try again at the next flush
        } else if constexpr (std::is_same_v<P, KeySyncStored>) on_key_sync_stored(out, p, std::move(outcome));
        else if constexpr (std::is_same_v<P, TransferStored>) on_transfer_stored(out, p, std::move(outcome));
        else if constexpr (std::is_same_v<P, Released>) on_released(p, std::move(outcome));
        else if constexpr (std::is_same_v<P, MerkleRead>) on_merkle_read(out, p, std::move(outcome));
        else if constexpr (std::is_same_v<P, ReapRead>) on_reap_read(out, p, std::move(outcome));
        else if constexpr (std::is_same_v<P, Reaped>) on_reaped(p, std::move(outcome));
        else static_assert(sizeof(P) == 0, "a storage completion without a handler");
      },
      pending);
  return out;
}

void Node::flush(Effects& out) {
  if (!buffered_since_sync_ || sync_in_flight_) return;
  buffered_since_sync_ = false;
  sync_in_flight_ = true;
  issue(out, Sync{}, Synced{});
}

Effects Node::on_tick(std::uint64_t now_ms) {
  Effects out;
  ++now_;
  now_ms_ = now_ms;
  expire_puts(out);
  expire_gets(out);
  expire_handoffs();
  expire_transfers();
  expire_exchanges();
  expire_reaps(out);
  const auto& t = config_.timing;
  if (now_ % t.flush_every == 0) flush(out);
  if (now_ % t.hint_scan_every == 0) scan_hints(out);
  if (now_ % t.anti_entropy_every == 0) anti_entropy(out);
  return out;
}

}  // namespace dynamo
