// Node-level checks of tombstone reaping (impl/core/node_reap.cc, docs/reaping.md; tla/Membership.tla
// ReapTombstone): a handful of node cores with memory storage and a lossless network, driven by hand,
// so each condition of the rule can be broken on its own. The simulator's properties check that
// reaping loses nothing under faults; these check that it waits when it must, and that it happens.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>

#include "impl/core/node.h"
#include "impl/core/test_support.h"
#include "impl/store/memory_store.h"
#include "impl/store/storage_executor.h"
#include "proptests/settle.h"

namespace dynamo {
namespace {

constexpr std::uint64_t kGraceMs = 1000;

struct MiniCluster {
  std::shared_ptr<const Ring> ring;
  std::map<std::string, std::unique_ptr<Node>> nodes;
  std::map<std::string, std::unique_ptr<store::MemoryStore>> stores;
  std::deque<std::pair<std::string, Send>> net;  // (from, message)
  std::set<std::string> cut;                     // nodes whose messages, both ways, are lost
  std::vector<Reply> replies;
  std::uint64_t now_ms = 0;

  explicit MiniCluster(int members = 4) {
    ring = testing::one_dc_ring(1, members, 16);
    for (const auto& m : ring->members()) {
      nodes[m.id] = std::make_unique<Node>(Node::create(config_of(m.id, 1)).value());
      stores[m.id] = std::make_unique<store::MemoryStore>();
    }
    for (auto& [id, node] : nodes) apply(id, node->start());
    tick();
  }
  NodeConfig config_of(const std::string& id, std::uint32_t pass_every) const {
    NodeConfig config;
    config.id = id;
    config.epoch = 1;
    config.ring = ring;
    config.timing.anti_entropy_every = pass_every;  // the pass that finds tombstones (and hands keys over)
    config.timing.reap_grace_ms = kGraceMs;
    config.timing.reap_settle = 3;
    return config;
  }
  // Restarts `id` (same storage, next epoch) with no anti-entropy pass: it keeps what it holds.
  void without_pass(const std::string& id) {
    NodeConfig config = config_of(id, 1'000'000);
    config.epoch = 2;
    nodes[id] = std::make_unique<Node>(Node::create(config).value());
    apply(id, node(id).start());
    tick();
  }

  Node& node(const std::string& id) { return *nodes.at(id); }
  store::MemoryStore& storage(const std::string& id) { return *stores.at(id); }

  void apply(const std::string& id, Effects effects) {
    Effects all = testing::settle(node(id), storage(id), std::move(effects));
    for (auto& s : all.sends) net.emplace_back(id, std::move(s));
    for (auto& r : all.replies) replies.push_back(std::move(r));
  }
  void deliver_all() {
    while (!net.empty()) {
      auto [from, send] = std::move(net.front());
      net.pop_front();
      if (cut.contains(from) || cut.contains(send.to) || !nodes.contains(send.to)) continue;
      apply(send.to, node(send.to).on_message(from, send.message));
    }
  }
  void tick(std::uint64_t advance_ms = 10) {
    now_ms += advance_ms;
    for (auto& [id, n] : nodes) apply(id, n->on_tick(now_ms));
    deliver_all();
  }
  void ticks(int count) {
    for (int i = 0; i < count; ++i) tick();
  }
  ClientReply call(const std::string& coordinator, ClientRequest request) {
    replies.clear();
    apply(coordinator, node(coordinator).on_client_request("client", request));
    deliver_all();
    for (int i = 0; i < 50 && replies.empty(); ++i) tick();
    EXPECT_FALSE(replies.empty());
    return replies.empty() ? ClientReply{} : replies.back().reply;
  }
  std::vector<std::string> primaries(const std::string& key) const {
    return ring->preference_list(ring->partition_of_key(key), 3).value();
  }
  std::string outsider(const std::string& key) const {
    const auto p = primaries(key);
    for (const auto& m : ring->members())
      if (std::find(p.begin(), p.end(), m.id) == p.end()) return m.id;
    return "";
  }
  KeyState state(const std::string& id, const std::string& key) {
    return storage(id).read(storage_key("default", key)).value();
  }
  std::uint64_t reaped() {
    std::uint64_t total = 0;
    for (auto& [id, n] : nodes) total += n->stats().tombstones_reaped;
    return total;
  }
  std::uint64_t reap_rounds() {
    std::uint64_t total = 0;
    for (auto& [id, n] : nodes) total += n->stats().reap_rounds;
    return total;
  }
};

ClientRequest request(std::uint64_t id, OpKind op, const std::string& key, std::string value = "",
                      CausalContext context = {}) {
  ClientRequest r;
  r.request_id = id;
  r.op = op;
  r.store = "default";
  r.key = key;
  r.value = std::move(value);
  r.context = std::move(context);
  return r;
}

// Puts a value, reads it, deletes it with the context read; returns the value's version.
Version put_then_delete(MiniCluster& c, const std::string& key) {
  const std::string coordinator = c.primaries(key)[0];
  EXPECT_EQ(c.call(coordinator, request(1, OpKind::kPut, key, "deleted soon")).status, ReplyStatus::kOk);
  ClientReply got = c.call(coordinator, request(2, OpKind::kGet, key));
  EXPECT_EQ(got.status, ReplyStatus::kOk);
  EXPECT_EQ(got.siblings.size(), 1u);
  EXPECT_EQ(c.call(coordinator, request(3, OpKind::kDelete, key, "", got.context)).status, ReplyStatus::kOk);
  for (const auto& p : c.primaries(key)) {
    EXPECT_EQ(c.state(p, key).siblings.size(), 1u);
    EXPECT_TRUE(c.state(p, key).siblings[0].is_tombstone());
  }
  return got.siblings.at(0);
}

bool tombstones_everywhere(MiniCluster& c, const std::string& key) {
  for (const auto& p : c.primaries(key))
    if (c.state(p, key).siblings.empty()) return false;
  return true;
}

// Reference: issue 7 §4. With every member agreeing, the tombstone goes from every primary and the key
// leaves no record; it does not go before the grace period.
TEST(NodeChecks, ATombstoneIsReapedAfterTheGraceWhenEveryMemberAgrees) {
  MiniCluster c;
  put_then_delete(c, "k");
  c.ticks(20);  // 200 ms: inside the grace
  EXPECT_EQ(c.reap_rounds(), 0u) << "no reap starts before the grace period";
  EXPECT_TRUE(tombstones_everywhere(c, "k"));
  c.tick(kGraceMs);
  c.ticks(20);
  EXPECT_GE(c.reap_rounds(), 1u);
  for (const auto& [id, s] : c.stores) {
    auto page = s->scan("", "", 100);
    ASSERT_TRUE(page.ok());
    EXPECT_TRUE(page.value().entries.empty()) << id << " still keeps a record of the reaped key";
  }
  EXPECT_GE(c.reaped(), 3u) << "each primary reaped its copy";
}

// A member that is no primary keeps the deleted value (a stale copy, e.g. read repair put it there):
// the tombstone must stay, or that copy would come back.
TEST(NodeChecks, ATombstoneStaysWhileAnyMemberHoldsAVersionItDoesNotCover) {
  MiniCluster c;
  const Version value = put_then_delete(c, "k");
  const std::string outsider = c.outsider("k");
  // It has not handed the copy over yet (its pass would transfer it to the primaries and release it).
  c.without_pass(outsider);
  ASSERT_TRUE(c.storage(outsider).merge(storage_key("default", "k"), {value}, Durability::kDurable).ok());
  c.tick(kGraceMs);
  c.ticks(30);
  EXPECT_GE(c.reap_rounds(), 1u) << "reaps were tried";
  EXPECT_TRUE(tombstones_everywhere(c, "k")) << "reaped while " << outsider << " holds the deleted value";
  EXPECT_EQ(c.reaped(), 0u);
  // Once the outsider's copy is superseded, the reap goes through (the outsider is told too).
  const Version tomb = c.state(c.primaries("k")[0], "k").siblings.at(0);
  ASSERT_TRUE(c.storage(outsider).merge(storage_key("default", "k"), {tomb}, Durability::kDurable).ok());
  c.ticks(30);
  EXPECT_FALSE(tombstones_everywhere(c, "k"));
  EXPECT_TRUE(c.state(outsider, "k").siblings.empty());
}

// A hint for the key (an older version waiting for its primary) blocks the reap.
TEST(NodeChecks, ATombstoneStaysWhileAHintForTheKeyIsPending) {
  MiniCluster c;
  const Version value = put_then_delete(c, "k");
  const std::string outsider = c.outsider("k");
  const std::string target = c.primaries("k")[2];
  // The outsider kept the value as a fallback for `target` (a hinted store), and cannot hand it off
  // while the target does not answer it.
  c.apply(outsider, c.node(outsider).on_message(c.primaries("k")[0],
                                                StoreRequest{99, "default", "k", value, target}));
  c.net.clear();
  ASSERT_EQ(c.node(outsider).stats().pending_hints, 1u);
  c.cut.insert(outsider);  // its handoffs and answers are lost: no reap can complete either way
  c.tick(kGraceMs);
  c.ticks(30);
  c.cut.clear();
  // Now it answers, but the hint is delivered first or the reap sees it: either way, no resurrection.
  for (int i = 0; i < 60; ++i) {
    c.tick();
    const KeyState s = c.state(target, "k");
    for (const auto& v : s.siblings) EXPECT_TRUE(v.is_tombstone()) << "the deleted value came back at " << target;
    if (c.node(outsider).stats().pending_hints == 0) break;
  }
  EXPECT_EQ(c.node(outsider).stats().pending_hints, 0u);
  c.ticks(30);
  for (const auto& p : c.primaries("k"))
    for (const auto& v : c.state(p, "k").siblings) EXPECT_TRUE(v.is_tombstone()) << p;
}

// The core of the rule: while a member cannot be asked (its answers lost), nothing is reaped.
TEST(NodeChecks, ATombstoneStaysWhileAMemberDoesNotAnswer) {
  MiniCluster c;
  put_then_delete(c, "k");
  c.cut.insert(c.outsider("k"));
  c.tick(kGraceMs);
  c.ticks(60);
  EXPECT_GE(c.reap_rounds(), 1u);
  EXPECT_TRUE(tombstones_everywhere(c, "k"));
  EXPECT_EQ(c.reaped(), 0u);
}

// A node that left the ring before the reaper joined it (so in no ring the reaper held) and has not
// handed its keys over yet still holds the deleted value: the reap must ask it and wait, and must
// wait while it is silent too (it may answer no once it is reachable). The simulator resurrected a
// deleted value so: the leaver was cut off past the grace, then its transfer brought the value back.
TEST(NodeChecks, ATombstoneStaysWhileANodeThatIsLeavingHoldsAVersionItDoesNotCoverOrIsSilent) {
  MiniCluster c;
  const Version value = put_then_delete(c, "k");
  // n9 left before any of n1..n4 held a ring naming it; its pass (which hands keys over) is off.
  NodeConfig config = c.config_of("n9", 1'000'000);
  c.nodes["n9"] = std::make_unique<Node>(Node::create(config).value());
  c.stores["n9"] = std::make_unique<store::MemoryStore>();
  c.apply("n9", c.node("n9").start());
  ASSERT_TRUE(c.storage("n9").merge(storage_key("default", "k"), {value}, Durability::kDurable).ok());
  for (const auto& m : c.ring->members()) c.node(m.id).set_leaving({"n9"});
  c.tick(kGraceMs);
  c.ticks(30);
  EXPECT_GE(c.reap_rounds(), 1u) << "reaps were tried";
  EXPECT_TRUE(tombstones_everywhere(c, "k")) << "reaped while the leaving n9 holds the deleted value";
  // Silent, it may still hold it: the reap waits.
  const Version tomb = c.state(c.primaries("k")[0], "k").siblings.at(0);
  ASSERT_TRUE(c.storage("n9").merge(storage_key("default", "k"), {tomb}, Durability::kDurable).ok());
  c.cut.insert("n9");
  c.ticks(5 * static_cast<int>(NodeTiming{}.request_timeout));  // rounds that end with n9 silent
  EXPECT_TRUE(tombstones_everywhere(c, "k")) << "reaped while the leaving n9 did not answer";
  EXPECT_EQ(c.reaped(), 0u);
  // Reachable again, holding only the tombstone: the reap goes through, and n9 is told too.
  c.cut.clear();
  c.ticks(40);
  EXPECT_FALSE(tombstones_everywhere(c, "k"));
  EXPECT_TRUE(c.state("n9", "k").siblings.empty());
}

// A reap drops the key's issued dot: the coordinator's next put of the key must still get a counter
// above every one it issued before (else a context naming the old dot would supersede the new write).
TEST(NodeChecks, APutAfterAReapNeverReusesADot) {
  MiniCluster c;
  const Version value = put_then_delete(c, "k");
  const std::string coordinator = c.primaries("k")[0];
  const Version tomb = c.state(coordinator, "k").siblings.at(0);
  c.tick(kGraceMs);
  c.ticks(20);
  ASSERT_TRUE(c.state(coordinator, "k").siblings.empty()) << "reaped";
  ClientReply put = c.call(coordinator, request(4, OpKind::kPut, "k", "after the reap"));
  ASSERT_EQ(put.status, ReplyStatus::kOk);
  ASSERT_TRUE(put.dot.has_value());
  EXPECT_EQ(put.dot->actor, value.dot.actor);
  EXPECT_GT(put.dot->counter, tomb.dot.counter) << "a dot issued before the reap was issued again";
  EXPECT_GT(put.dot->counter, value.dot.counter);
}

// A reap order is conditional: a value written after the reap was agreed stays.
TEST(NodeChecks, AReapOrderKeepsAWriteThatLandedSince) {
  MiniCluster c;
  put_then_delete(c, "k");
  const std::string p = c.primaries("k")[1];
  const Version tomb = c.state(p, "k").siblings.at(0);
  Version late;
  late.dot = Dot{"n9#1", 1, 0};
  late.value = "late";
  ASSERT_TRUE(c.storage(p).merge(storage_key("default", "k"), {late}, Durability::kDurable).ok());
  c.apply(p, c.node(p).on_message(c.primaries("k")[0], ReapQuery{1, "default", "k", 0, {tomb}, true}));
  const KeyState s = c.state(p, "k");
  ASSERT_EQ(s.siblings.size(), 1u);
  EXPECT_EQ(s.siblings[0].dot, late.dot);
}

// A ReapQuery that is no tombstone (or names none) is dropped and counted, never obeyed.
TEST(NodeChecks, AMalformedReapQueryIsDroppedAndCounted) {
  MiniCluster c;
  put_then_delete(c, "k");
  const std::string p = c.primaries("k")[1];
  Version value;
  value.dot = Dot{"n9#1", 1, 0};
  value.value = "not a tombstone";
  const auto before = c.node(p).stats().dropped_messages;
  EXPECT_TRUE(c.node(p).on_message(c.primaries("k")[0], ReapQuery{1, "default", "k", 0, {value}, true}).empty());
  EXPECT_TRUE(c.node(p).on_message(c.primaries("k")[0], ReapQuery{1, "default", "k", 0, {}, true}).empty());
  EXPECT_EQ(c.node(p).stats().dropped_messages, before + 2);
  EXPECT_FALSE(c.state(p, "k").siblings.empty());
}

}  // namespace
}  // namespace dynamo
