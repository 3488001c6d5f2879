// Unit tests for quorum validation. Reference: §4.5 (N, R, W) and §6 (N=3, R=2, W=2 typical).
#include "impl/core/quorum.h"

#include <gtest/gtest.h>

namespace dynamo {
namespace {

TEST(Quorum, ThePapersTypicalConfigurationOverlaps) {
  const QuorumConfig q{3, 2, 2};
  EXPECT_TRUE(validate(q, 3).ok());
  EXPECT_TRUE(q.overlapping());
}

TEST(Quorum, RPlusWEqualToNDoesNotOverlap) { EXPECT_FALSE((QuorumConfig{4, 2, 2}).overlapping()); }

TEST(Quorum, ErrorsNameTheBoundThatFailed) {
  const Status too_many = validate(QuorumConfig{5, 2, 2}, 3);
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.error().message.find("exceeds the 3 nodes"), std::string::npos);
  EXPECT_NE(validate(QuorumConfig{3, 0, 2}, 3).error().message.find("R must be"), std::string::npos);
  EXPECT_NE(validate(QuorumConfig{3, 2, 4}, 3).error().message.find("W must be"), std::string::npos);
  EXPECT_FALSE(validate(QuorumConfig{0, 1, 1}, 3).ok());
  EXPECT_FALSE(validate(QuorumConfig{17, 1, 1}, 100).ok());
}

}  // namespace
}  // namespace dynamo
