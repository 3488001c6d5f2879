// test_support.h: compact builders for clocks, contexts, versions and rings in tests and benchmarks
// (not part of the core).
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "impl/core/causal_context.h"
#include "impl/core/check.h"
#include "impl/core/ring.h"
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

// The ring of one data centre ("dc-1") whose members are n<first> .. n<last>, each of weight 1, in
// `partitions` partitions (a power of two).
inline std::shared_ptr<const Ring> one_dc_ring(int first, int last, std::uint32_t partitions) {
  std::vector<Member> members;
  for (int i = first; i <= last; ++i) members.push_back(Member{"n" + std::to_string(i), "dc-1", 1});
  auto ring = Ring::build(members, partitions);
  DYNAMO_CHECK(ring.ok());
  return std::make_shared<const Ring>(std::move(ring).value());
}

}  // namespace dynamo::testing
