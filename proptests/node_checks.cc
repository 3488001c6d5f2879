// Direct checks of one node core's effects, where a whole-system property cannot see a break: a
// fallback that dropped its hint loses nothing while the coordinator's durable copy and
// anti-entropy cover for it, so the rule "keep the hint before acknowledging" is checked here.
#include <gtest/gtest.h>

#include <memory>

#include "impl/core/node.h"
#include "impl/store/memory_store.h"
#include "impl/store/storage_executor.h"

namespace dynamo {
namespace {

Node make_node(const std::string& id) {
  std::vector<Member> members;
  for (int i = 1; i <= 4; ++i) members.push_back(Member{"n" + std::to_string(i), "dc-1", 1});
  NodeConfig config;
  config.id = id;
  config.ring = std::make_shared<const Ring>(Ring::build(members, 16).value());
  return Node::create(config).value();
}

// Runs the core's storage ops against `storage` until none is left; returns every effect emitted.
Effects settle(Node& node, store::MemoryStore& storage, Effects effects) {
  Effects all;
  std::vector<Effects> work{std::move(effects)};
  while (!work.empty()) {
    Effects e = std::move(work.back());
    work.pop_back();
    for (auto& op : e.storage) {
      all.storage.push_back(op);
      work.push_back(node.on_storage_done(op.token, store::execute(storage, op.request)));
    }
    for (auto& s : e.sends) all.sends.push_back(std::move(s));
    for (auto& r : e.replies) all.replies.push_back(std::move(r));
  }
  return all;
}

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
  std::vector<Member> members;
  for (int i = 1; i <= 4; ++i) members.push_back(Member{"n" + std::to_string(i), "dc-1", 1});
  NodeConfig config;
  config.id = "n4";
  config.ring = std::make_shared<const Ring>(Ring::build(members, 16).value());
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

TEST(NodeChecks, AMalformedPeerMessageIsDroppedAndCounted) {
  Node node = make_node("n1");
  Version v;  // counter 0: not a real dot
  Effects out = node.on_message("n2", StoreRequest{1, "default", "k", v, ""});
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(node.on_message("stranger", ReadRequest{1, "default", "k"}).empty());
  EXPECT_EQ(node.stats().dropped_messages, 2u);
}

}  // namespace
}  // namespace dynamo
