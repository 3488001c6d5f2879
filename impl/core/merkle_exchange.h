// merkle_exchange.h: how two replicas of a partition find the keys where they differ, as pure
// message-shaped functions the node can send as messages, plus an in-memory driver for tests and
// the benchmark.
//
// The protocol (the initiator drives; the responder only answers, so it keeps no exchange state):
//   1. HashRequest{shape, [root]}            -> HashReply{[root hash]}
//   2. the initiator compares each hash with its own; for every differing inner node it asks for
//      its 16 children (HashRequest), level by level, down to the leaves' level;
//   3. LeafRequest{shape, differing leaves}  -> LeafReply{each leaf's (key, digest) list};
//   4. the initiator compares each listing with its own leaf: the keys missing on either side or
//      with different digests are the differences. Their versions then travel by the node's
//      normal merge path (pull and push), which is not this file's business.
// Every round is one request and one reply per chunk (a request carries at most
// merkle_limits::kMaxPositionsPerRequest positions or kMaxLeavesPerRequest leaves).
// A shape mismatch (Q, partition or depth) is an Error: both replicas must size the partition's
// tree alike (node configuration), since trees of different shapes cannot be compared node by node.
//
// Everything a peer sends is checked before use: request sizes, positions inside the tree, reply
// lengths matching the request, keys within limits::kMaxKeyBytes, in the leaf they are listed under,
// sorted and unique, at most kMaxLeafKeys per leaf. A bad message gives an Error, never a crash.
//
// Bytes are counted as a fixed-width binary encoding would carry them (encoded_bytes below):
// integers at their width, keys with a u32 length, no padding; Cap'n Proto's word alignment adds up
// to ~1.5x on the small hash messages, little on key listings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "impl/core/merkle_tree.h"
#include "impl/core/result.h"

namespace dynamo {

struct MerkleHashRequest {
  MerkleShape shape;
  std::vector<MerklePosition> positions;
};

struct MerkleHashReply {
  std::vector<MerkleHash> hashes;  // one per requested position, in the request's order
};

struct MerkleLeafRequest {
  MerkleShape shape;
  std::vector<std::uint32_t> leaves;  // leaf indices (positions at level depth)
};

struct MerkleLeafReply {
  std::vector<std::vector<MerkleEntry>> leaves;  // one listing per requested leaf, sorted by key
};

// A key where the replicas differ: absent on one side (nullopt) or with different digests.
struct KeyDifference {
  std::string key;
  std::optional<VersionsDigest> local;
  std::optional<VersionsDigest> remote;
  friend bool operator==(const KeyDifference&, const KeyDifference&) = default;
};

// Encoded sizes: shape 9 bytes (Q u32, partition u32, depth u8), counts u32, position 5 bytes
// (level u8, index u32), hash 16, leaf index 4, entry 4 + key + 16.
std::size_t encoded_bytes(const MerkleHashRequest& request);
std::size_t encoded_bytes(const MerkleHashReply& reply);
std::size_t encoded_bytes(const MerkleLeafRequest& request);
std::size_t encoded_bytes(const MerkleLeafReply& reply);

// --- responder side ---
Result<MerkleHashReply> answer_hash_request(const MerkleTree& tree, const MerkleHashRequest& request);
Result<MerkleLeafReply> answer_leaf_request(const MerkleTree& tree, const MerkleLeafRequest& request);

// --- initiator side ---
// The first request: the root.
MerkleHashRequest root_request(const MerkleTree& local);
// The positions among `sent` whose hash in `reply` differs from the local tree's.
Result<std::vector<MerklePosition>> differing_positions(const MerkleTree& local, const MerkleHashRequest& sent,
                                                        const MerkleHashReply& reply);
// The children of inner `positions`, chunked into requests of at most kMaxPositionsPerRequest.
// REQUIRES: every position valid in local and above the leaves.
std::vector<MerkleHashRequest> child_requests(const MerkleTree& local, const std::vector<MerklePosition>& positions);
// Leaf-level `positions` as leaf requests of at most kMaxLeavesPerRequest leaves.
// REQUIRES: every position valid in local and at the leaves' level.
std::vector<MerkleLeafRequest> leaf_requests(const MerkleTree& local, const std::vector<MerklePosition>& positions);
// The keys of the leaves in `sent` where local and `reply` differ, sorted by key.
Result<std::vector<KeyDifference>> differing_keys(const MerkleTree& local, const MerkleLeafRequest& sent,
                                                  const MerkleLeafReply& reply);

// --- the in-memory driver ---
struct ExchangeStats {
  int rounds = 0;             // request/reply round trips in sequence (chunks of one level share one)
  std::size_t messages = 0;   // requests + replies
  std::size_t bytes = 0;      // sum of encoded_bytes of every message, both directions
};

struct ExchangeOutcome {
  std::vector<KeyDifference> differences;  // sorted by key
  ExchangeStats stats;
};

// Runs the whole protocol between `local` (initiator) and `remote` (responder), in memory.
Result<ExchangeOutcome> run_exchange(const MerkleTree& local, const MerkleTree& remote);

}  // namespace dynamo
