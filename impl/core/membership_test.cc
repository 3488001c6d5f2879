// Unit tests of the membership data: each admin command and each of its errors, the merge, the
// digest, and the rings derived from a view.
// Reference: §4.8.1 "Ring Membership"; §6.2 strategy 3.
#include "impl/core/membership.h"

#include <gtest/gtest.h>

#include <set>

namespace dynamo {
namespace {

constexpr std::uint32_t kQ = 64;

JoinRequest request(const std::string& id, const std::string& dc = "dc-1", std::uint32_t weight = 1) {
  return JoinRequest{"c1", id, MemberAddresses{id + ":7000", id + ":7001", id + ":8080"}, dc, weight};
}

// a, b, c, d valid, joined in that order at node a.
MembershipView four_nodes() {
  Result<MembershipView> view =
      bootstrap("c1", {request("a"), request("b"), request("c", "dc-2"), request("d", "dc-2")}, "a");
  EXPECT_TRUE(view.ok());
  return std::move(view).value();
}

std::string error_of(const Status& s) { return s.ok() ? "" : s.error().message; }

TEST(Membership, BootstrapMakesTheInitialMembersValidInJoinOrder) {
  const MembershipView view = four_nodes();
  ASSERT_EQ(view.members.size(), 4u);
  EXPECT_EQ(view.count(MemberStatus::kValid), 4u);
  EXPECT_EQ(view.find("a")->join_seq, 1u);
  EXPECT_EQ(view.find("d")->join_seq, 4u);
  EXPECT_EQ(view.find("d")->version, 2u);  // joined, then finished
}

TEST(Membership, BootstrapRefusesADuplicateIdAndABadClusterId) {
  EXPECT_FALSE(bootstrap("c1", {request("a"), request("a")}, "a").ok());
  EXPECT_FALSE(bootstrap("", {request("a")}, "a").ok());
}

TEST(Membership, JoinAddsAJoiningMemberWithTheNextJoinSequence) {
  MembershipView view = four_nodes();
  ASSERT_TRUE(admin_join(view, request("e"), "b").ok());
  const MemberEntry* e = view.find("e");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->status, MemberStatus::kJoining);
  EXPECT_EQ(e->join_seq, 5u);
  EXPECT_EQ(e->version, 1u);
  EXPECT_EQ(e->changed_by, "b");
}

TEST(Membership, JoinTheSameNodeAgainChangesNothing) {
  MembershipView view = four_nodes();
  const MembershipView before = view;
  EXPECT_TRUE(admin_join(view, request("c", "dc-2"), "a").ok());
  EXPECT_EQ(view, before);
}

TEST(Membership, JoinErrorDuplicateIdWithDifferentAddresses) {
  MembershipView view = four_nodes();
  JoinRequest other = request("c", "dc-2");
  other.addresses.peer = "elsewhere:7000";
  const MembershipView before = view;
  const std::string message = error_of(admin_join(view, other, "a"));
  EXPECT_NE(message.find("already exists with different addresses"), std::string::npos) << message;
  EXPECT_EQ(view, before);
}

TEST(Membership, JoinErrorNodeOfAnotherCluster) {
  MembershipView view = four_nodes();
  JoinRequest other = request("e");
  other.cluster_id = "c2";
  const std::string message = error_of(admin_join(view, other, "a"));
  EXPECT_NE(message.find("belongs to cluster \"c2\""), std::string::npos) << message;
}

TEST(Membership, JoinErrorARemovedIdCannotComeBack) {
  MembershipView view = four_nodes();
  ASSERT_TRUE(admin_remove(view, "d", 3, "a").ok());
  const std::string message = error_of(admin_join(view, request("d", "dc-2"), "a"));
  EXPECT_NE(message.find("cannot come back"), std::string::npos) << message;
  EXPECT_NE(message.find("new id"), std::string::npos) << message;
}

TEST(Membership, JoinErrorBadFields) {
  MembershipView view = four_nodes();
  EXPECT_FALSE(admin_join(view, request(""), "a").ok());
  EXPECT_FALSE(admin_join(view, request(std::string(65, 'x')), "a").ok());
  EXPECT_FALSE(admin_join(view, request("e", ""), "a").ok());
  EXPECT_FALSE(admin_join(view, request("e", "dc-1", 0), "a").ok());
  EXPECT_FALSE(admin_join(view, request("e", "dc-1", limits::kMaxWeight + 1), "a").ok());
  JoinRequest no_peer = request("e");
  no_peer.addresses.peer.clear();
  EXPECT_FALSE(admin_join(view, no_peer, "a").ok());
  JoinRequest long_address = request("e");
  long_address.addresses.http = std::string(kMaxAddressBytes + 1, 'h');
  EXPECT_FALSE(admin_join(view, long_address, "a").ok());
  EXPECT_EQ(view, four_nodes());
}

TEST(Membership, LeaveMarksAValidMemberLeaving) {
  MembershipView view = four_nodes();
  ASSERT_TRUE(admin_leave(view, "b", 3, "c").ok());
  EXPECT_EQ(view.find("b")->status, MemberStatus::kLeaving);
  EXPECT_EQ(view.find("b")->version, 3u);
  EXPECT_EQ(view.find("b")->changed_by, "c");
}

TEST(Membership, LeaveErrorFewerThanMinMembersWouldRemain) {
  MembershipView view = four_nodes();
  ASSERT_TRUE(admin_leave(view, "a", 3, "a").ok());
  const std::string message = error_of(admin_leave(view, "b", 3, "a"));
  EXPECT_NE(message.find("would leave 2 valid members, fewer than 3"), std::string::npos) << message;
  EXPECT_NE(message.find("last holder"), std::string::npos) << message;
}

TEST(Membership, LeaveErrorUnknownNodeAndNotValid) {
  MembershipView view = four_nodes();
  EXPECT_NE(error_of(admin_leave(view, "zz", 1, "a")).find("is not a member"), std::string::npos);
  ASSERT_TRUE(admin_join(view, request("e"), "a").ok());
  EXPECT_NE(error_of(admin_leave(view, "e", 1, "a")).find("only a valid member can leave"), std::string::npos);
  ASSERT_TRUE(admin_leave(view, "d", 1, "a").ok());
  EXPECT_FALSE(admin_leave(view, "d", 1, "a").ok());  // already leaving
}

TEST(Membership, RemoveTakesAnyLiveMemberToRemoved) {
  MembershipView view = four_nodes();
  ASSERT_TRUE(admin_join(view, request("e"), "a").ok());
  ASSERT_TRUE(admin_remove(view, "e", 3, "a").ok());  // a joining node that never came up
  ASSERT_TRUE(admin_leave(view, "d", 3, "a").ok());
  ASSERT_TRUE(admin_remove(view, "d", 3, "a").ok());  // a leaver that died while handing off
  EXPECT_EQ(view.find("e")->status, MemberStatus::kRemoved);
  EXPECT_EQ(view.find("d")->status, MemberStatus::kRemoved);
  EXPECT_EQ(view.count(MemberStatus::kValid), 3u);
}

TEST(Membership, RemoveErrorTheLastReplicasHolder) {
  MembershipView view = four_nodes();
  ASSERT_TRUE(admin_remove(view, "d", 3, "a").ok());
  const std::string message = error_of(admin_remove(view, "c", 3, "a"));
  EXPECT_NE(message.find("fewer than 3"), std::string::npos) << message;
  EXPECT_EQ(view.find("c")->status, MemberStatus::kValid);
}

TEST(Membership, RemoveErrorUnknownAndAlreadyRemoved) {
  MembershipView view = four_nodes();
  EXPECT_NE(error_of(admin_remove(view, "zz", 1, "a")).find("is not a member"), std::string::npos);
  ASSERT_TRUE(admin_remove(view, "d", 1, "a").ok());
  EXPECT_NE(error_of(admin_remove(view, "d", 1, "a")).find("already removed"), std::string::npos);
}

TEST(Membership, FinishJoinAndFinishLeaveAreValidated) {
  MembershipView view = four_nodes();
  EXPECT_NE(error_of(finish_join(view, "a", "a")).find("not joining"), std::string::npos);
  EXPECT_NE(error_of(finish_leave(view, "a", "a")).find("not leaving"), std::string::npos);
  EXPECT_NE(error_of(finish_join(view, "zz", "a")).find("is not a member"), std::string::npos);
  ASSERT_TRUE(admin_join(view, request("e"), "a").ok());
  ASSERT_TRUE(finish_join(view, "e", "e").ok());
  EXPECT_EQ(view.find("e")->status, MemberStatus::kValid);
  ASSERT_TRUE(admin_leave(view, "e", 3, "a").ok());
  ASSERT_TRUE(finish_leave(view, "e", "e").ok());
  EXPECT_EQ(view.find("e")->status, MemberStatus::kRemoved);
  EXPECT_EQ(view.find("e")->version, 4u);
}

TEST(Membership, MergeTakesTheNewerEntryAndAddsUnknownOnes) {
  MembershipView a = four_nodes();
  MembershipView b = a;
  ASSERT_TRUE(admin_leave(b, "c", 3, "b").ok());
  ASSERT_TRUE(admin_join(a, request("e"), "a").ok());
  const MembershipView m = merge(a, b);
  EXPECT_EQ(m.find("c")->status, MemberStatus::kLeaving);
  EXPECT_EQ(m.find("e")->status, MemberStatus::kJoining);
  EXPECT_EQ(m, merge(b, a));
}

// Concurrent changes of one entry: a leave made from a view that had not seen a removal must not
// bring the member back (status first, then version).
TEST(Membership, MergeNeverRevivesARemovedMember) {
  MembershipView base = four_nodes();
  ASSERT_TRUE(admin_join(base, request("e"), "a").ok());
  MembershipView x = base, y = base;
  ASSERT_TRUE(admin_remove(x, "e", 3, "a").ok());       // version 2, removed
  ASSERT_TRUE(finish_join(y, "e", "e").ok());           // version 2, valid
  ASSERT_TRUE(admin_leave(y, "e", 3, "b").ok());        // version 3, leaving
  EXPECT_EQ(merge(x, y).find("e")->status, MemberStatus::kRemoved);
  EXPECT_EQ(merge(y, x).find("e")->status, MemberStatus::kRemoved);
}

TEST(Membership, DigestIsEqualForEqualViewsAndChangesWithAnyChange) {
  MembershipView a = four_nodes();
  MembershipView b = four_nodes();
  EXPECT_EQ(digest(a), digest(b));
  ASSERT_TRUE(admin_leave(b, "a", 3, "a").ok());
  EXPECT_NE(digest(a), digest(b));
  MembershipView c = four_nodes();
  c.members["a"].addresses.http = "other";
  EXPECT_NE(digest(a), digest(c));
}

TEST(Membership, ValidateViewRejectsBadViewsFromOutside) {
  EXPECT_TRUE(validate_view(four_nodes()).ok());
  MembershipView v = four_nodes();
  v.members["a"].id = "b";
  EXPECT_FALSE(validate_view(v).ok());
  v = four_nodes();
  v.members["a"].version = 0;
  EXPECT_FALSE(validate_view(v).ok());
  v = four_nodes();
  v.members["a"].status = static_cast<MemberStatus>(9);
  EXPECT_FALSE(validate_view(v).ok());
  v = four_nodes();
  v.members["a"].weight = 0;
  EXPECT_FALSE(validate_view(v).ok());
}

std::vector<std::string> owners(const Ring& ring) {
  std::vector<std::string> out;
  for (std::uint32_t p = 0; p < ring.partitions(); ++p) out.push_back(ring.owner(p));
  return out;
}

TEST(Membership, EqualViewsGiveIdenticalRingsOrderedByJoinSequence) {
  const MembershipView a = four_nodes();
  const MembershipView b = merge(four_nodes(), four_nodes());
  Result<Ring> ra = current_ring(a, kQ);
  Result<Ring> rb = current_ring(b, kQ);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(owners(ra.value()), owners(rb.value()));
  EXPECT_EQ(ra.value().members(), rb.value().members());
  ASSERT_EQ(ra.value().members().size(), 4u);
  EXPECT_EQ(ra.value().members()[0].id, "a");
  EXPECT_EQ(ra.value().members()[3].id, "d");
}

TEST(Membership, ConcurrentJoinsWithEqualSequenceAreOrderedById) {
  MembershipView x = four_nodes(), y = four_nodes();
  ASSERT_TRUE(admin_join(x, request("f"), "a").ok());
  ASSERT_TRUE(admin_join(y, request("e"), "b").ok());
  const MembershipView m = merge(x, y);
  EXPECT_EQ(m.find("e")->join_seq, m.find("f")->join_seq);
  Result<Ring> t = target_ring(m, kQ);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value().members()[4].id, "e");
  EXPECT_EQ(t.value().members()[5].id, "f");
}

// A join appends the joiner to the join order, so strategy 3 moves partitions only onto it.
TEST(Membership, AJoinProducesTransfersOnlyToTheJoiner) {
  MembershipView view = four_nodes();
  ASSERT_TRUE(admin_join(view, request("e", "dc-3", 2), "a").ok());
  Result<Ring> current = current_ring(view, kQ);
  Result<Ring> target = target_ring(view, kQ);
  ASSERT_TRUE(current.ok() && target.ok());
  EXPECT_EQ(current.value().members().size(), 4u);  // e holds nothing yet
  Result<std::vector<Transfer>> moves = pending_transfers(current.value(), target.value());
  ASSERT_TRUE(moves.ok());
  EXPECT_FALSE(moves.value().empty());
  for (const Transfer& t : moves.value()) EXPECT_EQ(t.to, "e") << "partition " << t.partition;
  EXPECT_EQ(moves.value().size(), target.value().partition_counts()[4]);
}

// A leave: the leaver stays in the current ring and is absent from the target, so every partition
// it holds moves away and it receives none. When the leaver joined last, its partitions are the only
// ones that move; when it joined earlier, the replay of strategy 3 without it (spec/README.md "Replay")
// also reshuffles partitions among the others: docs/membership.md "Leaves move more than the leaver's".
TEST(Membership, ALeaveOfTheLastJoinerProducesTransfersOnlyFromTheLeaver) {
  MembershipView view = four_nodes();
  ASSERT_TRUE(admin_leave(view, "d", 3, "a").ok());
  Result<Ring> current = current_ring(view, kQ);
  Result<Ring> target = target_ring(view, kQ);
  ASSERT_TRUE(current.ok() && target.ok());
  Result<std::vector<Transfer>> moves = pending_transfers(current.value(), target.value());
  ASSERT_TRUE(moves.ok());
  EXPECT_EQ(moves.value().size(), current.value().partition_counts()[3]);
  for (const Transfer& t : moves.value()) EXPECT_EQ(t.from, "d") << "partition " << t.partition;
  ASSERT_TRUE(finish_leave(view, "d", "d").ok());
  Result<Ring> after = current_ring(view, kQ);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(owners(after.value()), owners(target.value()));
}

TEST(Membership, ALeaveFromTheMiddleMovesEveryPartitionOfTheLeaverAndGivesItNone) {
  MembershipView view = four_nodes();
  ASSERT_TRUE(admin_leave(view, "b", 3, "a").ok());
  Result<Ring> current = current_ring(view, kQ);
  Result<Ring> target = target_ring(view, kQ);
  ASSERT_TRUE(current.ok() && target.ok());
  Result<std::vector<Transfer>> moves = pending_transfers(current.value(), target.value());
  ASSERT_TRUE(moves.ok());
  std::size_t from_leaver = 0;
  for (const Transfer& t : moves.value()) {
    EXPECT_NE(t.to, "b");
    if (t.from == "b") ++from_leaver;
  }
  EXPECT_EQ(from_leaver, current.value().partition_counts()[1]);
}

TEST(Membership, RingErrors) {
  MembershipView empty{"c1", {}};
  EXPECT_FALSE(current_ring(empty, kQ).ok());
  EXPECT_FALSE(target_ring(empty, kQ).ok());
  EXPECT_FALSE(current_ring(four_nodes(), 3).ok());  // Q not a power of two: Ring::build refuses
  Result<Ring> r64 = current_ring(four_nodes(), 64), r128 = current_ring(four_nodes(), 128);
  ASSERT_TRUE(r64.ok() && r128.ok());
  EXPECT_FALSE(pending_transfers(r64.value(), r128.value()).ok());
}

}  // namespace
}  // namespace dynamo
