// node_config.h: what one node of the core needs to know: who it is, the ring, the named stores
// with their replication parameters, and the timing and limits of its protocol.
//
// A cluster holds named stores, each with its own N, R, W and durability (the paper's
// per-application tuning, §2 and §6); one is named "default", and a request that names no store gets
// it. All times are in ticks: the core has no clock, the shell calls Node::on_tick every tick
// (the real node: every 10 ms; the simulator: every simulated tick).
//
// Invariants of a validated NodeConfig (validate):
//   1. id is a node id (usually a member of ring; one that left may be outside it, handing its keys
//      over); epoch is the node's current epoch (the shell stores it durably and
//      increments it at every start, spec/README.md "Actors and dots");
//   2. store names are unique, match [A-Za-z0-9_-]{1,64}, and one is "default";
//   3. every store's quorum passes validate(quorum, members) and its value limit is in
//      [1, limits::kMaxValueBytes];
//   4. every timing is >= 1 tick (resend_after may be 0: off) and every limit >= 1; resend_after is
//      below request_timeout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "impl/core/durability.h"
#include "impl/core/limits.h"
#include "impl/core/quorum.h"
#include "impl/core/result.h"
#include "impl/core/ring.h"

namespace dynamo {

inline constexpr std::string_view kDefaultStore = "default";
using limits::kMaxStoreNameBytes;

struct StoreConfig {
  std::string name{kDefaultStore};
  QuorumConfig quorum;
  // How a replica other than the coordinator stores a put: buffered (acknowledged from memory,
  // flushed every flush_every ticks) or durable. The coordinator's own copy is always durable, so of
  // the W acknowledgements at least one is durable (paper Fig. 5; tla/README.md: the model
  // MCDynamo_BufferedCoordinator_bug loses writes otherwise).
  Durability replica_durability = Durability::kBuffered;
  // When the coordinator sends a put to the replicas: after its own durable write completed (false,
  // the default) or beside it (true: the spec's CoordinatePut then PersistPut in any order with the
  // replicas' stores). Either way the put is answered only once that write is durable. Beside it, a
  // put costs the longer of the fsync and the replicas' round trip instead of their sum (p50 -20% on
  // bench/README.md's machine), but a replica's WAL append then often meets a sync in progress and
  // the tail grows (p99.9 x3 there), so it is a choice per store.
  bool overlap_coordinator_write = false;
  std::size_t max_value_bytes = limits::kDefaultMaxValueBytes;
};

struct NodeTiming {
  std::uint32_t request_timeout = 40;    // a put or get not answered by then fails (never silently)
  // A put still short of W this long after it sent its version sends it to one more fallback for each
  // target that has not answered, hinted for that target's primary (paper §4.6), and suspects the
  // target; 0 never resends. Below request_timeout, so that the fallback's answer can still count.
  std::uint32_t resend_after = 20;
  std::uint32_t suspect_for = 60;        // a node that did not answer is skipped this long, then retried
  std::uint32_t hint_scan_every = 10;    // the periodic hint scan that delivers hints
  std::uint32_t handoff_timeout = 30;    // a handoff not acknowledged by then is retried at a later scan
  std::uint32_t flush_every = 5;         // the write buffer is synced this often
  std::uint32_t anti_entropy_every = 100; // one anti-entropy round: a page of keys pushed to their peers
  // Tombstone reaping (docs/reaping.md). A key whose siblings are all tombstones is reaped only once
  // the newest is reap_grace_ms old by its coordinator's clock (the grace covers rings and messages
  // still on their way, like Cassandra's gc_grace); 0 turns reaping off. Every member of the ring is
  // asked twice, reap_settle ticks apart (longer than any message or storage op takes), and must
  // hold the same covered tombstones both times.
  std::uint64_t reap_grace_ms = 10 * 60 * 1000;
  std::uint32_t reap_settle = 500;
};

struct NodeLimits {
  // Hints kept per target node. A fallback at the limit refuses the hinted store (the coordinator
  // counts no acknowledgement from it, so the put may end "unknown" instead of acknowledged): an
  // outage must not fill a fallback's disk.
  std::size_t max_pending_hints_per_target = 10'000;
  // Puts and gets coordinated at once; beyond it a request is refused ("busy"), not queued.
  std::size_t max_requests_in_flight = 10'000;
  // Hints handed off per target per scan, and keys per anti-entropy round.
  std::size_t handoffs_per_scan = 64;
  std::size_t anti_entropy_keys_per_round = 64;
  // Merkle anti-entropy (docs/anti-entropy.md). Every node of a cluster must use the same depth
  // (trees of different shapes cannot be compared; a peer with another depth is answered "no").
  // Depth 2: 256 leaves per partition tree, ~11 KiB per non-empty tree before its keys, and
  // well-sized (16 keys per leaf) at ~4,000 keys per partition; a leaf holds at most 1,024 keys,
  // so a partition of more than ~100,000 keys wants depth 3.
  int merkle_tree_depth = 2;
  // Exchanges a node starts per anti-entropy round (one per hosted partition with data, in turn).
  std::size_t merkle_exchanges_per_round = 64;
};

struct NodeConfig {
  std::string id;
  std::uint64_t epoch = 0;
  std::shared_ptr<const Ring> ring;
  std::vector<StoreConfig> stores{StoreConfig{}};
  NodeTiming timing;
  NodeLimits limits;
  // Whether the node describes each spec action it takes in Effects::steps. The simulator, the trace
  // checks and the tests read them; the real node does not, and building them (each with copies of
  // the versions, the context and the targets) is work on every put and get.
  bool record_spec_steps = true;
};

Status validate(const NodeConfig& config);
Status validate_store_name(std::string_view name);

// The node's actor for new dots: "id#epoch" (spec: Actor(n) == <<n, epoch[n]>>).
std::string actor_of(std::string_view node, std::uint64_t epoch);

// Keys of all stores share one storage; a storage key is the store name, '/', then the key. Store
// names hold no '/', so the first '/' splits it back.
std::string storage_key(std::string_view store, std::string_view key);
std::pair<std::string_view, std::string_view> split_storage_key(std::string_view storage_key);

}  // namespace dynamo
