// quorum.h: the replication parameters N, R, W of a store, validated.
//
// N replicas hold each key; a get answers after R replies and a put after W acknowledgements.
// With R + W > N every read quorum meets every write quorum among the N primaries, so a get that
// starts after a put completed sees it (or a successor) while no fallback is in play; with
// R + W <= N there is a read quorum and a write quorum with nothing in common.
// Reference: §4.5 "Execution of get() and put() operations".
#pragma once

#include <cstddef>

#include "impl/core/result.h"

namespace dynamo {

struct QuorumConfig {
  int n = 3;
  int r = 2;
  int w = 2;

  // R + W > N: read and write quorums of the primaries always intersect.
  bool overlapping() const;
};

// Checks 1 <= R <= N, 1 <= W <= N, N <= node_count and N <= limits::kMaxReplicas; the error says
// which bound failed and what would fix it.
Status validate(const QuorumConfig& quorum, std::size_t node_count);

}  // namespace dynamo
