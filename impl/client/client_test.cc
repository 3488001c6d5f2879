// The client library against fake nodes: NNG REP sockets on loopback that answer the RingCall and
// then either answer every request or swallow it (a node that is connected but never answers).
// What is checked is where requests go, not what the store does.
#include "impl/client/client.h"

#include <gtest/gtest.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "impl/core/ring.h"
#include "impl/net/wire.h"

namespace dynamo::client {
namespace {

constexpr int kBasePort = 19831;  // three ports from here (RESOURCE_LOCK in client.cmake)

std::string address_of(int i) { return "tcp://127.0.0.1:" + std::to_string(kBasePort + i); }
std::string id_of(int i) { return "n" + std::to_string(i + 1); }

net::RingInfo three_node_ring() {
  net::RingInfo ring;
  ring.partitions = 64;
  for (int i = 0; i < 3; ++i)
    ring.members.push_back(net::MemberAddress{Member{id_of(i), "dc1", 1}, "tcp://127.0.0.1:1", address_of(i), "http://127.0.0.1:1"});
  ring.stores.push_back(net::StoreInfo{"default", 3, 2, 2, false, 1 << 20});
  return ring;
}

class FakeNode {
 public:
  FakeNode(int index, bool answers) : index_(index), answers_(answers) {
    EXPECT_EQ(nng_rep0_open(&socket_), 0);
    EXPECT_EQ(nng_socket_set_ms(socket_, NNG_OPT_RECVTIMEO, 50), 0);
    EXPECT_EQ(nng_listen(socket_, address_of(index).c_str(), nullptr, 0), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeNode() {
    stopping_ = true;
    thread_.join();
    nng_close(socket_);
  }
  int requests_seen() const { return requests_.load(); }

 private:
  void serve() {
    while (!stopping_) {
      nng_msg* msg = nullptr;
      if (nng_recvmsg(socket_, &msg, 0) != 0) continue;
      auto batch = net::decode_client_batch(std::string_view(static_cast<const char*>(nng_msg_body(msg)), nng_msg_len(msg)));
      nng_msg_free(msg);
      if (!batch.ok()) {
        ADD_FAILURE() << "a batch the fake node cannot read: " << batch.error().message;
        continue;
      }
      net::ReplyBatch reply;
      bool has_request = false;
      for (const auto& call : batch.value().calls) {
        if (const auto* ring = std::get_if<net::RingCall>(&call)) {
          net::RingInfo info = three_node_ring();
          info.request_id = ring->request_id;
          reply.answers.push_back(std::move(info));
        } else if (const auto* status = std::get_if<net::StatusCall>(&call)) {
          net::StatusInfo info;
          info.request_id = status->request_id;
          info.node = id_of(index_);
          reply.answers.push_back(std::move(info));
        } else if (const auto* request = std::get_if<ClientRequest>(&call)) {
          has_request = true;
          ++requests_;
          ClientReply answer;
          answer.request_id = request->request_id;
          answer.message = id_of(index_);  // who answered, for the test to see
          reply.answers.push_back(std::move(answer));
        }
      }
      if (has_request && !answers_) continue;  // swallowed: the client's deadline must expire
      const std::string bytes = net::encode_reply_batch(reply);
      nng_send(socket_, const_cast<char*>(bytes.data()), bytes.size(), 0);
    }
  }

  int index_;
  bool answers_;
  nng_socket socket_ = NNG_SOCKET_INITIALIZER;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// connect() waits only briefly for its dials: wait until every node is connected, so the first try
// goes to the first node of the key's list (route() names the first connected, unavoided candidate).
void wait_until_routed_to(Client& client, const std::string& key, const std::string& expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (client.route("default", key) != expected && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(client.route("default", key), expected);
}

// A key whose preference list is [silent, healthy, silent]: the first node and the last swallow
// requests, the middle one answers.
TEST(Client, ARetriedGetReachesTheHealthyNodeTheFirstFailureMovedAhead) {
  const net::RingInfo info = three_node_ring();
  std::vector<Member> members;
  for (const auto& m : info.members) members.push_back(m.member);
  auto ring = Ring::build(members, info.partitions);
  ASSERT_TRUE(ring.ok());
  std::string key;
  std::vector<std::string> list;
  for (int k = 0; k < 1000 && key.empty(); ++k) {
    const std::string candidate = "key-" + std::to_string(k);
    auto l = ring.value().preference_list(ring.value().partition_of_key(candidate), 3);
    ASSERT_TRUE(l.ok());
    // The seed (n1) must be able to answer the RingCall, so n1 is the healthy node in the middle.
    if (l.value()[1] == "n1") key = candidate, list = l.value();
  }
  ASSERT_FALSE(key.empty());
  auto index = [](const std::string& id) { return id[1] - '1'; };

  std::vector<std::unique_ptr<FakeNode>> nodes(3);
  for (const auto& id : list) nodes[index(id)] = std::make_unique<FakeNode>(index(id), id == "n1");

  ClientOptions options;
  options.seeds = {address_of(0)};
  options.timeout_ms = 300;
  options.avoid_ms = 60'000;  // a node that failed stays last for the whole test
  auto client = Client::connect(options);
  ASSERT_TRUE(client.ok()) << client.error().message;
  wait_until_routed_to(*client.value(), key, list[0]);

  ClientRequest get;
  get.op = OpKind::kGet;
  get.store = "default";
  get.key = key;
  const ClientReply reply = client.value()->call(get);
  // Before the fix the retry went to position 1 of the re-ranked list, [n1, last, first], which is
  // the last node; the third try was the last node again, and the get failed with n1 never asked.
  EXPECT_EQ(reply.status, ReplyStatus::kOk) << reply.message;
  EXPECT_EQ(reply.message, "n1");
  EXPECT_EQ(nodes[index(list[0])]->requests_seen(), 1);
  EXPECT_EQ(nodes[index(list[2])]->requests_seen(), 0);
}

TEST(Client, AGetEveryNodeSwallowsFailsNamingEachNodeTriedOnce) {
  std::vector<std::unique_ptr<FakeNode>> nodes;
  // n1 answers the RingCall only; requests it swallows like the others.
  for (int i = 0; i < 3; ++i) nodes.push_back(std::make_unique<FakeNode>(i, false));
  ClientOptions options;
  options.seeds = {address_of(0)};
  options.timeout_ms = 200;
  auto client = Client::connect(options);
  ASSERT_TRUE(client.ok()) << client.error().message;
  // Every node connected (a status call answered), so each is asked, once.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool all_up = false;
  while (!all_up && std::chrono::steady_clock::now() < deadline) {
    all_up = true;
    for (int j = 0; j < 3; ++j) all_up = all_up && client.value()->status(id_of(j)).ok();
  }
  ASSERT_TRUE(all_up);
  ClientRequest get;
  get.op = OpKind::kGet;
  get.store = "default";
  get.key = "any";
  const ClientReply reply = client.value()->call(get);
  EXPECT_EQ(reply.status, ReplyStatus::kFailed);
  EXPECT_NE(reply.message.find("no node answered (tried 3: "), std::string::npos) << reply.message;
  for (const auto& node : nodes) EXPECT_EQ(node->requests_seen(), 1);
}

TEST(Client, NextTargetIsTheBestCandidateNotTried) {
  EXPECT_EQ(next_target({"a", "b", "c"}, {}), "a");
  EXPECT_EQ(next_target({"b", "c", "a"}, {"a"}), "b");
  EXPECT_EQ(next_target({"b", "a", "c"}, {"a", "c"}), "b");
  EXPECT_EQ(next_target({"a", "b"}, {"b", "a"}), std::nullopt);
}

}  // namespace
}  // namespace dynamo::client
