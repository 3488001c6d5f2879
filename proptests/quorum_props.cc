// Quorum overlap: for every N <= 7 and every R, W, every R-subset of the preference list meets
// every W-subset exactly when R + W > N; otherwise a disjoint pair exists and is shown.
// Reference: §4.5 ("R + W > N yields a quorum-like system").
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <vector>

#include "impl/core/quorum.h"

namespace dynamo::proptests {
namespace {

std::vector<std::uint32_t> subsets_of_size(int n, int k) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (__builtin_popcount(mask) == k) out.push_back(mask);
  }
  return out;
}

RC_GTEST_PROP(QuorumProps, ReadAndWriteQuorumsMeetExactlyWhenRPlusWExceedsN, ()) {
  const int n = *rc::gen::inRange(1, 8);
  const QuorumConfig q{n, *rc::gen::inRange(1, n + 1), *rc::gen::inRange(1, n + 1)};
  RC_ASSERT(validate(q, static_cast<std::size_t>(n)).ok());
  bool all_meet = true;
  std::uint32_t disjoint_r = 0, disjoint_w = 0;
  for (std::uint32_t r_set : subsets_of_size(n, q.r)) {
    for (std::uint32_t w_set : subsets_of_size(n, q.w)) {
      if ((r_set & w_set) == 0 && all_meet) {
        all_meet = false;
        disjoint_r = r_set;
        disjoint_w = w_set;
      }
    }
  }
  RC_ASSERT(q.overlapping() == all_meet);
  if (!q.overlapping()) {
    RC_TAG("disjoint pair shown");
    RC_ASSERT((disjoint_r & disjoint_w) == 0u);
    RC_ASSERT(__builtin_popcount(disjoint_r) == q.r);
    RC_ASSERT(__builtin_popcount(disjoint_w) == q.w);
  }
}

}  // namespace
}  // namespace dynamo::proptests
