// state_cache.cc: see state_cache.h.
#include "impl/store/state_cache.h"

namespace dynamo::store {
namespace {

// A dot or clock entry: its actor string (short: "node#epoch") and two counters.
constexpr std::size_t kDotBytes = 64;
// A map node, a list node and the vectors' headers.
constexpr std::size_t kEntryOverhead = 160;

std::size_t dot_bytes(const Dot& dot) { return kDotBytes + dot.actor.size(); }

}  // namespace

std::size_t approximate_bytes(std::string_view key, const KeyState& state) {
  std::size_t total = kEntryOverhead + key.size() + dot_bytes(state.issued);
  for (const Version& v : state.siblings) {
    total += sizeof(Version) + dot_bytes(v.dot) + (v.value ? v.value->size() : 0);
    for (const auto& entry : v.context.summary().entries()) total += kDotBytes + entry.actor.size();
    for (const Dot& dot : v.context.cloud()) total += dot_bytes(dot);
  }
  return total;
}

std::optional<KeyState> StateCache::get(std::string_view key) {
  auto found = index_.find(key);
  if (found == index_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  order_.splice(order_.begin(), order_, found->second);
  return found->second->state;
}

void StateCache::put(std::string_view key, const KeyState& state) {
  const std::size_t size = approximate_bytes(key, state);
  auto found = index_.find(key);
  if (size > budget_) {  // would evict everything else and still not fit
    if (found != index_.end()) drop(found->second);
    return;
  }
  if (found != index_.end()) {  // a key written again (the common case): its entry is reused
    Entry& entry = *found->second;
    KeyState copy = state;  // first: if copying throws, the entry and the count are as they were
    entry.state = std::move(copy);
    bytes_ = bytes_ - entry.bytes + size;
    entry.bytes = size;
    order_.splice(order_.begin(), order_, found->second);
  } else {
    order_.push_front(Entry{std::string(key), state, size});
    index_.emplace(order_.front().key, order_.begin());
    bytes_ += size;
  }
  while (bytes_ > budget_) drop(std::prev(order_.end()));
}

void StateCache::erase(std::string_view key) {
  if (auto found = index_.find(key); found != index_.end()) drop(found->second);
}

void StateCache::drop(Order::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(std::string_view(it->key));
  order_.erase(it);
}

}  // namespace dynamo::store
