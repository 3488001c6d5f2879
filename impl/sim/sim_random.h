// sim_random.h: the simulator's one source of randomness, seeded, the same on every machine
// (splitmix64: no dependence on the standard library's distributions, which differ between
// implementations, so a seed reproduces a run anywhere).
#pragma once

#include <cstdint>

namespace dynamo::sim {

class SimRandom {
 public:
  explicit SimRandom(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n >= 1. (The modulo bias is below 2^-40 for the n the simulator uses.)
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  // True with probability per_mille / 1000.
  bool chance(std::uint32_t per_mille) { return below(1000) < per_mille; }

 private:
  std::uint64_t state_;
};

}  // namespace dynamo::sim
