// With overlap_coordinator_write, the coordinator's own durable write overlaps the replicas' round
// trip (spec: CoordinatePut sends, PersistPut lands the coordinator's copy on disk, CompletePut
// needs both). Whole-system properties
// see a break of this only when a crash hits the coordinator and a replica in the small window
// between the replicas' acks and the coordinator's sync, so the two rules are checked here on one
// core, with its storage completions held back by hand:
//  - the put is answered only once the coordinator's own write is durable, whatever the replicas
//    acknowledged before (mutant ACK_BEFORE_OWN_DURABLE);
//  - a put whose own write failed after its version went out never lets that dot name another
//    write (mutant FAILED_PERSIST_REISSUES_DOT).
#include <gtest/gtest.h>

#include <memory>

#include "impl/core/node.h"
#include "impl/core/test_support.h"
#include "impl/store/memory_store.h"
#include "impl/store/storage_executor.h"
#include "proptests/settle.h"

namespace dynamo {
namespace {

NodeConfig three_nodes(const std::string& id) {
  NodeConfig config;
  config.id = id;
  config.ring = testing::one_dc_ring(1, 3, 16);
  StoreConfig store;  // the default store: N=3, R=2, W=2; with three nodes every node is a primary
  store.overlap_coordinator_write = true;
  config.stores = {store};
  return config;
}

ClientRequest put_of(std::uint64_t id, const std::string& value) {
  ClientRequest r;
  r.request_id = id;
  r.op = OpKind::kPut;
  r.key = "k";
  r.value = value;
  return r;
}

// One coordinator whose durable writes the test completes by hand.
struct Coordinator {
  Node node = Node::create(three_nodes("n1")).value();
  store::MemoryStore storage;
  std::vector<StorageOp> held;  // durable writes not yet reported done
  Effects seen;                 // every send and reply so far

  Coordinator() { run(node.start()); }

  // Runs buffered ops and reads at once; holds durable writes.
  void run(Effects effects) {
    Effects all = testing::settle(node, storage, std::move(effects), testing::is_durable_put, &held);
    for (auto& s : all.sends) seen.sends.push_back(std::move(s));
    for (auto& r : all.replies) seen.replies.push_back(std::move(r));
  }
  void finish_held(bool fail) {
    std::vector<StorageOp> ops = std::exchange(held, {});
    for (auto& op : ops) {
      Result<StorageOutcome> outcome =
          fail ? Result<StorageOutcome>(Error{"injected: disk full"}) : store::execute(storage, op.request);
      run(node.on_storage_done(op.token, std::move(outcome)));
    }
  }
  std::vector<StoreRequest> stores() const {
    std::vector<StoreRequest> out;
    for (const auto& s : seen.sends)
      if (const auto* r = std::get_if<StoreRequest>(&s.message)) out.push_back(*r);
    return out;
  }
};

TEST(NodeChecks, APutIsAnsweredOnlyOnceTheCoordinatorsOwnCopyIsDurable) {
  Coordinator c;
  c.run(c.node.on_client_request("client", put_of(1, "v1")));
  ASSERT_EQ(c.held.size(), 1u) << "the coordinator's own durable write is under way";
  const auto stores = c.stores();
  ASSERT_EQ(stores.size(), 2u) << "the version goes to both replicas beside that write";
  const std::vector<Send> sends = c.seen.sends;
  for (const auto& send : sends) {
    const auto& s = std::get<StoreRequest>(send.message);
    c.run(c.node.on_message(send.to, StoreAck{s.put_id, s.version.dot, 0, true, ""}));  // both replicas store it
  }
  EXPECT_TRUE(c.seen.replies.empty()) << "answered with both replicas' acks but the coordinator's copy only buffered";
  c.finish_held(false);
  ASSERT_EQ(c.seen.replies.size(), 1u);
  EXPECT_EQ(c.seen.replies[0].reply.status, ReplyStatus::kOk);
  auto stored = c.storage.read(storage_key("default", "k"));
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored.value().siblings.size(), 1u);
}

TEST(NodeChecks, AFailedOwnWriteNeverLetsItsDotNameAnotherWrite) {
  Coordinator c;
  c.run(c.node.on_client_request("client", put_of(1, "v1")));
  const auto first = c.stores();
  ASSERT_EQ(first.size(), 2u);
  const Dot sent = first[0].version.dot;  // the replicas have it
  c.finish_held(true);
  ASSERT_EQ(c.seen.replies.size(), 1u);
  EXPECT_EQ(c.seen.replies[0].reply.status, ReplyStatus::kUnknown) << c.seen.replies[0].reply.message;
  EXPECT_NE(c.seen.replies[0].reply.message.find("may survive"), std::string::npos) << c.seen.replies[0].reply.message;

  c.run(c.node.on_client_request("client", put_of(2, "v2")));
  const auto all = c.stores();
  ASSERT_EQ(all.size(), 4u);
  const Dot again = all[2].version.dot;
  EXPECT_EQ(again.actor, sent.actor);
  EXPECT_GT(again.counter, sent.counter) << "a dot the replicas hold for v1 now names v2";
  c.finish_held(false);
}

}  // namespace
}  // namespace dynamo
