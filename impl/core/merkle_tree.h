// merkle_tree.h: the Merkle tree of one partition, kept up to date as writes land, that two
// replicas compare to find the keys where they differ (anti-entropy).
//
// Shape: a fixed tree per partition (a "tictac" tree, as Riak KV's tictacaae): fanout 16 and
// `depth` levels below the root, so 16^depth leaves. A key's leaf is the 4*depth bits of MD5(key)
// that follow the partition's log2(Q) bits: the leaves are 16^depth equal sub-ranges of the
// partition's arc of the ring, so both replicas put a key in the same leaf whatever else they hold.
//
// Hashes: each key contributes entry_hash(key, digest) = MD5(len32 || key || digest), 128 bits.
// A node's hash is the XOR of the entry hashes of every key below it (the root: of the whole
// partition). XOR makes a node independent of the order writes arrived in, and an update costs
// O(depth) XORs with no rehashing of children: remove the old entry hash along the path, add the
// new one. Inner nodes as XOR sums rather than hashes of their children lose nothing: a hash of
// children is only as good as the leaves under it, and the leaves are already XOR sums.
//
// Why MD5 (OpenSSL, already linked for the ring) and not a faster non-crypto hash: with XOR, keys
// whose entry hashes cancel would hide a difference; a 128-bit hash nobody can steer without
// controlling MD5's output keeps that at ~2^-128 per node, while seeded 64-bit hashes (xxHash,
// SipHash-64) give 2^-64 and a weaker story against crafted keys. It costs ~0.3 us per hash, 3
// per update: small beside the write's own storage work (docs/anti-entropy.md has the figures).
//
// Invariants of every MerkleTree value:
//   1. every stored key is at most limits::kMaxKeyBytes, lies in shape().partition, and sits in
//      leaf leaf_of(key), which holds its entries sorted by key with no key twice;
//   2. node(level, i) == XOR of node(level + 1, 16 i + c) over c in 0..15, and a leaf's hash is the
//      XOR of its entries' entry hashes: so the tree equals MerkleTree::build of its entries;
//   3. no leaf holds more than merkle_limits::kMaxLeafKeys entries.
// Not thread-safe (one hasher per tree), like the rest of the core: one event loop owns it.
//
// Reference: §4.7 "Handling permanent failures: Replica synchronization" (a Merkle tree per key
// range; replicas exchange roots and descend where they differ).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "impl/core/key_hash.h"
#include "impl/core/result.h"
#include "impl/core/version.h"

namespace dynamo {

// The Merkle bounds; they belong with limits.h's and move there when the node uses the tree.
namespace merkle_limits {
inline constexpr int kFanoutBits = 4;  // fanout 16: 16 hashes = 256 bytes per reply entry group
inline constexpr std::uint32_t kFanout = std::uint32_t{1} << kFanoutBits;
// 16^5 = 1 Mi leaves: 16 MiB of leaf hashes, the most one partition's tree may cost.
inline constexpr int kMaxDepth = 5;
// build_shape aims at this many keys per leaf: a differing key then costs ~16 keys of leaf listing.
inline constexpr std::size_t kTargetLeafKeys = 16;
// A leaf refuses more keys than this (64x the target): its listing must fit one reply. A tree that
// hits it was sized for far fewer keys than it holds and must be rebuilt deeper.
inline constexpr std::size_t kMaxLeafKeys = 1024;
// Positions (hash request) and leaves (leaf request) a peer may ask for in one message: a hash reply
// is then at most 64 KiB; a leaf reply at most 64 * kMaxLeafKeys entries.
inline constexpr std::size_t kMaxPositionsPerRequest = 4096;
inline constexpr std::size_t kMaxLeavesPerRequest = 64;
static_assert(kTargetLeafKeys * 64 == kMaxLeafKeys);
static_assert(kMaxDepth * kFanoutBits + 16 <= 64, "partition bits + leaf bits fit MD5's first 8 bytes");
}  // namespace merkle_limits

// 128 bits, as two 64-bit halves (big-endian reading of the MD5 bytes).
struct MerkleHash {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  MerkleHash& operator^=(const MerkleHash& other) { hi ^= other.hi; lo ^= other.lo; return *this; }
  friend bool operator==(const MerkleHash&, const MerkleHash&) = default;
};

// The digest of a key's version set: MD5 of its canonical encoding. The tree treats it as opaque;
// two replicas holding the same versions of a key must produce the same digest.
using VersionsDigest = Md5Digest;

// digest_of_versions over caller-encoded bytes (the node may feed its stored encoding).
VersionsDigest digest_of_versions(std::string_view canonical_bytes);
// The digest of a reconciled sibling set by its dots: for each sibling in dot order, u32 actor
// length, actor bytes, u64 counter, all big-endian. Dots name versions (version.h dots_of), so
// equal dots = equal versions. REQUIRES: siblings reconciled (an antichain sorted by dot).
VersionsDigest digest_of_siblings(const std::vector<Version>& siblings);

// entry_hash(key, digest) = MD5(u32 big-endian key length || key || digest).
MerkleHash entry_hash(Md5Hasher& hasher, std::string_view key, const VersionsDigest& digest);

struct MerkleShape {
  std::uint32_t partitions = 1;  // Q: a valid partition count (key_hash.h)
  std::uint32_t partition = 0;   // < partitions
  int depth = 1;                 // 1..merkle_limits::kMaxDepth levels below the root
  friend bool operator==(const MerkleShape&, const MerkleShape&) = default;
  std::uint32_t leaf_count() const { return std::uint32_t{1} << (merkle_limits::kFanoutBits * depth); }
};

// Errors name the field at fault. Peers send shapes, so this is checked on every request.
Status check_shape(const MerkleShape& shape);

// The shape for a partition expected to hold `expected_keys`: the smallest depth with at most
// kTargetLeafKeys keys per leaf on average, capped at kMaxDepth (at least 1).
MerkleShape shape_for(std::uint32_t partitions, std::uint32_t partition, std::size_t expected_keys);

// A node of the tree: level 0 is the root, level `depth` the leaves; index < 16^level.
struct MerklePosition {
  std::uint8_t level = 0;
  std::uint32_t index = 0;
  friend bool operator==(const MerklePosition&, const MerklePosition&) = default;
};

struct MerkleEntry {
  std::string key;
  VersionsDigest digest{};
  friend bool operator==(const MerkleEntry&, const MerkleEntry&) = default;
};

class MerkleTree {
 public:
  // An empty tree. REQUIRES: check_shape(shape).ok() (shapes from peers are checked first).
  explicit MerkleTree(MerkleShape shape);
  MerkleTree(const MerkleTree& other);
  MerkleTree& operator=(const MerkleTree& other);
  MerkleTree(MerkleTree&&) noexcept = default;
  MerkleTree& operator=(MerkleTree&&) noexcept = default;
  ~MerkleTree();

  // From scratch: every leaf, then every level bottom-up (a path independent of update(), which
  // the properties compare it against). Errors as update(); a key given twice is an error.
  static Result<MerkleTree> build(MerkleShape shape, std::vector<MerkleEntry> entries);

  // Sets the key's digest (inserts the key if absent) and refreshes the path to the root.
  // Errors (the tree unchanged): key too long, key outside the partition, leaf full.
  Status update(std::string_view key, const VersionsDigest& digest);
  // Removes the key if present; returns whether it was.
  bool remove(std::string_view key);

  const MerkleShape& shape() const { return shape_; }
  std::size_t size() const { return size_; }
  MerkleHash root() const { return levels_[0][0]; }
  bool is_valid(MerklePosition position) const;
  // REQUIRES: is_valid(position)
  MerkleHash node(MerklePosition position) const;
  // A leaf's entries, sorted by key. REQUIRES: index < shape().leaf_count()
  std::span<const MerkleEntry> leaf(std::uint32_t index) const;
  std::optional<VersionsDigest> find(std::string_view key) const;
  // Which leaf a key belongs in, and whether it lies in this tree's partition at all.
  std::optional<std::uint32_t> leaf_of(std::string_view key) const;
  // Bytes held: node hashes, leaf vectors, entries and key heap storage (an estimate of malloc's).
  std::size_t memory_bytes() const;

  // Same shape, same entries (and so, by invariant 2, the same hashes).
  friend bool operator==(const MerkleTree& a, const MerkleTree& b);

 private:
  Status check_key(std::string_view key, std::uint32_t* leaf) const;
  // XORs `delta` into the leaf's hash and every ancestor's.
  void apply_along_path(std::uint32_t leaf, const MerkleHash& delta);

  MerkleShape shape_;
  std::vector<std::vector<MerkleHash>> levels_;      // levels_[l].size() == 16^l, l = 0..depth
  std::vector<std::vector<MerkleEntry>> leaves_;     // 16^depth, each sorted by key
  std::size_t size_ = 0;
  std::unique_ptr<Md5Hasher> hasher_;                // reused OpenSSL context; fresh per copy
};

}  // namespace dynamo
