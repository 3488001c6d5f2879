// The coordinator's side of a get (tla/Dynamo.tla: ClientGet, CompleteGet, ReadRepair).
#include <algorithm>
#include <utility>

#include "impl/core/check.h"
#include "impl/core/node.h"
#include "impl/core/node_ops.h"

namespace dynamo {

void Node::client_get(Effects& out, const std::string& client, const ClientRequest& request,
                      const StoreConfig& store) {
  const std::uint64_t id = next_op_id_++;
  auto op = std::make_unique<GetOp>(client, request, store, now_ + config_.timing.request_timeout);
  for (auto& target : targets_for(request.key, store.quorum.n))
    if (target.node != config_.id) op->targets.push_back(std::move(target));
  // The coordinator reads itself (the spec's ClientGet reads View(n, k) at once); the Read requests
  // go out when its own view is in, as one step.
  issue(out, ReadKey{op->key, may_hold_hints(op->key)}, GetSelfRead{id});
  gets_.emplace(id, std::move(op));
}

void Node::on_get_self_read(Effects& out, std::uint64_t get_id, Result<StorageOutcome> outcome) {
  auto it = gets_.find(get_id);
  if (it == gets_.end()) return;  // timed out meanwhile
  GetOp& op = *it->second;
  if (!outcome.ok()) {
    out.replies.push_back(Reply{op.client, failed_reply(op.request.request_id, "the coordinator could not read the key: " + outcome.error().message)});
    gets_.erase(it);
    return;
  }
  op.replies.emplace_back(config_.id, view_of(std::get<KeyRead>(std::move(outcome).value())));
  if (SpecStep* step = record_step(out, SpecAction::kClientGet, get_id, op.key)) {
    step->client = op.client;
    step->request_id = op.request.request_id;
    step->targets = op.targets;
    step->targets.insert(step->targets.begin(), SpecTarget{config_.id, ""});
    step->versions = op.replies.front().second;
  }
  for (const auto& target : op.targets)
    out.sends.push_back(Send{target.node, ReadRequest{get_id, op.store->name, op.request.key}});
  if (static_cast<int>(op.replies.size()) >= op.r) complete_get(out, get_id);
}

void Node::on_read_reply(Effects& out, const std::string& from, const ReadReply& reply) {
  auto it = gets_.find(reply.get_id);
  if (it == gets_.end()) return;  // late or not ours
  GetOp& op = *it->second;
  const bool targeted = std::any_of(op.targets.begin(), op.targets.end(),
                                    [&](const SpecTarget& t) { return t.node == from; });
  const bool counted = std::any_of(op.replies.begin(), op.replies.end(), [&](const auto& r) { return r.first == from; });
  if (!targeted || counted || op.replies.empty()) return;  // duplicate, unasked, or before our own read
  if (reply.store != op.store->name || reply.key != op.request.key) return;  // not this get's key
  if (!reply.ok) {
    op.failed.insert(from);
    return;
  }
  op.replies.emplace_back(from, reconcile(reply.versions));
  if (static_cast<int>(op.replies.size()) >= op.r) complete_get(out, reply.get_id);
}

void Node::complete_get(Effects& out, std::uint64_t get_id) {
  auto it = gets_.find(get_id);
  GetOp& op = *it->second;
  std::vector<Version> all;
  for (const auto& [node, versions] : op.replies) all.insert(all.end(), versions.begin(), versions.end());
  std::vector<Version> result = reconcile(std::move(all));
  if (SpecStep* step = record_step(out, SpecAction::kCompleteGet, get_id, op.key)) {
    step->replies = op.replies;
    step->versions = result;
  }
  ClientReply reply;
  reply.request_id = op.request.request_id;
  reply.status = ReplyStatus::kOk;
  reply.context = read_context(result);
  reply.siblings = result;
  out.replies.push_back(Reply{op.client, std::move(reply)});
  read_repair(out, get_id, op, result);
  gets_.erase(it);
}

void Node::read_repair(Effects& out, std::uint64_t get_id, const GetOp& op, const std::vector<Version>& result) {
  const std::vector<Dot> want = dots_of(result);
  std::vector<std::string> stale;
  for (const auto& [node, versions] : op.replies) {
    if (dots_of(versions) == want) continue;
    stale.push_back(node);
    // Also to itself, through its own inbox, as the spec's Repair message.
    out.sends.push_back(Send{node, RepairRequest{op.store->name, op.request.key, result}});
    ++counters_.read_repairs;
  }
  if (stale.empty()) return;
  if (SpecStep* step = record_step(out, SpecAction::kReadRepair, get_id, op.key)) {
    step->to = std::move(stale);
    step->versions = result;
  }
}

void Node::expire_gets(Effects& out) {
  for (auto it = gets_.begin(); it != gets_.end();) {
    GetOp& op = *it->second;
    if (op.deadline > now_ || op.replies.empty()) {  // before its own read completes, wait for it
      ++it;
      continue;
    }
    const std::string silent = suspect_silent(op.targets, [&](const std::string& node) {
      return op.failed.contains(node) ||
             std::any_of(op.replies.begin(), op.replies.end(), [&](const auto& r) { return r.first == node; });
    });
    out.replies.push_back(Reply{op.client, failed_reply(op.request.request_id,
                                                        "R=" + std::to_string(op.r) + " not reached within " +
                                                            std::to_string(config_.timing.request_timeout) + " ticks (" +
                                                            std::to_string(op.replies.size()) +
                                                            " replied; no answer from" + silent + ")")});
    record_step(out, SpecAction::kGetTimeout, it->first, op.key);
    it = gets_.erase(it);
  }
}

}  // namespace dynamo
