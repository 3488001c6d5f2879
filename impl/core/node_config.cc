#include "impl/core/node_config.h"

#include <set>

#include "impl/core/merkle_tree.h"

namespace dynamo {

Status validate_store_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxStoreNameBytes)
    return Error{"store name must be 1 to " + std::to_string(kMaxStoreNameBytes) + " bytes"};
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return Error{"store name \"" + std::string(name) + "\" may hold only letters, digits, '_' and '-'"};
  }
  return {};
}

Status validate(const NodeConfig& config) {
  if (!config.ring) return Error{"node configuration has no ring"};
  // A node outside the ring is allowed: it left (or its ring says it did) and restarts to hand its
  // keys over (node_transfer.cc); it coordinates nothing.
  if (config.id.empty() || config.id.size() > limits::kMaxNodeIdBytes)
    return Error{"node id must be 1 to " + std::to_string(limits::kMaxNodeIdBytes) + " bytes"};
  std::set<std::string> names;
  for (const auto& store : config.stores) {
    if (auto s = validate_store_name(store.name); !s.ok()) return s;
    if (!names.insert(store.name).second) return Error{"store \"" + store.name + "\" is declared twice"};
    if (auto s = validate(store.quorum, config.ring->members().size()); !s.ok())
      return Error{"store \"" + store.name + "\": " + s.error().message};
    if (store.max_value_bytes < 1 || store.max_value_bytes > limits::kMaxValueBytes)
      return Error{"store \"" + store.name + "\": max value size must be 1 to " +
                   std::to_string(limits::kMaxValueBytes) + " bytes"};
  }
  if (!names.contains(std::string(kDefaultStore))) return Error{"no store named \"default\"; declare one"};
  const auto& t = config.timing;
  for (auto ticks : {t.request_timeout, t.suspect_for, t.hint_scan_every, t.handoff_timeout, t.flush_every,
                     t.anti_entropy_every, t.reap_settle})
    if (ticks < 1) return Error{"every timing must be at least 1 tick"};
  if (t.resend_after >= t.request_timeout)
    return Error{"resend_after (" + std::to_string(t.resend_after) + " ticks) must be below request_timeout (" +
                 std::to_string(t.request_timeout) + "): a put would time out before it resends; 0 turns resending off"};
  const auto& l = config.limits;
  for (auto limit : {l.max_pending_hints_per_target, l.max_requests_in_flight, l.handoffs_per_scan,
                     l.anti_entropy_keys_per_round, l.merkle_exchanges_per_round})
    if (limit < 1) return Error{"every node limit must be at least 1"};
  if (l.merkle_tree_depth < 1 || l.merkle_tree_depth > merkle_limits::kMaxDepth)
    return Error{"merkle tree depth must be 1 to " + std::to_string(merkle_limits::kMaxDepth)};
  return {};
}

std::string actor_of(std::string_view node, std::uint64_t epoch) {
  return std::string(node) + "#" + std::to_string(epoch);
}

std::string storage_key(std::string_view store, std::string_view key) {
  std::string out;
  out.reserve(store.size() + 1 + key.size());
  out.append(store).push_back('/');
  out.append(key);
  return out;
}

std::pair<std::string_view, std::string_view> split_storage_key(std::string_view storage_key) {
  auto slash = storage_key.find('/');
  if (slash == std::string_view::npos) return {std::string_view{}, storage_key};
  return {storage_key.substr(0, slash), storage_key.substr(slash + 1)};
}

}  // namespace dynamo
