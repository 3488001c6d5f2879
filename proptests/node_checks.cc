// Direct checks of one node core's effects, where a whole-system property cannot see a break: a
// fallback that dropped its hint loses nothing while the coordinator's durable copy and
// anti-entropy cover for it, so the rule "keep the hint before acknowledging" is checked here.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "impl/core/node.h"
#include "impl/core/test_support.h"
#include "impl/store/memory_store.h"
#include "impl/store/storage_executor.h"
#include "proptests/settle.h"

namespace dynamo {
namespace {

// A node `id` of a one-data-centre cluster n1..n<members>, with the default store (N=3, R=2, W=2).
NodeConfig test_config(const std::string& id, int members = 4) {
  NodeConfig config;
  config.id = id;
  config.ring = testing::one_dc_ring(1, members, 16);
  return config;
}

Node make_node(const std::string& id) { return Node::create(test_config(id)).value(); }

using testing::settle;

TEST(NodeChecks, AFallbackKeepsTheHintDurablyBeforeItAcknowledges) {
  Node fallback = make_node("n4");
  store::MemoryStore storage;
  settle(fallback, storage, fallback.start());
  Version v;
  v.dot = Dot{"n1#0", 1, 0};
  v.value = "x";
  Effects out = settle(fallback, storage, fallback.on_message("n1", StoreRequest{7, "default", "k", v, "n2"}));
  ASSERT_EQ(out.sends.size(), 1u);
  const auto* ack = std::get_if<StoreAck>(&out.sends[0].message);
  ASSERT_NE(ack, nullptr);
  EXPECT_TRUE(ack->stored);
  storage.crash();  // only what was synced survives
  auto hints = storage.hints_for("n2", 10);
  ASSERT_TRUE(hints.ok());
  ASSERT_EQ(hints.value().size(), 1u) << "the acknowledged hint must survive a crash";
  EXPECT_EQ(hints.value()[0].hint.version.dot, v.dot);
}

TEST(NodeChecks, AFallbackAtThePendingHintLimitRefusesAndSaysWhy) {
  NodeConfig config = test_config("n4");
  config.limits.max_pending_hints_per_target = 1;
  Node fallback = Node::create(config).value();
  store::MemoryStore storage;
  settle(fallback, storage, fallback.start());
  for (std::uint64_t i = 1; i <= 2; ++i) {
    Version v;
    v.dot = Dot{"n1#0", i, 0};
    v.value = "x";
    Effects out = settle(fallback, storage, fallback.on_message("n1", StoreRequest{i, "default", "k", v, "n2"}));
    const auto& ack = std::get<StoreAck>(out.sends.at(0).message);
    EXPECT_EQ(ack.stored, i == 1);
    if (i == 2) {
      EXPECT_NE(ack.refusal.find("limit"), std::string::npos) << ack.refusal;
    }
  }
  EXPECT_EQ(fallback.stats().refused_hints, 1u);
}

TEST(NodeChecks, BadClientRequestsGetAClearRefusal) {
  Node node = make_node("n1");
  ClientRequest request;
  request.op = OpKind::kPut;
  request.key = "";
  auto replies = node.on_client_request("c", request).replies;
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].reply.status, ReplyStatus::kFailed);
  EXPECT_NE(replies[0].reply.message.find("key must be"), std::string::npos);
  request.key = "k";
  request.store = "nope";
  replies = node.on_client_request("c", request).replies;
  EXPECT_NE(replies.at(0).reply.message.find("unknown store"), std::string::npos);
  request.store = "";
  request.value.assign(limits::kDefaultMaxValueBytes + 1, 'x');
  replies = node.on_client_request("c", request).replies;
  EXPECT_NE(replies.at(0).reply.message.find("exceeds"), std::string::npos);
}

TEST(NodeChecks, EachNamedStoreUsesItsOwnReplicationAndARequestNamesItsStore) {
  NodeConfig config = test_config("n1");
  StoreConfig logs;
  logs.name = "logs";
  logs.quorum = QuorumConfig{1, 1, 1};  // one copy: answered at the coordinator's own durable write
  config.stores = {StoreConfig{}, logs};
  Node node = Node::create(config).value();
  store::MemoryStore storage;
  settle(node, storage, node.start());
  // n1 must be the key's only primary for N=1: find such a key.
  std::string key;
  for (int i = 0; key.empty(); ++i) {
    const std::string k = "k" + std::to_string(i);
    if (config.ring->preference_list(config.ring->partition_of_key(k), 1).value().front() == "n1") key = k;
  }
  ClientRequest put;
  put.op = OpKind::kPut;
  put.store = "logs";
  put.key = key;
  put.value = "line";
  Effects out = settle(node, storage, node.on_client_request("c", put));
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].reply.status, ReplyStatus::kOk) << out.replies[0].reply.message;
  EXPECT_TRUE(out.sends.empty()) << "N=1: no other replica";
  EXPECT_EQ(storage.read(storage_key("logs", key)).value().siblings.size(), 1u);
  EXPECT_TRUE(storage.read(storage_key("default", key)).value().siblings.empty()) << "stores are apart";
}

TEST(NodeChecks, RequestsBeyondTheInFlightLimitAreRefusedAsBusy) {
  NodeConfig config = test_config("n1", 3);  // N=3 of 3: n1 coordinates every key
  config.limits.max_requests_in_flight = 2;
  Node node = Node::create(config).value();
  ClientRequest get;
  get.op = OpKind::kGet;
  get.key = "k";
  for (std::uint64_t i = 1; i <= 3; ++i) {
    get.request_id = i;
    auto replies = node.on_client_request("c", get).replies;  // storage never answers: they stay in flight
    if (i <= 2) {
      EXPECT_TRUE(replies.empty());
    } else {
      ASSERT_EQ(replies.size(), 1u);
      EXPECT_NE(replies[0].reply.message.find("busy"), std::string::npos) << replies[0].reply.message;
    }
  }
}

// A key whose preference list (N=3 of n1..n4) starts at `node`.
std::string key_led_by(const NodeConfig& config, const std::string& node) {
  for (int i = 0;; ++i) {
    const std::string k = "k" + std::to_string(i);
    if (config.ring->preference_list(config.ring->partition_of_key(k), 3).value().front() == node) return k;
  }
}

// n1 of n1..n4, started, with its storage, and a put of a key n1 leads the preference list of.
struct Coordinator {
  NodeConfig config = test_config("n1");
  Node node = Node::create(config).value();
  store::MemoryStore storage;
  ClientRequest put;
  Coordinator() {
    settle(node, storage, node.start());
    put.op = OpKind::kPut;
    put.key = key_led_by(config, "n1");
    put.value = "v";
  }
};

TEST(NodeChecks, APutWithoutWAcknowledgementsIsAnsweredUnknownNeverOk) {
  Coordinator c;
  auto& [config, node, storage, put] = c;
  Effects out = settle(node, storage, node.on_client_request("c", put));
  EXPECT_TRUE(out.replies.empty()) << "W=2: the coordinator's own store is not enough";
  EXPECT_EQ(out.sends.size(), 2u) << "Store to the two other replicas";
  std::set<std::string> asked;
  for (const auto& send : out.sends) asked.insert(send.to);
  std::vector<Reply> replies;
  for (int tick = 1; tick <= 60 && replies.empty(); ++tick) {
    Effects e = settle(node, storage, node.on_tick(tick));
    for (const auto& send : e.sends) asked.insert(send.to);  // the resend to a fallback (ResendPut)
    replies = e.replies;
  }
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].reply.status, ReplyStatus::kUnknown) << replies[0].reply.message;
  EXPECT_NE(replies[0].reply.message.find("may survive"), std::string::npos);
  EXPECT_GT(asked.size(), 2u) << "the put was not resent to a fallback";
  EXPECT_EQ(node.stats().suspected, asked.size()) << "every silent node asked is suspected";
}

// The real node records no spec steps (NodeConfig::record_spec_steps = false, impl/node): a put
// acknowledged by the replicas and a get answered by them must then make the same storage ops,
// sends and replies as with steps, and no step.
TEST(NodeChecks, ANodeThatRecordsNoSpecStepsActsTheSame) {
  struct Run {
    std::vector<std::string> effects;  // one line per storage op, send and reply, in order
    std::size_t steps = 0;
  };
  auto run = [](bool record) {
    NodeConfig config = test_config("n1");
    config.record_spec_steps = record;
    Node node = Node::create(config).value();
    store::MemoryStore storage;
    ClientRequest put;
    put.request_id = 1;
    put.op = OpKind::kPut;
    put.key = key_led_by(config, "n1");
    put.value = "v";
    Run out;
    auto note = [&](const Effects& e) {
      for (const auto& op : e.storage) out.effects.push_back("storage " + std::to_string(op.request.index()));
      for (const auto& send : e.sends) out.effects.push_back("send " + send.to + " " + std::to_string(send.message.index()));
      for (const auto& r : e.replies)
        out.effects.push_back("reply " + r.client + " " + std::to_string(static_cast<int>(r.reply.status)) + " " +
                              std::to_string(r.reply.siblings.size()));
      out.steps += e.steps.size();
    };
    note(settle(node, storage, node.start()));
    Effects stored = settle(node, storage, node.on_client_request("c", put));
    note(stored);
    for (const auto& send : stored.sends) {
      const auto& store = std::get<StoreRequest>(send.message);
      note(settle(node, storage, node.on_message(send.to, StoreAck{store.put_id, store.version.dot, 0, true, ""})));
    }
    ClientRequest get;
    get.request_id = 2;
    get.key = put.key;
    Effects asked = settle(node, storage, node.on_client_request("c", get));
    note(asked);
    for (const auto& send : asked.sends) {
      const auto& read = std::get<ReadRequest>(send.message);
      Version v;
      v.dot = Dot{"n1#0", 1, 0};
      v.value = "v";
      note(settle(node, storage, node.on_message(send.to, ReadReply{read.get_id, read.store, read.key, true, {v}})));
    }
    return out;
  };
  const Run with = run(true);
  const Run without = run(false);
  EXPECT_GT(with.steps, 0u);
  EXPECT_EQ(without.steps, 0u);
  EXPECT_EQ(with.effects, without.effects);
  EXPECT_GE(std::count_if(with.effects.begin(), with.effects.end(), [](const std::string& e) { return e.starts_with("reply"); }), 2)
      << "the put and the get were both answered";
}

TEST(NodeChecks, ConcurrentPutsOfOneKeyAtOneCoordinatorGetDistinctDots) {
  Coordinator c;
  auto& [config, node, storage, put] = c;
  // Both requests arrive before any storage op completes (an asynchronous shell).
  put.request_id = 1;
  Effects first = node.on_client_request("a", put);
  put.request_id = 2;
  Effects second = node.on_client_request("b", put);
  EXPECT_EQ(first.storage.size(), 1u);
  EXPECT_TRUE(second.storage.empty()) << "the second put waits until the first has written";
  settle(node, storage, std::move(first));
  const auto state = storage.read(storage_key("default", put.key)).value();
  ASSERT_EQ(state.siblings.size(), 2u) << "two blind puts are two siblings";
  EXPECT_NE(state.siblings[0].dot, state.siblings[1].dot);
}

TEST(NodeChecks, AMalformedPeerMessageIsDroppedAndCounted) {
  Node node = make_node("n1");
  Version v;  // counter 0: not a real dot
  Effects out = node.on_message("n2", StoreRequest{1, "default", "k", v, ""});
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(node.on_message("stranger", ReadRequest{1, "default", "k"}).empty());
  EXPECT_EQ(node.stats().dropped_messages, 2u);
}

// Reference: §4.9 (membership changes move keys); tla/Membership.tla ConfirmTransfer. Only an owner
// confirms a transfer: two nodes whose stale rings each name the other would otherwise confirm to each
// other and both release (TLC found it). A key this node owns is stored durably and confirmed.
TEST(NodeChecks, ANodeConfirmsATransferOnlyOfAKeyItOwns) {
  NodeConfig config = test_config("n4");
  Node node = Node::create(config).value();
  store::MemoryStore storage;
  settle(node, storage, node.start());
  std::string owned, foreign;
  for (int i = 0; owned.empty() || foreign.empty(); ++i) {
    const std::string k = "k" + std::to_string(i);
    const auto list = config.ring->preference_list(config.ring->partition_of_key(k), 3).value();
    (std::find(list.begin(), list.end(), "n4") != list.end() ? owned : foreign) = k;
  }
  Version v;
  v.dot = Dot{"n1#0", 1, 0};
  v.value = "x";
  Effects out = settle(node, storage, node.on_message("n1", TransferKey{7, "default", foreign, {v}}));
  EXPECT_TRUE(out.sends.empty()) << "no confirmation for a key n4 does not own";
  EXPECT_TRUE(storage.read(storage_key("default", foreign)).value().siblings.empty());
  out = settle(node, storage, node.on_message("n1", TransferKey{8, "default", owned, {v}}));
  ASSERT_EQ(out.sends.size(), 1u);
  const auto* ack = std::get_if<TransferAck>(&out.sends[0].message);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->sequence, 8u);
  EXPECT_EQ(ack->dots, std::vector<Dot>{v.dot});
  storage.crash();  // the confirmation rests on a durable write
  EXPECT_EQ(storage.read(storage_key("default", owned)).value().siblings.size(), 1u);
}

// n1 gave a key up (a ring without it), sent it to the three new primaries and has two of their
// confirmations; last_confirmation() delivers the third, which issues the release. v is the key's
// version.
struct GivenUp {
  NodeConfig config = [] {
    NodeConfig c = test_config("n1", 3);  // N=3 of 3: n1 is a primary of every key
    c.timing.anti_entropy_every = 1;      // the pass that hands keys over runs every tick
    return c;
  }();
  Node node = Node::create(config).value();
  store::MemoryStore storage;
  Version v;
  std::vector<std::pair<std::string, std::uint64_t>> sent;  // (primary, transfer sequence)
  GivenUp() {
    settle(node, storage, node.start());
    v.dot = Dot{"n2#0", 1, 0};
    v.value = "x";
    settle(node, storage, node.on_message("n2", StoreRequest{1, "default", "k", v, ""}));
    EXPECT_TRUE(node.adopt_ring(testing::one_dc_ring(2, 4, 16)).ok());  // n1 leaves
    for (const auto& s : settle(node, storage, node.on_tick(1)).sends)
      if (const auto* t = std::get_if<TransferKey>(&s.message)) sent.emplace_back(s.to, t->sequence);
    EXPECT_EQ(sent.size(), 3u);
    for (std::size_t i = 0; i + 1 < sent.size(); ++i) {
      EXPECT_TRUE(holds_key()) << "released after " << i << " of 3 confirmations";
      settle(node, storage, node.on_message(sent[i].first, TransferAck{sent[i].second, "default", "k", {v.dot}}));
    }
  }
  Effects last_confirmation() {
    return node.on_message(sent.back().first, TransferAck{sent.back().second, "default", "k", {v.dot}});
  }
  bool holds_key() { return !storage.read(storage_key("default", "k")).value().siblings.empty(); }
};

// tla/Membership.tla ReleasePartition: after a ring change takes a key away, the old owner sends it
// to every new primary and drops it only once all of them confirmed.
TEST(NodeChecks, AKeyGivenUpIsReleasedOnlyAfterEveryPrimaryConfirmed) {
  GivenUp n1;
  EXPECT_TRUE(n1.holds_key()) << "released after 2 of 3 confirmations";
  settle(n1.node, n1.storage, n1.last_confirmation());
  EXPECT_FALSE(n1.holds_key()) << "kept after all 3";
  EXPECT_EQ(n1.node.stats().keys_released, 1u);
}

bool confirms(const Effects& effects) {
  return std::any_of(effects.sends.begin(), effects.sends.end(),
                     [](const Send& s) { return std::holds_alternative<TransferAck>(s.message); });
}

// tla/Membership.tla ReleasePartition checks the ring the node holds when it releases. A ring change
// that makes n1 a primary again while the confirmations are on their way ends the transfer without a
// release: n1 keeps its copy.
TEST(NodeChecks, AKeyIsNotReleasedWhenARingChangeSinceItWasSentMadeTheNodeAPrimaryAgain) {
  GivenUp n1;
  ASSERT_TRUE(n1.node.adopt_ring(testing::one_dc_ring(1, 3, 16)).ok());  // n1 is back
  const Effects out = settle(n1.node, n1.storage, n1.last_confirmation());
  EXPECT_TRUE(std::none_of(out.storage.begin(), out.storage.end(),
                           [](const StorageOp& op) { return std::holds_alternative<ReleaseKey>(op.request); }));
  EXPECT_TRUE(n1.holds_key()) << "a primary of the key dropped it";
  EXPECT_EQ(n1.node.stats().keys_released, 0u);
}

// The spec's ReleasePartition is one step; the core's release is issued and done later. A ring
// change in between may make n1 a primary again, and a new primary's transfer of the key may reach
// it: n1 must not confirm that transfer before its release is done (it would confirm, then drop the
// key, and the sender, confirmed, would drop its copy: the simulator lost a write that way). It
// confirms the sender's next transfer, after the release.
TEST(NodeChecks, ANodeConfirmsNoTransferOfAKeyWhileItsOwnReleaseOfItIsInFlight) {
  GivenUp n1;
  Effects release = n1.last_confirmation();
  ASSERT_EQ(release.storage.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<ReleaseKey>(release.storage[0].request));
  ASSERT_TRUE(n1.node.adopt_ring(testing::one_dc_ring(1, 3, 16)).ok());  // n1 is back, the release in flight
  EXPECT_FALSE(confirms(settle(n1.node, n1.storage, n1.node.on_message("n4", TransferKey{9, "default", "k", {n1.v}}))))
      << "confirmed a transfer of a key it is releasing";
  settle(n1.node, n1.storage, n1.node.on_storage_done(release.storage[0].token, store::execute(n1.storage, release.storage[0].request)));
  EXPECT_FALSE(n1.holds_key());
  EXPECT_TRUE(confirms(settle(n1.node, n1.storage, n1.node.on_message("n4", TransferKey{10, "default", "k", {n1.v}}))));
  EXPECT_TRUE(n1.holds_key()) << "the transfer after the release is stored";
}

}  // namespace
}  // namespace dynamo

