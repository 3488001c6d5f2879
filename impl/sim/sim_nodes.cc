// The simulator's nodes: boot, crash, and the loop that applies a core's effects.
#include <deque>
#include <utility>

#include "impl/core/check.h"
#include "impl/sim/sim_cluster.h"
#include "impl/store/storage_executor.h"

namespace dynamo::sim {
namespace {

// Whether the request syncs the storage (a durable write, a hint change, or a sync).
std::string key_of(const StorageRequest& request) {
  if (const auto* m = std::get_if<MergeVersions>(&request)) return m->key;
  if (const auto* p = std::get_if<PutState>(&request)) return p->key;
  if (const auto* r = std::get_if<ReapKey>(&request)) return r->key;
  return "";
}

bool syncs(const StorageRequest& request) {
  if (const auto* m = std::get_if<MergeVersions>(&request)) return m->durability == Durability::kDurable;
  if (const auto* p = std::get_if<PutState>(&request)) return p->durability == Durability::kDurable;
  return std::holds_alternative<AddHint>(request) || std::holds_alternative<DeleteHint>(request) ||
         std::holds_alternative<Sync>(request) || std::holds_alternative<ReapKey>(request);
}

}  // namespace

NodeSlot* Cluster::node(const std::string& id) {
  for (auto& slot : nodes_)
    if (slot.id == id) return &slot;
  return nullptr;
}

void Cluster::boot(NodeSlot& slot, bool restart) {
  if (restart) ++slot.epoch;  // a restart is a new actor (spec: Recover)
  NodeConfig config;
  config.id = slot.id;
  config.epoch = slot.epoch;
  config.ring = slot.ring;
  StoreConfig store;
  store.quorum = QuorumConfig{schedule_.n, schedule_.r, schedule_.w};
  store.replica_durability = schedule_.durable_replicas ? Durability::kDurable : Durability::kBuffered;
  store.overlap_coordinator_write = schedule_.overlap_writes;
  config.stores = {store};
  // Anti-entropy is not in trace format 1 (spec/trace-format.md): traced runs go without it.
  if (options_.trace) config.timing.anti_entropy_every = UINT32_MAX;
  config.timing.request_timeout = 8 * schedule_.max_delay + 8;
  config.timing.resend_after = 4 * schedule_.max_delay + 4;  // two round trips' worth of delays
  config.timing.handoff_timeout = 4 * schedule_.max_delay + 4;
  // Reaping (docs/reaping.md) with a small grace: a tombstone 30 ticks old (the simulator's dots are
  // stamped 10 ms per tick) may go; the two rounds of questions are a request timeout apart (longer
  // than any message's delay). Traced runs have no anti-entropy pass, so no reaping either.
  config.timing.reap_grace_ms = 10 * 30;
  config.timing.reap_settle = config.timing.request_timeout;
  auto core = Node::create(std::move(config));
  DYNAMO_CHECK(core.ok());
  slot.core.emplace(std::move(core).value());
  slot.core->set_leaving(slot.leaving);
  slot.joined = true;
  if (restart) trace_node_event("Recover", slot);
  process(slot, slot.core->start());
  // A node that missed a membership change while it was down learns it by gossip once it is up.
  if (slot.ring != ring_) ring_news_.push_back(RingNews{now_ + 1 + network_.random().below(2 * schedule_.max_delay + 1),
                                                        static_cast<std::size_t>(&slot - nodes_.data()), ring_,
                                                        ring_version_, leaving_});
}

void Cluster::crash(NodeSlot& slot) {
  ++result_.counts.crashes;
  for (const auto& version : unpersisted_[slot.id]) maybe_gone_.insert(version);
  unpersisted_.erase(slot.id);
  slot.core.reset();
  slot.queued.clear();    // ops not completed never happened
  slot.storage->crash();  // what was not synced is gone
  trace_node_event("Crash", slot);
}

Effects Cluster::execute(NodeSlot& slot, const StorageOp& op) {
  // A durable write (or a sync) makes every earlier buffered write durable too: the spec's Flush,
  // traced just before the write's own step.
  if (options_.trace && syncs(op.request) && slot.storage->unsynced_writes() > 0)
    result_.trace.push_back(R"({"action":"Flush","node":")" + slot.id + "\"}");
  Result<StorageOutcome> outcome = store::execute(*slot.storage, op.request);
  if (const auto* reap = std::get_if<ReapKey>(&op.request); reap != nullptr && outcome.ok())
    for (const auto& t : reap->tombstones) reaped_.insert({reap->key, t.dot});
  if (outcome.ok())
    if (const auto* stored = std::get_if<KeyStored>(&outcome.value())) check_reconciled(slot, key_of(op.request), stored->state.siblings);
  return slot.core->on_storage_done(op.token, std::move(outcome));
}

void Cluster::process(NodeSlot& slot, Effects effects) {
  std::deque<Effects> work;
  work.push_back(std::move(effects));
  while (!work.empty() && slot.core) {
    Effects e = std::move(work.front());
    work.pop_front();
    for (const auto& step : e.steps) record_step(slot, step);
    for (auto& op : e.storage) {
      // With asynchronous storage, ops wait and complete later in random order (release_storage);
      // otherwise each completes at once, in order.
      if (schedule_.async_storage && !options_.trace) slot.queued.push_back(std::move(op));
      else work.push_back(execute(slot, op));
    }
    for (auto& send : e.sends) network_.send(now_, slot.id, std::move(send.to), std::move(send.message));
    for (auto& reply : e.replies) network_.send(now_, slot.id, std::move(reply.client), ToClient{std::move(reply.reply)});
  }
}

std::string Cluster::queued_ops() const {
  static constexpr const char* kNames[] = {"ReadKey", "MergeVersions", "PutState",  "AddHint",    "DeleteHint",
                                           "ScanHints", "ScanKeys",    "Sync",      "ReleaseKey", "ReapKey"};
  static_assert(std::size(kNames) == std::variant_size_v<StorageRequest>, "a name per storage request");
  std::string out;
  for (const auto& slot : nodes_) {
    if (slot.queued.empty()) continue;
    out += " " + slot.id + ":";
    for (const auto& op : slot.queued) out += std::string(" ") + kNames[op.request.index()];
  }
  return out;
}

void Cluster::release_storage(NodeSlot& slot) {
  // Each tick, a random number of the waiting ops complete, in random order: the shell's freedom in
  // effects.h (reordering, group commit), which the core's ordering contract must survive.
  if (slot.queued.empty()) return;  // draws nothing: runs without async storage keep their streams
  // Once faults stop, storage is prompt too: every waiting op completes this tick.
  std::uint64_t count = faults_on_ ? network_.random().below(slot.queued.size() + 1) : slot.queued.size();
  while (count-- > 0 && !slot.queued.empty() && slot.core) {
    const std::size_t i = network_.random().below(slot.queued.size());
    StorageOp op = std::move(slot.queued[i]);
    slot.queued.erase(slot.queued.begin() + static_cast<std::ptrdiff_t>(i));
    process(slot, execute(slot, op));
  }
}

void Cluster::deliver(const Envelope& envelope) {
  if (const auto* reply = std::get_if<ToClient>(&envelope.payload)) {
    on_reply(envelope.to, reply->reply);
    return;
  }
  NodeSlot* slot = node(envelope.to);
  DYNAMO_CHECK(slot != nullptr);
  NodeSlot* sender = node(envelope.from);
  const bool cut = sender != nullptr && sender->side != slot->side;
  if (!slot->core || cut) {
    network_.count_lost();
    trace_fault(envelope, false);
    return;
  }
  if (const auto* call = std::get_if<ToNode>(&envelope.payload)) {
    process(*slot, slot->core->on_client_request(envelope.from, call->request));
  } else {
    process(*slot, slot->core->on_message(envelope.from, std::get<PeerMessage>(envelope.payload)));
  }
}

void Cluster::record_step(NodeSlot& slot, const SpecStep& step) {
  switch (step.action) {
    case SpecAction::kCoordinatePut: {
      const Version& v = step.versions.front();
      created_[step.key].push_back(v);
      unpersisted_[slot.id].insert({step.key, v.dot});
      auto op = op_of_request_.find({step.client, step.request_id});
      if (op == op_of_request_.end()) {
        fail("node " + slot.id + " made a version for a request no client sent: " + step.client);
        break;
      }
      dot_of_op_[op->second] = v.dot;
      for (const auto& t : step.targets)
        if (!t.hint.empty()) used_fallback_.insert(op->second);
      write_of_dot_[{step.key, v.dot}] = v.is_tombstone() ? check::WriteId{true, op->second} : check::WriteId{false, *v.value};
      break;
    }
    case SpecAction::kResendPut: {
      ++result_.counts.resent_puts;
      auto op = op_of_request_.find({step.client, step.request_id});
      if (op != op_of_request_.end()) used_fallback_.insert(op->second);  // quorum overlap no longer promised
      break;
    }
    case SpecAction::kPersistPut:
      unpersisted_[slot.id].erase({step.key, step.versions.front().dot});
      break;
    case SpecAction::kClientGet: {
      auto op = op_of_request_.find({step.client, step.request_id});
      if (op != op_of_request_.end())
        for (const auto& t : step.targets)
          if (!t.hint.empty()) used_fallback_.insert(op->second);
      break;
    }
    case SpecAction::kStoreVersion:
      if (!step.hint.empty()) ++result_.counts.hinted_stores;
      if (step.message == "Handoff") ++result_.counts.handoffs;
      break;
    case SpecAction::kReadRepair:
      result_.counts.read_repairs += step.to.size();
      break;
    default:
      break;
  }
  if (options_.trace) trace_step(slot, step);
}

}  // namespace dynamo::sim
