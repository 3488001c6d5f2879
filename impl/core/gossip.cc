#include "impl/core/gossip.h"

#include <utility>

namespace dynamo {

std::uint64_t SplitMix64::next() {
  // Steele, Lea, Flood, "Fast splittable pseudorandom number generators" (2014).
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t SplitMix64::below(std::uint64_t n) {
  DYNAMO_CHECK(n > 0);
  return next() % n;
}

Gossiper::Gossiper(GossipConfig config, MembershipView view, std::uint64_t seed)
    : config_(std::move(config)), view_(std::move(view)), rng_(seed) {
  DYNAMO_CHECK(validate(config_, view_).ok());
}

Status Gossiper::validate(const GossipConfig& config, const MembershipView& view) {
  if (config.self.empty() || config.self.size() > limits::kMaxNodeIdBytes) {
    return Error{"gossip: the node id must be 1.." + std::to_string(limits::kMaxNodeIdBytes) + " bytes"};
  }
  if (config.seeds.size() > limits::kMaxNodes) {
    return Error{"gossip: " + std::to_string(config.seeds.size()) + " seeds, the limit is " +
                 std::to_string(limits::kMaxNodes) + "; a handful per data centre is enough"};
  }
  for (const SeedPeer& s : config.seeds) {
    if (s.id.empty() || s.peer_address.empty() || s.peer_address.size() > kMaxAddressBytes) {
      return Error{"gossip: seed \"" + s.id + "\" needs an id and a peer address of 1.." +
                   std::to_string(kMaxAddressBytes) + " bytes"};
    }
  }
  return validate_view(view);
}

bool Gossiper::is_seed(const std::string& id) const {
  for (const SeedPeer& s : config_.seeds) {
    if (s.id == id) return true;
  }
  return false;
}

GossipOut Gossiper::syn_to(const std::string& id, const std::string& address) const {
  GossipMessage syn;
  syn.kind = GossipKind::kSyn;
  syn.digest = digest(view_);
  syn.view.cluster_id = view_.cluster_id;  // no members: a kSyn is the digest only
  return GossipOut{id, address, std::move(syn)};
}

// A random seed other than this node and not known to be removed, if there is one.
std::optional<GossipOut> Gossiper::to_seed() {
  std::vector<const SeedPeer*> usable;
  for (const SeedPeer& s : config_.seeds) {
    const MemberEntry* e = view_.find(s.id);
    if (s.id != config_.self && (e == nullptr || e->status != MemberStatus::kRemoved)) usable.push_back(&s);
  }
  if (usable.empty()) return std::nullopt;
  const SeedPeer& s = *usable[rng_.below(usable.size())];
  return syn_to(s.id, s.peer_address);
}

std::vector<GossipOut> Gossiper::on_gossip_tick() {
  // Peers in id order (the view's map order), so the choice depends on the seed and the view only.
  std::vector<const MemberEntry*> peers;
  for (const auto& [id, e] : view_.members) {
    if (id != config_.self && e.status != MemberStatus::kRemoved) peers.push_back(&e);
  }
  std::vector<GossipOut> out;
  if (peers.empty()) {
    if (std::optional<GossipOut> seed = to_seed()) out.push_back(std::move(*seed));
    return out;
  }
  const MemberEntry& peer = *peers[rng_.below(peers.size())];
  out.push_back(syn_to(peer.id, peer.addresses.peer));
  // Seeds rule: with probability seeds / peers, also a seed (unless the random peer was one).
  if (!is_seed(peer.id) && rng_.below(peers.size()) < config_.seeds.size()) {
    if (std::optional<GossipOut> seed = to_seed()) out.push_back(std::move(*seed));
  }
  DYNAMO_CHECK(out.size() <= 2);
  return out;
}

Result<std::optional<GossipMessage>> Gossiper::on_gossip(const std::string& from, const GossipMessage& message) {
  using Reply = std::optional<GossipMessage>;
  if (message.view.cluster_id != view_.cluster_id) {
    return Error{"gossip from \"" + from + "\": it is in cluster \"" + message.view.cluster_id + "\", this node in \"" +
                 view_.cluster_id + "\"; its seeds or addresses point at the wrong cluster"};
  }
  const std::uint64_t mine = digest(view_);
  if (message.kind == GossipKind::kSyn) {
    if (!message.view.members.empty()) return Error{"gossip from \"" + from + "\": a syn carries no view"};
    if (message.digest == mine) return Reply{};  // the views agree: the cheap skip
    return Reply{GossipMessage{GossipKind::kAck, mine, view_}};
  }
  if (message.kind != GossipKind::kAck && message.kind != GossipKind::kAck2) {
    return Error{"gossip from \"" + from + "\": unknown message kind"};
  }
  if (Status s = validate_view(message.view); !s.ok()) {
    return Error{"gossip from \"" + from + "\" rejected: " + s.error().message};
  }
  view_ = merge(view_, message.view);
  if (message.kind == GossipKind::kAck2) return Reply{};
  // A kAck: push back what the peer lacks, if anything (the digest of its view is recomputed here,
  // not taken from the message, so a wrong digest cannot suppress the push).
  const std::uint64_t merged = digest(view_);
  if (merged == digest(message.view)) return Reply{};
  return Reply{GossipMessage{GossipKind::kAck2, merged, view_}};
}

}  // namespace dynamo
