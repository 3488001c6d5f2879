// Properties of membership and gossip (impl/core/membership.h, gossip.h):
//   - merge is a join-semilattice (commutative, associative, idempotent) and never moves a member
//     backwards in its lifecycle, on arbitrary entries (not only reachable ones);
//   - after any sequence of admin commands at random nodes interleaved with random gossip, gossip
//     alone brings every live node (not removed in the union of all views) to the same view and
//     the same rings within 20 * S rounds.
// Reference: §4.8.1 "Ring Membership" (histories reconciled by gossip converge).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "impl/core/gossip.h"
#include "impl/core/membership.h"
#include "proptests/generators.h"

namespace {

using dynamo::GossipConfig;
using dynamo::GossipMessage;
using dynamo::GossipOut;
using dynamo::Gossiper;
using dynamo::JoinRequest;
using dynamo::MemberAddresses;
using dynamo::MemberEntry;
using dynamo::MembershipView;
using dynamo::MemberStatus;
using dynamo::proptests::uniform;

std::string pick(const std::vector<std::string>& from) { return from[uniform<std::size_t>(0, from.size())]; }

// Small pools, so that the same id with different entries (the interesting case) is common.
MemberEntry arbitrary_entry(const std::string& id) {
  MemberEntry e;
  e.id = id;
  e.addresses = MemberAddresses{id + (uniform(0, 2) == 0 ? ":1" : ":2"), "c", ""};
  e.dc = uniform(0, 2) == 0 ? "dc-1" : "dc-2";
  e.weight = uniform<std::uint32_t>(1, 3);
  e.status = static_cast<MemberStatus>(uniform(0, 4));
  e.join_seq = uniform<std::uint64_t>(1, 6);
  e.version = uniform<std::uint64_t>(1, 5);
  e.changed_by = pick({"n0", "n1", "n2"});
  return e;
}

MembershipView arbitrary_view() {
  MembershipView view;
  view.cluster_id = "c1";
  for (int i = 0; i < 6; ++i) {
    if (uniform(0, 3) == 0) continue;
    const std::string id = "n" + std::to_string(i);
    view.members.emplace(id, arbitrary_entry(id));
  }
  return view;
}

void show(const MembershipView& v, std::ostream& os) {
  os << v.cluster_id << "{";
  for (const auto& [id, e] : v.members) {
    os << id << ":" << dynamo::to_string(e.status) << "/v" << e.version << "/s" << e.join_seq << "/" << e.changed_by
       << "/" << e.addresses.peer << "/" << e.dc << "*" << e.weight << " ";
  }
  os << "}";
}

std::string text(const MembershipView& v) {
  std::ostringstream os;
  show(v, os);
  return os.str();
}

}  // namespace

RC_GTEST_PROP(MembershipProps, MergeIsCommutative, ()) {
  const MembershipView a = arbitrary_view(), b = arbitrary_view();
  RC_LOG() << "a=" << text(a) << "\nb=" << text(b) << "\n";
  RC_ASSERT(dynamo::merge(a, b) == dynamo::merge(b, a));
}

RC_GTEST_PROP(MembershipProps, MergeIsAssociative, ()) {
  const MembershipView a = arbitrary_view(), b = arbitrary_view(), c = arbitrary_view();
  RC_ASSERT(dynamo::merge(dynamo::merge(a, b), c) == dynamo::merge(a, dynamo::merge(b, c)));
}

RC_GTEST_PROP(MembershipProps, MergeIsIdempotent, ()) {
  const MembershipView a = arbitrary_view(), b = arbitrary_view();
  RC_ASSERT(dynamo::merge(a, a) == a);
  const MembershipView ab = dynamo::merge(a, b);
  RC_ASSERT(dynamo::merge(ab, b) == ab);  // hearing the same gossip twice changes nothing
}

// Reference: §4.8.1 membership changes are explicit and persisted: a merge may only move a member
// forward (joining -> valid -> leaving -> removed) and never forgets one.
RC_GTEST_PROP(MembershipProps, MergeNeverMovesAMemberBackwards, ()) {
  const MembershipView a = arbitrary_view(), b = arbitrary_view();
  const MembershipView m = dynamo::merge(a, b);
  for (const MembershipView* side : {&a, &b}) {
    for (const auto& [id, e] : side->members) {
      const MemberEntry* merged = m.find(id);
      RC_ASSERT(merged != nullptr);
      RC_ASSERT(merged->status >= e.status);
      RC_ASSERT(*merged == e || dynamo::newer_entry(*merged, e));
    }
  }
  RC_ASSERT(m.members.size() <= a.members.size() + b.members.size());
}

namespace {

constexpr std::uint32_t kQ = 64;

// A cluster of gossipers, every message delivered at once (loss and delay are the simulator's job;
// here the point is that whatever the interleaving of commands, gossip alone converges).
struct Cluster {
  std::map<std::string, Gossiper> nodes;  // every node started, removed ones included (still up)
  std::vector<dynamo::SeedPeer> seeds;
  std::size_t min_members = 1;
  int joined = 0;

  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& [id, g] : nodes) out.push_back(id);
    return out;
  }

  // One gossip period of node `id`, each exchange (syn, ack, ack2) carried to its end.
  void tick(const std::string& id) {
    for (const GossipOut& out : nodes.at(id).on_gossip_tick()) {
      if (nodes.count(out.to) == 0) continue;  // never started: the message is lost
      std::optional<GossipMessage> next = out.message;
      std::string from = id, to = out.to;
      for (int leg = 0; next && leg < 3; ++leg) {
        dynamo::Result<std::optional<GossipMessage>> reply = nodes.at(to).on_gossip(from, *next);
        RC_ASSERT(reply.ok());
        next = reply.value();
        std::swap(from, to);
      }
      RC_ASSERT(!next);  // an exchange is at most three messages
    }
  }

  // One random admin command or transition at a random node; refused ones are fine.
  void random_command() {
    const std::string at = pick(ids());
    MembershipView& view = nodes.at(at).local_view();
    std::vector<std::string> members;
    for (const auto& [id, e] : view.members) members.push_back(id);
    const std::string target = pick(members);
    // Seeds stay members: the paper's seeds are "known to all nodes" from outside. Without that,
    // two concurrent removals of both seeds (each allowed by its own view) split the cluster into
    // groups that know no live node of the other: a logical partition (docs/membership.md).
    const bool is_seed = std::any_of(seeds.begin(), seeds.end(), [&](const auto& p) { return p.id == target; });
    switch (uniform(0, 5)) {
      case 0: {
        const std::string id = "j" + std::to_string(joined++);
        const JoinRequest r{"c1", id, MemberAddresses{id + ":1", "", ""}, uniform(0, 2) == 0 ? "dc-1" : "dc-2",
                            uniform<std::uint32_t>(1, 3)};
        if (dynamo::admin_join(view, r, at).ok()) {
          // The new node starts with the view of the node that joined it (as the admin tool would hand it).
          nodes.emplace(id, Gossiper(GossipConfig{id, seeds}, view, uniform<std::uint64_t>(0, 1u << 30)));
        }
        break;
      }
      case 1: if (!is_seed) (void)dynamo::admin_leave(view, target, min_members, at); break;
      case 2: if (!is_seed) (void)dynamo::admin_remove(view, target, min_members, at); break;
      case 3: (void)dynamo::finish_join(view, target, at); break;
      default: (void)dynamo::finish_leave(view, target, at); break;
    }
  }

  // The least upper bound of every view, and the nodes it does not mark removed. A removed node may
  // still be up, but nobody gossips to it any more (it is gone for good), so it may be left behind
  // with what only it knew: convergence is required of the live nodes only.
  std::vector<std::string> live() const {
    MembershipView all = nodes.begin()->second.view();
    for (const auto& [id, g] : nodes) all = dynamo::merge(all, g.view());
    std::vector<std::string> out;
    for (const auto& [id, g] : nodes) {
      if (all.find(id)->status != MemberStatus::kRemoved) out.push_back(id);
    }
    return out;
  }

  bool converged(const std::vector<std::string>& live) const {
    for (const std::string& id : live) {
      if (!(nodes.at(id).view() == nodes.at(live.front()).view())) return false;
    }
    return true;
  }
};

std::string ring_text(const dynamo::Result<dynamo::Ring>& ring) {
  if (!ring.ok()) return "error: " + ring.error().message;
  std::string out;
  for (std::uint32_t p = 0; p < ring.value().partitions(); ++p) out += ring.value().owner(p) + ",";
  return out;
}

}  // namespace

// Reference: §4.8.1 "each node contacts a peer chosen at random every second and the two nodes
// efficiently reconcile their persisted membership change histories"; §4.8.2 seeds.
RC_GTEST_PROP(MembershipProps, GossipBringsEveryNodeToOneViewAndOneRing, ()) {
  Cluster cluster;
  const int initial = uniform(2, 7);
  std::vector<JoinRequest> requests;
  for (int i = 0; i < initial; ++i) {
    const std::string id = "n" + std::to_string(i);
    requests.push_back(JoinRequest{"c1", id, MemberAddresses{id + ":1", "", ""}, "dc-1", 1});
    if (i < 2) cluster.seeds.push_back(dynamo::SeedPeer{id, id + ":1"});
  }
  const MembershipView start = dynamo::bootstrap("c1", requests, "n0").value();
  for (int i = 0; i < initial; ++i) {
    const std::string id = "n" + std::to_string(i);
    cluster.nodes.emplace(id, Gossiper(GossipConfig{id, cluster.seeds}, start, uniform<std::uint64_t>(0, 1u << 30)));
  }
  cluster.min_members = uniform<std::size_t>(1, 4);

  const int steps = uniform(0, 40);
  for (int i = 0; i < steps; ++i) {
    if (uniform(0, 2) == 0) cluster.random_command();
    else cluster.tick(pick(cluster.ids()));
  }

  const std::size_t s = cluster.nodes.size();
  const std::vector<std::string> live = cluster.live();
  std::size_t rounds = 0;
  while (!cluster.converged(live) && rounds < 20 * s) {
    for (const std::string& id : cluster.ids()) cluster.tick(id);
    ++rounds;
  }
  RC_TAG(rounds == 0 ? "rounds: 0" : rounds <= 4 ? "rounds: 1-4" : "rounds: 5+");
  RC_TAG(live.size() == s ? "every node live" : "some node removed");
  for (const auto& [id, g] : cluster.nodes) RC_LOG() << id << ": " << text(g.view()) << "\n";
  RC_ASSERT(cluster.converged(live));
  if (live.empty()) return;
  const MembershipView& agreed = cluster.nodes.at(live.front()).view();
  const std::string current = ring_text(dynamo::current_ring(agreed, kQ));
  const std::string target = ring_text(dynamo::target_ring(agreed, kQ));
  const bool left_behind = std::any_of(cluster.nodes.begin(), cluster.nodes.end(),
                                      [&](const auto& kv) { return !(kv.second.view() == agreed); });
  RC_TAG(left_behind ? "a removed node left behind" : "no node left behind");
  for (const std::string& id : live) {
    RC_ASSERT(ring_text(dynamo::current_ring(cluster.nodes.at(id).view(), kQ)) == current);
    RC_ASSERT(ring_text(dynamo::target_ring(cluster.nodes.at(id).view(), kQ)) == target);
  }
}
