// Direct checks of the node core's Merkle anti-entropy (impl/core/node_merkle.cc): three node cores,
// each with its own memory storage, wired by a lossless in-order network. Replicas that differ in
// known keys must converge through the exchange alone, at a cost that follows the differences (no
// KeySync once they agree), and writes that land after the trees were filled must be found too.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "impl/core/node.h"
#include "impl/core/test_support.h"
#include "impl/store/memory_store.h"
#include "impl/store/storage_executor.h"

namespace dynamo {
namespace {

const std::vector<std::string> kIds = {"n1", "n2", "n3"};

// Three nodes, N = 3: every node is a primary of every key, so every key is in every node's trees.
struct Cluster {
  std::map<std::string, std::unique_ptr<Node>> nodes;
  std::map<std::string, std::unique_ptr<store::MemoryStore>> storage;
  std::deque<std::pair<std::string, Send>> network;  // (from, message)
  std::uint64_t syncs_seen = 0;                       // KeySync messages delivered

  Cluster() {
    auto ring = testing::one_dc_ring(1, 3, 16);  // kIds
    for (const auto& id : kIds) {
      NodeConfig config;
      config.id = id;
      config.ring = ring;
      config.timing.anti_entropy_every = 5;
      nodes[id] = std::make_unique<Node>(Node::create(config).value());
      storage[id] = std::make_unique<store::MemoryStore>();
    }
  }

  // Runs a node's storage ops at once, in order, and queues its messages.
  void run(const std::string& id, Effects effects) {
    std::deque<Effects> work{std::move(effects)};
    while (!work.empty()) {
      Effects e = std::move(work.front());
      work.pop_front();
      for (auto& op : e.storage) work.push_back(nodes[id]->on_storage_done(op.token, store::execute(*storage[id], op.request)));
      for (auto& send : e.sends) network.emplace_back(id, std::move(send));
    }
  }

  void drain() {
    while (!network.empty()) {
      auto [from, send] = std::move(network.front());
      network.pop_front();
      if (std::holds_alternative<KeySync>(send.message)) ++syncs_seen;
      run(send.to, nodes[send.to]->on_message(from, send.message));
    }
  }

  void start() {
    for (const auto& id : kIds) run(id, nodes[id]->start());
    drain();
  }

  void ticks(int count) {
    for (int t = 0; t < count; ++t) {
      for (const auto& id : kIds) run(id, nodes[id]->on_tick(static_cast<std::uint64_t>(t)));
      drain();
    }
  }

  std::vector<Dot> dots(const std::string& id, const std::string& key) {
    return dots_of(storage[id]->read(storage_key("default", key)).value().siblings);
  }
};

Version version(const std::string& actor, std::uint64_t counter, const std::string& value) {
  Version v;
  v.dot = Dot{actor, counter, 0};
  v.value = value;
  return v;
}

void put_direct(store::MemoryStore& storage, const std::string& key, const Version& v) {
  ASSERT_TRUE(storage.merge(storage_key("default", key), {v}, Durability::kDurable).ok());
}

// Keys that differ only on one node each, spread over leaves and partitions, plus keys all agree on.
TEST(MerkleNodeChecks, ExchangeRepairsEveryDifferingKeyAndThenSendsNoKeys) {
  Cluster c;
  std::vector<std::string> keys;
  for (int i = 0; i < 60; ++i) keys.push_back("key-" + std::to_string(i));
  for (int i = 0; i < 60; ++i) {
    const Version shared = version("w#1", static_cast<std::uint64_t>(i + 1), "v");
    if (i < 40) {  // held by all three alike
      for (const auto& id : kIds) put_direct(*c.storage[id], keys[i], shared);
    } else if (i < 50) {  // only on n1
      put_direct(*c.storage["n1"], keys[i], shared);
    } else {  // on n2 and n3, with a concurrent sibling on n3
      put_direct(*c.storage["n2"], keys[i], shared);
      put_direct(*c.storage["n3"], keys[i], shared);
      put_direct(*c.storage["n3"], keys[i], version("x#1", static_cast<std::uint64_t>(i + 1), "w"));
    }
  }
  c.start();
  c.ticks(60);  // fills the trees (first pass), then several exchange rounds
  for (const auto& key : keys) {
    const auto want = c.dots("n3", key).size() >= c.dots("n1", key).size() ? c.dots("n3", key) : c.dots("n1", key);
    for (const auto& id : kIds) EXPECT_EQ(c.dots(id, key), want) << id << " " << key;
  }
  std::uint64_t repaired = 0, exchanges = 0, bytes = 0;
  for (const auto& id : kIds) {
    const NodeStats s = c.nodes[id]->stats();
    repaired += s.merkle_keys_repaired;
    exchanges += s.merkle_exchanges;
    bytes += s.merkle_bytes_sent;
    EXPECT_EQ(s.dropped_messages, 0u);
  }
  EXPECT_GE(repaired, 20u);  // at least each differing key once (n1's 10 and n3's 10)
  EXPECT_GT(exchanges, 0u);
  EXPECT_GT(bytes, 0u);
  std::printf("merkle node check: %llu exchanges, %llu keys repaired, %llu bytes of tree messages, %llu KeySync\n",
              (unsigned long long)exchanges, (unsigned long long)repaired, (unsigned long long)bytes,
              (unsigned long long)c.syncs_seen);
  // Converged: further rounds compare roots only and move no key.
  const std::uint64_t syncs = c.syncs_seen;
  c.ticks(50);
  EXPECT_EQ(c.syncs_seen, syncs) << "replicas that agree exchanged keys";

  // A write that lands after the trees were filled (read repair at n2 only) is found and spread.
  const Version late = version("w#2", 99, "late");
  c.run("n2", c.nodes["n2"]->on_message("n1", RepairRequest{"default", keys[3], {late}}));
  c.drain();
  c.ticks(30);
  const std::vector<Dot> both = c.dots("n2", keys[3]);  // the late version is concurrent: two siblings
  ASSERT_EQ(both.size(), 2u);
  for (const auto& id : kIds) EXPECT_EQ(c.dots(id, keys[3]), both) << id;
}

// Tree messages that break the limits, or answers nobody asked for, are dropped (and counted when
// malformed), never a crash.
TEST(MerkleNodeChecks, BadTreeMessagesAreDroppedAndCounted) {
  Cluster c;
  c.start();
  c.ticks(10);
  Node& n1 = *c.nodes["n1"];
  const std::uint64_t dropped = n1.stats().dropped_messages;
  TreeHashRequest outside{1, 2, "default", {MerkleShape{16, 0, 2}, {MerklePosition{3, 0}}}};
  EXPECT_TRUE(n1.on_message("n2", outside).sends.empty());
  TreeLeafRequest bad_leaf{1, 2, "default", {MerkleShape{16, 0, 2}, {256}}};
  EXPECT_TRUE(n1.on_message("n2", bad_leaf).sends.empty());
  TreeHashRequest bad_shape{1, 2, "default", {MerkleShape{15, 0, 2}, {}}};
  EXPECT_TRUE(n1.on_message("n2", bad_shape).sends.empty());
  TreeLeafReply empty_key{1, 2, "default", 0, true, {{{MerkleEntry{"", {}}}}}};
  EXPECT_TRUE(n1.on_message("n2", empty_key).sends.empty());
  EXPECT_EQ(n1.stats().dropped_messages, dropped + 4);
  // Well-formed but unasked-for: ignored, not counted.
  EXPECT_TRUE(n1.on_message("n2", TreeHashReply{12345, 1, "default", 0, true, {}}).empty());
  EXPECT_EQ(n1.stats().dropped_messages, dropped + 4);
  // A shape this node does not use (another depth) is answered "no".
  Effects no = n1.on_message("n2", TreeHashRequest{7, 8, "default", {MerkleShape{16, 0, 3}, {MerklePosition{0, 0}}}});
  ASSERT_EQ(no.sends.size(), 1u);
  EXPECT_FALSE(std::get<TreeHashReply>(no.sends[0].message).ok);
}

}  // namespace
}  // namespace dynamo
