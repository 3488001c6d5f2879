// The simulator's trace: one NDJSON line per spec action (spec/trace-format.md, version 1), built
// from the cores' SpecSteps and the network's faults. Ids are mapped to the spec's global put and
// get counters; actors "node#epoch" become [node, epoch, counter] dots.
#include <nlohmann/json.hpp>

#include "impl/core/check.h"
#include "impl/sim/sim_cluster.h"

namespace dynamo::sim {
namespace {

using nlohmann::json;

json dot_json(const Dot& dot) {
  auto hash = dot.actor.rfind('#');
  DYNAMO_CHECK(hash != std::string::npos);
  return json::array({dot.actor.substr(0, hash), std::stoull(dot.actor.substr(hash + 1)), dot.counter});
}

json context_json(const CausalContext& context) {
  json out = json::array();
  for (const auto& entry : context.summary().entries())
    for (std::uint64_t c = 1; c <= entry.counter; ++c) out.push_back(dot_json(Dot{entry.actor, c, 0}));
  for (const auto& dot : context.cloud()) out.push_back(dot_json(dot));
  return out;
}

json version_json(const Version& v) {
  json out{{"dot", dot_json(v.dot)}, {"ctx", context_json(v.context)}};
  if (v.value) out["val"] = *v.value;
  else out["tombstone"] = true;
  return out;
}

json versions_json(const std::vector<Version>& versions) {
  json out = json::array();
  for (const auto& v : versions) out.push_back(version_json(v));
  return out;
}

std::string user_key(const std::string& storage) { return std::string(split_storage_key(storage).second); }

json targets_json(const std::vector<SpecTarget>& targets) {
  json out = json::array();
  for (const auto& t : targets) {
    json target{{"node", t.node}};
    if (!t.hint.empty()) target["hint"] = t.hint;
    out.push_back(std::move(target));
  }
  return out;
}

}  // namespace

void Cluster::trace_header() {
  if (!options_.trace) return;
  json nodes = json::array(), keys = json::array();
  for (const auto& m : ring_->members()) nodes.push_back(m.id);
  for (std::uint32_t k = 0; k < schedule_.keys; ++k)
    keys.push_back({{"key", key_name(k)}, {"walk", ring_->full_order(ring_->partition_of_key(key_name(k)))}});
  result_.trace.push_back(json{{"format", "dynamo-trace"}, {"version", 1}, {"nodes", nodes}, {"keys", keys},
                               {"N", schedule_.n}, {"R", schedule_.r}, {"W", schedule_.w}}
                              .dump());
}

void Cluster::trace_node_event(const std::string& action, const NodeSlot& slot) {
  if (!options_.trace) return;
  json line{{"action", action}, {"node", slot.id}};
  if (action == "Recover") line["epoch"] = slot.epoch;
  result_.trace.push_back(line.dump());
}

void Cluster::trace_fault(const Envelope& envelope, bool duplicated) {
  if (!options_.trace) return;
  const auto* message = std::get_if<PeerMessage>(&envelope.payload);
  if (!message) return;  // client traffic is outside the spec
  json msg{{"to", envelope.to}, {"from", envelope.from}};
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, StoreRequest>) {
          msg.update({{"type", "Store"}, {"id", spec_put_id_.at({envelope.from, m.put_id})}, {"key", m.key},
                      {"ver", version_json(m.version)}});
          if (!m.hint.empty()) msg["hint"] = m.hint;
        } else if constexpr (std::is_same_v<M, StoreAck>) {
          msg.update({{"type", "StoreAck"}, {"id", spec_put_id_.at({envelope.to, m.put_id})}, {"dot", dot_json(m.dot)},
                      {"epoch", m.epoch}});
        } else if constexpr (std::is_same_v<M, ReadRequest>) {
          msg.update({{"type", "Read"}, {"id", spec_get_id_.at({envelope.from, m.get_id})}, {"key", m.key}});
        } else if constexpr (std::is_same_v<M, ReadReply>) {
          msg.update({{"type", "ReadReply"}, {"id", spec_get_id_.at({envelope.to, m.get_id})},
                      {"vers", versions_json(m.versions)}});
        } else if constexpr (std::is_same_v<M, RepairRequest>) {
          msg.update({{"type", "Repair"}, {"key", m.key}, {"vers", versions_json(m.versions)}});
        } else if constexpr (std::is_same_v<M, Handoff>) {
          msg.update({{"type", "Handoff"}, {"key", m.key}, {"ver", version_json(m.version)}});
        } else if constexpr (std::is_same_v<M, HandoffAck>) {
          const auto& [key, version] = handed_off_.at({envelope.to, m.sequence});
          msg.update({{"type", "HandoffAck"}, {"key", key}, {"ver", version_json(version)}});
        } else {
          msg = nullptr;  // KeySync, Tree*: anti-entropy is off in traced runs
        }
      },
      *message);
  if (msg.is_null()) return;
  result_.trace.push_back(json{{"action", duplicated ? "DuplicateMessage" : "LoseMessage"}, {"msg", msg}}.dump());
}

void Cluster::trace_step(const NodeSlot& slot, const SpecStep& step) {
  const std::string key = user_key(step.key);
  auto siblings_now = [&] {
    auto state = slot.storage->read(step.key);
    DYNAMO_CHECK(state.ok());
    return versions_json(state.value().siblings);
  };
  json line{{"action", spec_action_name(step.action)}, {"node", step.node}};
  switch (step.action) {
    case SpecAction::kCoordinatePut: {
      const std::uint64_t id = next_spec_put_++;
      spec_put_id_[{step.node, step.op_id}] = id;
      const Version& v = step.versions.front();
      line.update({{"id", id}, {"client", step.client}, {"key", key}, {"epoch", slot.epoch},
                   {"ctx", context_json(step.context)}, {"dot", dot_json(v.dot)}, {"targets", targets_json(step.targets)}});
      if (v.value) line["val"] = *v.value;
      else line["tombstone"] = true;
      break;
    }
    case SpecAction::kStoreVersion: {
      json msg{{"type", step.message}, {"to", step.node}, {"from", step.from}, {"key", key}};
      if (step.message == "Store") {
        msg["id"] = spec_put_id_.at({step.from, step.op_id});
        msg["ver"] = version_json(step.versions.front());
        if (!step.hint.empty()) msg["hint"] = step.hint;
      } else if (step.message == "Repair") {
        msg["vers"] = versions_json(step.versions);
      } else {
        msg["ver"] = version_json(step.versions.front());
      }
      line.update({{"msg", msg}, {"siblings", siblings_now()}});
      break;
    }
    case SpecAction::kAckPut:
      return;  // optional in the format: CompletePut lists the acks it counted
    case SpecAction::kPersistPut:
      line["id"] = spec_put_id_.at({step.node, step.op_id});
      break;
    case SpecAction::kCompletePut: {
      json acks = json::array();
      for (const auto& [from, epoch] : step.acks)
        if (from != step.node) acks.push_back({{"from", from}, {"epoch", epoch}});  // not the coordinator's own
      line.update({{"id", spec_put_id_.at({step.node, step.op_id})}, {"acks", acks}});
      break;
    }
    case SpecAction::kPutTimeout:
      line["id"] = spec_put_id_.at({step.node, step.op_id});
      break;
    case SpecAction::kResendPut:
      line.update({{"id", spec_put_id_.at({step.node, step.op_id})}, {"to", step.targets.front().node},
                   {"hint", step.targets.front().hint}});
      break;
    case SpecAction::kClientGet: {
      const std::uint64_t id = next_spec_get_++;
      spec_get_id_[{step.node, step.op_id}] = id;
      line.update({{"id", id}, {"client", step.client}, {"key", key}, {"epoch", slot.epoch},
                   {"targets", targets_json(step.targets)}, {"view", versions_json(step.versions)}});
      break;
    }
    case SpecAction::kReplicaRead: {
      json msg{{"type", "Read"}, {"to", step.node}, {"from", step.from},
               {"id", spec_get_id_.at({step.from, step.op_id})}, {"key", key}};
      line.update({{"msg", msg}, {"view", versions_json(step.versions)}});
      break;
    }
    case SpecAction::kCompleteGet: {
      json replies = json::array();
      for (std::size_t i = 1; i < step.replies.size(); ++i)  // the coordinator's own view is first
        replies.push_back({{"from", step.replies[i].first}, {"vers", versions_json(step.replies[i].second)}});
      line.update({{"id", spec_get_id_.at({step.node, step.op_id})}, {"replies", replies},
                   {"siblings", versions_json(step.versions)}, {"ctx", context_json(read_context(step.versions))}});
      break;
    }
    case SpecAction::kGetTimeout:
      line["id"] = spec_get_id_.at({step.node, step.op_id});
      break;
    case SpecAction::kReadRepair:
      line.update({{"id", spec_get_id_.at({step.node, step.op_id})}, {"to", step.to},
                   {"siblings", versions_json(step.versions)}});
      break;
    case SpecAction::kDeliverHint:
      handed_off_[{step.node, step.op_id}] = {key, step.versions.front()};
      line["hint"] = {{"to", step.hint}, {"key", key}, {"ver", version_json(step.versions.front())}};
      break;
    case SpecAction::kDeleteHint:
      line["msg"] = {{"type", "HandoffAck"}, {"to", step.node}, {"from", step.from}, {"key", key},
                     {"ver", version_json(step.versions.front())}};
      break;
    case SpecAction::kAntiEntropy:
      return;  // not in format version 1; traced runs turn anti-entropy off
  }
  result_.trace.push_back(line.dump());
}

}  // namespace dynamo::sim
