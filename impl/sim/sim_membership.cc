// The simulator's membership changes (Step kinds kJoin, kLeave, kRemove): an administrator changes
// the ring, and every node learns the new ring some ticks later, in its own time, as gossip would
// bring it (tla/Membership.tla: AdminJoin, AdminLeave, AdminRemove, then Gossip). Until then it works
// with the ring it has, so coordinators with old and new rings run side by side. The node cores then
// hand over the keys they no longer own (node_transfer.cc); the liveness phase waits until every
// node holds the latest ring and no node keeps a key it is not a primary of.
#include <algorithm>

#include "impl/core/check.h"
#include "impl/sim/sim_cluster.h"

namespace dynamo::sim {

void Cluster::set_members(std::vector<Member> members) {
  // Q: 64 partitions, or the next power of two at or above the node count (every node owns one).
  std::uint32_t q = 64;
  while (q < schedule_.nodes + schedule_.spare_nodes) q *= 2;
  auto ring = Ring::build(members, q);
  DYNAMO_CHECK(ring.ok());
  members_ = std::move(members);
  ring_ = std::make_shared<const Ring>(std::move(ring).value());
  primaries_cache_.clear();
}

void Cluster::spread_ring(std::size_t except) {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (i == except || !nodes_[i].joined || nodes_[i].removed) continue;
    const std::uint64_t delay = 1 + network_.random().below(4 * schedule_.max_delay + 1);
    ring_news_.push_back(RingNews{now_ + delay, i, ring_, ring_version_, leaving_});
  }
}

void Cluster::deliver_ring_news() {
  if (ring_news_.empty()) return;
  std::vector<RingNews> later;
  for (auto& news : ring_news_) {
    if (news.due > now_) {
      later.push_back(std::move(news));
      continue;
    }
    NodeSlot& slot = nodes_[news.node];
    // A node that is down misses the news; it learns the latest ring when it is back (boot).
    if (!slot.core || slot.removed || news.version <= slot.ring_version) continue;
    auto effects = slot.core->adopt_ring(news.ring);
    if (!effects.ok()) {
      fail("node " + slot.id + " refused ring " + std::to_string(news.version) + ": " + effects.error().message);
      return;
    }
    slot.ring = news.ring;
    slot.ring_version = news.version;
    slot.leaving = news.leaving;
    slot.core->set_leaving(slot.leaving);
    process(slot, std::move(effects).value());
  }
  ring_news_ = std::move(later);
}

void Cluster::change_membership(const Step& step) {
  const auto is_member = [&](const std::string& id) {
    return std::any_of(members_.begin(), members_.end(), [&](const Member& m) { return m.id == id; });
  };
  if (step.kind == StepKind::kJoin) {
    const std::size_t index = schedule_.nodes + step.a;
    if (index >= nodes_.size() || nodes_[index].joined) return;
    NodeSlot& slot = nodes_[index];
    std::vector<Member> members = members_;
    members.push_back(Member{slot.id, "dc-" + std::to_string(index % std::max(1u, schedule_.data_centres) + 1), 1});
    set_members(std::move(members));
    ++ring_version_;
    ++result_.counts.joins;
    slot.ring = ring_;  // the joiner starts from the new ring (the administrator ran the join there)
    slot.ring_version = ring_version_;
    slot.leaving = leaving_;  // and learns the whole view there, the nodes still leaving included
    boot(slot, false);
    spread_ring(index);
    return;
  }
  // A leave or a remove: of a member, and never below N members (the ring could not place N replicas).
  if (step.a >= nodes_.size() || !is_member(nodes_[step.a].id)) return;
  if (members_.size() <= static_cast<std::size_t>(schedule_.n)) return;
  NodeSlot& slot = nodes_[step.a];
  std::vector<Member> members;
  for (const auto& m : members_)
    if (m.id != slot.id) members.push_back(m);
  set_members(std::move(members));
  ++ring_version_;
  if (step.kind == StepKind::kRemove) {
    ++result_.counts.removes;
    if (slot.core) crash(slot);
    slot.removed = true;
    slot.storage = std::make_unique<store::MemoryStore>();  // its disk is gone with it
  } else {
    ++result_.counts.leaves;
    leaving_.insert(slot.id);  // it stays up and hands its keys over: a reap must still ask it
  }
  spread_ring(nodes_.size());
}

std::optional<std::string> Cluster::membership_divergence() {
  if (ring_version_ == 0) return std::nullopt;
  for (const auto& slot : nodes_)
    if (slot.joined && !slot.removed && slot.ring_version != ring_version_)
      return "node " + slot.id + " still holds ring " + std::to_string(slot.ring_version) + " of " +
             std::to_string(ring_version_);
  // Every key has left the nodes that are not its primaries (transferred, confirmed, released).
  for (const auto& [key, versions] : created_) {
    auto [store, user_key] = split_storage_key(key);
    const auto& primaries = primaries_of(std::string(user_key));
    for (const auto& slot : nodes_) {
      if (!slot.joined || slot.removed || std::find(primaries.begin(), primaries.end(), slot.id) != primaries.end())
        continue;
      auto state = slot.storage->read(key);
      if (state.ok() && !state.value().siblings.empty())
        return "node " + slot.id + " still holds " + key + ", of which it is no primary";
    }
  }
  return std::nullopt;
}

}  // namespace dynamo::sim
