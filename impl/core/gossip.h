// gossip.h: how membership views spread: each gossip period a node contacts one random peer and
// the two reconcile their views (membership.h merge), push-pull.
//
// The exchange, as messages (pure functions; the shell moves the bytes and calls on_gossip_tick once
// per gossip period), in three legs like Cassandra's SYN/ACK/ACK2, so that the common case (the views
// already agree) costs one 8-byte digest and no view:
//   1. kSyn (on_gossip_tick): pick a random peer among the members this node knows (joining, valid
//      or leaving; never itself, never a removed one) and send it the digest of its view;
//   2. kAck: a peer whose digest differs answers with its whole view; equal digests end it here;
//   3. kAck2: the first node merges that view and, when the merge differs from the view it received
//      (it knew something the peer did not), sends the merged view back; the peer merges it.
// After the exchange both views equal merge(a, b) (pull, then push), so a change reaches all S
// nodes in O(log S) periods (epidemic spreading; bench/gossip_rounds.cc measures it,
// docs/membership.md has the table).
//
// Seeds (§4.8.2): nodes known to every node from configuration, so that two groups of nodes that were
// each told about the other by nobody still meet, and the ring does not split into logical partitions.
// Rule (Cassandra's): when the random peer is not a seed, also contact a random seed with probability
// seeds / known peers, so each seed gets about one extra exchange per period whatever S is; a node that
// knows no peer at all (a new node whose view holds only itself) contacts a seed every period.
//
// Determinism: all randomness comes from a splitmix64 state in the object, seeded by the caller; the
// same seed, view and inputs give the same peers and messages, on any machine.
//
// Failure detection is not here and not in the view: GossipMessage carries only MembershipView, which
// has no field for "down". A node's own down marks stay local (§4.8.3).
//
// Reference: §4.8.1 (gossip-based protocol, a random peer every second, reconcile persisted
// membership histories); §4.8.2 (seeds prevent logical partitions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "impl/core/membership.h"
#include "impl/core/result.h"

namespace dynamo {

// A peer known from configuration, reachable before any gossip (its id may not be in the view yet).
struct SeedPeer {
  std::string id;
  std::string peer_address;
};

struct GossipConfig {
  std::string self;             // this node's id
  std::vector<SeedPeer> seeds;  // may include self (skipped); at most limits::kMaxNodes
};

enum class GossipKind : std::uint8_t { kSyn = 0, kAck = 1, kAck2 = 2 };

struct GossipMessage {
  GossipKind kind = GossipKind::kSyn;
  std::uint64_t digest = 0;  // digest of the sender's view (kSyn), or of `view` (kAck, kAck2)
  MembershipView view;       // a kSyn: only the cluster id, no members; a kAck or kAck2: the whole view
};

// Where to send a message: the peer's id and the address to dial (from the view, or from the seed list).
struct GossipOut {
  std::string to;
  std::string address;
  GossipMessage message;
};

// Small deterministic PRNG (splitmix64): the core's only randomness, seeded by the caller.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  // Uniform in [0, n). REQUIRES: n > 0. (Modulo bias below 2^-50 for n <= 2^14: negligible here.)
  std::uint64_t below(std::uint64_t n);

 private:
  std::uint64_t state_;
};

class Gossiper {
 public:
  // REQUIRES: validate(config, view) is ok (the shell validates configuration first).
  Gossiper(GossipConfig config, MembershipView view, std::uint64_t seed);
  static Status validate(const GossipConfig& config, const MembershipView& view);

  const MembershipView& view() const { return view_; }
  // Admin commands (membership.h) apply here; the next ticks spread the change.
  MembershipView& local_view() { return view_; }

  // One gossip period: zero messages (no peer and no seed known), one (the random peer), or two
  // (the random peer and a seed, see the seeds rule above).
  std::vector<GossipOut> on_gossip_tick();

  // A gossip message from `from`: returns the reply to send back to `from`, if any (a kAck to a kSyn
  // whose digest differs, a kAck2 to a kAck that taught the peer less than this node knows). Errors,
  // with nothing merged, on a view of another cluster, one that fails validate_view, or a kSyn that
  // carries a view.
  Result<std::optional<GossipMessage>> on_gossip(const std::string& from, const GossipMessage& message);

 private:
  bool is_seed(const std::string& id) const;
  std::optional<GossipOut> to_seed();
  GossipOut syn_to(const std::string& id, const std::string& address) const;

  GossipConfig config_;
  MembershipView view_;
  SplitMix64 rng_;
};

}  // namespace dynamo
