// ring.h: the consistent-hashing ring, with Q equal partitions owned by physical nodes, and the
// preference lists (strict and sloppy) that say which nodes keep a key's replicas.
//
// A Ring is built from the membership in *join order* and Q; it is immutable afterwards, and every
// node that knows the same membership builds the same Ring (nothing here depends on a clock, a
// random seed or the machine). The exact rules, language-neutral, are spec/README.md "Ring".
//
// Invariants of every Ring value:
//   1. 1 <= members().size() <= limits::kMaxNodes; ids are unique and non-empty;
//   2. partitions() is a power of two in [members().size(), limits::kMaxPartitions];
//   3. every partition has exactly one owner, and every member owns at least one partition, so a
//      walk once around the ring meets every member and every data centre;
//   4. partition_counts() sum to partitions() and follow the weights (largest-remainder quotas,
//      give or take what joins in between moved, see spec/README.md "Ownership").
// A preference list of N holds N distinct members covering min(N, data centres) data centres, and
// is the first N entries of full_order(partition).
//
// Reference: §4.2 partitioning (MD5 ring); §4.3 replication (a preference list of distinct physical
// nodes); §4.6 (lists spread across data centres; sloppy quorum and hinted handoff); §6.2 strategy 3
// (Q equal partitions, Q/S tokens per node, more for more capacity).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "impl/core/result.h"

namespace dynamo {

struct Member {
  std::string id;            // the physical node, e.g. "node-3"; 1..kMaxNodeIdBytes bytes
  std::string dc;            // its data centre, e.g. "dc-1"; 1..kMaxNodeIdBytes bytes
  std::uint32_t weight = 1;  // relative capacity, 1..kMaxWeight; partitions follow it
  friend bool operator==(const Member&, const Member&) = default;
};

// One replica slot of a sloppy preference list.
struct SloppySlot {
  std::string node;           // who keeps the replica; empty when no healthy node was left
  std::string stands_in_for;  // the down primary this slot belongs to; empty for a healthy primary

  bool is_fallback() const { return !node.empty() && !stands_in_for.empty(); }
  bool is_unfilled() const { return node.empty(); }
  friend bool operator==(const SloppySlot&, const SloppySlot&) = default;
};

struct SloppyList {
  std::vector<SloppySlot> slots;  // exactly N, in the preference list's order

  // The nodes that keep a replica, in slot order (fewer than N when slots are unfilled).
  std::vector<std::string> nodes() const;
  std::size_t unfilled_count() const;
};

// Largest-remainder apportionment of q partitions over members by weight, in exact integers:
// floor(q * w_i / W) each, then one more to each of the (q - sum of floors) largest remainders
// (q * w_i mod W), ties to the earlier member. The quotas sum to q. REQUIRES: members non-empty,
// weights >= 1.
std::vector<std::uint32_t> apportion_partitions(std::span<const Member> members, std::uint32_t q);

class Ring {
 public:
  // Validates the membership and q, then replays the joins (strategy 3, spec/README.md "Ring"
  // "Ownership"). Errors name the member or value at fault and what to change.
  static Result<Ring> build(std::vector<Member> join_order, std::uint32_t q);

  std::uint32_t partitions() const { return q_; }
  const std::vector<Member>& members() const { return members_; }
  std::size_t data_centre_count() const { return dc_count_; }
  // The member's position in join order, or nullopt when id is not a member.
  std::optional<std::size_t> index_of(std::string_view id) const;

  // REQUIRES: partition < partitions().
  std::size_t owner_index(std::uint32_t partition) const;
  const std::string& owner(std::uint32_t partition) const;
  // Partitions owned by each member, indexed like members().
  const std::vector<std::uint32_t>& partition_counts() const { return counts_; }
  // The member's weighted share Q * w / W (what a perfect split by weight would give it).
  double weighted_share(std::size_t member) const;

  std::uint32_t partition_of_key(std::string_view key) const;

  // The first n distinct members walking clockwise from `partition`, spread over data centres.
  // Errors when n is outside [1, min(members, kMaxReplicas)]. REQUIRES: partition < partitions().
  Result<std::vector<std::string>> preference_list(std::uint32_t partition, int n) const;
  // Every member, in preference order from `partition`; its first n entries are preference_list(n).
  std::vector<std::string> full_order(std::uint32_t partition) const;
  // The preference list of n with the members in `down` replaced by fallbacks from further along
  // full_order (same data centre first). Errors on a bad n or an id in `down` that is no member.
  Result<SloppyList> sloppy_preference_list(std::uint32_t partition, int n,
                                            const std::set<std::string>& down) const;

 private:
  Ring() = default;
  // Member indices in preference order from `partition`, n of them.
  std::vector<std::size_t> walk(std::uint32_t partition, std::size_t n) const;
  Status check_replicas(int n) const;
  std::vector<std::string> ids_of(const std::vector<std::size_t>& indices) const;

  std::vector<Member> members_;
  std::vector<std::uint32_t> dc_index_;  // per member: its data centre, numbered by first appearance
  std::size_t dc_count_ = 0;
  std::uint32_t q_ = 0;
  std::vector<std::uint32_t> owners_;    // per partition: the owning member's index
  std::vector<std::uint32_t> counts_;    // per member: partitions owned
  std::uint64_t total_weight_ = 0;
};

}  // namespace dynamo
