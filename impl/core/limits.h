// limits.h: every bound of the core in one place, each with its reason.
//
// Anything that comes from outside (a client, a peer, a file) is checked against these before the
// core acts on it; the check answers with an Error naming the limit, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dynamo::limits {

// Keys: the HTTP API addresses a key by one path segment; 1 KiB covers every realistic key
// (Dynamo's keys are identifiers) while bounding per-key memory in the Merkle trees later.
inline constexpr std::size_t kMaxKeyBytes = 1024;

// Store names (node_config.h): a short identifier. Keys of all stores share one storage, each stored
// under "store/key", so a storage key holds up to kMaxStoreNameBytes + 1 + kMaxKeyBytes bytes.
inline constexpr std::size_t kMaxStoreNameBytes = 64;
inline constexpr std::size_t kMaxStorageKeyBytes = kMaxStoreNameBytes + 1 + kMaxKeyBytes;

// Dot counters from outside (a client's context, a peer's version) stay below 2^62, so "one more than
// the largest counter known" can never wrap, whatever a client or peer sends.
inline constexpr std::uint64_t kMaxCounter = std::uint64_t{1} << 62;

// Values: the paper's objects are "usually less than 1 MB". The per-store default is 1 MiB; a store
// may raise it up to the hard cap, beyond which one value would stall a replica's event loop.
inline constexpr std::size_t kDefaultMaxValueBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxValueBytes = std::size_t{16} << 20;

// Siblings: the paper saw 99.94% of reads return one version; a key with more than this many
// concurrent versions is a client that never reconciles. Bounded so one key cannot grow forever.
inline constexpr std::size_t kMaxSiblings = 64;

// Clock truncation: the paper drops the oldest (node, counter) pair once a clock holds more than 10.
// Truncation applies to contexts only (spec/README.md, "Truncation"), so it can add siblings but
// never lose a write.
inline constexpr std::size_t kClockTruncateAbove = 10;

// Clock entries accepted from outside (a client's context, a peer's version). Larger than the
// truncation threshold, because contexts are merged from several siblings before truncation.
inline constexpr std::size_t kMaxClockEntries = 64;

// Loose dots in one context: at most one per sibling of each key it was read from.
inline constexpr std::size_t kMaxContextDots = 2 * kMaxSiblings;

// Actor names ("node-id#epoch"): long enough for a DNS name plus an epoch.
inline constexpr std::size_t kMaxActorBytes = 128;

// Ring: Q is a power of two. 1024 suits clusters up to ~300 nodes (>= 3 partitions each, so
// ownership can follow capacity); 2^16 bounds ring metadata to a few hundred KiB.
inline constexpr std::uint32_t kDefaultPartitions = 1024;
inline constexpr std::uint32_t kMaxPartitions = std::uint32_t{1} << 16;

// Members of one cluster, and a node's capacity weight (relative; a 1..1000 scale is plenty).
inline constexpr std::size_t kMaxNodes = 1024;
inline constexpr std::uint32_t kMaxWeight = 1000;
inline constexpr std::size_t kMaxNodeIdBytes = 64;

// Replication: N replicas per key. The paper's N is 3; more than 16 copies is a misconfiguration.
inline constexpr int kMaxReplicas = 16;

static_assert(kClockTruncateAbove < kMaxClockEntries, "merged contexts must fit before truncation");
static_assert(kDefaultMaxValueBytes <= kMaxValueBytes);
static_assert((kDefaultPartitions & (kDefaultPartitions - 1)) == 0, "Q is a power of two");
static_assert((kMaxPartitions & (kMaxPartitions - 1)) == 0, "Q is a power of two");
static_assert(kMaxNodes <= kMaxPartitions, "every node can own a partition");
static_assert(kMaxNodeIdBytes + 21 <= kMaxActorBytes, "an actor is a node id, '#', and a 64-bit epoch");

}  // namespace dynamo::limits
