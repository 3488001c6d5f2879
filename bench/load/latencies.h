// latencies.h: latency samples of one kind of operation, and their summary (exact percentiles from
// the sorted samples: a load run keeps at most a few million, which is cheap to sort once).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

namespace dynamo::bench {

struct LatencySummary {
  std::size_t count = 0;
  double mean_us = 0, p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
};

inline LatencySummary summarize(std::vector<std::uint32_t> samples_us) {
  LatencySummary s;
  s.count = samples_us.size();
  if (samples_us.empty()) return s;
  std::sort(samples_us.begin(), samples_us.end());
  const auto at = [&](double q) {
    const std::size_t i = std::min(samples_us.size() - 1, static_cast<std::size_t>(q * static_cast<double>(samples_us.size())));
    return static_cast<double>(samples_us[i]);
  };
  s.mean_us = std::accumulate(samples_us.begin(), samples_us.end(), 0.0) / static_cast<double>(samples_us.size());
  s.p50_us = at(0.50);
  s.p99_us = at(0.99);
  s.p999_us = at(0.999);
  s.max_us = static_cast<double>(samples_us.back());
  return s;
}

}  // namespace dynamo::bench
