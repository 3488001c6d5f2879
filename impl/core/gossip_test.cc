// Unit tests of gossip: peer choice, the seeds rule, the push-pull exchange, determinism by seed.
// Reference: §4.8.1 (gossip with a random peer, reconcile histories); §4.8.2 (seeds).
#include "impl/core/gossip.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace dynamo {
namespace {

JoinRequest request(const std::string& id) {
  return JoinRequest{"c1", id, MemberAddresses{id + ":7000", id + ":7001", ""}, "dc-1", 1};
}

MembershipView nodes(int count) {
  std::vector<JoinRequest> all;
  for (int i = 0; i < count; ++i) all.push_back(request("n" + std::to_string(i)));
  Result<MembershipView> view = bootstrap("c1", all, "n0");
  EXPECT_TRUE(view.ok());
  return std::move(view).value();
}

GossipConfig config(const std::string& self, std::vector<std::string> seeds = {}) {
  GossipConfig c{self, {}};
  for (const std::string& s : seeds) c.seeds.push_back(SeedPeer{s, s + ":7000"});
  return c;
}

TEST(Gossip, TickPicksAKnownLivePeerNeverItselfNorARemovedOne) {
  MembershipView view = nodes(5);
  ASSERT_TRUE(admin_remove(view, "n4", 1, "n0").ok());
  Gossiper g(config("n0"), view, 7);
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::vector<GossipOut> out = g.on_gossip_tick();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].address, out[0].to + ":7000");
    EXPECT_EQ(out[0].message.kind, GossipKind::kSyn);
    EXPECT_EQ(out[0].message.digest, digest(view));
    EXPECT_TRUE(out[0].message.view.members.empty());  // a syn is the digest only
    seen.insert(out[0].to);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"n1", "n2", "n3"}));
}

TEST(Gossip, SameSeedSameChoicesAndADifferentSeedDiffers) {
  auto run = [](std::uint64_t seed) {
    Gossiper g(config("n0", {"n1"}), nodes(16), seed);
    std::vector<std::string> picks;
    for (int i = 0; i < 50; ++i) {
      for (const GossipOut& o : g.on_gossip_tick()) picks.push_back(o.to);
    }
    return picks;
  };
  EXPECT_EQ(run(42), run(42));
  EXPECT_NE(run(42), run(43));
}

TEST(Gossip, ANodeThatKnowsNoPeerContactsASeed) {
  Result<MembershipView> alone = bootstrap("c1", {request("new")}, "new");
  ASSERT_TRUE(alone.ok());
  Gossiper g(config("new", {"new", "s1"}), alone.value(), 1);
  std::vector<GossipOut> out = g.on_gossip_tick();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, "s1");
  EXPECT_EQ(out[0].address, "s1:7000");
  Gossiper lonely(config("new"), alone.value(), 1);
  EXPECT_TRUE(lonely.on_gossip_tick().empty());
}

// Seeds rule: a non-seed pick adds a seed with probability seeds/peers (here 1/15), a seed pick never.
TEST(Gossip, SeedsAreContactedAboutSeedsOverPeersOfTheTime) {
  Gossiper g(config("n0", {"n1"}), nodes(16), 3);
  int extra = 0;
  const int ticks = 15'000;
  for (int i = 0; i < ticks; ++i) {
    std::vector<GossipOut> out = g.on_gossip_tick();
    ASSERT_GE(out.size(), 1u);
    if (out.size() == 2) {
      ++extra;
      EXPECT_NE(out[0].to, "n1");
      EXPECT_EQ(out[1].to, "n1");
    }
  }
  // Expected (14/15) * (1/15) * 15000 = 933; allow a wide margin (std dev ~ 29).
  EXPECT_GT(extra, 800);
  EXPECT_LT(extra, 1070);
}

// Delivers a syn from a to b and the replies back and forth; returns the kinds of the messages sent.
std::vector<GossipKind> exchange(Gossiper& a, const std::string& a_id, Gossiper& b, const std::string& b_id) {
  // The syn a's tick would send (its peer choice is tested above; here a may know other peers).
  GossipMessage syn{GossipKind::kSyn, digest(a.view()), MembershipView{a.view().cluster_id, {}}};
  std::vector<GossipKind> kinds{syn.kind};
  std::optional<GossipMessage> next = syn;
  Gossiper* receiver = &b;
  std::string sender = a_id;
  while (next) {
    Result<std::optional<GossipMessage>> reply = receiver->on_gossip(sender, *next);
    EXPECT_TRUE(reply.ok());
    next = reply.ok() ? reply.value() : std::nullopt;
    if (next) kinds.push_back(next->kind);
    sender = receiver == &b ? b_id : a_id;
    receiver = receiver == &b ? &a : &b;
  }
  return kinds;
}

MembershipView two_nodes() {
  Result<MembershipView> view = bootstrap("c1", {request("n0"), request("n1")}, "n0");
  EXPECT_TRUE(view.ok());
  return std::move(view).value();
}

TEST(Gossip, SynAckAck2LeavesBothSidesWithTheMerge) {
  MembershipView va = two_nodes(), vb = two_nodes();
  ASSERT_TRUE(admin_join(va, request("x"), "n0").ok());
  ASSERT_TRUE(admin_leave(vb, "n1", 1, "n1").ok());
  Gossiper a(config("n0"), va, 1), b(config("n1"), vb, 2);
  EXPECT_EQ(exchange(a, "n0", b, "n1"),
            (std::vector<GossipKind>{GossipKind::kSyn, GossipKind::kAck, GossipKind::kAck2}));
  EXPECT_EQ(a.view(), merge(va, vb));
  EXPECT_EQ(b.view(), a.view());
}

TEST(Gossip, EqualViewsCostOneSynAndAnUpToDatePeerNoAck2) {
  Gossiper a(config("n0"), two_nodes(), 1), b(config("n1"), two_nodes(), 2);
  EXPECT_EQ(exchange(a, "n0", b, "n1"), (std::vector<GossipKind>{GossipKind::kSyn}));
  // The peer knows more: a pulls it with the ack and has nothing to push back.
  ASSERT_TRUE(admin_join(b.local_view(), request("x"), "n1").ok());
  EXPECT_EQ(exchange(a, "n0", b, "n1"), (std::vector<GossipKind>{GossipKind::kSyn, GossipKind::kAck}));
  EXPECT_EQ(a.view(), b.view());
  // The initiator knows more: the ack2 pushes it.
  ASSERT_TRUE(finish_join(a.local_view(), "x", "n0").ok());
  EXPECT_EQ(exchange(a, "n0", b, "n1"),
            (std::vector<GossipKind>{GossipKind::kSyn, GossipKind::kAck, GossipKind::kAck2}));
  EXPECT_EQ(a.view(), b.view());
}

TEST(Gossip, AViewOfAnotherClusterOrAnInvalidViewIsRejectedUnmerged) {
  Gossiper b(config("n1"), nodes(4), 2);
  MembershipView other = nodes(4);
  other.cluster_id = "c2";
  Result<std::optional<GossipMessage>> r = b.on_gossip("n0", GossipMessage{GossipKind::kAck, digest(other), other});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cluster \"c2\""), std::string::npos) << r.error().message;
  MembershipView bad = nodes(4);
  bad.members["n2"].weight = 0;
  r = b.on_gossip("n0", GossipMessage{GossipKind::kAck2, digest(bad), bad});
  EXPECT_FALSE(r.ok());
  r = b.on_gossip("n0", GossipMessage{GossipKind::kSyn, 1, nodes(4)});  // a syn carries no view
  EXPECT_FALSE(r.ok());
  r = b.on_gossip("n0", GossipMessage{static_cast<GossipKind>(7), 1, nodes(4)});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(b.view(), nodes(4));
}

TEST(Gossip, ConfigErrors) {
  EXPECT_FALSE(Gossiper::validate(config(""), nodes(2)).ok());
  GossipConfig bad_seed = config("n0");
  bad_seed.seeds.push_back(SeedPeer{"s", ""});
  EXPECT_FALSE(Gossiper::validate(bad_seed, nodes(2)).ok());
  EXPECT_TRUE(Gossiper::validate(config("n0", {"n1"}), nodes(2)).ok());
}

TEST(Gossip, SplitMixIsTheReferenceSequence) {
  // splitmix64 from seed 0: the first output of the reference implementation (Vigna, prng.di.unimi.it).
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafULL);
}

}  // namespace
}  // namespace dynamo
