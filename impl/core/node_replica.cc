// The replica's side (tla/Dynamo.tla: StoreVersion, ReplicaRead).
#include <utility>

#include "impl/core/node.h"
#include "impl/core/node_ops.h"

namespace dynamo {

void Node::store_version(Effects& out, const std::string& from, const StoreRequest& request) {
  const StoreConfig* store = find_store(request.store);
  auto refuse = [&](std::string why) {
    out.sends.push_back(Send{from, StoreAck{request.put_id, request.version.dot, config_.epoch, false, std::move(why)}});
  };
  if (!store) return refuse("unknown store \"" + request.store + "\"");
  const std::string key = storage_key(request.store, request.key);
  if (request.hint.empty()) {
    issue(out, MergeVersions{key, {request.version}, store->replica_durability}, ReplicaStore{from, request});
    if (store->replica_durability == Durability::kBuffered) buffered_since_sync_ = true;
    return;
  }
  // A fallback keeps the version as a hint for the down primary, durably (spec: hints are durable).
  if (!hints_loaded_) return refuse("the hint store is still loading");
  std::size_t& pending = pending_hints_[request.hint];
  if (pending >= config_.limits.max_pending_hints_per_target) {
    ++counters_.refused_hints;
    return refuse("pending hints for " + request.hint + " at the limit of " +
                  std::to_string(config_.limits.max_pending_hints_per_target));
  }
  ++pending;
  ++hinted_keys_[key];
#ifdef DYNAMO_MUTANT_FALLBACK_DROPS_HINT
  // MUTANT: the fallback acknowledges a hinted store without keeping the hint.
  --pending;
  if (--hinted_keys_[key] == 0) hinted_keys_.erase(key);
  out.sends.push_back(Send{from, StoreAck{request.put_id, request.version.dot, config_.epoch, true, ""}});
  return;
#endif
  issue(out, AddHint{Hint{request.hint, key, request.version}, Durability::kDurable}, HintStore{from, request});
}

void Node::on_replica_stored(Effects& out, const ReplicaStore& done, Result<StorageOutcome> outcome) {
  const StoreRequest& request = done.request;
  if (!outcome.ok()) {
    out.sends.push_back(Send{done.from, StoreAck{request.put_id, request.version.dot, config_.epoch, false,
                                                 outcome.error().message}});
    return;
  }
  SpecStep step = spec_step(SpecAction::kStoreVersion, config_.id, request.put_id, storage_key(request.store, request.key));
  step.message = "Store";
  step.from = done.from;
  step.versions = {request.version};
  out.steps.push_back(std::move(step));
  out.sends.push_back(Send{done.from, StoreAck{request.put_id, request.version.dot, config_.epoch, true, ""}});
}

void Node::on_hint_stored(Effects& out, const HintStore& done, Result<StorageOutcome> outcome) {
  const StoreRequest& request = done.request;
  const std::string key = storage_key(request.store, request.key);
  if (!outcome.ok()) {
    --pending_hints_[request.hint];
    if (--hinted_keys_[key] == 0) hinted_keys_.erase(key);
    out.sends.push_back(Send{done.from, StoreAck{request.put_id, request.version.dot, config_.epoch, false,
                                                 outcome.error().message}});
    return;
  }
  SpecStep step = spec_step(SpecAction::kStoreVersion, config_.id, request.put_id, key);
  step.message = "Store";
  step.from = done.from;
  step.hint = request.hint;
  step.versions = {request.version};
  out.steps.push_back(std::move(step));
  out.sends.push_back(Send{done.from, StoreAck{request.put_id, request.version.dot, config_.epoch, true, ""}});
}

void Node::replica_read(Effects& out, const std::string& from, const ReadRequest& request) {
  if (!find_store(request.store)) {
    out.sends.push_back(Send{from, ReadReply{request.get_id, false, {}}});
    return;
  }
  const std::string key = storage_key(request.store, request.key);
  issue(out, ReadKey{key, hinted_keys_.contains(key)}, ReplicaView{from, request.get_id, key});
}

void Node::on_replica_view(Effects& out, const ReplicaView& done, Result<StorageOutcome> outcome) {
  if (!outcome.ok()) {
    out.sends.push_back(Send{done.from, ReadReply{done.get_id, false, {}}});
    return;
  }
  auto& read = std::get<KeyRead>(outcome.value());
  std::vector<Version> view = std::move(read.state.siblings);
  for (auto& h : read.hints) view.push_back(std::move(h.hint.version));
  view = reconcile(std::move(view));
  SpecStep step = spec_step(SpecAction::kReplicaRead, config_.id, done.get_id, done.key);
  step.from = done.from;
  step.versions = view;
  out.steps.push_back(std::move(step));
  out.sends.push_back(Send{done.from, ReadReply{done.get_id, true, std::move(view)}});
}

void Node::on_repair(Effects& out, const std::string& from, const RepairRequest& repair) {
  if (!find_store(repair.store)) return;
  const std::string key = storage_key(repair.store, repair.key);
  buffered_since_sync_ = true;
  issue(out, MergeVersions{key, repair.versions, Durability::kBuffered}, RepairStored{from, key, repair.versions});
}

}  // namespace dynamo
