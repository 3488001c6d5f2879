// The core's own cost per request, with storage answered at once by canned outcomes (no engine, no
// codec, no transport): what a replica's event loop spends in impl/core/ on one incoming Store, and
// a coordinator on one get. With three members every node holds every key, as in `dynamo cluster up`.
// Run: build/default/bench/node_bench (figures in bench/README.md, "The NNG skeleton of a quorum
// operation": "The core is a small part of that CPU").
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "impl/core/check.h"
#include "impl/core/node.h"
#include "impl/core/test_support.h"
#include "impl/core/version.h"

namespace dynamo {
namespace {

NodeConfig member_of_three(const std::string& id) {
  NodeConfig config;
  config.id = id;
  config.ring = testing::one_dc_ring(1, 3, 64);
  config.stores = {StoreConfig{}};  // the default store: N=3, R=2, W=2
  return config;
}

StorageOutcome outcome_for(const StorageRequest& request, const KeyState& state) {
  if (std::holds_alternative<ReadKey>(request)) return KeyRead{state, {}};
  if (std::holds_alternative<ScanKeys>(request)) return KeysScanned{{}, true};
  if (std::holds_alternative<ScanHints>(request)) return HintsScanned{};
  if (std::holds_alternative<DeleteHint>(request) || std::holds_alternative<Sync>(request)) return Done{};
  DYNAMO_CHECK(!std::holds_alternative<AddHint>(request));  // no member is down here
  return KeyStored{state};
}

// Answers every storage request of `effects` as if the engine held `state` for the key, feeding the
// completions back until the node asks for nothing more; shows every send to `on_send`.
template <class OnSend>
void settle(Node& node, Effects effects, const KeyState& state, OnSend on_send) {
  std::vector<Effects> work{std::move(effects)};
  while (!work.empty()) {
    Effects e = std::move(work.back());
    work.pop_back();
    for (const auto& send : e.sends) on_send(send);
    for (auto& op : e.storage) work.push_back(node.on_storage_done(op.token, outcome_for(op.request, state)));
  }
}

void settle(Node& node, Effects effects, const KeyState& state) {
  settle(node, std::move(effects), state, [](const Send&) {});
}

constexpr int kKeys = 20000;

std::vector<Version> versions_for_keys() {
  std::vector<Version> out;
  for (int i = 0; i < kKeys; ++i)
    out.push_back(make_version(KeyState{}, "n1#1", CausalContext{}, std::string(1024, 'v'), 1000).version);
  return out;
}

// A replica merging one 1 KiB version (a Store from the coordinator n1) and acknowledging it.
void BM_ReplicaStore(benchmark::State& state) {
  Node node = Node::create(member_of_three("n2")).value();
  settle(node, node.start(), KeyState{});
  const std::vector<Version> versions = versions_for_keys();
  std::uint64_t i = 0;
  for (auto _ : state) {
    const int k = static_cast<int>(i % kKeys);
    StoreRequest store{++i, "default", "load-" + std::to_string(k), versions[k], ""};
    KeyState stored;
    stored.siblings = {versions[k]};
    std::size_t acks = 0;
    settle(node, node.on_message("n1", PeerMessage{std::move(store)}), stored,
           [&](const Send& send) { acks += std::holds_alternative<StoreAck>(send.message); });
    DYNAMO_CHECK(acks == 1);
  }
}
BENCHMARK(BM_ReplicaStore);

// A coordinator's get: its own read, the Read requests, one reply (R=2), the answer.
void BM_CoordinatorGet(benchmark::State& state) {
  Node node = Node::create(member_of_three("n1")).value();
  settle(node, node.start(), KeyState{});
  const std::vector<Version> versions = versions_for_keys();
  std::uint64_t i = 0;
  for (auto _ : state) {
    const int k = static_cast<int>(i % kKeys);
    ClientRequest get;
    get.request_id = ++i;
    get.op = OpKind::kGet;
    get.key = "load-" + std::to_string(k);
    KeyState stored;
    stored.siblings = {versions[k]};
    std::uint64_t get_id = 0;  // the own read, then the Read requests
    settle(node, node.on_client_request("client", get), stored, [&](const Send& send) {
      if (const auto* read = std::get_if<ReadRequest>(&send.message)) get_id = read->get_id;
    });
    DYNAMO_CHECK(get_id != 0);
    ReadReply reply;
    reply.get_id = get_id;
    reply.store = "default";
    reply.key = get.key;
    reply.ok = true;
    reply.versions = stored.siblings;
    settle(node, node.on_message("n2", PeerMessage{std::move(reply)}), stored);
  }
}
BENCHMARK(BM_CoordinatorGet);

}  // namespace
}  // namespace dynamo

BENCHMARK_MAIN();
