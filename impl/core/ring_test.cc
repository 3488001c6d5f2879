// Unit tests of the ring: hashing, strategy-3 ownership, preference lists, sloppy lists. The small
// cases are worked by hand in the comments (the steal scores are printed by spec/reference/ring.py).
#include "impl/core/ring.h"

#include <gtest/gtest.h>

#include <numeric>

#include "impl/core/key_hash.h"
#include "impl/core/limits.h"

namespace dynamo {
namespace {

using Ids = std::vector<std::string>;

// a, b in dc-1 and c in dc-2, Q = 8. Worked example (spec/README.md "Ring"):
//   b joins: quotas 4,4; b's scores rank partitions 6,1,0,5,2,4,3,7, so b takes {6,1,0,5}.
//   c joins: quotas 3,3,2; excess a = 1, b = 1. c's scores rank 6,1,0,2,5,3,7,4:
//     donor a (tie, earlier) gives its best-ranked partition 2; then donor b gives 6.
//   Owners: 0 b, 1 b, 2 c, 3 a, 4 a, 5 b, 6 c, 7 a.
Ring three_node_ring() {
  Result<Ring> ring = Ring::build({{"a", "dc-1", 1}, {"b", "dc-1", 1}, {"c", "dc-2", 1}}, 8);
  EXPECT_TRUE(ring.ok());
  return std::move(ring).value();
}

Ids owners_of(const Ring& ring) {
  Ids owners;
  for (std::uint32_t p = 0; p < ring.partitions(); ++p) owners.push_back(ring.owner(p));
  return owners;
}

std::string build_error(std::vector<Member> members, std::uint32_t q) {
  Result<Ring> ring = Ring::build(std::move(members), q);
  return ring.ok() ? "" : ring.error().message;
}

// The paper hashes keys with MD5 onto a 128-bit space. RFC 1321 test vectors.
// Reference: §4.2 "Partitioning Algorithm".
TEST(KeyHash, Md5MatchesRfc1321) {
  EXPECT_EQ(to_hex(md5_of("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(to_hex(md5_of("abc")), "900150983cd24fb0d6963f7d28e17f72");
  Md5Hasher hasher;
  EXPECT_EQ(hasher.digest("abc"), md5_of("abc"));
  EXPECT_EQ(hasher.digest(""), md5_of(""));  // the context is reusable
}

// Partition i covers [i*2^128/Q, (i+1)*2^128/Q): the top log2(Q) bits of the hash.
// Reference: §6.2 strategy 3, "divides the hash space into Q equally sized partitions".
TEST(KeyHash, PartitionIsTheTopBitsOfTheHash) {
  Md5Digest digest{};
  EXPECT_EQ(partition_of_digest(digest, 1), 0u);
  EXPECT_EQ(partition_of_digest(digest, 65536), 0u);
  digest.fill(0xFF);
  EXPECT_EQ(partition_of_digest(digest, 1), 0u);
  EXPECT_EQ(partition_of_digest(digest, 8), 7u);
  EXPECT_EQ(partition_of_digest(digest, 65536), 65535u);
  digest = Md5Digest{0x80};
  EXPECT_EQ(partition_of_digest(digest, 2), 1u);  // exactly half way round is partition 1 of 2
  // MD5("cart:42") = a4240de8...: 0xa4 = 0b101'00100 -> 5 of 8; 0xa424 >> 6 = 656 of 1024.
  EXPECT_EQ(partition_of_key("cart:42", 8), 5u);
  EXPECT_EQ(partition_of_key("cart:42", 1024), 656u);
}

TEST(KeyHash, PartitionCountsArePowersOfTwoWithinTheLimit) {
  EXPECT_FALSE(is_valid_partition_count(0));
  EXPECT_TRUE(is_valid_partition_count(1));
  EXPECT_FALSE(is_valid_partition_count(12));
  EXPECT_TRUE(is_valid_partition_count(limits::kMaxPartitions));
  EXPECT_FALSE(is_valid_partition_count(limits::kMaxPartitions * 2));
  EXPECT_EQ(partition_bits(1024), 10);
}

TEST(KeyHash, StealScoreIsTheLeadingEightBytesOfMd5OfIdSlashPartition) {
  Md5Hasher hasher;
  EXPECT_EQ(steal_score(hasher, "node-3", 17), leading_u64(md5_of("node-3/17")));
  EXPECT_EQ(steal_score(hasher, "b", 6) >> 48, 0x2f70u);  // the worked example's first pick
  EXPECT_EQ(steal_score(hasher, "b", 0) >> 48, 0x4a56u);
}

// Quotas follow capacity: largest remainder in exact integers, ties to the earlier member.
// Reference: §6.2 strategy 3 and §5 "heterogeneity ... proportional to capacity".
TEST(Apportion, LargestRemainderInJoinOrder) {
  const std::vector<Member> three{{"a", "x", 1}, {"b", "x", 1}, {"c", "x", 1}};
  EXPECT_EQ(apportion_partitions(three, 8), (std::vector<std::uint32_t>{3, 3, 2}));  // rem 2,2,2
  const std::vector<Member> two_to_one{{"big", "x", 2}, {"small", "x", 1}};
  EXPECT_EQ(apportion_partitions(two_to_one, 16), (std::vector<std::uint32_t>{11, 5}));  // 10.67, 5.33
  const std::vector<Member> uneven{{"a", "x", 1}, {"b", "x", 3}, {"c", "x", 3}};
  EXPECT_EQ(apportion_partitions(uneven, 8), (std::vector<std::uint32_t>{1, 4, 3}));  // rem 1,3,3
  const std::vector<Member> one{{"a", "x", 7}};
  EXPECT_EQ(apportion_partitions(one, 64), (std::vector<std::uint32_t>{64}));
}

// Ownership is replayed from the join order: the hand-worked example above.
// Reference: §6.2 strategy 3, "Q/S tokens per node".
TEST(Ownership, ThreeNodesOnEightPartitionsByHand) {
  const Ring ring = three_node_ring();
  EXPECT_EQ(owners_of(ring), (Ids{"b", "b", "c", "a", "a", "b", "c", "a"}));
  EXPECT_EQ(ring.partition_counts(), (std::vector<std::uint32_t>{3, 3, 2}));
  EXPECT_EQ(ring.owner_index(2), 2u);
}

TEST(Ownership, TheFirstMemberOwnsEverythingAlone) {
  Result<Ring> ring = Ring::build({{"solo", "dc-1", 5}}, 16);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(ring.value().partition_counts(), (std::vector<std::uint32_t>{16}));
  EXPECT_DOUBLE_EQ(ring.value().weighted_share(0), 16.0);
}

// A node with twice the capacity gets twice the partitions (here its exact quota).
// Reference: §5 "the number of virtual nodes ... decided based on its capacity".
TEST(Ownership, WeightTwoGetsTwiceTheShare) {
  Result<Ring> ring = Ring::build({{"big", "dc-1", 2}, {"small", "dc-1", 1}}, 16);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(ring.value().partition_counts(), (std::vector<std::uint32_t>{11, 5}));
  EXPECT_NEAR(ring.value().weighted_share(0), 32.0 / 3, 1e-9);
}

// Adding a node moves partitions only onto the new node, exactly its quota of them.
// Reference: §6.2 strategy 3, "a node joins ... steal tokens from other nodes".
TEST(Ownership, AJoinMovesPartitionsOnlyOntoTheNewNode) {
  std::vector<Member> members;
  for (int i = 1; i <= 6; ++i) members.push_back({"node-" + std::to_string(i), "dc-" + std::to_string(i % 2), 1});
  const Ring before = Ring::build(members, 64).value();
  members.push_back({"node-7", "dc-1", 2});
  const Ring after = Ring::build(members, 64).value();
  int moved = 0;
  for (std::uint32_t p = 0; p < 64; ++p) {
    if (before.owner(p) == after.owner(p)) continue;
    EXPECT_EQ(after.owner(p), "node-7") << "partition " << p;
    ++moved;
  }
  EXPECT_EQ(moved, static_cast<int>(apportion_partitions(members, 64).back()));  // 64*2/8 = 16
  EXPECT_EQ(moved, 16);
}

TEST(Ownership, SameMembershipSameRing) {
  EXPECT_EQ(owners_of(three_node_ring()), owners_of(three_node_ring()));
}

// Errors are values that name the fault and the fix.
TEST(RingValidation, RejectsBadMembershipsWithClearMessages) {
  EXPECT_NE(build_error({}, 8).find("1 to 1024 members"), std::string::npos);
  EXPECT_NE(build_error({{"", "dc", 1}}, 8).find("id must be 1 to 64 bytes"), std::string::npos);
  EXPECT_NE(build_error({{std::string(65, 'x'), "dc", 1}}, 8).find("id must be"), std::string::npos);
  EXPECT_NE(build_error({{"a", "dc", 1}, {"a", "dc", 1}}, 8).find("listed twice"), std::string::npos);
  EXPECT_NE(build_error({{"a", "", 1}}, 8).find("data centre name"), std::string::npos);
  EXPECT_NE(build_error({{"a", "dc", 0}}, 8).find("weight 0 is outside 1..1000"), std::string::npos);
  EXPECT_NE(build_error({{"a", "dc", 1001}}, 8).find("weight 1001"), std::string::npos);
  EXPECT_NE(build_error({{"a", "dc", 1}}, 12).find("not a power of two"), std::string::npos);
  EXPECT_NE(build_error({{"a", "dc", 1}}, 0).find("not a power of two"), std::string::npos);
  EXPECT_NE(build_error({{"a", "dc", 1}}, 1u << 17).find("not a power of two"), std::string::npos);
  EXPECT_NE(build_error({{"a", "d", 1}, {"b", "d", 1}, {"c", "d", 1}}, 2).find("smaller than the 3 members"),
            std::string::npos);
  // 4 * 1 / 1001 rounds to nothing: "b" would never hold a replica.
  EXPECT_EQ(build_error({{"a", "d", 1000}, {"b", "d", 1}}, 4),
            "member \"b\" (weight 1) would own no partition with Q = 4; raise Q to at least 1024 or raise its weight");
  EXPECT_EQ(build_error({{"a", "d", 1}}, 1), "");
}

// The list holds N distinct physical nodes, spread over data centres: nodes of a data centre
// already listed are skipped while another is missing, and come back first once the spread is
// reached. Reference: §4.3 "skipping positions in the ring to ensure that the list contains only
// distinct physical nodes", §4.6 "spread across multiple data centers".
TEST(PreferenceList, SpreadsOverDataCentresByHand) {
  const Ring ring = three_node_ring();  // owners b b c a a b c a
  // From 3: a (dc-1); a again, ignored; b (dc-1) skipped; c (dc-2) -> spread reached.
  EXPECT_EQ(ring.preference_list(3, 2).value(), (Ids{"a", "c"}));
  // N = 3: the skipped b comes back right after the spread is reached.
  EXPECT_EQ(ring.preference_list(3, 3).value(), (Ids{"a", "c", "b"}));
  // From 0: b, b ignored, c -> spread; then the walk continues to a.
  EXPECT_EQ(ring.preference_list(0, 3).value(), (Ids{"b", "c", "a"}));
  EXPECT_EQ(ring.preference_list(2, 1).value(), (Ids{"c"}));
  // Wraps around: from 7, a then b (0) skipped, b (1) ignored, c (2).
  EXPECT_EQ(ring.preference_list(7, 2).value(), (Ids{"a", "c"}));
}

TEST(PreferenceList, OneDataCentreIsTheFirstNDistinctOwners) {
  const Ring ring = Ring::build({{"n1", "east", 1}, {"n2", "east", 1}, {"n3", "east", 1}, {"n4", "east", 1},
                                 {"n5", "east", 1}}, 16).value();
  // Owners (spec/vectors/ring.json): n1 n2 n5 n2 n3 n5 n1 n3 n5 n2 n1 n4 n4 n3 n4 n1.
  EXPECT_EQ(ring.preference_list(9, 3).value(), (Ids{"n2", "n1", "n4"}));
  EXPECT_EQ(ring.preference_list(11, 3).value(), (Ids{"n4", "n3", "n1"}));  // n4 n4 n3 n4 n1
  EXPECT_EQ(ring.full_order(9), (Ids{"n2", "n1", "n4", "n3", "n5"}));
}

TEST(PreferenceList, IsAPrefixOfTheFullOrder) {
  const Ring ring = three_node_ring();
  for (std::uint32_t p = 0; p < 8; ++p) {
    const Ids full = ring.full_order(p);
    ASSERT_EQ(full.size(), 3u);
    for (int n = 1; n <= 3; ++n) {
      EXPECT_EQ(ring.preference_list(p, n).value(), Ids(full.begin(), full.begin() + n)) << p << " " << n;
    }
  }
}

TEST(PreferenceList, RejectsReplicaCountsOutsideOneToMembers) {
  const Ring ring = three_node_ring();
  EXPECT_FALSE(ring.preference_list(0, 0).ok());
  EXPECT_FALSE(ring.preference_list(0, -1).ok());
  EXPECT_EQ(ring.preference_list(0, 4).error().message,
            "N = 4 replicas is outside 1..3 (at most one replica per member, and at most 16)");
  EXPECT_FALSE(ring.sloppy_preference_list(0, 4, {}).ok());
}

// With a primary down, the first healthy node past the N stands in for it, same data centre
// first. Reference: §4.6 "Handling Failures: Hinted Handoff" (A down, D takes its replica).
TEST(SloppyList, FallbackFromTheSameDataCentreFirst) {
  const Ring ring = three_node_ring();
  // From 3: full order a c b; primaries a c. a (dc-1) is down: b (dc-1) stands in.
  const SloppyList list = ring.sloppy_preference_list(3, 2, {"a"}).value();
  EXPECT_EQ(list.slots, (std::vector<SloppySlot>{{"b", "a"}, {"c", ""}}));
  EXPECT_TRUE(list.slots[0].is_fallback());
  EXPECT_FALSE(list.slots[1].is_fallback());
  EXPECT_EQ(list.nodes(), (Ids{"b", "c"}));
}

TEST(SloppyList, AnyDataCentreWhenTheSameOneHasNoHealthyNodeLeft) {
  const Ring ring = three_node_ring();
  // c is the only dc-2 node: b (dc-1) stands in; the healthy primary a keeps slot 0.
  EXPECT_EQ(ring.sloppy_preference_list(3, 2, {"c"}).value().slots, (std::vector<SloppySlot>{{"a", ""}, {"b", "c"}}));
}

TEST(SloppyList, UnfilledWhenNoHealthyNodeIsLeft) {
  const Ring ring = three_node_ring();
  const SloppyList list = ring.sloppy_preference_list(3, 3, {"b"}).value();
  EXPECT_EQ(list.slots, (std::vector<SloppySlot>{{"a", ""}, {"c", ""}, {"", "b"}}));
  EXPECT_EQ(list.unfilled_count(), 1u);
  EXPECT_EQ(list.nodes(), (Ids{"a", "c"}));
  const SloppyList all_down = ring.sloppy_preference_list(3, 2, {"a", "b", "c"}).value();
  EXPECT_EQ(all_down.unfilled_count(), 2u);
}

TEST(SloppyList, EachFallbackIsUsedOnce) {
  const Ring ring = Ring::build({{"n1", "east", 1}, {"n2", "east", 1}, {"n3", "east", 1}, {"n4", "east", 1},
                                 {"n5", "east", 1}}, 16).value();
  // From 9: full order n2 n1 n4 n3 n5; n2 and n4 down: n3 for n2, then n5 for n4.
  EXPECT_EQ(ring.sloppy_preference_list(9, 3, {"n2", "n4"}).value().slots,
            (std::vector<SloppySlot>{{"n3", "n2"}, {"n1", ""}, {"n5", "n4"}}));
}

TEST(SloppyList, NothingDownIsThePreferenceList) {
  const Ring ring = three_node_ring();
  EXPECT_EQ(ring.sloppy_preference_list(5, 3, {}).value().nodes(), ring.preference_list(5, 3).value());
}

TEST(SloppyList, RejectsADownIdThatIsNoMember) {
  const Ring ring = three_node_ring();
  EXPECT_EQ(ring.sloppy_preference_list(0, 2, {"zz"}).error().message,
            "down node \"zz\" is not a member of the ring; remove it from the down set");
}

}  // namespace
}  // namespace dynamo
