#include "impl/store/storage_executor.h"

#include <utility>

namespace dynamo::store {
namespace {

// Every hint kept for one key. Hints are indexed by target, so this walks them all: the core asks
// only for keys it knows to have hints (a fallback during an outage), and hints are bounded by
// NodeLimits::max_pending_hints_per_target.
Result<std::vector<StoredHint>> hints_for_key(Storage& storage, const std::string& key) {
  auto targets = storage.hint_targets();
  if (!targets.ok()) return targets.error();
  std::vector<StoredHint> out;
  for (const auto& target : targets.value()) {
    auto hints = storage.hints_for(target, SIZE_MAX);
    if (!hints.ok()) return hints.error();
    for (auto& h : hints.value())
      if (h.hint.key == key) out.push_back(std::move(h));
  }
  return out;
}

struct Executor {
  Storage& storage;
  // Group commit: durable writes are made buffered; the caller syncs once for all of them.
  bool defer_sync = false;
  Durability durability(Durability wanted) const { return defer_sync ? Durability::kBuffered : wanted; }

  Result<StorageOutcome> operator()(const ReadKey& r) const {
    auto state = storage.read(r.key);
    if (!state.ok()) return state.error();
    KeyRead out{std::move(state).value(), {}};
    if (r.with_hints) {
      auto hints = hints_for_key(storage, r.key);
      if (!hints.ok()) return hints.error();
      out.hints = std::move(hints).value();
    }
    return StorageOutcome{std::move(out)};
  }
  Result<StorageOutcome> operator()(const MergeVersions& m) const {
    auto state = storage.merge(m.key, m.versions, durability(m.durability));
    if (!state.ok()) return state.error();
    return StorageOutcome{KeyStored{std::move(state).value()}};
  }
  Result<StorageOutcome> operator()(const PutState& p) const {
    auto state = storage.put_state(p.key, p.state, durability(p.durability));
    if (!state.ok()) return state.error();
    return StorageOutcome{KeyStored{std::move(state).value()}};
  }
  Result<StorageOutcome> operator()(const AddHint& a) const {
    auto id = storage.add_hint(a.hint, durability(a.durability));
    if (!id.ok()) return id.error();
    return StorageOutcome{HintAdded{std::move(id).value()}};
  }
  Result<StorageOutcome> operator()(const DeleteHint& d) const {
    if (auto s = storage.delete_hint(d.id, durability(Durability::kDurable)); !s.ok()) return s.error();
    return StorageOutcome{Done{}};
  }
  Result<StorageOutcome> operator()(const ScanHints& s) const {
    auto targets = storage.hint_targets();
    if (!targets.ok()) return targets.error();
    HintsScanned out;
    for (const auto& target : targets.value()) {
      auto hints = storage.hints_for(target, s.limit_per_target);
      if (!hints.ok()) return hints.error();
      for (auto& h : hints.value()) out.hints.push_back(std::move(h));
    }
    return StorageOutcome{std::move(out)};
  }
  Result<StorageOutcome> operator()(const ScanKeys& s) const {
    auto page = storage.scan(s.begin, "", s.limit);
    if (!page.ok()) return page.error();
    KeysScanned out{std::move(page.value().entries), !page.value().next.has_value()};
    return StorageOutcome{std::move(out)};
  }
  Result<StorageOutcome> operator()(const ReleaseKey& r) const {
    auto state = storage.release(r.key, r.sent, durability(Durability::kDurable));
    if (!state.ok()) return state.error();
    return StorageOutcome{KeyStored{std::move(state).value()}};
  }
  Result<StorageOutcome> operator()(const ReapKey& r) const {
    auto state = storage.reap(r.key, r.tombstones, durability(Durability::kDurable));
    if (!state.ok()) return state.error();
    return StorageOutcome{KeyStored{std::move(state).value()}};
  }
  Result<StorageOutcome> operator()(const Sync&) const {
    if (defer_sync) return StorageOutcome{Done{}};
    if (auto s = storage.sync(); !s.ok()) return s.error();
    return StorageOutcome{Done{}};
  }
};

}  // namespace

Result<StorageOutcome> execute(Storage& storage, const StorageRequest& request) {
  return std::visit(Executor{storage}, request);
}

namespace {
// Whether a request, run with defer_sync, leaves a write that must be synced before it completes.
struct NeedsSync {
  bool operator()(const ReadKey&) const { return false; }
  bool operator()(const MergeVersions& m) const { return m.durability == Durability::kDurable; }
  bool operator()(const PutState& p) const { return p.durability == Durability::kDurable; }
  bool operator()(const AddHint& a) const { return a.durability == Durability::kDurable; }
  bool operator()(const DeleteHint&) const { return true; }
  bool operator()(const ScanHints&) const { return false; }
  bool operator()(const ScanKeys&) const { return false; }
  bool operator()(const Sync&) const { return true; }
  bool operator()(const ReleaseKey&) const { return true; }
  bool operator()(const ReapKey&) const { return true; }
};
}  // namespace

Deferred execute_deferring_sync(Storage& storage, const StorageRequest& request) {
  Deferred out{std::visit(Executor{storage, true}, request), std::visit(NeedsSync{}, request)};
  return out;
}

}  // namespace dynamo::store
