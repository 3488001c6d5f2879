#include "impl/core/causal_context.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "impl/core/check.h"

namespace dynamo {

CausalContext CausalContext::from_parts(VectorClock summary, std::vector<Dot> dots) {
  CausalContext context;
  context.summary_ = std::move(summary);
  context.cloud_ = std::move(dots);
  context.compact();
  return context;
}

bool CausalContext::contains(const Dot& dot) const {
  return summary_.covers(dot) || std::binary_search(cloud_.begin(), cloud_.end(), dot);
}

std::uint64_t CausalContext::max_counter(std::string_view actor) const {
  std::uint64_t best = summary_.counter(actor);
  for (const Dot& dot : cloud_) {
    if (dot.actor == actor) best = std::max(best, dot.counter);
  }
  return best;
}

std::vector<std::string> CausalContext::actors() const {
  std::vector<std::string> names;
  for (const ClockEntry& entry : summary_.entries()) names.push_back(entry.actor);
  for (const Dot& dot : cloud_) names.push_back(dot.actor);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::uint64_t CausalContext::dot_count() const {
  std::uint64_t count = cloud_.size();
  for (const ClockEntry& entry : summary_.entries()) count += entry.counter;
  return count;
}

void CausalContext::add(const Dot& dot) {
  DYNAMO_CHECK(dot.counter >= 1);
  if (contains(dot)) return;
  cloud_.insert(std::upper_bound(cloud_.begin(), cloud_.end(), dot), dot);
  compact();
}

void CausalContext::forget(std::string_view actor) {
  summary_.erase(actor);
  std::erase_if(cloud_, [&](const Dot& dot) { return dot.actor == actor; });
}

// Restores the invariants: sorts the cloud, drops dots the summary covers, and folds into the
// summary every dot that extends it without a gap. Sorted by (actor, counter), so one pass folds
// runs such as summary a:3 with cloud (a,4),(a,5).
void CausalContext::compact() {
  std::sort(cloud_.begin(), cloud_.end());
  cloud_.erase(std::unique(cloud_.begin(), cloud_.end()), cloud_.end());
  std::vector<Dot> loose;
  for (const Dot& dot : cloud_) {
    DYNAMO_CHECK(dot.counter >= 1);
    const std::uint64_t have = summary_.counter(dot.actor);
    if (dot.counter <= have) continue;
#ifdef DYNAMO_MUTANT_CONTEXT_OVERAPPROXIMATES
    const bool fold = true;  // mutant: a plain version vector, claiming every dot below (a,c)
#else
    const bool fold = dot.counter == have + 1;
#endif
    if (fold) {
      summary_.advance(dot.actor, dot.counter, dot.stamp_ms);
    } else {
      loose.push_back(dot);
    }
  }
  cloud_ = std::move(loose);
}

CausalContext merge(const CausalContext& a, const CausalContext& b) {
  std::vector<Dot> dots = a.cloud();
  dots.insert(dots.end(), b.cloud().begin(), b.cloud().end());
  CausalContext merged = CausalContext::from_parts(merge(a.summary(), b.summary()), std::move(dots));
  DYNAMO_CHECK(merged.summary().size() >= a.summary().size());
  return merged;
}

namespace {

// True when every dot of `a` is in `b`. A summary entry (x, c) of `a` is inside `b` only if b's
// summary reaches c: by invariant 3, b's cloud never holds the dot right after b's summary, so the
// gap cannot be filled by loose dots. (This also keeps the check linear in the encoding's size.)
bool subset(const CausalContext& a, const CausalContext& b) {
  for (const ClockEntry& entry : a.summary().entries()) {
    if (b.summary().counter(entry.actor) < entry.counter) return false;
  }
  for (const Dot& dot : a.cloud()) {
    if (!b.contains(dot)) return false;
  }
  return true;
}

}  // namespace

Order compare(const CausalContext& a, const CausalContext& b) {
  const bool a_in_b = subset(a, b);
  const bool b_in_a = subset(b, a);
  if (a_in_b && b_in_a) return Order::kEqual;
  if (a_in_b) return Order::kBefore;
  if (b_in_a) return Order::kAfter;
  return Order::kConcurrent;
}

CausalContext truncate(CausalContext context, std::size_t max_actors, const std::vector<Dot>& to_cover) {
  std::vector<std::string> actors = context.actors();
  if (actors.size() <= max_actors) return context;
  // Newest stamp per actor, from its summary entry and its loose dots.
  std::map<std::string, std::uint64_t> newest;
  for (const ClockEntry& entry : context.summary().entries()) newest[entry.actor] = entry.stamp_ms;
  for (const Dot& dot : context.cloud()) newest[dot.actor] = std::max(newest[dot.actor], dot.stamp_ms);
  std::set<std::string> covering;  // actors whose dots `to_cover` needs
#ifndef DYNAMO_MUTANT_TRUNCATE_FORGETS_SUPERSEDED
  for (const Dot& dot : to_cover)
    if (context.contains(dot)) covering.insert(dot.actor);
#else
  (void)to_cover;  // mutant: plain oldest-first truncation
#endif
  // Forgotten first: actors no dot of `to_cover` needs, then the oldest.
  std::sort(actors.begin(), actors.end(), [&](const std::string& x, const std::string& y) {
    return std::tuple(covering.contains(x), newest[x], std::string_view(x)) <
           std::tuple(covering.contains(y), newest[y], std::string_view(y));
  });
  const std::size_t drop = actors.size() - max_actors;
  for (std::size_t i = 0; i < drop; ++i) context.forget(actors[i]);
  DYNAMO_CHECK(context.actors().size() == max_actors);
  return context;
}

}  // namespace dynamo
