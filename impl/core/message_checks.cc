#include "impl/core/message_checks.h"

#include <string>
#include <string_view>

#include "impl/core/limits.h"
#include "impl/core/node_config.h"

namespace dynamo {
namespace {

Status check_actor(std::string_view actor) {
  if (actor.empty() || actor.size() > limits::kMaxActorBytes)
    return Error{"actor names must be 1 to " + std::to_string(limits::kMaxActorBytes) + " bytes"};
  return {};
}

Status check_key(std::string_view store, std::string_view key) {
  if (auto s = validate_store_name(store); !s.ok()) return s;
  if (key.empty() || key.size() > limits::kMaxKeyBytes)
    return Error{"keys must be 1 to " + std::to_string(limits::kMaxKeyBytes) + " bytes"};
  return {};
}

Status check_versions(const std::vector<Version>& versions) {
  if (versions.size() > 2 * limits::kMaxSiblings)
    return Error{"a message may carry at most " + std::to_string(2 * limits::kMaxSiblings) + " versions"};
  for (const auto& v : versions)
    if (auto s = check_version(v); !s.ok()) return s;
  return {};
}

}  // namespace

Status check_context(const CausalContext& context) {
  if (context.summary().entries().size() > limits::kMaxClockEntries)
    return Error{"a context may name at most " + std::to_string(limits::kMaxClockEntries) + " actors"};
  if (context.cloud().size() > limits::kMaxContextDots)
    return Error{"a context may hold at most " + std::to_string(limits::kMaxContextDots) + " loose dots"};
  for (const auto& entry : context.summary().entries()) {
    if (auto s = check_actor(entry.actor); !s.ok()) return s;
    if (entry.counter >= limits::kMaxCounter) return Error{"a context's counters must be below 2^62"};
  }
  for (const auto& dot : context.cloud()) {
    if (auto s = check_actor(dot.actor); !s.ok()) return s;
    if (dot.counter >= limits::kMaxCounter) return Error{"a context's counters must be below 2^62"};
  }
  return {};
}

Status check_version(const Version& version) {
  if (auto s = check_actor(version.dot.actor); !s.ok()) return s;
  if (version.dot.counter == 0 || version.dot.counter >= limits::kMaxCounter)
    return Error{"a version's dot counter must be 1 to 2^62-1"};
  if (version.value && version.value->size() > limits::kMaxValueBytes)
    return Error{"values must be at most " + std::to_string(limits::kMaxValueBytes) + " bytes"};
  return check_context(version.context);
}

Status check_peer_message(const PeerMessage& message) {
  struct Visitor {
    Status operator()(const StoreRequest& m) const {
      if (auto s = check_key(m.store, m.key); !s.ok()) return s;
      if (m.hint.size() > limits::kMaxNodeIdBytes) return Error{"hint target name too long"};
      return check_version(m.version);
    }
    Status operator()(const StoreAck& m) const { return check_actor(m.dot.actor); }
    Status operator()(const ReadRequest& m) const { return check_key(m.store, m.key); }
    Status operator()(const ReadReply& m) const {
      if (auto s = check_key(m.store, m.key); !s.ok()) return s;
      return check_versions(m.versions);
    }
    Status operator()(const RepairRequest& m) const {
      if (auto s = check_key(m.store, m.key); !s.ok()) return s;
      return check_versions(m.versions);
    }
    Status operator()(const Handoff& m) const {
      if (auto s = check_key(m.store, m.key); !s.ok()) return s;
      return check_version(m.version);
    }
    Status operator()(const HandoffAck& m) const {
      if (auto s = check_key(m.store, m.key); !s.ok()) return s;
      return check_actor(m.dot.actor);
    }
    Status operator()(const KeySync& m) const {
      if (auto s = check_key(m.store, m.key); !s.ok()) return s;
      return check_versions(m.versions);
    }
    Status operator()(const TransferKey& m) const {
      if (auto s = check_key(m.store, m.key); !s.ok()) return s;
      return check_versions(m.versions);
    }
    Status operator()(const TransferAck& m) const {
      if (auto s = check_key(m.store, m.key); !s.ok()) return s;
      if (m.dots.size() > 2 * limits::kMaxSiblings) return Error{"a TransferAck may name at most " + std::to_string(2 * limits::kMaxSiblings) + " dots"};
      for (const auto& dot : m.dots)
        if (auto s = check_actor(dot.actor); !s.ok()) return s;
      return {};
    }
    // The Merkle exchange: sizes and positions here; that a reply matches what was asked (count,
    // leaf membership, order) is checked against the request by differing_positions/differing_keys.
    Status operator()(const TreeHashRequest& m) const {
      if (auto s = validate_store_name(m.store); !s.ok()) return s;
      if (auto s = check_shape(m.hashes.shape); !s.ok()) return s;
      if (m.hashes.positions.size() > merkle_limits::kMaxPositionsPerRequest)
        return Error{"a TreeHashRequest may name at most " + std::to_string(merkle_limits::kMaxPositionsPerRequest) + " positions"};
      for (const auto& p : m.hashes.positions)
        if (p.level > m.hashes.shape.depth || p.index >= (std::uint64_t{1} << (merkle_limits::kFanoutBits * p.level)))
          return Error{"a TreeHashRequest names a position outside the tree"};
      return {};
    }
    Status operator()(const TreeHashReply& m) const {
      if (auto s = validate_store_name(m.store); !s.ok()) return s;
      if (m.hashes.hashes.size() > merkle_limits::kMaxPositionsPerRequest)
        return Error{"a TreeHashReply may carry at most " + std::to_string(merkle_limits::kMaxPositionsPerRequest) + " hashes"};
      return {};
    }
    Status operator()(const TreeLeafRequest& m) const {
      if (auto s = validate_store_name(m.store); !s.ok()) return s;
      if (auto s = check_shape(m.leaves.shape); !s.ok()) return s;
      if (m.leaves.leaves.size() > merkle_limits::kMaxLeavesPerRequest)
        return Error{"a TreeLeafRequest may name at most " + std::to_string(merkle_limits::kMaxLeavesPerRequest) + " leaves"};
      for (const auto leaf : m.leaves.leaves)
        if (leaf >= m.leaves.shape.leaf_count()) return Error{"a TreeLeafRequest names a leaf outside the tree"};
      return {};
    }
    Status operator()(const TreeLeafReply& m) const {
      if (auto s = validate_store_name(m.store); !s.ok()) return s;
      if (m.leaves.leaves.size() > merkle_limits::kMaxLeavesPerRequest)
        return Error{"a TreeLeafReply may carry at most " + std::to_string(merkle_limits::kMaxLeavesPerRequest) + " leaves"};
      for (const auto& leaf : m.leaves.leaves) {
        if (leaf.size() > merkle_limits::kMaxLeafKeys)
          return Error{"a TreeLeafReply's leaf may list at most " + std::to_string(merkle_limits::kMaxLeafKeys) + " keys"};
        for (const auto& entry : leaf)
          if (entry.key.empty() || entry.key.size() > limits::kMaxKeyBytes)
            return Error{"keys must be 1 to " + std::to_string(limits::kMaxKeyBytes) + " bytes"};
      }
      return {};
    }
    // Reaping: the tombstones are checked like any versions, and must be tombstones.
    Status operator()(const ReapQuery& m) const {
      if (auto s = check_key(m.store, m.key); !s.ok()) return s;
      if (m.tombstones.empty()) return Error{"a ReapQuery names at least one tombstone"};
      for (const auto& v : m.tombstones)
        if (!v.is_tombstone()) return Error{"a ReapQuery may carry tombstones only"};
      return check_versions(m.tombstones);
    }
    Status operator()(const ReapReply& m) const {
      if (auto s = check_key(m.store, m.key); !s.ok()) return s;
      if (m.held.size() > 2 * limits::kMaxSiblings) return Error{"a ReapReply may name at most " + std::to_string(2 * limits::kMaxSiblings) + " dots"};
      for (const auto& dot : m.held)
        if (auto s = check_actor(dot.actor); !s.ok()) return s;
      return {};
    }
  };
  return std::visit(Visitor{}, message);
}

}  // namespace dynamo
