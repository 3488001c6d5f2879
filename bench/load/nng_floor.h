// nng_floor.h: the floor of the load tool's latencies: the raw NNG REQ/REP round trip on this
// machine, measured in the same run (an in-process echo server on loopback, the same Connection code
// the client uses, no codec, no core, no disk). A quorum operation through the partition-aware
// client is two such hops (client -> coordinator -> replicas), so "two-hop floor" = 2 x its p50.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "impl/core/result.h"

namespace dynamo::bench {

struct FloorResult {
  std::size_t round_trips = 0;
  double p50_us = 0, p99_us = 0, mean_us = 0;
  double per_second = 0;  // at the given in-flight count
};

// `in_flight` round trips at once, `payload` bytes each way, for `rounds` round trips in all.
Result<FloorResult> measure_nng_floor(std::size_t payload, std::size_t in_flight, std::size_t rounds, int port);

}  // namespace dynamo::bench
