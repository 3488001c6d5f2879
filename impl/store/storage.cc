// storage.cc: the merge rules every engine shares, so engines differ only in where bytes go.
#include "impl/store/storage.h"

#include <algorithm>
#include <utility>

#include "impl/core/check.h"

namespace dynamo::store {
namespace {

bool same_version(const Version& a, const Version& b) {
  return a.dot == b.dot && a.dot.stamp_ms == b.dot.stamp_ms && a.value == b.value &&
         a.context == b.context;
}

}  // namespace

Result<KeyState> Storage::merge(std::string_view key, const std::vector<Version>& incoming,
                                Durability durability) {
  return update(key, [&](const KeyState& stored) { return merge_versions(stored, incoming); }, durability);
}

Result<KeyState> Storage::put_state(std::string_view key, const KeyState& state, Durability durability) {
  return update(key, [&](const KeyState& stored) { return absorb_state(stored, state); }, durability);
}

Result<KeyState> Storage::release(std::string_view key, const std::vector<Version>& sent, Durability durability) {
  return update(key, [&](const KeyState& stored) { return release_versions(stored, sent); }, durability);
}

Result<KeyState> Storage::reap(std::string_view key, const std::vector<Version>& tombstones, Durability durability) {
  return update(key, [&](const KeyState& stored) { return reap_versions(stored, tombstones); }, durability);
}

KeyState reap_versions(KeyState stored, const std::vector<Version>& tombstones) {
  auto covered = [&](const Version& held) {
    return held.is_tombstone() && std::any_of(tombstones.begin(), tombstones.end(), [&](const Version& t) {
             return t.is_tombstone() && (t.dot == held.dot || supersedes(t, held));
           });
  };
  if (stored.siblings.empty()) return stored;  // nothing to reap (a released key keeps its issued dot)
  std::erase_if(stored.siblings, covered);
  if (stored.siblings.empty()) stored.issued = Dot{};
  return stored;
}

bool empty_state(const KeyState& state) { return state.siblings.empty() && state.issued.counter == 0; }

KeyState release_versions(KeyState stored, const std::vector<Version>& sent) {
  auto covered = [&](const Version& held) {
    return std::any_of(sent.begin(), sent.end(), [&](const Version& s) { return s.dot == held.dot || supersedes(s, held); });
  };
  if (std::all_of(stored.siblings.begin(), stored.siblings.end(), covered)) stored.siblings.clear();
  return stored;
}

KeyState merge_versions(KeyState stored, const std::vector<Version>& incoming) {
  for (const Version& v : incoming) {
    DYNAMO_CHECK(v.dot.counter >= 1);
    stored = store_version(std::move(stored), v);
  }
  return stored;
}

KeyState absorb_state(KeyState stored, const KeyState& state) {
  Dot issued = state.issued;
  if (stored.issued.actor == issued.actor && stored.issued.counter > issued.counter) issued = stored.issued;
  KeyState out = merge_versions(std::move(stored), state.siblings);
  out.issued = std::move(issued);
  return out;
}

bool same_state(const KeyState& a, const KeyState& b) {
  if (!(a.issued == b.issued) || a.issued.stamp_ms != b.issued.stamp_ms) return false;
  if (a.siblings.size() != b.siblings.size()) return false;
  for (std::size_t i = 0; i < a.siblings.size(); ++i)
    if (!same_version(a.siblings[i], b.siblings[i])) return false;
  return true;
}

}  // namespace dynamo::store
