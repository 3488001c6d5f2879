#include "impl/core/ring.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <unordered_set>
#include <utility>

#include "impl/core/check.h"
#include "impl/core/key_hash.h"
#include "impl/core/limits.h"

namespace dynamo {

std::vector<std::string> SloppyList::nodes() const {
  std::vector<std::string> result;
  for (const SloppySlot& slot : slots) {
    if (!slot.is_unfilled()) result.push_back(slot.node);
  }
  return result;
}

std::size_t SloppyList::unfilled_count() const {
  return static_cast<std::size_t>(std::count_if(slots.begin(), slots.end(),
                                                [](const SloppySlot& slot) { return slot.is_unfilled(); }));
}

std::vector<std::uint32_t> apportion_partitions(std::span<const Member> members, std::uint32_t q) {
  DYNAMO_CHECK(!members.empty());
  std::uint64_t total = 0;
  for (const Member& member : members) {
    DYNAMO_CHECK(member.weight >= 1);
    total += member.weight;
  }
  std::vector<std::uint32_t> quotas(members.size());
  std::vector<std::uint64_t> remainders(members.size());
  std::uint64_t given = 0;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const std::uint64_t scaled = std::uint64_t{q} * members[i].weight;  // <= 2^16 * 1000: exact
    quotas[i] = static_cast<std::uint32_t>(scaled / total);
    remainders[i] = scaled % total;
    given += quotas[i];
  }
  DYNAMO_CHECK(given <= q && q - given < members.size());  // each floor loses less than one
  std::vector<std::size_t> by_remainder(members.size());
  std::iota(by_remainder.begin(), by_remainder.end(), 0);
  std::stable_sort(by_remainder.begin(), by_remainder.end(),
                   [&](std::size_t a, std::size_t b) { return remainders[a] > remainders[b]; });
  for (std::uint64_t i = 0; i < q - given; ++i) ++quotas[by_remainder[i]];
  DYNAMO_CHECK(std::accumulate(quotas.begin(), quotas.end(), std::uint64_t{0}) == q);
  return quotas;
}

namespace {

// Member `joiner` joins members [0, joiner) who hold `held`: it takes exactly its quota, one
// partition at a time, from the member furthest above its own quota (ties: the earlier member),
// choosing that donor's partition with the smallest steal score (ties: the smaller index). Only
// partitions moving onto the joiner change hands. Reference: §6.2 strategy 3, "when a node joins
// the system, it needs to steal tokens from other nodes in a way that preserves these properties".
void replay_join(std::span<const Member> members, std::size_t joiner, std::uint32_t q,
                 std::vector<std::vector<std::uint32_t>>& held, Md5Hasher& hasher) {
  DYNAMO_CHECK(joiner >= 1 && joiner < members.size() && held[joiner].empty());
  const std::vector<std::uint32_t> quotas = apportion_partitions(members.first(joiner + 1), q);
  std::vector<std::int64_t> excess(joiner);
  for (std::size_t i = 0; i < joiner; ++i) {
    excess[i] = static_cast<std::int64_t>(held[i].size()) - static_cast<std::int64_t>(quotas[i]);
  }
  // A donor's partitions are scored the first time it donates in this join (only donors are
  // hashed), and kept as a min-heap of (score, partition) while the join lasts.
  using Scored = std::pair<std::uint64_t, std::uint32_t>;
  std::vector<std::vector<Scored>> heaps(joiner);
  for (std::uint32_t taken = 0; taken < quotas[joiner]; ++taken) {
    const std::size_t donor = static_cast<std::size_t>(std::max_element(excess.begin(), excess.end()) - excess.begin());
    // The excesses sum to the joiner's quota minus what it took, so the largest one is positive.
    DYNAMO_CHECK(excess[donor] > 0 && !held[donor].empty());
    std::vector<Scored>& heap = heaps[donor];
    if (heap.empty()) {
      heap.reserve(held[donor].size());
      for (std::uint32_t p : held[donor]) heap.emplace_back(steal_score(hasher, members[joiner].id, p), p);
      std::make_heap(heap.begin(), heap.end(), std::greater<>());
    }
    std::pop_heap(heap.begin(), heap.end(), std::greater<>());  // smallest score, then smallest index
    held[joiner].push_back(heap.back().second);
    heap.pop_back();
    --excess[donor];
  }
  for (std::size_t i = 0; i < joiner; ++i) {
    if (held[i].size() == static_cast<std::size_t>(excess[i] + quotas[i])) continue;  // gave nothing
    held[i].clear();  // a donor keeps exactly what is left in its heap
    for (const Scored& entry : heaps[i]) held[i].push_back(entry.second);
    DYNAMO_CHECK(held[i].size() == static_cast<std::size_t>(excess[i] + quotas[i]));
  }
  DYNAMO_CHECK(held[joiner].size() == quotas[joiner]);
}

// Owner of every partition, from replaying the joins in order: the first member starts with all.
std::vector<std::uint32_t> claim_partitions(std::span<const Member> members, std::uint32_t q) {
  std::vector<std::vector<std::uint32_t>> held(members.size());
  held[0].resize(q);
  std::iota(held[0].begin(), held[0].end(), 0);
  Md5Hasher hasher;
  for (std::size_t joiner = 1; joiner < members.size(); ++joiner) replay_join(members, joiner, q, held, hasher);
  constexpr std::uint32_t kUnowned = ~std::uint32_t{0};
  std::vector<std::uint32_t> owners(q, kUnowned);
  for (std::size_t member = 0; member < members.size(); ++member) {
    for (std::uint32_t p : held[member]) {
      DYNAMO_CHECK(p < q && owners[p] == kUnowned);
      owners[p] = static_cast<std::uint32_t>(member);
    }
  }
  DYNAMO_CHECK(std::find(owners.begin(), owners.end(), kUnowned) == owners.end());
  return owners;
}

Status validate_members(const std::vector<Member>& members) {
  if (members.empty() || members.size() > limits::kMaxNodes) {
    return Error{"a ring needs 1 to " + std::to_string(limits::kMaxNodes) + " members, got " +
                 std::to_string(members.size())};
  }
  std::unordered_set<std::string_view> ids;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const Member& m = members[i];
    const std::string where = "member " + std::to_string(i + 1) + " (\"" + m.id + "\")";
    if (m.id.empty() || m.id.size() > limits::kMaxNodeIdBytes) {
      return Error{where + ": the id must be 1 to " + std::to_string(limits::kMaxNodeIdBytes) + " bytes"};
    }
    if (!ids.insert(m.id).second) return Error{where + ": the id is listed twice; ids must be unique"};
    if (m.dc.empty() || m.dc.size() > limits::kMaxNodeIdBytes) {
      return Error{where + ": the data centre name must be 1 to " + std::to_string(limits::kMaxNodeIdBytes) +
                   " bytes"};
    }
    if (m.weight < 1 || m.weight > limits::kMaxWeight) {
      return Error{where + ": weight " + std::to_string(m.weight) + " is outside 1.." +
                   std::to_string(limits::kMaxWeight)};
    }
  }
  return {};
}

Status validate_partition_count(std::uint32_t q, std::size_t member_count) {
  if (!is_valid_partition_count(q)) {
    return Error{"Q = " + std::to_string(q) + " is not a power of two in 1.." +
                 std::to_string(limits::kMaxPartitions) + "; the default is " +
                 std::to_string(limits::kDefaultPartitions)};
  }
  if (q < member_count) {
    return Error{"Q = " + std::to_string(q) + " is smaller than the " + std::to_string(member_count) +
                 " members; every member needs a partition, so raise Q"};
  }
  return {};
}

}  // namespace

Result<Ring> Ring::build(std::vector<Member> join_order, std::uint32_t q) {
  if (Status s = validate_members(join_order); !s.ok()) return s.error();
  if (Status s = validate_partition_count(q, join_order.size()); !s.ok()) return s.error();
  Ring ring;
  ring.q_ = q;
  ring.members_ = std::move(join_order);
  ring.owners_ = claim_partitions(ring.members_, q);
  ring.counts_.assign(ring.members_.size(), 0);
  for (std::uint32_t owner : ring.owners_) ++ring.counts_[owner];
  std::map<std::string_view, std::uint32_t> dc_numbers;
  for (const Member& member : ring.members_) {
    const auto [it, added] = dc_numbers.emplace(member.dc, static_cast<std::uint32_t>(dc_numbers.size()));
    ring.dc_index_.push_back(it->second);
    ring.total_weight_ += member.weight;
  }
  ring.dc_count_ = dc_numbers.size();
  for (std::size_t i = 0; i < ring.members_.size(); ++i) {
    if (ring.counts_[i] == 0) {
      // Possible when one weight is tiny next to the total: its share Q*w/W rounds to nothing.
      const std::uint64_t needed = (ring.total_weight_ + ring.members_[i].weight - 1) / ring.members_[i].weight;
      return Error{"member \"" + ring.members_[i].id + "\" (weight " + std::to_string(ring.members_[i].weight) +
                   ") would own no partition with Q = " + std::to_string(q) +
                   "; raise Q to at least " + std::to_string(std::bit_ceil(needed)) + " or raise its weight"};
    }
  }
  return ring;
}

std::optional<std::size_t> Ring::index_of(std::string_view id) const {
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].id == id) return i;
  }
  return std::nullopt;
}

std::size_t Ring::owner_index(std::uint32_t partition) const {
  DYNAMO_CHECK(partition < q_);
  return owners_[partition];
}

const std::string& Ring::owner(std::uint32_t partition) const { return members_[owner_index(partition)].id; }

double Ring::weighted_share(std::size_t member) const {
  DYNAMO_CHECK(member < members_.size());
  return static_cast<double>(q_) * members_[member].weight / static_cast<double>(total_weight_);
}

std::uint32_t Ring::partition_of_key(std::string_view key) const { return dynamo::partition_of_key(key, q_); }

std::vector<std::size_t> Ring::walk(std::uint32_t partition, std::size_t n) const {
  DYNAMO_CHECK(partition < q_);
  DYNAMO_CHECK(n >= 1 && n <= members_.size());
  const std::size_t target_dcs = std::min(n, dc_count_);
  std::vector<std::size_t> list;
  std::vector<std::size_t> skipped;          // met while their data centre was already listed
  // Flags as bytes, not vector<bool>: this runs for every lookup.
  std::vector<std::uint8_t> met(members_.size(), 0);  // listed or skipped: never considered again
  std::vector<std::uint8_t> dc_listed(dc_count_, 0);
  std::size_t dcs_listed = 0;
  for (std::uint32_t step = 0; step < q_ && list.size() < n; ++step) {
    const std::size_t node = owners_[(partition + step) & (q_ - 1)];
#ifndef DYNAMO_MUTANT_PREFLIST_REPEATS_NODE
    if (met[node]) continue;  // distinct physical nodes: a node owning several partitions counts once
#endif
    met[node] = 1;
    if (dcs_listed >= target_dcs) {
      list.push_back(node);
    } else if (dc_listed[dc_index_[node]]) {
      skipped.push_back(node);
    } else {
      dc_listed[dc_index_[node]] = 1;
      list.push_back(node);
      if (++dcs_listed == target_dcs) {
        // Spread reached: the skipped nodes come first, in the order they were met.
        for (std::size_t i = 0; i < skipped.size() && list.size() < n; ++i) list.push_back(skipped[i]);
      }
    }
  }
  // Every member owns a partition, so one lap meets all of them and every data centre.
  DYNAMO_CHECK(list.size() == n);
  DYNAMO_CHECK(dcs_listed == target_dcs);
  return list;
}

Status Ring::check_replicas(int n) const {
  const std::size_t most = std::min<std::size_t>(members_.size(), limits::kMaxReplicas);
  if (n < 1 || static_cast<std::size_t>(n) > most) {
    return Error{"N = " + std::to_string(n) + " replicas is outside 1.." + std::to_string(most) +
                 " (at most one replica per member, and at most " + std::to_string(limits::kMaxReplicas) + ")"};
  }
  return {};
}

std::vector<std::string> Ring::ids_of(const std::vector<std::size_t>& indices) const {
  std::vector<std::string> ids;
  ids.reserve(indices.size());
  for (std::size_t index : indices) ids.push_back(members_[index].id);
  return ids;
}

Result<std::vector<std::string>> Ring::preference_list(std::uint32_t partition, int n) const {
  if (Status s = check_replicas(n); !s.ok()) return s.error();
  return ids_of(walk(partition, static_cast<std::size_t>(n)));
}

std::vector<std::string> Ring::full_order(std::uint32_t partition) const {
  return ids_of(walk(partition, members_.size()));
}

Result<SloppyList> Ring::sloppy_preference_list(std::uint32_t partition, int n,
                                                const std::set<std::string>& down) const {
  if (Status s = check_replicas(n); !s.ok()) return s.error();
  std::vector<std::uint8_t> is_down(members_.size(), 0);
  for (const std::string& id : down) {
    const std::optional<std::size_t> index = index_of(id);
    if (!index) return Error{"down node \"" + id + "\" is not a member of the ring; remove it from the down set"};
    is_down[*index] = 1;
  }
  const std::vector<std::size_t> order = walk(partition, members_.size());
  const std::size_t primaries = static_cast<std::size_t>(n);
  std::vector<std::uint8_t> used(members_.size(), 0);
  // The first healthy, unused member past the primaries, optionally only in data centre `dc`.
  auto fallback_for = [&](std::optional<std::uint32_t> dc) -> std::optional<std::size_t> {
    for (std::size_t i = primaries; i < order.size(); ++i) {
      const std::size_t node = order[i];
#ifdef DYNAMO_MUTANT_SLOPPY_FALLBACK_MAY_BE_DOWN
      const bool healthy = true;  // mutant: a down node may stand in for a down primary
#else
      const bool healthy = !is_down[node];
#endif
      if (healthy && !used[node] && (!dc || dc_index_[node] == *dc)) return node;
    }
    return std::nullopt;
  };
  SloppyList list;
  for (std::size_t slot = 0; slot < primaries; ++slot) {
    const std::size_t primary = order[slot];
    if (!is_down[primary]) {
      list.slots.push_back({members_[primary].id, ""});
      continue;
    }
    std::optional<std::size_t> stand_in = fallback_for(dc_index_[primary]);
    if (!stand_in) stand_in = fallback_for(std::nullopt);
    if (stand_in) used[*stand_in] = 1;
    list.slots.push_back({stand_in ? members_[*stand_in].id : "", members_[primary].id});
  }
  DYNAMO_CHECK(list.slots.size() == primaries);
  return list;
}

}  // namespace dynamo
