// The replica's side (tla/Dynamo.tla: StoreVersion, ReplicaRead).
#include <algorithm>
#include <utility>

#include "impl/core/node.h"
#include "impl/core/node_ops.h"

namespace dynamo {
namespace {

Send store_ack(const std::string& to, const StoreRequest& request, std::uint64_t epoch, std::string refusal = "") {
  const bool stored = refusal.empty();
  return Send{to, StoreAck{request.put_id, request.version.dot, epoch, stored, std::move(refusal)}};
}

Send read_reply(const std::string& to, std::uint64_t get_id, std::string_view storage, bool ok,
                std::vector<Version> versions) {
  auto [store, key] = split_storage_key(storage);
  return Send{to, ReadReply{get_id, std::string(store), std::string(key), ok, std::move(versions)}};
}

}  // namespace

void Node::store_version(Effects& out, const std::string& from, const StoreRequest& request) {
  const StoreConfig* store = find_store(request.store);
  if (!store) return out.sends.push_back(store_ack(from, request, config_.epoch, "unknown store \"" + request.store + "\""));
  const std::string key = storage_key(request.store, request.key);
  if (request.hint.empty()) {
    issue(out, MergeVersions{key, {request.version}, store->replica_durability}, ReplicaStore{from, request});
    return;
  }
  // A fallback keeps the version as a hint for the down primary, durably (spec: hints are durable).
  // The target must be a primary of the key other than this node, or the hint could never go home.
  if (request.hint == config_.id || !is_primary(request.hint, request.key, store->quorum.n))
    return out.sends.push_back(store_ack(from, request, config_.epoch, "hint target " + request.hint + " is not another primary of the key"));
  if (!hints_loaded_) return out.sends.push_back(store_ack(from, request, config_.epoch, "the hint store is still loading"));
  std::size_t& pending = pending_hints_[request.hint];
  if (pending >= config_.limits.max_pending_hints_per_target) {
    ++counters_.refused_hints;
    return out.sends.push_back(store_ack(from, request, config_.epoch,
                                         "pending hints for " + request.hint + " at the limit of " +
                                             std::to_string(config_.limits.max_pending_hints_per_target)));
  }
  ++pending;
  ++hinted_keys_[key];
#ifdef DYNAMO_MUTANT_FALLBACK_DROPS_HINT
  // MUTANT: the fallback acknowledges a hinted store without keeping the hint.
  --pending;
  if (--hinted_keys_[key] == 0) hinted_keys_.erase(key);
  out.sends.push_back(store_ack(from, request, config_.epoch));
  return;
#endif
  issue(out, AddHint{Hint{request.hint, key, request.version}, Durability::kDurable}, HintStore{from, request});
}

void Node::on_replica_stored(Effects& out, const ReplicaStore& done, Result<StorageOutcome> outcome) {
  on_store_completed(out, done.from, done.request, "", std::move(outcome));
}

void Node::on_hint_stored(Effects& out, const HintStore& done, Result<StorageOutcome> outcome) {
  const StoreRequest& request = done.request;
  if (!outcome.ok()) {
    const std::string key = storage_key(request.store, request.key);
    --pending_hints_[request.hint];
    if (--hinted_keys_[key] == 0) hinted_keys_.erase(key);
  }
  on_store_completed(out, done.from, request, request.hint, std::move(outcome));
}

void Node::on_store_completed(Effects& out, const std::string& from, const StoreRequest& request,
                              const std::string& hint, Result<StorageOutcome> outcome) {
  if (!outcome.ok()) return out.sends.push_back(store_ack(from, request, config_.epoch, outcome.error().message));
  if (hint.empty()) note_write_completed();
  if (SpecStep* step = record_step(out, SpecAction::kStoreVersion, request.put_id, request.store, request.key)) {
    step->message = "Store";
    step->from = from;
    step->hint = hint;
    step->versions = {request.version};
  }
  out.sends.push_back(store_ack(from, request, config_.epoch));
}

void Node::replica_read(Effects& out, const std::string& from, const ReadRequest& request) {
  const std::string key = storage_key(request.store, request.key);
  if (!find_store(request.store)) return out.sends.push_back(read_reply(from, request.get_id, key, false, {}));
  issue(out, ReadKey{key, may_hold_hints(key)}, ReplicaView{from, request.get_id, key});
}

void Node::on_replica_view(Effects& out, const ReplicaView& done, Result<StorageOutcome> outcome) {
  if (!outcome.ok()) return out.sends.push_back(read_reply(done.from, done.get_id, done.key, false, {}));
  std::vector<Version> view = view_of(std::get<KeyRead>(std::move(outcome).value()));
  if (SpecStep* step = record_step(out, SpecAction::kReplicaRead, done.get_id, done.key)) {
    step->from = done.from;
    step->versions = view;
  }
  out.sends.push_back(read_reply(done.from, done.get_id, done.key, true, std::move(view)));
}

void Node::on_repair(Effects& out, const std::string& from, const RepairRequest& repair) {
  if (!find_store(repair.store)) return;
  const std::string key = storage_key(repair.store, repair.key);
  issue(out, MergeVersions{key, repair.versions, Durability::kBuffered}, RepairStored{from, key, repair.versions});
}

}  // namespace dynamo
