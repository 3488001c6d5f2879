// Unit tests of the Merkle tree and its exchange. Reference: §4.7 "Replica synchronization": each
// node keeps a Merkle tree per key range; two replicas compare roots and descend only where the
// hashes differ, so they find what to synchronise while moving little data.
#include "impl/core/merkle_tree.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "impl/core/key_hash.h"
#include "impl/core/limits.h"
#include "impl/core/merkle_exchange.h"

namespace dynamo {
namespace {

VersionsDigest digest(const std::string& versions) { return digest_of_versions(versions); }

// A tree of the whole ring (Q = 1) with depth 2: 256 leaves.
MerkleShape small_shape() { return MerkleShape{1, 0, 2}; }

MerkleTree tree_with(int keys, MerkleShape shape = small_shape()) {
  MerkleTree tree(shape);
  for (int i = 0; i < keys; ++i) {
    EXPECT_TRUE(tree.update("key-" + std::to_string(i), digest("v1-" + std::to_string(i))).ok());
  }
  return tree;
}

std::vector<std::string> keys_of(const std::vector<KeyDifference>& differences) {
  std::vector<std::string> keys;
  for (const KeyDifference& d : differences) keys.push_back(d.key);
  return keys;
}

TEST(MerkleTree, EmptyTreesAreEqualAndTheirExchangeStopsAtTheRoot) {
  const MerkleTree a(small_shape());
  const MerkleTree b(small_shape());
  EXPECT_EQ(a.root(), b.root());
  EXPECT_EQ(a.root(), MerkleHash{});
  Result<ExchangeOutcome> outcome = run_exchange(a, b);
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome.value().differences.empty());
  EXPECT_EQ(outcome.value().stats.rounds, 1);
  EXPECT_EQ(outcome.value().stats.messages, 2u);
}

TEST(MerkleTree, OneDifferingKeyIsFoundAndOnlyItsPathIsVisited) {
  const MerkleTree a = tree_with(500);
  MerkleTree b = a;
  ASSERT_TRUE(b.update("key-42", digest("v2-42")).ok());
  EXPECT_NE(a.root(), b.root());
  Result<ExchangeOutcome> outcome = run_exchange(a, b);
  ASSERT_TRUE(outcome.ok());
  ASSERT_EQ(outcome.value().differences.size(), 1u);
  const KeyDifference& d = outcome.value().differences[0];
  EXPECT_EQ(d.key, "key-42");
  EXPECT_EQ(d.local, digest("v1-42"));
  EXPECT_EQ(d.remote, digest("v2-42"));
  // Root, level 1 (16 children), level 2 (16 leaves' hashes), then one leaf listing.
  EXPECT_EQ(outcome.value().stats.rounds, 4);
  EXPECT_EQ(outcome.value().stats.messages, 8u);
}

TEST(MerkleTree, KeysMissingOnEitherSideAreFound) {
  MerkleTree a = tree_with(100);
  MerkleTree b = a;
  EXPECT_TRUE(b.remove("key-7"));
  ASSERT_TRUE(b.update("only-on-b", digest("x")).ok());
  Result<ExchangeOutcome> outcome = run_exchange(a, b);
  ASSERT_TRUE(outcome.ok());
  ASSERT_EQ(keys_of(outcome.value().differences), (std::vector<std::string>{"key-7", "only-on-b"}));
  EXPECT_EQ(outcome.value().differences[0].local, digest("v1-7"));  // missing on the remote
  EXPECT_EQ(outcome.value().differences[0].remote, std::nullopt);
  EXPECT_EQ(outcome.value().differences[1].local, std::nullopt);     // missing here
  EXPECT_EQ(outcome.value().differences[1].remote, digest("x"));
}

TEST(MerkleTree, UpdateThenRevertRestoresTheRootAndEveryNode) {
  MerkleTree tree = tree_with(300);
  const MerkleTree before = tree;
  ASSERT_TRUE(tree.update("key-5", digest("changed")).ok());
  EXPECT_NE(tree.root(), before.root());
  ASSERT_TRUE(tree.update("key-5", digest("v1-5")).ok());
  EXPECT_EQ(tree.root(), before.root());
  EXPECT_EQ(tree, before);
}

TEST(MerkleTree, RemovalUndoesAnInsertion) {
  MerkleTree tree = tree_with(50);
  const MerkleTree before = tree;
  ASSERT_TRUE(tree.update("new-key", digest("n")).ok());
  EXPECT_EQ(tree.size(), 51u);
  EXPECT_TRUE(tree.remove("new-key"));
  EXPECT_FALSE(tree.remove("new-key"));  // already gone
  EXPECT_EQ(tree, before);
  EXPECT_EQ(tree.find("new-key"), std::nullopt);
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(tree.remove("key-" + std::to_string(i)));
  EXPECT_EQ(tree.root(), MerkleHash{});
  EXPECT_EQ(tree, MerkleTree(small_shape()));
}

TEST(MerkleTree, IncrementalUpdatesEqualABuildFromScratch) {
  MerkleTree tree = tree_with(200);
  std::vector<MerkleEntry> entries;
  for (int i = 0; i < 200; ++i) entries.push_back({"key-" + std::to_string(i), digest("v1-" + std::to_string(i))});
  Result<MerkleTree> built = MerkleTree::build(small_shape(), entries);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built.value(), tree);
  entries.push_back(entries[3]);
  Result<MerkleTree> twice = MerkleTree::build(small_shape(), entries);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("given twice"), std::string::npos);
}

// Trees are per partition (§4.7: one tree per key range a node hosts): a key outside the
// partition is refused, and each partition's tree holds only its own keys.
TEST(MerkleTree, KeysOfOtherPartitionsAreRefusedAndTreesStayApart) {
  constexpr std::uint32_t kQ = 4;
  std::vector<MerkleTree> trees;
  for (std::uint32_t p = 0; p < kQ; ++p) trees.emplace_back(MerkleShape{kQ, p, 1});
  int refused = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "key-" + std::to_string(i);
    const std::uint32_t home = partition_of_key(key, kQ);
    for (std::uint32_t p = 0; p < kQ; ++p) {
      const Status status = trees[p].update(key, digest("v"));
      EXPECT_EQ(status.ok(), p == home) << key;
      if (!status.ok()) {
        ++refused;
        EXPECT_NE(status.error().message.find("not in partition"), std::string::npos);
      }
    }
  }
  EXPECT_EQ(refused, 300);
  std::size_t total = 0;
  for (const MerkleTree& tree : trees) total += tree.size();
  EXPECT_EQ(total, 100u);
  // Trees of different partitions cannot be compared: the exchange says so.
  Result<ExchangeOutcome> mixed = run_exchange(trees[0], trees[1]);
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.error().message.find("does not match"), std::string::npos);
}

TEST(MerkleTree, ShapeFollowsTheExpectedKeyCount) {
  EXPECT_EQ(shape_for(1024, 3, 0).depth, 1);
  EXPECT_EQ(shape_for(1024, 3, 16 * 16).depth, 1);
  EXPECT_EQ(shape_for(1024, 3, 16 * 16 + 1).depth, 2);
  EXPECT_EQ(shape_for(1, 0, 1'000'000).depth, 4);  // 65,536 leaves, ~15 keys each
  EXPECT_EQ(shape_for(1, 0, std::size_t{1} << 40).depth, merkle_limits::kMaxDepth);
  EXPECT_FALSE(check_shape({3, 0, 1}).ok());
  EXPECT_FALSE(check_shape({4, 4, 1}).ok());
  EXPECT_FALSE(check_shape({4, 0, merkle_limits::kMaxDepth + 1}).ok());
}

TEST(MerkleTree, OverlongKeysAreRefused) {
  MerkleTree tree(small_shape());
  const Status status = tree.update(std::string(limits::kMaxKeyBytes + 1, 'k'), digest("v"));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("kMaxKeyBytes"), std::string::npos);
  EXPECT_TRUE(tree.update(std::string(limits::kMaxKeyBytes, 'k'), digest("v")).ok());
}

TEST(MerkleTree, SiblingDigestDependsOnTheDotsOnly) {
  Version a{Dot{"node-1#1", 3, 100}, {}, std::string("x")};
  Version b{Dot{"node-2#1", 1, 200}, {}, std::nullopt};
  Version a_later_stamp = a;
  a_later_stamp.dot.stamp_ms = 999;
  EXPECT_EQ(digest_of_siblings({a, b}), digest_of_siblings({a_later_stamp, b}));
  EXPECT_NE(digest_of_siblings({a, b}), digest_of_siblings({a}));
  EXPECT_NE(digest_of_siblings({a}), digest_of_siblings({b}));
}

// Everything a peer sends is bounded and checked: an Error, never a crash.
TEST(MerkleExchange, OutOfBoundsRequestsAndRepliesAreErrors) {
  const MerkleTree tree = tree_with(20);
  MerkleHashRequest far{tree.shape(), {MerklePosition{3, 0}}};
  EXPECT_FALSE(answer_hash_request(tree, far).ok());
  MerkleHashRequest wide{tree.shape(), {MerklePosition{2, 256}}};
  EXPECT_FALSE(answer_hash_request(tree, wide).ok());
  MerkleHashRequest many{tree.shape(), std::vector<MerklePosition>(merkle_limits::kMaxPositionsPerRequest + 1)};
  EXPECT_FALSE(answer_hash_request(tree, many).ok());
  MerkleLeafRequest leaves{tree.shape(), std::vector<std::uint32_t>(merkle_limits::kMaxLeavesPerRequest + 1)};
  EXPECT_FALSE(answer_leaf_request(tree, leaves).ok());
  EXPECT_FALSE(answer_leaf_request(tree, MerkleLeafRequest{tree.shape(), {256}}).ok());

  const MerkleHashRequest root = root_request(tree);
  EXPECT_FALSE(differing_positions(tree, root, MerkleHashReply{}).ok());  // no hash for the root

  // A listing that puts a key under the wrong leaf, or unsorted, or too long, is refused.
  const std::uint32_t home = *tree.leaf_of("key-1");
  const MerkleLeafRequest sent{tree.shape(), {home ^ 1u}};
  EXPECT_FALSE(differing_keys(tree, sent, MerkleLeafReply{{{MerkleEntry{"key-1", {}}}}}).ok());
  const MerkleLeafRequest home_leaf{tree.shape(), {home}};
  EXPECT_FALSE(differing_keys(tree, home_leaf, MerkleLeafReply{{{{"key-1", {}}, {"key-1", {}}}}}).ok());
  const std::vector<MerkleEntry> too_many(merkle_limits::kMaxLeafKeys + 1);
  EXPECT_FALSE(differing_keys(tree, home_leaf, MerkleLeafReply{{too_many}}).ok());
  const MerkleEntry too_long{std::string(limits::kMaxKeyBytes + 1, 'k'), {}};
  EXPECT_FALSE(differing_keys(tree, home_leaf, MerkleLeafReply{{{too_long}}}).ok());
  EXPECT_TRUE(differing_keys(tree, home_leaf, MerkleLeafReply{{{MerkleEntry{"key-1", digest("v1-1")}}}}).ok());
}

TEST(MerkleExchange, BytesAreCountedAsTheFixedWidthEncoding) {
  const MerkleTree tree(small_shape());
  EXPECT_EQ(encoded_bytes(root_request(tree)), 9u + 4u + 5u);
  EXPECT_EQ(encoded_bytes(MerkleHashReply{{MerkleHash{}}}), 4u + 16u);
  EXPECT_EQ(encoded_bytes(MerkleLeafRequest{tree.shape(), {1, 2}}), 9u + 4u + 8u);
  EXPECT_EQ(encoded_bytes(MerkleLeafReply{{{MerkleEntry{"abc", {}}}, {}}}), 4u + (4u + 4u + 3u + 16u) + 4u);
}

}  // namespace
}  // namespace dynamo
