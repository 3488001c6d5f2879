#include "impl/core/vector_clock.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "impl/core/check.h"

namespace dynamo {

const char* to_string(Order order) {
  switch (order) {
    case Order::kBefore: return "before";
    case Order::kAfter: return "after";
    case Order::kEqual: return "equal";
    case Order::kConcurrent: return "concurrent";
  }
  return "?";
}

Order mirror(Order order) {
  if (order == Order::kBefore) return Order::kAfter;
  if (order == Order::kAfter) return Order::kBefore;
  return order;
}

namespace {

bool entry_less(const ClockEntry& a, const ClockEntry& b) { return a.actor < b.actor; }

// Of two entries for one actor, the one merge keeps: larger counter, then larger stamp.
const ClockEntry& later_of(const ClockEntry& a, const ClockEntry& b) {
#ifdef DYNAMO_MUTANT_MERGE_TAKES_MIN
  return std::tie(a.counter, a.stamp_ms) <= std::tie(b.counter, b.stamp_ms) ? a : b;
#else
  return std::tie(a.counter, a.stamp_ms) >= std::tie(b.counter, b.stamp_ms) ? a : b;
#endif
}

}  // namespace

VectorClock VectorClock::from_entries(std::vector<ClockEntry> entries) {
  std::sort(entries.begin(), entries.end(), entry_less);
  VectorClock clock;
  for (auto& entry : entries) {
    if (entry.counter == 0) continue;
    if (!clock.entries_.empty() && clock.entries_.back().actor == entry.actor) {
      clock.entries_.back() = later_of(clock.entries_.back(), entry);
    } else {
      clock.entries_.push_back(std::move(entry));
    }
  }
  return clock;
}

const ClockEntry* VectorClock::find(std::string_view actor) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), actor,
                             [](const ClockEntry& e, std::string_view a) { return e.actor < a; });
  return (it != entries_.end() && it->actor == actor) ? &*it : nullptr;
}

std::uint64_t VectorClock::counter(std::string_view actor) const {
  const ClockEntry* entry = find(actor);
  return entry == nullptr ? 0 : entry->counter;
}

bool VectorClock::covers(const Dot& dot) const { return counter(dot.actor) >= dot.counter; }

void VectorClock::advance(std::string_view actor, std::uint64_t counter, std::uint64_t stamp_ms) {
  if (counter == 0) return;
  auto it = std::lower_bound(entries_.begin(), entries_.end(), actor,
                             [](const ClockEntry& e, std::string_view a) { return e.actor < a; });
  ClockEntry incoming{std::string(actor), counter, stamp_ms};
  if (it != entries_.end() && it->actor == actor) {
    *it = later_of(*it, incoming);
  } else {
    entries_.insert(it, std::move(incoming));
  }
}

void VectorClock::erase(std::string_view actor) {
  std::erase_if(entries_, [&](const ClockEntry& e) { return e.actor == actor; });
}

bool operator==(const VectorClock& a, const VectorClock& b) {
  return std::equal(a.entries_.begin(), a.entries_.end(), b.entries_.begin(), b.entries_.end(),
                    [](const ClockEntry& x, const ClockEntry& y) {
                      return x.actor == y.actor && x.counter == y.counter;
                    });
}

Order compare(const VectorClock& a, const VectorClock& b) {
  // One merge-walk over both sorted entry lists, noting whether either side is ahead somewhere.
  bool a_ahead = false;
  bool b_ahead = false;
  const auto& x = a.entries();
  const auto& y = b.entries();
  std::size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    if (j == y.size() || (i < x.size() && x[i].actor < y[j].actor)) {
      a_ahead = true;  // actor only in a (counter >= 1 there, 0 in b)
      ++i;
    } else if (i == x.size() || y[j].actor < x[i].actor) {
      b_ahead = true;
      ++j;
    } else {
      a_ahead |= x[i].counter > y[j].counter;
      b_ahead |= y[j].counter > x[i].counter;
      ++i, ++j;
    }
  }
  if (a_ahead && b_ahead) return Order::kConcurrent;
  if (a_ahead) return Order::kAfter;
  if (b_ahead) return Order::kBefore;
#ifdef DYNAMO_MUTANT_COMPARE_EQUAL_IS_BEFORE
  return Order::kBefore;
#else
  return Order::kEqual;
#endif
}

VectorClock merge(const VectorClock& a, const VectorClock& b) {
  // One walk over both sorted entry lists (the inputs already satisfy the invariants).
  const auto& x = a.entries();
  const auto& y = b.entries();
  VectorClock merged;
  merged.entries_.reserve(x.size() + y.size());
  std::size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    if (j == y.size() || (i < x.size() && x[i].actor < y[j].actor)) {
      merged.entries_.push_back(x[i++]);
    } else if (i == x.size() || y[j].actor < x[i].actor) {
      merged.entries_.push_back(y[j++]);
    } else {
      merged.entries_.push_back(later_of(x[i++], y[j++]));
    }
  }
  DYNAMO_CHECK(merged.size() >= std::max(a.size(), b.size()));
  return merged;
}

VectorClock increment(VectorClock clock, std::string_view actor, std::uint64_t now_ms) {
  const std::uint64_t next = clock.counter(actor) + 1;
  DYNAMO_CHECK(next > 1 || clock.find(actor) == nullptr);
  clock.erase(actor);
  clock.advance(actor, next, now_ms);
  return clock;
}

VectorClock truncate(VectorClock clock, std::size_t max_entries) {
  std::vector<ClockEntry> entries = clock.entries();
  if (entries.size() <= max_entries) return clock;
  // Order oldest first; keep the newest max_entries.
  std::sort(entries.begin(), entries.end(), [](const ClockEntry& a, const ClockEntry& b) {
    return std::tie(a.stamp_ms, a.actor) < std::tie(b.stamp_ms, b.actor);
  });
#ifdef DYNAMO_MUTANT_TRUNCATE_DROPS_NEWEST
  entries.resize(max_entries);
#else
  entries.erase(entries.begin(), entries.end() - static_cast<std::ptrdiff_t>(max_entries));
#endif
  VectorClock truncated = VectorClock::from_entries(std::move(entries));
  DYNAMO_CHECK(truncated.size() == max_entries);
  return truncated;
}

}  // namespace dynamo
