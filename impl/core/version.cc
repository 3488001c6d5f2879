#include "impl/core/version.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "impl/core/check.h"
#include "impl/core/limits.h"

namespace dynamo {

CausalContext Version::history() const {
  CausalContext h = context;
  h.add(dot);
  return h;
}

bool supersedes(const Version& newer, const Version& older) {
  return newer.dot != older.dot && newer.context.contains(older.dot);
}

namespace {

// A total order on the bytes of versions that share a dot, so reconcile keeps the same one on
// every replica whatever the arrival order.
bool bytes_less(const Version& a, const Version& b) {
  auto entry_key = [](const ClockEntry& e) { return std::tie(e.actor, e.counter, e.stamp_ms); };
  auto entries_less = [&](const std::vector<ClockEntry>& x, const std::vector<ClockEntry>& y) {
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(),
                                        [&](const ClockEntry& p, const ClockEntry& q) { return entry_key(p) < entry_key(q); });
  };
  auto dots_less = [](const std::vector<Dot>& x, const std::vector<Dot>& y) {
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(), [](const Dot& p, const Dot& q) {
      return std::tie(p.actor, p.counter, p.stamp_ms) < std::tie(q.actor, q.counter, q.stamp_ms);
    });
  };
  if (a.dot.stamp_ms != b.dot.stamp_ms) return a.dot.stamp_ms < b.dot.stamp_ms;
  if (a.value != b.value) return a.value < b.value;  // a tombstone (nullopt) sorts first
  const auto& as = a.context.summary().entries();
  const auto& bs = b.context.summary().entries();
  if (entries_less(as, bs)) return true;
  if (entries_less(bs, as)) return false;
  return dots_less(a.context.cloud(), b.context.cloud());
}

}  // namespace

std::vector<Version> reconcile(std::vector<Version> versions) {
  // One version per dot: sort by dot, bytes; keep the last (greatest bytes) of each dot.
  std::sort(versions.begin(), versions.end(), [](const Version& a, const Version& b) {
    if (a.dot != b.dot) return a.dot < b.dot;
    return bytes_less(a, b);
  });
  std::vector<Version> unique;
  for (auto& version : versions) {
    if (!unique.empty() && unique.back().dot == version.dot) {
      unique.back() = std::move(version);
    } else {
      unique.push_back(std::move(version));
    }
  }
  // Keep what nothing else supersedes. Two versions that each claim to have read the other cannot
  // come from honest writers (a dot is read only after it exists); if a corrupt peer sends such a
  // pair, both are kept rather than both dropped. (A longer cycle, a over b over c over a, still
  // drops all three; only a corrupt or malicious peer can produce one, and peers are checked at the
  // message boundary, not trusted.)
  std::vector<Version> maximal;
  for (const Version& candidate : unique) {
    bool superseded = false;
#ifndef DYNAMO_MUTANT_RECONCILE_KEEPS_SUPERSEDED
    for (const Version& other : unique) {
      superseded = superseded || (supersedes(other, candidate) && !supersedes(candidate, other));
    }
#endif
    if (!superseded) maximal.push_back(candidate);
  }
  DYNAMO_CHECK(maximal.size() <= unique.size());
  return maximal;
}

CausalContext read_context(const std::vector<Version>& siblings) {
  CausalContext context;
  for (const Version& sibling : siblings) context = merge(context, sibling.history());
  return context;
}

MadeVersion make_version(const KeyState& local, std::string_view actor, const CausalContext& context,
                         std::optional<std::string> value, std::uint64_t now_ms) {
  DYNAMO_CHECK(!actor.empty());
  std::uint64_t highest = context.max_counter(actor);
  if (local.issued.actor == actor) highest = std::max(highest, local.issued.counter);
  for (const Version& sibling : local.siblings) {
    if (sibling.dot.actor == actor) highest = std::max(highest, sibling.dot.counter);
    highest = std::max(highest, sibling.context.max_counter(actor));
  }
  // Truncation forgets history before the siblings this put replaces: a context cut to 10 actors
  // must still name them, or no put could ever supersede a sibling of an old actor.
  Version made{Dot{std::string(actor), highest + 1, now_ms},
               truncate(context, limits::kClockTruncateAbove, dots_of(local.siblings)), std::move(value)};
#ifdef DYNAMO_MUTANT_BLIND_PUT
  // mutant: the coordinator's version covers everything it holds, read by the client or not.
  made.context = merge(made.context, read_context(local.siblings));
#endif
  DYNAMO_CHECK(made.dot.counter > highest);
  DYNAMO_CHECK(!made.context.contains(made.dot));

  MadeVersion result{store_version(local, made), made};
  result.state.issued = made.dot;
  return result;
}

std::vector<Dot> dots_of(const std::vector<Version>& versions) {
  std::vector<Dot> dots;
  dots.reserve(versions.size());
  for (const auto& v : versions) dots.push_back(v.dot);
  std::sort(dots.begin(), dots.end());
  return dots;
}

KeyState store_version(KeyState local, Version incoming) {
#ifdef DYNAMO_MUTANT_REPLICA_OVERWRITES
  // MUTANT: a replica replaces what it holds by the incoming version instead of merging.
  local.siblings.clear();
#endif
  local.siblings.push_back(std::move(incoming));
  local.siblings = reconcile(std::move(local.siblings));
  return local;
}

}  // namespace dynamo
