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
  };
  return std::visit(Visitor{}, message);
}

}  // namespace dynamo
