// test_support.h: compact builders for clocks, contexts and versions in tests (not part of the core).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "impl/core/causal_context.h"
#include "impl/core/vector_clock.h"
#include "impl/core/version.h"

namespace dynamo::testing {

// clock({{"Sx", 2}, {"Sy", 1}})
inline VectorClock clock(std::initializer_list<std::pair<const char*, std::uint64_t>> entries) {
  std::vector<ClockEntry> list;
  for (const auto& [actor, counter] : entries) list.push_back({actor, counter, 0});
  return VectorClock::from_entries(std::move(list));
}

inline CausalContext context(std::initializer_list<std::pair<const char*, std::uint64_t>> summary,
                             std::vector<Dot> loose = {}) {
  return CausalContext::from_parts(clock(summary), std::move(loose));
}

inline Version version(Dot dot, CausalContext ctx, std::optional<std::string> value) {
  return Version{std::move(dot), std::move(ctx), std::move(value)};
}

}  // namespace dynamo::testing
