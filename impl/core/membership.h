// membership.h: the cluster's membership as versioned data: who the members are, where to reach
// them, their capacity and where each stands in its lifecycle, changed only by explicit
// administrator commands and reconciled between nodes by gossip (gossip.h).
//
// Lifecycle of a member (the status only ever moves forward, left to right):
//   joining --finish_join--> valid --admin_leave--> leaving --finish_leave--> removed
//   and admin_remove (a node gone for good) takes joining, valid or leaving straight to removed.
// A removed entry stays as a tombstone, so that a node that has not heard of the removal yet cannot
// gossip the member back to life; it also means the id can never be used again.
//
// Invariants of every MembershipView built by these functions (validate_view checks them on views
// from outside):
//   1. entries are keyed by their id; ids and data centres are 1..kMaxNodeIdBytes bytes, addresses
//      at most kMaxAddressBytes, weights in 1..kMaxWeight, versions and join sequence numbers >= 1;
//   2. at most limits::kMaxNodes entries are not removed, and at most kMaxMembershipEntries in all;
//   3. merge(a, b) is a join-semilattice (commutative, associative, idempotent): each entry is the
//      larger of the two under newer_entry's total order, whose first key is the status, so merge
//      never moves a member backwards in its lifecycle.
//
// What is NOT here: whether a node is up. Failure detection is local to each node (a node that does
// not answer is skipped for a while, node_config.h suspect_for); there is deliberately no field for
// it, so one node's down marks can never spread by gossip and evict a healthy node (§4.8.3).
//
// The admin commands check against the local view only: two commands issued at the same time at
// two nodes that have not gossiped yet can both pass (e.g. two leaves that together go below
// min_members). Issue membership commands at one node, or wait until the views agree.
//
// Reference: §4.8.1 "Ring Membership" (explicit commands, a persisted history of changes
// reconciled by gossip); §4.8.3 (failure detection is local); §6.2 strategy 3 (rings from the
// membership in join order, ring.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "impl/core/limits.h"
#include "impl/core/result.h"
#include "impl/core/ring.h"

namespace dynamo {

// Addresses are opaque here (the shell dials them): bounded, not parsed.
inline constexpr std::size_t kMaxAddressBytes = 256;
// Tombstones stay for ever (see above); bounded so a view from outside cannot grow without end.
inline constexpr std::size_t kMaxMembershipEntries = 4 * limits::kMaxNodes;
inline constexpr std::size_t kMaxClusterIdBytes = limits::kMaxNodeIdBytes;

// The order is the lifecycle: merge keeps the later status (see newer_entry).
enum class MemberStatus : std::uint8_t { kJoining = 0, kValid = 1, kLeaving = 2, kRemoved = 3 };
std::string_view to_string(MemberStatus status);

struct MemberAddresses {
  std::string peer;    // node-to-node messages (gossip, replication)
  std::string client;  // the client protocol
  std::string http;    // the HTTP gateway; may be empty
  friend bool operator==(const MemberAddresses&, const MemberAddresses&) = default;
  friend auto operator<=>(const MemberAddresses&, const MemberAddresses&) = default;
};

struct MemberEntry {
  std::string id;
  MemberAddresses addresses;
  std::string dc;
  std::uint32_t weight = 1;
  MemberStatus status = MemberStatus::kJoining;
  // Assigned once, at admin_join: one more than the largest known (tombstones included). Rings order
  // members by (join_seq, id), so every node replays joins in the same order.
  std::uint64_t join_seq = 0;
  std::uint64_t version = 0;  // bumped by each change of this entry
  std::string changed_by;     // the node that applied the latest change: a deterministic tie-break
  friend bool operator==(const MemberEntry&, const MemberEntry&) = default;
};

// True when `a` supersedes `b` (two entries of one id): a total order on entries, by status (the
// lifecycle only moves forward), then version, then changed_by, then every other field, so that
// concurrent changes of one entry at two nodes resolve the same way everywhere.
bool newer_entry(const MemberEntry& a, const MemberEntry& b);

struct MembershipView {
  std::string cluster_id;
  std::map<std::string, MemberEntry, std::less<>> members;  // by id, tombstones included
  friend bool operator==(const MembershipView&, const MembershipView&) = default;

  const MemberEntry* find(std::string_view id) const;
  std::size_t count(MemberStatus status) const;
};

// What an administrator gives to add a node.
struct JoinRequest {
  std::string cluster_id;  // the cluster the new node was configured for; must match the view's
  std::string id;
  MemberAddresses addresses;
  std::string dc;
  std::uint32_t weight = 1;
};

// A new cluster whose initial members are valid at once (nothing to transfer yet), in the given
// join order. Errors on a bad cluster id, a bad request or a duplicate id.
Result<MembershipView> bootstrap(std::string cluster_id, const std::vector<JoinRequest>& initial,
                                 std::string_view by);

// The admin commands and the transitions that finish them. Each applies to `view` on success and
// leaves it untouched on error; `by` is the node applying the change. `min_members` is the largest
// N among the cluster's stores: a leave or a removal that would leave fewer valid members than that
// is refused, since some key would lose the last holder of one of its N replicas.
Status admin_join(MembershipView& view, const JoinRequest& request, std::string_view by);
Status admin_leave(MembershipView& view, std::string_view id, std::size_t min_members,
                   std::string_view by);
Status admin_remove(MembershipView& view, std::string_view id, std::size_t min_members,
                    std::string_view by);
Status finish_join(MembershipView& view, std::string_view id, std::string_view by);   // joining -> valid
Status finish_leave(MembershipView& view, std::string_view id, std::string_view by);  // leaving -> removed

// The least upper bound of two views of one cluster. REQUIRES: a.cluster_id == b.cluster_id
// (gossip.h drops messages of another cluster before merging).
MembershipView merge(const MembershipView& a, const MembershipView& b);

// A 64-bit digest of the whole view (FNV-1a over a canonical encoding): equal views have equal
// digests, so gossip skips an exchange when the digests agree. Different views collide with
// probability about 2^-64 per comparison; the next change of either view ends such a collision.
std::uint64_t digest(const MembershipView& view);

// Checks invariants 1 and 2 on a view from outside (a peer's gossip, a file).
Status validate_view(const MembershipView& view);

// The rings of a view (ring.h), members ordered by (join_seq, id):
//   current: valid and leaving members: who holds the data now (a leaver until it has handed off);
//   target:  joining and valid members: who will hold it once the changes in flight have finished.
// Equal views give identical rings. Errors when no member qualifies or Ring::build refuses.
Result<Ring> current_ring(const MembershipView& view, std::uint32_t q);
Result<Ring> target_ring(const MembershipView& view, std::uint32_t q);
// The leaving members: out of the target ring, and still holding keys until they have handed them
// over (Node::set_leaving: a tombstone is reaped only once they, too, hold nothing it deleted).
std::set<std::string> leaving_members(const MembershipView& view);

// One partition that must move for the target ring to become the current one.
struct Transfer {
  std::uint32_t partition = 0;
  std::string from;
  std::string to;
  friend bool operator==(const Transfer&, const Transfer&) = default;
};

// Every partition whose owner differs between the two rings, in partition order. Errors when the
// rings have different Q.
Result<std::vector<Transfer>> pending_transfers(const Ring& current, const Ring& target);

}  // namespace dynamo
