// memory_store.cc: see memory_store.h.
#include "impl/store/memory_store.h"

#include "impl/core/check.h"

namespace dynamo::store {

void MemoryStore::apply(Image& image, const Write& write) const {
  if (write.data_key) {
    if (write.bytes) image.data[*write.data_key] = *write.bytes;
    else image.data.erase(*write.data_key);
  } else {
    if (write.bytes) image.hints[write.hint_key] = *write.bytes;
    else image.hints.erase(write.hint_key);
  }
}

void MemoryStore::record_locked(Write write, Durability durability) {
  apply(live_, write);
  unsynced_.push_back(std::move(write));
  if (durability == Durability::kDurable) sync_locked();
}

void MemoryStore::sync_locked() {
  for (const Write& w : unsynced_) apply(durable_, w);
  unsynced_.clear();
}

Result<KeyState> MemoryStore::read_locked(std::string_view key) const {
  auto it = live_.data.find(key);
  if (it == live_.data.end()) return KeyState{};
  return decode_key_state(key, it->second);
}

Result<KeyState> MemoryStore::write_state_locked(std::string_view key, const KeyState& before,
                                                 const KeyState& after, Durability durability) {
  if (same_state(before, after)) {
    if (durability == Durability::kDurable) sync_locked();
    return after;
  }
  if (empty_state(after)) {  // nothing left (a reaped key): the record goes
    record_locked(Write{std::string(key), {}, std::nullopt}, durability);
    return after;
  }
  auto bytes = encode_key_state(key, after);
  if (!bytes.ok()) return bytes.error();
  DYNAMO_CHECK(decode_key_state(key, bytes.value()).ok());  // never write what cannot be read
  record_locked(Write{std::string(key), {}, std::move(bytes).value()}, durability);
  return after;
}

Result<KeyState> MemoryStore::read(std::string_view key) {
  std::lock_guard lock(mu_);
  return read_locked(key);
}

Result<KeyState> MemoryStore::update(std::string_view key, const StateChange& change, Durability durability) {
  std::lock_guard lock(mu_);
  auto stored = read_locked(key);
  if (!stored.ok()) return stored.error();
  return write_state_locked(key, stored.value(), change(stored.value()), durability);
}

Result<ScanPage> MemoryStore::scan(std::string_view begin, std::string_view end, std::size_t limit) {
  DYNAMO_CHECK(limit >= 1);
  std::lock_guard lock(mu_);
  ScanPage page;
  for (auto it = live_.data.lower_bound(begin); it != live_.data.end(); ++it) {
    if (!end.empty() && it->first >= end) break;
    if (page.entries.size() == limit) {
      page.next = it->first;
      break;
    }
    auto state = decode_key_state(it->first, it->second);
    if (!state.ok()) return state.error();
    page.entries.emplace_back(it->first, std::move(state).value());
  }
  return page;
}

Result<HintId> MemoryStore::add_hint(const Hint& hint, Durability durability) {
  std::lock_guard lock(mu_);
  auto bytes = encode_hint(hint);
  if (!bytes.ok()) return bytes.error();
  HintId id{hint.target, next_hint_sequence_++};
  record_locked(Write{std::nullopt, {id.target, id.sequence}, std::move(bytes).value()}, durability);
  return id;
}

Result<std::vector<StoredHint>> MemoryStore::hints_for(std::string_view target, std::size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<StoredHint> out;
  for (auto it = live_.hints.lower_bound({std::string(target), 0});
       it != live_.hints.end() && it->first.first == target && out.size() < limit; ++it) {
    std::string name = "hint " + it->first.first + "/" + std::to_string(it->first.second);
    auto hint = decode_hint(name, it->second);
    if (!hint.ok()) return hint.error();
    DYNAMO_CHECK(hint.value().target == target);
    out.push_back(StoredHint{HintId{it->first.first, it->first.second}, std::move(hint).value()});
  }
  return out;
}

Result<std::vector<std::string>> MemoryStore::hint_targets() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [key, bytes] : live_.hints)
    if (out.empty() || out.back() != key.first) out.push_back(key.first);
  return out;
}

Status MemoryStore::delete_hint(const HintId& id, Durability durability) {
  std::lock_guard lock(mu_);
  record_locked(Write{std::nullopt, {id.target, id.sequence}, std::nullopt}, durability);
  return {};
}

Status MemoryStore::sync() {
  std::lock_guard lock(mu_);
  sync_locked();
  return {};
}

void MemoryStore::crash() {
  std::lock_guard lock(mu_);
  live_ = durable_;
  unsynced_.clear();
}

std::size_t MemoryStore::unsynced_writes() const {
  std::lock_guard lock(mu_);
  return unsynced_.size();
}

void MemoryStore::put_raw_for_test(std::string_view key, std::string bytes) {
  std::lock_guard lock(mu_);
  record_locked(Write{std::string(key), {}, std::move(bytes)}, Durability::kDurable);
}

}  // namespace dynamo::store
