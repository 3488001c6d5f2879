// A put still short of W resend_after ticks after it sent its version sends it to one more fallback
// for each target that has not answered (spec: ResendPut; paper §4.6). Checked on one coordinator
// whose peers the test plays by hand:
//  - the version goes to the first fallback of the key's walk, hinted for the silent primary, and
//    that fallback's acknowledgement completes the put (mutant RESEND_WITHOUT_HINT);
//  - a fallback the coordinator suspects is skipped (mutant RESEND_TO_SUSPECT);
//  - not before resend_after, at most once per put, never for a target that answered (even "no"),
//    never with resend_after = 0, and a resend_after that could never fire is a config error;
//  - not once W is reached counting the coordinator's own write under way, nor after a ring change;
//  - a node answers "not sure" to a reap question while a put of the key may still resend
//    (mutant REAP_IGNORES_OPEN_PUT).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "impl/core/node.h"
#include "impl/core/test_support.h"
#include "impl/store/memory_store.h"
#include "impl/store/storage_executor.h"
#include "proptests/settle.h"

namespace dynamo {
namespace {

constexpr int kNodes = 7;
const std::string kKey = "k";

// One coordinator of kKey in a ring of kNodes, N = 3; every storage op completes at once.
struct Coordinator {
  explicit Coordinator(std::uint32_t resend_after = 5, bool overlap = false) {
    ring = testing::one_dc_ring(1, kNodes, 16);
    order = ring->full_order(ring->partition_of_key(kKey));
    NodeConfig config;
    config.id = order[0];
    config.ring = ring;
    config.timing.request_timeout = 20;
    config.timing.suspect_for = 60;
    config.timing.resend_after = resend_after;
    config.stores[0].overlap_coordinator_write = overlap;
    node.emplace(Node::create(config).value());
    run(node->start());
  }

  void run(Effects effects) {
    const auto hold = [&](const StorageOp& op) { return hold_durable && testing::is_durable_put(op); };
    Effects all = testing::settle(*node, storage, std::move(effects), hold, &held);
    for (auto& s : all.sends) {
      if (const auto* r = std::get_if<StoreRequest>(&s.message)) stores.push_back({s.to, *r});
      if (const auto* r = std::get_if<ReapReply>(&s.message)) reap_replies.push_back(*r);
    }
    for (auto& r : all.replies) replies.push_back(r.reply);
  }
  void tick(int times = 1) {
    for (int i = 0; i < times; ++i) run(node->on_tick(0));
  }
  // A put (or delete) of kKey needing w acknowledgements (the coordinator's own included).
  void put(std::uint64_t id, int w, OpKind op = OpKind::kPut) {
    ClientRequest r;
    r.request_id = id;
    r.op = op;
    r.key = kKey;
    r.value = "v" + std::to_string(id);
    r.w = w;
    run(node->on_client_request("client", r));
  }
  void ack(const std::string& from, const StoreRequest& s, bool stored = true) {
    run(node->on_message(from, StoreAck{s.put_id, s.version.dot, 0, stored, stored ? "" : "too many hints"}));
  }
  const StoreRequest* store_to(const std::string& to, std::size_t from_index = 0) const {
    for (std::size_t i = from_index; i < stores.size(); ++i)
      if (stores[i].first == to) return &stores[i].second;
    return nullptr;
  }

  std::shared_ptr<const Ring> ring;
  std::vector<std::string> order;  // the key's walk: primaries order[0..2], then the fallbacks
  std::optional<Node> node;
  store::MemoryStore storage;
  std::vector<std::pair<std::string, StoreRequest>> stores;  // every Store sent: (to, request)
  std::vector<ReapReply> reap_replies;
  std::vector<ClientReply> replies;
  bool hold_durable = false;     // hold the coordinator's durable writes in `held`
  std::vector<StorageOp> held;
};

TEST(NodeChecks, APutShortOfWResendsItsVersionToTheNextFallbackHintedForTheSilentPrimary) {
  Coordinator c;
  c.put(1, 3);
  ASSERT_EQ(c.stores.size(), 2u) << "the version goes to both other primaries";
  const std::string p2 = c.order[1], p3 = c.order[2], f1 = c.order[3];
  c.ack(p2, *c.store_to(p2));  // p3 stays silent
  c.tick(4);
  EXPECT_EQ(c.stores.size(), 2u) << "resent before resend_after";
  c.tick();
  ASSERT_EQ(c.stores.size(), 3u) << "no resend after resend_after ticks without p3's answer";
  EXPECT_EQ(c.stores[2].first, f1) << "not the first fallback of the key's walk";
  EXPECT_EQ(c.stores[2].second.hint, p3) << "the fallback must keep the version as a hint for the silent primary";
  EXPECT_EQ(c.stores[2].second.version.dot, c.stores[0].second.version.dot);
  EXPECT_TRUE(c.replies.empty());
  c.ack(f1, c.stores[2].second);
  ASSERT_EQ(c.replies.size(), 1u) << "the fallback's acknowledgement does not count toward W";
  EXPECT_EQ(c.replies[0].status, ReplyStatus::kOk) << c.replies[0].message;
  c.tick(30);
  EXPECT_EQ(c.stores.size(), 3u) << "a completed put was resent";
}

TEST(NodeChecks, AResendSkipsFallbacksTheCoordinatorSuspects) {
  Coordinator c;
  const std::string p2 = c.order[1], p3 = c.order[2];
  const std::string f1 = c.order[3], f2 = c.order[4], f3 = c.order[5], f4 = c.order[6];
  // Put 1: p2 and p3 silent; the resend goes to f1 (for p2) and f2 (for p3); only f2 answers, so the
  // put times out and the coordinator suspects p2, p3 and f1.
  c.put(1, 3);
  c.tick(5);
  ASSERT_EQ(c.stores.size(), 4u);
  EXPECT_EQ(c.stores[2].first, f1);
  EXPECT_EQ(c.stores[3].first, f2);
  c.ack(f2, c.stores[3].second);
  c.tick(20);
  ASSERT_EQ(c.replies.size(), 1u);
  EXPECT_EQ(c.replies[0].status, ReplyStatus::kUnknown) << c.replies[0].message;
  // Put 2: p2 and p3 are suspected, so the sloppy list sends to f2 (for p2) and f3 (for p3), f1 being
  // suspected too. f3 stays silent: its resend, for p3, must skip f1 (suspected) and go to f4.
  const std::size_t before = c.stores.size();
  c.put(2, 3);
  ASSERT_EQ(c.stores.size(), before + 2);
  ASSERT_NE(c.store_to(f2, before), nullptr);
  ASSERT_NE(c.store_to(f3, before), nullptr);
  c.ack(f2, *c.store_to(f2, before));
  c.tick(5);
  ASSERT_EQ(c.stores.size(), before + 3) << "no resend for the silent fallback f3";
  EXPECT_NE(c.stores.back().first, f1) << "resent to a fallback the coordinator suspects";
  EXPECT_EQ(c.stores.back().first, f4);
  EXPECT_EQ(c.stores.back().second.hint, p3) << "a resend for a silent fallback is hinted for its primary";
}

TEST(NodeChecks, APutIsResentOnlyForTargetsThatDidNotAnswerAndOnlyOnce) {
  Coordinator c;
  const std::string p2 = c.order[1], p3 = c.order[2];
  c.put(1, 2);
  c.ack(p2, *c.store_to(p2), false);  // p2 answered "no" (a full hint store, say): it is not silent
  c.tick(5);
  ASSERT_EQ(c.stores.size(), 3u);
  EXPECT_EQ(c.stores[2].second.hint, p3) << "only the silent p3 is resent for";
  c.tick(16);  // past the request timeout
  EXPECT_EQ(c.stores.size(), 3u) << "resent twice";
  ASSERT_EQ(c.replies.size(), 1u);
  EXPECT_EQ(c.replies[0].status, ReplyStatus::kUnknown);
}

TEST(NodeChecks, NoPutIsResentWhenResendAfterIsZero) {
  Coordinator c(0);
  c.put(1, 3);
  c.tick(25);
  EXPECT_EQ(c.stores.size(), 2u);
  ASSERT_EQ(c.replies.size(), 1u);
  EXPECT_EQ(c.replies[0].status, ReplyStatus::kUnknown);
}

TEST(NodeChecks, AResendAfterThatCouldNeverFireIsAConfigError) {
  NodeConfig config;
  config.id = "n1";
  config.ring = testing::one_dc_ring(1, 3, 16);
  config.timing.request_timeout = 20;
  config.timing.resend_after = 20;
  auto node = Node::create(config);
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.error().message.find("must be below request_timeout"), std::string::npos) << node.error().message;
}

}  // namespace
}  // namespace dynamo

namespace dynamo {
namespace {

TEST(NodeChecks, APutThatReachedWCountingItsOwnWriteUnderWayIsNotResent) {
  Coordinator c(5, /*overlap=*/true);
  c.hold_durable = true;
  c.put(1, 2);
  ASSERT_EQ(c.held.size(), 1u) << "the coordinator's own durable write is under way";
  ASSERT_EQ(c.stores.size(), 2u) << "with the overlap the version went out beside it";
  c.ack(c.order[1], c.stores[0].second);  // W=2: this ack and the own write under way are enough
  c.tick(5);
  EXPECT_EQ(c.stores.size(), 2u) << "resent although W is reached once the own write lands";
}

TEST(NodeChecks, APutIsNotResentAfterARingChange) {
  Coordinator c;
  c.put(1, 3);
  auto bigger = testing::one_dc_ring(1, kNodes + 1, 16);
  ASSERT_TRUE(c.node->adopt_ring(bigger).ok());
  c.tick(5);
  for (std::size_t i = 2; i < c.stores.size(); ++i)
    EXPECT_NE(c.stores[i].second.put_id, 1u) << "put 1 resent under a ring it did not choose its targets by";
}

TEST(NodeChecks, AReapQuestionIsAnsweredNotSureWhileAPutOfTheKeyMayStillResend) {
  Coordinator c;
  c.tick(10);  // the first hint scan: until it, a node cannot vouch for its hints
  c.put(1, 3, OpKind::kDelete);
  ASSERT_EQ(c.stores.size(), 2u);
  const Version tombstone = c.stores[0].second.version;
  const ReapQuery question{7, "default", kKey, ring_digest(*c.ring), {tombstone}, false};
  c.tick(2);
  c.run(c.node->on_message(c.order[1], question));
  ASSERT_EQ(c.reap_replies.size(), 1u);
  EXPECT_FALSE(c.reap_replies[0].ok) << "said yes to a reap while its put of the key may still resend the version";
  c.tick(25);  // the put times out: nothing of it can be sent any more
  ASSERT_EQ(c.replies.size(), 1u);
  c.run(c.node->on_message(c.order[1], question));
  ASSERT_EQ(c.reap_replies.size(), 2u);
  EXPECT_TRUE(c.reap_replies[1].ok) << "the control: with the put over and only the tombstone held, the answer is yes";
}

}  // namespace
}  // namespace dynamo
