// Properties of the Merkle tree and its exchange (Reference: §4.7 "Replica synchronization"):
// the exchange between two replicas finds exactly the keys where they differ, and a tree kept up to
// date write by write is the tree built from scratch over the same keys.
//
// Cases: Q in {1, 4, 16} with a random partition, depth 1..3 (16 to 4,096 leaves, so some cases
// have many keys per leaf and some have leaves with one key), up to ~400 keys drawn from a small
// universe so that updates hit existing keys, and digests from a few values so that two replicas
// often agree by chance. Both replicas are kept up to date by update()/remove(), as a node would.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "impl/core/key_hash.h"
#include "impl/core/merkle_exchange.h"
#include "impl/core/merkle_tree.h"
#include "proptests/generators.h"

namespace {

using dynamo::KeyDifference;
using dynamo::MerkleEntry;
using dynamo::MerkleShape;
using dynamo::MerkleTree;
using dynamo::VersionsDigest;
using dynamo::proptests::uniform;

using Model = std::map<std::string, VersionsDigest>;

VersionsDigest digest_number(int n) { return dynamo::digest_of_versions("versions-" + std::to_string(n)); }

MerkleShape arbitrary_shape() {
  const std::uint32_t q = std::uint32_t{1} << (2 * uniform<int>(0, 3));  // 1, 4, 16
  return MerkleShape{q, uniform<std::uint32_t>(0, q), uniform<int>(1, 4)};
}

// `count` keys of the shape's partition, drawn from a universe of about `count` * 3 names.
std::vector<std::string> keys_in(const MerkleShape& shape, int count) {
  const std::string tag = std::to_string(*rc::gen::inRange(0, 1000000));
  std::vector<std::string> keys;
  for (int i = 0; static_cast<int>(keys.size()) < count; ++i) {
    std::string key = "k" + std::to_string(i) + "-" + tag;
    if (dynamo::partition_of_key(key, shape.partitions) == shape.partition) keys.push_back(std::move(key));
  }
  return keys;
}

// Applies the model to a fresh tree write by write, in a random order.
MerkleTree tree_of(const MerkleShape& shape, const Model& model) {
  MerkleTree tree(shape);
  std::vector<std::string> order;
  for (const auto& [key, digest] : model) order.push_back(key);
  for (const std::string& key : dynamo::proptests::shuffled(order)) RC_ASSERT(tree.update(key, model.at(key)).ok());
  return tree;
}

RC_GTEST_PROP(MerkleProps, ExchangeFindsExactlyTheDifferingKeys, ()) {
  const MerkleShape shape = arbitrary_shape();
  const std::vector<std::string> keys = keys_in(shape, *rc::gen::inRange(0, 400));
  // Each key: on both replicas (same or different digest), on one only, or on neither.
  Model local, remote;
  const int differ_one_in = uniform<int>(2, 40);  // from "mostly different" to "a few differences"
  for (const std::string& key : keys) {
    const VersionsDigest digest = digest_number(uniform<int>(0, 3));
    if (uniform<int>(0, differ_one_in) != 0) {
      local[key] = digest;
      remote[key] = digest;
      continue;
    }
    switch (uniform<int>(0, 4)) {
      case 0: local[key] = digest; break;                                            // missing on remote
      case 1: remote[key] = digest; break;                                           // missing on local
      case 2: local[key] = digest; remote[key] = digest_number(uniform<int>(3, 6)); break;  // different
      default: break;                                                                // on neither
    }
  }
  std::vector<KeyDifference> expected;
  for (const std::string& key : keys) {
    const auto l = local.find(key);
    const auto r = remote.find(key);
    std::optional<VersionsDigest> ld, rd;
    if (l != local.end()) ld = l->second;
    if (r != remote.end()) rd = r->second;
    if (ld != rd) expected.push_back({key, ld, rd});
  }
  std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  RC_TAG(expected.empty() ? "equal replicas" : expected.size() <= 3 ? "1-3 differences" : "more differences");

  const MerkleTree a = tree_of(shape, local);
  const MerkleTree b = tree_of(shape, remote);
  const auto outcome = dynamo::run_exchange(a, b);
  RC_ASSERT(outcome.ok());
  RC_ASSERT(outcome.value().differences == expected);
  RC_ASSERT((a.root() == b.root()) == expected.empty());
  // Rounds are bounded by the depth: one per level, plus the leaf listing.
  RC_ASSERT(outcome.value().stats.rounds <= shape.depth + 2);
}

RC_GTEST_PROP(MerkleProps, IncrementalUpdatesMatchABuildFromScratch, ()) {
  const MerkleShape shape = arbitrary_shape();
  const std::vector<std::string> keys = keys_in(shape, *rc::gen::inRange(1, 120));
  MerkleTree tree(shape);
  Model model;
  const int steps = *rc::gen::inRange(0, 400);
  for (int i = 0; i < steps; ++i) {
    const std::string& key = keys[uniform<std::size_t>(0, keys.size())];
    if (uniform<int>(0, 4) == 0) {
      RC_ASSERT(tree.remove(key) == (model.erase(key) == 1));
    } else {
      const VersionsDigest digest = digest_number(uniform<int>(0, 4));
      RC_ASSERT(tree.update(key, digest).ok());
      model[key] = digest;
    }
  }
  std::vector<MerkleEntry> entries;
  for (const auto& [key, digest] : model) entries.push_back({key, digest});
  const auto built = MerkleTree::build(shape, entries);
  RC_ASSERT(built.ok());
  RC_ASSERT(built.value().root() == tree.root());
  RC_ASSERT(built.value() == tree);  // every node's hash and every leaf's listing
  for (const auto& [key, digest] : model) RC_ASSERT(tree.find(key) == std::optional<VersionsDigest>(digest));
}

}  // namespace
