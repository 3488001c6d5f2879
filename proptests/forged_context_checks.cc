// A client's context is untrusted input. Two rules keep a forged one from stopping a node's writes:
//  - a context that covers a dot of the coordinator's own actor that it never issued is refused at
//    admission (otherwise the actor's next dots jump past it, make_version, and through the reap
//    floor every key's, up to the counter limit: found by an HTTP audit, one PUT stopped a node);
//  - a key whose stored history already names the actor at the limit (a context that reached it
//    through another coordinator) fails that put, "not stored", and issues no dot past the limit.
#include <gtest/gtest.h>

#include "impl/core/limits.h"
#include "impl/core/node.h"
#include "impl/core/test_support.h"
#include "impl/core/version.h"
#include "impl/store/memory_store.h"
#include "impl/store/storage_executor.h"
#include "proptests/settle.h"

namespace dynamo {
namespace {

// One node, N = R = W = 1: a put is answered once its own durable write is done.
struct LoneNode {
  Node node = Node::create([] {
                NodeConfig config;
                config.id = "n1";
                config.epoch = 7;
                config.ring = testing::one_dc_ring(1, 1, 16);
                StoreConfig store;
                store.quorum = {1, 1, 1};
                config.stores = {store};
                return config;
              }())
                  .value();
  store::MemoryStore storage;
  std::uint64_t next_id = 1;

  LoneNode() { run(node.start()); }
  std::vector<ClientReply> run(Effects effects) {
    std::vector<ClientReply> replies;
    for (auto& r : testing::settle(node, storage, std::move(effects)).replies) replies.push_back(std::move(r.reply));
    return replies;
  }
  ClientReply put(const std::string& key, CausalContext context) {
    ClientRequest r;
    r.request_id = next_id++;
    r.op = OpKind::kPut;
    r.key = key;
    r.value = "v";
    r.context = std::move(context);
    auto replies = run(node.on_client_request("client", r));
    EXPECT_EQ(replies.size(), 1u);
    return replies.empty() ? ClientReply{} : replies.front();
  }
};

CausalContext naming(const std::string& actor, std::uint64_t counter) {
  return CausalContext::from_parts(VectorClock::from_entries({{actor, counter, 0}}), {});
}

TEST(ForgedContext, ACounterOfTheCoordinatorsOwnActorItNeverIssuedIsRefused) {
  LoneNode n;
  const ClientReply first = n.put("a", {});
  ASSERT_EQ(first.status, ReplyStatus::kOk) << first.message;
  ASSERT_TRUE(first.dot);
  const std::string actor = first.dot->actor;
  EXPECT_EQ(first.dot->counter, 1u);

  const ClientReply forged = n.put("b", naming(actor, limits::kMaxCounter - 2));
  EXPECT_EQ(forged.status, ReplyStatus::kFailed);
  EXPECT_NE(forged.message.find("never issued"), std::string::npos) << forged.message;

  // What it did issue is accepted, and the counters stay where they were.
  const ClientReply next = n.put("a", first.context);
  ASSERT_EQ(next.status, ReplyStatus::kOk) << next.message;
  EXPECT_EQ(next.dot->counter, 2u);
}

TEST(ForgedContext, AKeyWhoseHistoryNamesTheActorAtTheLimitFailsWithoutPoisoningOtherKeys) {
  LoneNode n;
  const std::string actor = n.put("warm-up", {}).dot->actor;
  // Another coordinator's version whose context names this node's actor one below the limit.
  const Version planted = make_version(KeyState{}, "n9#1", naming(actor, limits::kMaxCounter - 1), "x", 0).version;
  const std::string stored_as = storage_key(kDefaultStore, "poisoned");
  ASSERT_TRUE(n.storage.merge(stored_as, {planted}, Durability::kDurable).ok());

  const ClientReply refused = n.put("poisoned", {});
  EXPECT_EQ(refused.status, ReplyStatus::kFailed);
  EXPECT_NE(refused.message.find("the limit"), std::string::npos) << refused.message;
  EXPECT_EQ(n.storage.read(stored_as).value().siblings.size(), 1u) << "nothing was stored";

  const ClientReply other = n.put("other", {});
  ASSERT_EQ(other.status, ReplyStatus::kOk) << other.message;
  EXPECT_EQ(other.dot->counter, 1u) << "the failed put must not raise the actor's counters elsewhere";
}

}  // namespace
}  // namespace dynamo
