#include "impl/core/membership.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace dynamo {

namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

Status check_name(std::string_view what, std::string_view value, std::size_t max_bytes) {
  if (value.empty() || value.size() > max_bytes) {
    return Error{std::string(what) + " " + quoted(value.substr(0, 80)) + " must be 1.." +
                 std::to_string(max_bytes) + " bytes"};
  }
  return {};
}

Status check_addresses(std::string_view id, const MemberAddresses& a) {
  if (a.peer.empty()) {
    return Error{"member " + quoted(id) + " has no peer address: give the address other nodes reach it at"};
  }
  for (const std::string* s : {&a.peer, &a.client, &a.http}) {
    if (s->size() > kMaxAddressBytes) {
      return Error{"member " + quoted(id) + " has an address longer than " +
                   std::to_string(kMaxAddressBytes) + " bytes"};
    }
  }
  return {};
}

Status check_request(const JoinRequest& r) {
  if (Status s = check_name("node id", r.id, limits::kMaxNodeIdBytes); !s.ok()) return s;
  if (Status s = check_name("data centre of " + quoted(r.id), r.dc, limits::kMaxNodeIdBytes); !s.ok()) return s;
  if (r.weight < 1 || r.weight > limits::kMaxWeight) {
    return Error{"weight of " + quoted(r.id) + " is " + std::to_string(r.weight) + ": give a capacity weight in 1.." +
                 std::to_string(limits::kMaxWeight)};
  }
  return check_addresses(r.id, r.addresses);
}

std::uint64_t max_join_seq(const MembershipView& view) {
  std::uint64_t most = 0;
  for (const auto& [id, e] : view.members) most = std::max(most, e.join_seq);
  return most;
}

std::size_t live_entries(const MembershipView& view) {
  return view.members.size() - view.count(MemberStatus::kRemoved);
}

// Moves one entry to `to`, bumping its version; the caller has checked the transition.
void transition(MemberEntry& e, MemberStatus to, std::string_view by) {
  DYNAMO_CHECK(to > e.status);
  e.status = to;
  e.version += 1;
  e.changed_by = std::string(by);
}

// The entry `id` must exist; the error names the command for the operator.
Result<MemberEntry*> lookup(MembershipView& view, std::string_view id, std::string_view command) {
  auto it = view.members.find(id);
  if (it == view.members.end()) {
    return Error{std::string(command) + ": " + quoted(id) + " is not a member of cluster " +
                 quoted(view.cluster_id) + "; check the id (list the members to see them)"};
  }
  return &it->second;
}

// A leave or removal must keep min_members valid members: the largest N of the stores.
Status check_remaining(const MembershipView& view, const MemberEntry& e, std::size_t min_members,
                       std::string_view command) {
  const std::size_t valid = view.count(MemberStatus::kValid);
  const std::size_t after = e.status == MemberStatus::kValid ? valid - 1 : valid;
  if (after < min_members) {
    return Error{std::string(command) + " " + quoted(e.id) + " would leave " + std::to_string(after) +
                 " valid members, fewer than " + std::to_string(min_members) +
                 " (the largest N of the cluster's stores): it would remove the last holder of some "
                 "replicas; join a node first, or lower N"};
  }
  return {};
}

Result<Ring> ring_of(const MembershipView& view, std::uint32_t q, MemberStatus a, MemberStatus b,
                     std::string_view which) {
  std::vector<const MemberEntry*> chosen;
  for (const auto& [id, e] : view.members) {
    if (e.status == a || e.status == b) chosen.push_back(&e);
  }
  if (chosen.empty()) {
    return Error{std::string(which) + " ring of cluster " + quoted(view.cluster_id) +
                 ": no member is " + std::string(to_string(a)) + " or " + std::string(to_string(b)) +
                 "; join a node and finish its join"};
  }
  std::sort(chosen.begin(), chosen.end(), [](const MemberEntry* x, const MemberEntry* y) {
    return std::tie(x->join_seq, x->id) < std::tie(y->join_seq, y->id);
  });
  std::vector<Member> order;
  order.reserve(chosen.size());
  for (const MemberEntry* e : chosen) order.push_back(Member{e->id, e->dc, e->weight});
  return Ring::build(std::move(order), q);
}

void hash_bytes(std::uint64_t& h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;  // FNV-1a 64-bit prime
  }
}

void hash_u64(std::uint64_t& h, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    const char byte = static_cast<char>((v >> (8 * i)) & 0xff);
    hash_bytes(h, std::string_view(&byte, 1));
  }
}

// Length-prefixed, so ("ab","c") and ("a","bc") hash differently.
void hash_string(std::uint64_t& h, std::string_view s) {
  hash_u64(h, s.size());
  hash_bytes(h, s);
}

}  // namespace

std::string_view to_string(MemberStatus status) {
  switch (status) {
    case MemberStatus::kJoining: return "joining";
    case MemberStatus::kValid: return "valid";
    case MemberStatus::kLeaving: return "leaving";
    case MemberStatus::kRemoved: return "removed";
  }
  return "unknown";
}

bool newer_entry(const MemberEntry& a, const MemberEntry& b) {
  // Status first: a concurrent older-lineage change (say a leave made from a view that had not yet
  // seen a removal) must never bring a member back from a later stage.
  return std::tie(a.status, a.version, a.changed_by, a.join_seq, a.dc, a.weight, a.addresses) >
         std::tie(b.status, b.version, b.changed_by, b.join_seq, b.dc, b.weight, b.addresses);
}

const MemberEntry* MembershipView::find(std::string_view id) const {
  auto it = members.find(id);
  return it == members.end() ? nullptr : &it->second;
}

std::size_t MembershipView::count(MemberStatus status) const {
  return static_cast<std::size_t>(std::count_if(
      members.begin(), members.end(), [status](const auto& kv) { return kv.second.status == status; }));
}

Result<MembershipView> bootstrap(std::string cluster_id, const std::vector<JoinRequest>& initial,
                                 std::string_view by) {
  MembershipView view;
  view.cluster_id = std::move(cluster_id);
  if (Status s = check_name("cluster id", view.cluster_id, kMaxClusterIdBytes); !s.ok()) return s.error();
  for (const JoinRequest& r : initial) {
    if (view.members.count(r.id) != 0) {
      return Error{"bootstrap: " + quoted(r.id) + " is listed twice; give each node one entry"};
    }
    if (Status s = admin_join(view, r, by); !s.ok()) return s.error();
    if (Status s = finish_join(view, r.id, by); !s.ok()) return s.error();
  }
  return view;
}

Status admin_join(MembershipView& view, const JoinRequest& request, std::string_view by) {
  if (request.cluster_id != view.cluster_id) {
    return Error{"join " + quoted(request.id) + ": the node belongs to cluster " + quoted(request.cluster_id) +
                 ", this is cluster " + quoted(view.cluster_id) +
                 "; join it to its own cluster, or reconfigure it with this cluster's id"};
  }
  if (Status s = check_request(request); !s.ok()) return s;
  if (const MemberEntry* old = view.find(request.id)) {
    if (old->status == MemberStatus::kRemoved) {
      return Error{"join " + quoted(request.id) + ": this id was removed from the cluster and cannot "
                   "come back: other nodes may still hold hints and replicas under it, and its "
                   "tombstone keeps gossip from reviving the old entry; join the node under a new id"};
    }
    if (old->addresses != request.addresses || old->dc != request.dc || old->weight != request.weight) {
      return Error{"join " + quoted(request.id) + ": a member with this id already exists with different "
                   "addresses, data centre or weight; give the new node another id, or remove the old one first"};
    }
    return {};  // the same join again: nothing changes (a retried command is harmless)
  }
  if (live_entries(view) >= limits::kMaxNodes || view.members.size() >= kMaxMembershipEntries) {
    return Error{"join " + quoted(request.id) + ": the cluster already has " + std::to_string(live_entries(view)) +
                 " members (" + std::to_string(view.members.size()) + " entries with tombstones), the limit is " +
                 std::to_string(limits::kMaxNodes) + " (" + std::to_string(kMaxMembershipEntries) + ")"};
  }
  MemberEntry e;
  e.id = request.id;
  e.addresses = request.addresses;
  e.dc = request.dc;
  e.weight = request.weight;
  e.status = MemberStatus::kJoining;
  e.join_seq = max_join_seq(view) + 1;
  e.version = 1;
  e.changed_by = std::string(by);
  view.members.emplace(e.id, std::move(e));
  return {};
}

Status admin_leave(MembershipView& view, std::string_view id, std::size_t min_members, std::string_view by) {
  Result<MemberEntry*> found = lookup(view, id, "leave");
  if (!found.ok()) return found.error();
  MemberEntry& e = *found.value();
  if (e.status != MemberStatus::kValid) {
    return Error{"leave " + quoted(id) + ": the member is " + std::string(to_string(e.status)) +
                 "; only a valid member can leave (wait for its join to finish; a joining or failed "
                 "node is taken out with remove)"};
  }
  if (Status s = check_remaining(view, e, min_members, "leave"); !s.ok()) return s;
  transition(e, MemberStatus::kLeaving, by);
  return {};
}

Status admin_remove(MembershipView& view, std::string_view id, std::size_t min_members, std::string_view by) {
  Result<MemberEntry*> found = lookup(view, id, "remove");
  if (!found.ok()) return found.error();
  MemberEntry& e = *found.value();
  if (e.status == MemberStatus::kRemoved) {
    return Error{"remove " + quoted(id) + ": the member is already removed"};
  }
  if (Status s = check_remaining(view, e, min_members, "remove"); !s.ok()) return s;
  transition(e, MemberStatus::kRemoved, by);
  return {};
}

Status finish_join(MembershipView& view, std::string_view id, std::string_view by) {
  Result<MemberEntry*> found = lookup(view, id, "finish join");
  if (!found.ok()) return found.error();
  MemberEntry& e = *found.value();
  if (e.status != MemberStatus::kJoining) {
    return Error{"finish join " + quoted(id) + ": the member is " + std::string(to_string(e.status)) +
                 ", not joining; nothing to finish"};
  }
  transition(e, MemberStatus::kValid, by);
  return {};
}

Status finish_leave(MembershipView& view, std::string_view id, std::string_view by) {
  Result<MemberEntry*> found = lookup(view, id, "finish leave");
  if (!found.ok()) return found.error();
  MemberEntry& e = *found.value();
  if (e.status != MemberStatus::kLeaving) {
    return Error{"finish leave " + quoted(id) + ": the member is " + std::string(to_string(e.status)) +
                 ", not leaving; nothing to finish"};
  }
  transition(e, MemberStatus::kRemoved, by);
  return {};
}

MembershipView merge(const MembershipView& a, const MembershipView& b) {
  DYNAMO_CHECK(a.cluster_id == b.cluster_id);
  MembershipView out = a;
  for (const auto& [id, remote] : b.members) {
    auto it = out.members.find(id);
    if (it == out.members.end()) {
      out.members.emplace(id, remote);
      continue;
    }
#ifdef DYNAMO_MUTANT_MEMBERSHIP_MERGE_PREFERS_LOCAL
    continue;  // mutant: the local entry wins even when the remote one is newer
#endif
    if (newer_entry(remote, it->second)) it->second = remote;
  }
  return out;
}

std::uint64_t digest(const MembershipView& view) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64-bit offset basis
  hash_string(h, view.cluster_id);
  hash_u64(h, view.members.size());
  for (const auto& [id, e] : view.members) {
    hash_string(h, e.id);
    hash_string(h, e.addresses.peer);
    hash_string(h, e.addresses.client);
    hash_string(h, e.addresses.http);
    hash_string(h, e.dc);
    hash_u64(h, e.weight);
    hash_u64(h, static_cast<std::uint64_t>(e.status));
    hash_u64(h, e.join_seq);
    hash_u64(h, e.version);
    hash_string(h, e.changed_by);
  }
  return h;
}

Status validate_view(const MembershipView& view) {
  if (Status s = check_name("cluster id", view.cluster_id, kMaxClusterIdBytes); !s.ok()) return s;
  if (view.members.size() > kMaxMembershipEntries) {
    return Error{"membership has " + std::to_string(view.members.size()) + " entries, the limit is " +
                 std::to_string(kMaxMembershipEntries)};
  }
  if (live_entries(view) > limits::kMaxNodes) {
    return Error{"membership has " + std::to_string(live_entries(view)) + " members, the limit is " +
                 std::to_string(limits::kMaxNodes)};
  }
  for (const auto& [key, e] : view.members) {
    if (key != e.id) return Error{"membership entry " + quoted(key) + " carries the id " + quoted(e.id)};
    JoinRequest as_request{view.cluster_id, e.id, e.addresses, e.dc, e.weight};
    if (Status s = check_request(as_request); !s.ok()) return s;
    if (e.status > MemberStatus::kRemoved) return Error{"member " + quoted(e.id) + " has an unknown status"};
    if (e.version < 1 || e.join_seq < 1 || e.version >= limits::kMaxCounter || e.join_seq >= limits::kMaxCounter) {
      return Error{"member " + quoted(e.id) + " has a version or join sequence outside 1..2^62"};
    }
    if (Status s = check_name("changed_by of " + quoted(e.id), e.changed_by, limits::kMaxNodeIdBytes); !s.ok()) return s;
  }
  return {};
}

Result<Ring> current_ring(const MembershipView& view, std::uint32_t q) {
  return ring_of(view, q, MemberStatus::kValid, MemberStatus::kLeaving, "current");
}

Result<Ring> target_ring(const MembershipView& view, std::uint32_t q) {
  return ring_of(view, q, MemberStatus::kJoining, MemberStatus::kValid, "target");
}

std::set<std::string> leaving_members(const MembershipView& view) {
  std::set<std::string> leaving;
  for (const auto& [id, entry] : view.members)
    if (entry.status == MemberStatus::kLeaving) leaving.insert(id);
  return leaving;
}

Result<std::vector<Transfer>> pending_transfers(const Ring& current, const Ring& target) {
  if (current.partitions() != target.partitions()) {
    return Error{"pending transfers: the rings have Q=" + std::to_string(current.partitions()) + " and Q=" +
                 std::to_string(target.partitions()) + "; Q is fixed for the life of a cluster"};
  }
  std::vector<Transfer> moves;
  for (std::uint32_t p = 0; p < current.partitions(); ++p) {
    if (current.owner(p) != target.owner(p)) moves.push_back(Transfer{p, current.owner(p), target.owner(p)});
  }
  return moves;
}

}  // namespace dynamo
