// The membership messages of wire.h: round trips of every kind, and refusals of what a peer must
// not be able to hand a node (views the core would not build, the wrong kind of message).
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "impl/net/wire.h"

namespace dynamo::net {
namespace {

JoinRequest join_request(std::string id, std::string peer) {
  return JoinRequest{"dynamo", std::move(id), MemberAddresses{std::move(peer), "tcp://127.0.0.1:9002", "127.0.0.1:9000"},
                     "dc-1", 2};
}

// A view with every status: n1 and n2 valid, n3 leaving, n4 joining, n5 removed.
MembershipView sample_view() {
  auto view = bootstrap("dynamo", {join_request("n1", "tcp://a:1"), join_request("n2", "tcp://b:1")}, "n1");
  EXPECT_TRUE(view.ok());
  MembershipView v = std::move(view).value();
  EXPECT_TRUE(admin_join(v, join_request("n3", "tcp://c:1"), "n1").ok());
  EXPECT_TRUE(finish_join(v, "n3", "n3").ok());
  EXPECT_TRUE(admin_leave(v, "n3", 1, "n3").ok());
  EXPECT_TRUE(admin_join(v, join_request("n4", "tcp://d:1"), "n2").ok());
  EXPECT_TRUE(admin_join(v, join_request("n5", "tcp://e:1"), "n2").ok());
  EXPECT_TRUE(admin_remove(v, "n5", 1, "n1").ok());
  return v;
}

MembershipMessage round_trip(const MembershipMessage& message) {
  auto decoded = decode_membership_message(encode_membership_message(message));
  EXPECT_TRUE(decoded.ok()) << decoded.error().message;
  return decoded.ok() ? std::move(decoded).value() : MembershipMessage{};
}

TEST(WireMembership, GossipOfEveryKindRoundTrips) {
  const MembershipView view = sample_view();
  MembershipView syn_view;
  syn_view.cluster_id = "dynamo";
  for (const auto& gossip : {GossipMessage{GossipKind::kSyn, digest(view), syn_view},
                             GossipMessage{GossipKind::kAck, digest(view), view},
                             GossipMessage{GossipKind::kAck2, digest(view), view}}) {
    const MembershipMessage decoded = round_trip({"n1", "tcp://a:1", gossip});
    EXPECT_EQ(decoded.from, "n1");
    EXPECT_EQ(decoded.from_peer_address, "tcp://a:1");
    const auto& got = std::get<GossipMessage>(decoded.body);
    EXPECT_EQ(got.kind, gossip.kind);
    EXPECT_EQ(got.digest, gossip.digest);
    EXPECT_EQ(got.view, gossip.view);  // every field of every entry, statuses included
  }
}

TEST(WireMembership, JoinAskAndAnswerRoundTrip) {
  const JoinRequest request = join_request("n9", "tcp://z:1");
  const auto ask = std::get<JoinAsk>(round_trip({"n9", "tcp://z:1", JoinAsk{77, request}}).body);
  EXPECT_EQ(ask.ask_id, 77u);
  EXPECT_EQ(ask.request.cluster_id, request.cluster_id);
  EXPECT_EQ(ask.request.id, request.id);
  EXPECT_EQ(ask.request.addresses, request.addresses);
  EXPECT_EQ(ask.request.dc, request.dc);
  EXPECT_EQ(ask.request.weight, request.weight);

  const auto admitted = std::get<JoinAnswer>(round_trip({"n1", "tcp://a:1", JoinAnswer{77, "", sample_view()}}).body);
  EXPECT_EQ(admitted.ask_id, 77u);
  EXPECT_EQ(admitted.error, "");
  EXPECT_EQ(admitted.view, sample_view());
  MembershipView none;
  none.cluster_id = "dynamo";
  const auto refused = std::get<JoinAnswer>(round_trip({"n1", "tcp://a:1", JoinAnswer{78, "duplicate id", none}}).body);
  EXPECT_EQ(refused.error, "duplicate id");
  EXPECT_TRUE(refused.view.members.empty());
}

TEST(WireMembership, AdminCallsAnswersAndTheRingViewRoundTrip) {
  ClientBatch batch;
  batch.calls = {AdminCall{1, AdminJoin{"n1", "tcp://seed:1"}}, AdminCall{2, AdminLeave{}}, AdminCall{3, AdminRemove{"n5"}}};
  auto calls = decode_client_batch(encode_client_batch(batch));
  ASSERT_TRUE(calls.ok()) << calls.error().message;
  ASSERT_EQ(calls.value().calls.size(), 3u);
  const auto& join = std::get<AdminJoin>(std::get<AdminCall>(calls.value().calls[0]).command);
  EXPECT_EQ(join.seed_id, "n1");
  EXPECT_EQ(join.seed_peer_address, "tcp://seed:1");
  EXPECT_TRUE(std::holds_alternative<AdminLeave>(std::get<AdminCall>(calls.value().calls[1]).command));
  EXPECT_EQ(std::get<AdminRemove>(std::get<AdminCall>(calls.value().calls[2]).command).id, "n5");
  EXPECT_EQ(std::get<AdminCall>(calls.value().calls[2]).request_id, 3u);

  RingInfo ring{4, 16, {}, {}, sample_view(), 12};
  ReplyBatch replies{{AdminAnswer{5, false, "n5 is already removed"}, ring}};
  auto answers = decode_reply_batch(encode_reply_batch(replies));
  ASSERT_TRUE(answers.ok()) << answers.error().message;
  const auto& answer = std::get<AdminAnswer>(answers.value().answers[0]);
  EXPECT_EQ(answer.request_id, 5u);
  EXPECT_FALSE(answer.ok);
  EXPECT_EQ(answer.message, "n5 is already removed");
  const auto& got = std::get<RingInfo>(answers.value().answers[1]);
  EXPECT_EQ(got.view.members, sample_view().members);
  EXPECT_EQ(got.transfers_pending, 12u);
}

TEST(WireMembership, ViewFileRoundTripsAndIsChecked) {
  auto view = decode_view(encode_view(sample_view()));
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(view.value(), sample_view());
  MembershipView bad = sample_view();
  bad.members.at("n1").weight = 0;  // validate_view refuses it; so must the codec
  auto refused = decode_view(encode_view(bad));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("membership view"), std::string::npos) << refused.error().message;
}

TEST(WireMembership, RefusesViewsTheCoreWouldNotBuild) {
  MembershipView bad = sample_view();
  bad.members.at("n2").join_seq = 0;
  auto decoded = decode_membership_message(encode_membership_message({"n1", "", GossipMessage{GossipKind::kAck, 1, bad}}));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("wire: "), std::string::npos);
  // An ack must carry a view: an empty one (a syn's) is refused.
  MembershipView empty;
  empty.cluster_id = "dynamo";
  EXPECT_FALSE(decode_membership_message(encode_membership_message({"n1", "", GossipMessage{GossipKind::kAck, 1, empty}})).ok());
  // Empty sender id.
  EXPECT_FALSE(decode_membership_message(encode_membership_message({"", "", GossipMessage{GossipKind::kSyn, 1, empty}})).ok());
}

TEST(WireMembership, EveryTruncationIsRefused) {
  const std::string bytes = encode_membership_message({"n1", "tcp://a:1", GossipMessage{GossipKind::kAck, 1, sample_view()}});
  for (std::size_t size = 0; size < bytes.size(); size += 8) {
    SCOPED_TRACE(size);
    EXPECT_FALSE(decode_membership_message(bytes.substr(0, size)).ok());
  }
}

TEST(WireMembership, PeekTellsThePeerPortsTwoKindsApart) {
  EXPECT_EQ(peek_kind(encode_membership_message({"n1", "", JoinAsk{1, join_request("n9", "tcp://z:1")}})),
            TopKind::kMembership);
  EXPECT_EQ(peek_kind(encode_peer_batch(PeerBatch{"n1", 1, {}})), TopKind::kPeerBatch);
  EXPECT_EQ(peek_kind(encode_client_batch(ClientBatch{})), TopKind::kOther);
  EXPECT_EQ(peek_kind("not a message"), TopKind::kUnset);
  // A PeerBatch is not a membership message, and the other way round.
  EXPECT_FALSE(decode_membership_message(encode_peer_batch(PeerBatch{"n1", 1, {}})).ok());
  EXPECT_FALSE(decode_peer_batch(encode_membership_message({"n1", "", JoinAsk{1, join_request("n9", "tcp://z:1")}})).ok());
}

}  // namespace
}  // namespace dynamo::net
