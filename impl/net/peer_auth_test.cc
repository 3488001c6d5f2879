// peer_auth_test.cc: the sealed envelope (peer_auth.h): HMAC against RFC 4231, the round trip, and
// every way a message must be refused (any single bit flipped, another secret, cluster, receiver or
// sender, a replay, an older epoch, every truncation), with the error that says so.
#include "impl/net/peer_auth.h"

#include <gtest/gtest.h>

#include <string>

namespace dynamo::net {
namespace {

const ClusterKey kKey{"prod-eu", "0123456789abcdef0123456789abcdef"};

std::string hex(const Mac& mac) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (auto b : mac) out += {kHex[b >> 4], kHex[b & 15]};
  return out;
}

std::unique_ptr<Sealer> sealer(std::uint64_t epoch = 5, ClusterKey key = kKey, std::string self = "n2") {
  auto s = Sealer::create(std::move(key), std::move(self), epoch);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(s).value();
}

std::unique_ptr<Opener> opener(ClusterKey key = kKey, std::string self = "n1") {
  auto o = Opener::create(std::move(key), std::move(self), {"n1", "n2", "n3"}, 1u << 20);
  EXPECT_TRUE(o.ok()) << o.error().message;
  return std::move(o).value();
}

::testing::AssertionResult refused_with(Result<Opened> r, const std::string& text) {
  if (r.ok()) return ::testing::AssertionFailure() << "accepted";
  if (r.error().message.find(text) == std::string::npos)
    return ::testing::AssertionFailure() << "error \"" << r.error().message << "\" lacks \"" << text << "\"";
  if (r.error().message.rfind("peer auth: ", 0) != 0)
    return ::testing::AssertionFailure() << "error does not start with \"peer auth: \"";
  return ::testing::AssertionSuccess();
}

TEST(Hmac, MatchesRfc4231) {
  auto a = Hmac::create(std::string(20, '\x0b'));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(hex(a.value()->mac({"Hi ", "There"}).value()),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  auto b = Hmac::create("Jefe");
  ASSERT_TRUE(b.ok());
  for (int i = 0; i < 2; ++i)  // the context is re-initialised between MACs, with the same key
    EXPECT_EQ(hex(b.value()->mac({"what do ya want for nothing?"}).value()),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(PeerAuth, RoundTrip) {
  auto s = sealer();
  auto o = opener();
  for (std::string payload : {std::string(), std::string("hello"), std::string(70000, '\0')}) {
    auto sealed = s->seal("n1", payload);
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed.value().size(), kSealFixedBytes + 7 + 2 + 2 + payload.size() + kSealMacBytes);
    auto opened = o->open(sealed.value());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(opened.value().from, "n2");
    EXPECT_EQ(opened.value().epoch, 5u);
    EXPECT_EQ(opened.value().payload, payload);
  }
}

// The byte layout of spec/README.md, as a second implementation (impl/e2e/peer_seal.py, Python's
// hmac module) writes it: the same bytes, byte for byte.
TEST(PeerAuth, MatchesTheSpecLayoutVector) {
  const std::string expected_hex =
      "4459534c"                  // magic "DYSL"
      "01" "07" "02" "02"         // format 1; cluster id, sender, receiver lengths
      "0500000000000000"          // epoch 5
      "0100000000000000"          // counter 1
      "05000000"                  // payload length 5
      "70726f642d6575" "6e32" "6e31" "68656c6c6f"  // "prod-eu" "n2" "n1" "hello"
      "318d753ec172ca5a47475265fdca06318e420b46fa42417aea9d48726192075d";  // HMAC-SHA256
  const std::string sealed = sealer()->seal("n1", "hello").value();
  std::string got;
  for (unsigned char c : sealed) got += {"0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]};
  EXPECT_EQ(got, expected_hex);
}

TEST(PeerAuth, CountersArePerReceiverAndStartAtOne) {
  auto s = sealer();
  auto o1 = opener(kKey, "n1");
  auto o3 = opener(kKey, "n3");
  EXPECT_EQ(o1->open(s->seal("n1", "a").value()).value().counter, 1u);
  EXPECT_EQ(o3->open(s->seal("n3", "b").value()).value().counter, 1u);
  EXPECT_EQ(o1->open(s->seal("n1", "c").value()).value().counter, 2u);
}

TEST(PeerAuth, EverySingleBitFlipIsRefused) {
  auto s = sealer();
  const std::string sealed = s->seal("n1", "a payload of some bytes").value();
  for (std::size_t byte = 0; byte < sealed.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = sealed;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      auto o = opener();  // fresh: only the flip can be the reason
      EXPECT_FALSE(o->open(bad).ok()) << "byte " << byte << " bit " << bit;
    }
  }
  EXPECT_TRUE(opener()->open(sealed).ok());
}

TEST(PeerAuth, PayloadAndMacFlipsReadAsBadMac) {
  auto s = sealer();
  const std::string sealed = s->seal("n1", "payload").value();
  for (std::size_t at : {sealed.size() - 1, sealed.size() - kSealMacBytes, sealed.size() - kSealMacBytes - 1,
                         std::size_t{8}, std::size_t{16}}) {
    std::string bad = sealed;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    EXPECT_TRUE(refused_with(opener()->open(bad), "bad MAC from n2 (is its cluster secret the same?)")) << at;
  }
}

TEST(PeerAuth, WrongSecretIsRefused) {
  auto s = sealer(5, ClusterKey{kKey.cluster_id, "another secret, same cluster id"});
  EXPECT_TRUE(refused_with(opener()->open(s->seal("n1", "x").value()), "bad MAC from n2"));
}

TEST(PeerAuth, WrongClusterIsRefused) {
  auto s = sealer(5, ClusterKey{"prod-us", kKey.secret});
  EXPECT_TRUE(refused_with(opener()->open(s->seal("n1", "x").value()),
                           "message for cluster \"prod-us\", this is cluster \"prod-eu\""));
}

TEST(PeerAuth, WrongReceiverIsRefused) {
  auto s = sealer();
  EXPECT_TRUE(refused_with(opener()->open(s->seal("n3", "x").value()), "message from n2 for n3, this is n1"));
}

TEST(PeerAuth, NonMembersAreReportedAndBoundedSelfIsRefused) {
  auto o = opener();
  auto joiner = o->open(sealer(5, kKey, "n9")->seal("n1", "x").value());
  ASSERT_TRUE(joiner.ok()) << joiner.error().message;
  EXPECT_FALSE(joiner.value().member);  // authentic, but the caller accepts only a join from it
  o->set_members({"n2", "n9"});
  auto member = o->open(sealer(6, kKey, "n9")->seal("n1", "y").value());
  ASSERT_TRUE(member.ok()) << member.error().message;
  EXPECT_TRUE(member.value().member);
  for (std::size_t i = 0; i < Opener::kMaxNonMemberSenders; ++i)
    (void)o->open(sealer(5, kKey, "x" + std::to_string(i))->seal("n1", "x").value());
  EXPECT_TRUE(refused_with(o->open(sealer(5, kKey, "late")->seal("n1", "x").value()),
                           "from late, which is not a member"));
  EXPECT_TRUE(refused_with(opener()->open(sealer(5, kKey, "n1")->seal("n1", "x").value()),
                           "claims to come from this node"));
}

TEST(PeerAuth, ReplayIsRefused) {
  auto s = sealer(4);
  auto o = opener();
  const std::string first = s->seal("n1", "a").value();
  const std::string second = s->seal("n1", "b").value();
  ASSERT_TRUE(o->open(first).ok());
  EXPECT_TRUE(refused_with(o->open(first), "replayed or reordered message from n2 (epoch 4 counter 1 <= 4/1)"));
  ASSERT_TRUE(o->open(second).ok());
  EXPECT_TRUE(refused_with(o->open(first), "(epoch 4 counter 1 <= 4/2)"));
  EXPECT_TRUE(refused_with(o->open(second), "(epoch 4 counter 2 <= 4/2)"));
}

TEST(PeerAuth, ReorderedIsRefusedSkippedIsAccepted) {
  auto s = sealer(4);
  auto o = opener();
  const std::string m1 = s->seal("n1", "1").value();
  const std::string m2 = s->seal("n1", "2").value();
  const std::string m3 = s->seal("n1", "3").value();
  ASSERT_TRUE(o->open(m1).ok());
  ASSERT_TRUE(o->open(m3).ok());  // m2 lost in between: fine, the protocol tolerates loss
  EXPECT_TRUE(refused_with(o->open(m2), "replayed or reordered"));
}

TEST(PeerAuth, OlderEpochRefusedNewerAccepted) {
  auto o = opener();
  auto old_life = sealer(4);
  const std::string from_old = old_life->seal("n1", "old").value();
  auto now = sealer(5);
  ASSERT_TRUE(o->open(now->seal("n1", "now").value()).ok());
  EXPECT_TRUE(refused_with(o->open(from_old), "(epoch 4 counter 1 <= 5/1); an older epoch"));
  // After a restart (epoch 6) the counter starts at 1 again, and is accepted.
  auto next = sealer(6);
  auto opened = o->open(next->seal("n1", "next").value());
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened.value().counter, 1u);
}

TEST(PeerAuth, EveryTruncationIsRefused) {
  auto s = sealer();
  const std::string sealed = s->seal("n1", "some payload").value();
  for (std::size_t n = 0; n < sealed.size(); ++n) {
    auto r = opener()->open(std::string_view(sealed).substr(0, n));
    EXPECT_FALSE(r.ok()) << n;
    if (!r.ok()) {
      EXPECT_EQ(r.error().message.rfind("peer auth: ", 0), 0u);
    }
  }
  EXPECT_TRUE(refused_with(opener()->open(sealed + "x"), "truncated or padded"));
}

TEST(PeerAuth, UnsealedAndForeignFormatAreNamed) {
  EXPECT_TRUE(refused_with(opener()->open(std::string(64, '\0')), "is not sealed (is the sender configured without"));
  std::string sealed = sealer()->seal("n1", "x").value();
  sealed[4] = 2;
  EXPECT_TRUE(refused_with(opener()->open(sealed), "sealed format 2, this node speaks 1"));
  EXPECT_TRUE(looks_sealed(sealed));
  EXPECT_FALSE(looks_sealed("DYS"));
}

TEST(PeerAuth, OversizedPayloadIsRefusedBeforeTheMac) {
  auto small = Opener::create(kKey, "n1", {"n2"}, 4);
  ASSERT_TRUE(small.ok());
  EXPECT_TRUE(refused_with(small.value()->open(sealer()->seal("n1", "12345").value()),
                           "payload of 5 bytes, limit 4"));
}

TEST(PeerAuth, KeysAreValidated) {
  EXPECT_FALSE(validate_cluster_key({"c", "short"}).ok());
  EXPECT_NE(validate_cluster_key({"c", "short"}).error().message.find("at least 16"), std::string::npos);
  EXPECT_FALSE(validate_cluster_key({"", kKey.secret}).ok());
  EXPECT_FALSE(validate_cluster_key({std::string(65, 'c'), kKey.secret}).ok());
  EXPECT_FALSE(validate_cluster_key({"c", std::string(kMaxSecretBytes + 1, 's')}).ok());
  EXPECT_TRUE(validate_cluster_key({"c", std::string(kMinSecretBytes, 's')}).ok());
  EXPECT_FALSE(Sealer::create({"c", "short"}, "n1", 1).ok());
  EXPECT_FALSE(Opener::create({"c", "short"}, "n1", {}, 10).ok());
}

TEST(PeerAuth, ClaimedIdsArePrintedSafely) {
  auto s = sealer(5, kKey, std::string("n\n2"));
  auto r = opener()->open(s->seal("n1", "x").value());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("n\\x0a2"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace dynamo::net
