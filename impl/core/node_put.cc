// The coordinator's side of a put or delete (tla/Dynamo.tla: CoordinatePut, PersistPut, CompletePut,
// ResendPut).
#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "impl/core/check.h"
#include "impl/core/limits.h"
#include "impl/core/node.h"
#include "impl/core/node_ops.h"

namespace dynamo {
namespace {

// Acknowledgements a put needs before the client is answered: W, the coordinator's own included.
std::size_t required_acks(int w) {
#ifdef DYNAMO_MUTANT_ACK_BEFORE_W
  // MUTANT: answers after W-1 stores (proptests/mutants.txt).
  return static_cast<std::size_t>(std::max(1, w - 1));
#else
  return static_cast<std::size_t>(w);
#endif
}

}  // namespace

void Node::coordinate_put(Effects& out, const std::string& client, const ClientRequest& request,
                          const StoreConfig& store) {
  const std::uint64_t id = next_op_id_++;
  auto op = std::make_unique<PutOp>(client, request, store, now_ + config_.timing.request_timeout);
  auto& queue = put_queues_[op->key];
  queue.push_back(id);
  const std::string key = op->key;
  puts_.emplace(id, std::move(op));
  // Puts of one key run one at a time: each reads the state the previous one wrote, so no two
  // make_version calls see the same issued counter (a dot is never issued twice).
  if (queue.size() == 1) start_next_put(out, key);
}

void Node::start_next_put(Effects& out, const std::string& key) {
  auto q = put_queues_.find(key);
  while (q != put_queues_.end() && !q->second.empty()) {
    auto it = puts_.find(q->second.front());
    if (it != puts_.end()) {
      it->second->phase = PutOp::Phase::kReading;
      issue(out, ReadKey{key, false}, PutRead{it->first});
      return;
    }
    q->second.pop_front();  // timed out while queued
  }
  if (q != put_queues_.end()) put_queues_.erase(q);
}

void Node::answer_put(Effects& out, PutOp& op, ReplyStatus status, std::string message) {
  if (op.answered) return;
  op.answered = true;
  ClientReply reply;
  reply.request_id = op.request.request_id;
  reply.status = status;
  reply.message = std::move(message);
  if (status == ReplyStatus::kOk) {
    reply.dot = op.version.dot;
    reply.context = op.version.history();
  } else if (status == ReplyStatus::kUnknown && op.version.dot.counter > 0) {
    reply.dot = op.version.dot;  // names the write that may have happened (a tombstone read later)
  }
  out.replies.push_back(Reply{op.client, std::move(reply)});
}

void Node::on_put_read(Effects& out, std::uint64_t put_id, Result<StorageOutcome> outcome) {
  auto it = puts_.find(put_id);
  DYNAMO_CHECK(it != puts_.end());  // a put leaves puts_ only after its storage ops completed
  PutOp& op = *it->second;
  const std::string key = op.key;
  auto finish = [&](const std::string& why) {
    answer_put(out, op, ReplyStatus::kFailed, why);
    puts_.erase(it);
    put_queues_[key].pop_front();
    start_next_put(out, key);
  };
  if (!outcome.ok()) return finish("not stored: " + outcome.error().message);
  if (op.answered) return finish("");  // timed out while reading: nothing was written
  KeyState local = std::get<KeyRead>(outcome.value()).state;
#ifndef DYNAMO_MUTANT_REAP_FORGETS_ISSUED  // mutant: a reaped key's next dot may repeat an old one
  // A reap drops the key's issued dot: this actor's counters stay above every one it issued before
  // a reap here (node_reap.cc, docs/reaping.md), so no dot is issued twice.
  if (reap_floor_ > 0 && (local.issued.actor != actor_ || local.issued.counter < reap_floor_))
    local.issued = Dot{actor_, reap_floor_, 0};
#endif
  std::optional<std::string> value;
  if (op.request.op == OpKind::kPut) value = op.request.value;
  MadeVersion made = make_version(local, actor_, op.request.context, std::move(value), now_ms_);
  // The key's history (a context stored with a sibling, from another coordinator's client) may
  // already name this actor near the limit: no dot past it is ever issued or stored.
  if (made.version.dot.counter >= limits::kMaxCounter)
    return finish("not stored: the key's versions name " + actor_ + " at counter " +
                  std::to_string(made.version.dot.counter - 1) + ", the limit; restart this node (a new epoch "
                  "is a new actor) or write the key through another coordinator");
  max_issued_ = std::max(max_issued_, made.version.dot.counter);
  if (made.state.siblings.size() > limits::kMaxSiblings)
    return finish("not stored: the key would have " + std::to_string(made.state.siblings.size()) +
                  " siblings, more than " + std::to_string(limits::kMaxSiblings) +
                  "; read it and write back with the context to resolve them");
  op.version = made.version;
  op.phase = PutOp::Phase::kWriting;
  // The coordinator's own copy is always durable, and the put is answered only once it is
  // (persist_put). With overlap_coordinator_write the version goes to the replicas now, beside that
  // write, so the replicas' round trip and the coordinator's disk overlap; otherwise once it is done.
  // Sending before the copy is durable is safe: a crash before it loses an unanswered put, and the
  // new epoch's actor never issues this dot again; a failed write is handled in persist_put.
  issue(out, PutState{key, std::move(made.state), Durability::kDurable}, PutWrite{put_id});
  if (op.store->overlap_coordinator_write) send_put(out, put_id, op);
}

// Spec CoordinatePut: the version goes to every target but the coordinator.
void Node::send_put(Effects& out, std::uint64_t put_id, PutOp& op) {
  std::vector<SpecTarget> all = targets_for(op.request.key, op.store->quorum.n);
  if (SpecStep* step = record_step(out, SpecAction::kCoordinatePut, put_id, op.key)) {
    step->client = op.client;
    step->request_id = op.request.request_id;
    step->versions = {op.version};
    step->context = op.request.context;
    step->targets = all;
  }
  for (auto& target : all) {
    if (target.node == config_.id) continue;
    out.sends.push_back(Send{target.node, StoreRequest{put_id, op.store->name, op.request.key,
                                                       op.version, target.hint}});
    op.targets.push_back(std::move(target));
  }
  op.sent_at = now_;
  op.sent_ring = config_.ring;
}

bool Node::put_may_send(const std::string& key) const {
#ifdef DYNAMO_MUTANT_REAP_IGNORES_OPEN_PUT
  (void)key;
  return false;  // MUTANT: a sent, unanswered put does not keep a reap from being vouched for
#else
  return std::any_of(puts_.begin(), puts_.end(), [&](const auto& p) { return p.second->key == key && !p.second->answered; });
#endif
}

// Spec ResendPut (paper §4.6: a write meant for an unreachable node goes to the next healthy one):
// resend_after ticks after the version went out, each target that has not answered is suspected, and
// the version goes to one more fallback for it, hinted for the primary that target stood for. A
// fallback is a node past the key's preference list, in walk order, the primary's data centre first
// (as in the sloppy list), not suspected and not asked before. The fallback's acknowledgement counts
// toward W like any target's; it hands the version to the primary once that answers again.
void Node::resend_put(Effects& out, std::uint64_t put_id, PutOp& op) {
  op.resent = true;
  // Under another ring the silent targets' primaries may be primaries no more, and a fallback of the
  // new ring may be the very primary hinted for: the put waits for the targets it has.
  if (config_.ring != op.sent_ring) return;
  const int n = op.store->quorum.n;
  const std::vector<std::string> order = config_.ring->full_order(partition_of(op.request.key));
  std::set<std::string> asked{config_.id};
  for (const auto& t : op.targets) asked.insert(t.node);
  std::vector<SpecTarget> silent;
  for (const auto& t : op.targets)
    if (!op.answered_by(t.node)) silent.push_back(t);
  for (const auto& t : silent) suspect(t.node);
  const std::set<std::string> down = suspects();
  auto dc_of = [&](const std::string& node) -> std::optional<std::string> {
    const auto index = config_.ring->index_of(node);
    if (!index) return std::nullopt;
    return config_.ring->members()[*index].dc;
  };
  for (const auto& t : silent) {
    const std::string& primary = t.hint.empty() ? t.node : t.hint;
    const std::optional<std::string> home = dc_of(primary);
    std::optional<std::string> fallback;
    for (bool same_dc : {true, false}) {
      for (std::size_t i = static_cast<std::size_t>(n); i < order.size() && !fallback; ++i) {
        const std::string& node = order[i];
#ifdef DYNAMO_MUTANT_RESEND_TO_SUSPECT
        const bool healthy = true;  // MUTANT: a suspected node may be the fallback
#else
        const bool healthy = !down.contains(node);
#endif
        if (healthy && !asked.contains(node) && (!same_dc || dc_of(node) == home)) fallback = node;
      }
      if (fallback) break;
    }
    if (!fallback) continue;  // no healthy node left: the put waits for the targets it has
    asked.insert(*fallback);
#ifdef DYNAMO_MUTANT_RESEND_WITHOUT_HINT
    SpecTarget extra{*fallback, ""};  // MUTANT: the fallback keeps the version as if it were a primary
#else
    SpecTarget extra{*fallback, primary};
#endif
    if (SpecStep* step = record_step(out, SpecAction::kResendPut, put_id, op.key)) {
      step->client = op.client;
      step->request_id = op.request.request_id;
      step->targets = {extra};
    }
    out.sends.push_back(Send{extra.node, StoreRequest{put_id, op.store->name, op.request.key, op.version, extra.hint}});
    op.targets.push_back(std::move(extra));
  }
}

void Node::persist_put(Effects& out, std::uint64_t put_id, Result<StorageOutcome> outcome) {
  auto it = puts_.find(put_id);
  DYNAMO_CHECK(it != puts_.end());
  PutOp& op = *it->second;
  const std::string key = op.key;
  put_queues_[key].pop_front();
  start_next_put(out, key);
  const bool sent = op.store->overlap_coordinator_write;
  if (!outcome.ok()) {
    // A failed write changed nothing here (storage.h invariant 5). If the version was sent, the
    // replicas have it, so its dot must never name another write: the issued record that would say
    // so was not written, and every later counter of this actor goes above it (the floor a reap
    // uses, node_reap.cc).
#ifndef DYNAMO_MUTANT_FAILED_PERSIST_REISSUES_DOT
    if (sent) reap_floor_ = std::max(reap_floor_, max_issued_);
#endif
    if (sent)
      answer_put(out, op, ReplyStatus::kUnknown,
                 "the coordinator's own durable write failed (" + outcome.error().message +
                     "); the version was sent to the replicas and may survive");
    else
      answer_put(out, op, ReplyStatus::kFailed, "not stored: " + outcome.error().message);
    puts_.erase(it);
    return;
  }
  if (!sent) send_put(out, put_id, op);
  op.persisted = true;
  op.acks.emplace_back(config_.id, config_.epoch);
  if (SpecStep* step = record_step(out, SpecAction::kPersistPut, put_id, key)) {
    step->versions = {op.version};
  }
  if (op.answered) {
    puts_.erase(it);  // it timed out while writing: the client was told "unknown"; nothing to count
    return;
  }
  op.phase = PutOp::Phase::kWaiting;
  if (op.acks.size() >= required_acks(op.w)) complete_put(out, put_id);
}

void Node::ack_put(Effects& out, const std::string& from, const StoreAck& ack) {
  auto it = puts_.find(ack.put_id);
  if (it == puts_.end()) return;  // late (the put completed or timed out), or not ours
  PutOp& op = *it->second;
  // Acknowledgements count once the version exists (the own write under way, or waiting for the
  // replicas). Only the targets asked can ack: those chosen when the Stores went out (during
  // kWriting only with overlap_coordinator_write; otherwise at kWaiting), and the fallbacks
  // resend_put added since.
  const bool version_made = op.phase == PutOp::Phase::kWriting || op.phase == PutOp::Phase::kWaiting;
  if (!version_made || op.answered || ack.dot != op.version.dot) return;
  const bool targeted = std::any_of(op.targets.begin(), op.targets.end(),
                                    [&](const SpecTarget& t) { return t.node == from; });
  const bool counted = std::any_of(op.acks.begin(), op.acks.end(), [&](const auto& a) { return a.first == from; });
  if (!targeted || counted) return;  // a duplicate, or a node we never asked
  if (!ack.stored) {
    op.refused.insert(from);
    // The coordinator's own store plus every target that has not refused.
    const int possible = static_cast<int>(1 + op.targets.size() - op.refused.size());
    if (possible < op.w) {
      answer_put(out, op, ReplyStatus::kUnknown,
                 "W=" + std::to_string(op.w) + " cannot be reached: " + from + " refused (" + ack.refusal +
                     "); the version was sent and may survive");
      // Still writing: the write's completion finds the put answered and ends it (persist_put).
      if (op.persisted) puts_.erase(it);
    }
    return;
  }
  op.acks.emplace_back(from, ack.epoch);
  // W counts the coordinator's own copy, which must be durable first (spec: CompletePut after
  // PersistPut): an acknowledged write is on the coordinator's disk whatever the replicas buffered.
#ifdef DYNAMO_MUTANT_ACK_BEFORE_OWN_DURABLE
  const bool own_counted = true;  // MUTANT: counts the coordinator's copy before it is durable
  const std::size_t needed = required_acks(op.w) - (op.persisted ? 0 : 1);
#else
  const bool own_counted = op.persisted;
  const std::size_t needed = required_acks(op.w);
#endif
  if (own_counted && op.acks.size() >= needed) {
    complete_put(out, ack.put_id);
  } else if (SpecStep* step = record_step(out, SpecAction::kAckPut, ack.put_id, op.key)) {
    step->acks = {{from, ack.epoch}};
    step->from = from;
  }
}

void Node::complete_put(Effects& out, std::uint64_t put_id) {
  auto it = puts_.find(put_id);
  PutOp& op = *it->second;
  if (SpecStep* step = record_step(out, SpecAction::kCompletePut, put_id, op.key)) {
    step->acks = op.acks;
    step->versions = {op.version};
  }
  answer_put(out, op, ReplyStatus::kOk, "");
  if (op.persisted) puts_.erase(it);  // otherwise persist_put ends it (only a mutant answers first)
}

void Node::expire_puts(Effects& out) {
  const std::uint32_t resend_after = config_.timing.resend_after;
  for (auto it = puts_.begin(); it != puts_.end();) {
    PutOp& op = *it->second;
    if (op.deadline > now_ || op.answered) {
      // Resend only while short of W, counting the coordinator's own copy while its write is under
      // way (with overlap_coordinator_write the replicas may have answered before it landed).
      const std::size_t counted = op.acks.size() + (op.persisted ? 0 : 1);
      if (!op.answered && resend_after > 0 && !op.resent && op.sent_at && now_ >= *op.sent_at + resend_after &&
          counted < required_acks(op.w))
        resend_put(out, it->first, op);
      ++it;
      continue;
    }
    switch (op.phase) {
      case PutOp::Phase::kQueued:
        answer_put(out, op, ReplyStatus::kFailed, "timed out waiting behind earlier puts of the key; nothing was stored");
        it = puts_.erase(it);  // start_next_put skips it
        continue;
      case PutOp::Phase::kReading:
      case PutOp::Phase::kWriting:
        // Its storage op is in flight: answer now, finish when it completes.
        answer_put(out, op, op.phase == PutOp::Phase::kReading ? ReplyStatus::kFailed : ReplyStatus::kUnknown,
                   op.phase == PutOp::Phase::kReading
                       ? "timed out before the coordinator read the key; nothing was stored"
                       : std::string("timed out before the coordinator's own durable write completed; the version ") +
                             (op.store->overlap_coordinator_write ? "was sent to the replicas and " : "") +
                             "may survive");
        ++it;
        continue;
      case PutOp::Phase::kWaiting: {
        const std::string silent =
            suspect_silent(op.targets, [&](const std::string& node) { return op.answered_by(node); });
        answer_put(out, op, ReplyStatus::kUnknown,
                   "W=" + std::to_string(op.w) + " not reached within " + std::to_string(config_.timing.request_timeout) +
                       " ticks (" + std::to_string(op.acks.size()) + " stored; no answer from" + silent +
                       "); the version is stored at the coordinator and may survive");
        record_step(out, SpecAction::kPutTimeout, it->first, op.key);
        it = puts_.erase(it);
        continue;
      }
    }
  }
}

}  // namespace dynamo
