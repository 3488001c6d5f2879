#include "impl/net/wire.h"

#include <gtest/gtest.h>

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "impl/core/limits.h"
#include "spec/dynamo.capnp.h"

// GCC 12 warns that a moved std::variant<ClientRequest, ...> "may be used uninitialized" when
// vector<ClientCall>::push_back reallocates: a known false positive of its variant move inlining.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace dynamo::net {
namespace {

// --- values used throughout ---

Dot dot(std::string actor, std::uint64_t counter, std::uint64_t stamp = 0) { return Dot{std::move(actor), counter, stamp}; }

// Summary {a:3 (stamp 30), b:1 (stamp 11)} plus loose dots (a,5) and (c,2): a context with both parts.
CausalContext rich_context() {
  VectorClock summary = VectorClock::from_entries({{"node-a#1", 3, 30}, {"node-b#2", 1, 11}});
  return CausalContext::from_parts(std::move(summary), {dot("node-a#1", 5, 50), dot("node-c#1", 2, 20)});
}

Version value_version() { return Version{dot("node-a#1", 6, 60), rich_context(), std::string("blue\0shoes", 10)}; }
Version tombstone() { return Version{dot("node-b#2", 2, 22), CausalContext::from_parts({}, {dot("node-b#2", 1, 11)}), std::nullopt}; }
Version blind_version() { return Version{dot("node-c#1", 1, 5), CausalContext{}, std::string()}; }

std::string binary_key() { return std::string("cart:\0\xff\x01", 8); }

// --- field-wise comparison, stamps included ---

void expect_same(const Dot& a, const Dot& b) {
  EXPECT_EQ(a.actor, b.actor);
  EXPECT_EQ(a.counter, b.counter);
  EXPECT_EQ(a.stamp_ms, b.stamp_ms);
}

void expect_same(const CausalContext& a, const CausalContext& b) {
  EXPECT_EQ(a.summary().entries(), b.summary().entries());  // ClockEntry == compares stamps too
  ASSERT_EQ(a.cloud().size(), b.cloud().size());
  for (std::size_t i = 0; i < a.cloud().size(); ++i) expect_same(a.cloud()[i], b.cloud()[i]);
}

void expect_same(const Version& a, const Version& b) {
  expect_same(a.dot, b.dot);
  expect_same(a.context, b.context);
  EXPECT_EQ(a.value, b.value);
}

void expect_same(const std::vector<Version>& a, const std::vector<Version>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) expect_same(a[i], b[i]);
}

void expect_same_message(const PeerMessage& a, const PeerMessage& b) {
  ASSERT_EQ(a.index(), b.index());
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, StoreRequest>) {
          EXPECT_EQ(x.put_id, y.put_id); EXPECT_EQ(x.store, y.store); EXPECT_EQ(x.key, y.key);
          expect_same(x.version, y.version); EXPECT_EQ(x.hint, y.hint);
        } else if constexpr (std::is_same_v<T, StoreAck>) {
          EXPECT_EQ(x.put_id, y.put_id); expect_same(x.dot, y.dot); EXPECT_EQ(x.epoch, y.epoch);
          EXPECT_EQ(x.stored, y.stored); EXPECT_EQ(x.refusal, y.refusal);
        } else if constexpr (std::is_same_v<T, ReadRequest>) {
          EXPECT_EQ(x.get_id, y.get_id); EXPECT_EQ(x.store, y.store); EXPECT_EQ(x.key, y.key);
        } else if constexpr (std::is_same_v<T, ReadReply>) {
          EXPECT_EQ(x.get_id, y.get_id); EXPECT_EQ(x.store, y.store); EXPECT_EQ(x.key, y.key);
          EXPECT_EQ(x.ok, y.ok); expect_same(x.versions, y.versions);
        } else if constexpr (std::is_same_v<T, RepairRequest>) {
          EXPECT_EQ(x.store, y.store); EXPECT_EQ(x.key, y.key); expect_same(x.versions, y.versions);
        } else if constexpr (std::is_same_v<T, Handoff>) {
          EXPECT_EQ(x.sequence, y.sequence); EXPECT_EQ(x.store, y.store); EXPECT_EQ(x.key, y.key);
          expect_same(x.version, y.version);
        } else if constexpr (std::is_same_v<T, HandoffAck>) {
          EXPECT_EQ(x.sequence, y.sequence); EXPECT_EQ(x.store, y.store); EXPECT_EQ(x.key, y.key);
          expect_same(x.dot, y.dot);
        } else if constexpr (std::is_same_v<T, KeySync>) {
          EXPECT_EQ(x.store, y.store); EXPECT_EQ(x.key, y.key); expect_same(x.versions, y.versions);
          EXPECT_EQ(x.reply, y.reply);
        } else if constexpr (std::is_same_v<T, TransferKey>) {
          EXPECT_EQ(x.sequence, y.sequence); EXPECT_EQ(x.store, y.store); EXPECT_EQ(x.key, y.key);
          expect_same(x.versions, y.versions);
        } else if constexpr (std::is_same_v<T, TreeHashRequest>) {
          EXPECT_EQ(x.exchange, y.exchange); EXPECT_EQ(x.request, y.request); EXPECT_EQ(x.store, y.store);
          EXPECT_EQ(x.hashes.shape, y.hashes.shape); EXPECT_EQ(x.hashes.positions, y.hashes.positions);
        } else if constexpr (std::is_same_v<T, TreeHashReply>) {
          EXPECT_EQ(x.exchange, y.exchange); EXPECT_EQ(x.request, y.request); EXPECT_EQ(x.store, y.store);
          EXPECT_EQ(x.partition, y.partition); EXPECT_EQ(x.ok, y.ok); EXPECT_EQ(x.hashes.hashes, y.hashes.hashes);
        } else if constexpr (std::is_same_v<T, TreeLeafRequest>) {
          EXPECT_EQ(x.exchange, y.exchange); EXPECT_EQ(x.request, y.request); EXPECT_EQ(x.store, y.store);
          EXPECT_EQ(x.leaves.shape, y.leaves.shape); EXPECT_EQ(x.leaves.leaves, y.leaves.leaves);
        } else if constexpr (std::is_same_v<T, TreeLeafReply>) {
          EXPECT_EQ(x.exchange, y.exchange); EXPECT_EQ(x.request, y.request); EXPECT_EQ(x.store, y.store);
          EXPECT_EQ(x.partition, y.partition); EXPECT_EQ(x.ok, y.ok); EXPECT_EQ(x.leaves.leaves, y.leaves.leaves);
        } else if constexpr (std::is_same_v<T, ReapQuery>) {
          EXPECT_EQ(x.query, y.query); EXPECT_EQ(x.store, y.store); EXPECT_EQ(x.key, y.key);
          EXPECT_EQ(x.ring, y.ring); expect_same(x.tombstones, y.tombstones); EXPECT_EQ(x.reap, y.reap);
        } else if constexpr (std::is_same_v<T, ReapReply>) {
          EXPECT_EQ(x.query, y.query); EXPECT_EQ(x.store, y.store); EXPECT_EQ(x.key, y.key);
          EXPECT_EQ(x.ok, y.ok);
          ASSERT_EQ(x.held.size(), y.held.size());
          for (std::size_t i = 0; i < x.held.size(); ++i) expect_same(x.held[i], y.held[i]);
        } else {
          static_assert(std::is_same_v<T, TransferAck>);
          EXPECT_EQ(x.sequence, y.sequence); EXPECT_EQ(x.store, y.store); EXPECT_EQ(x.key, y.key);
          ASSERT_EQ(x.dots.size(), y.dots.size());
          for (std::size_t i = 0; i < x.dots.size(); ++i) expect_same(x.dots[i], y.dots[i]);
        }
      },
      a);
}

void expect_same_call(const ClientCall& a, const ClientCall& b) {
  ASSERT_EQ(a.index(), b.index());
  if (const auto* x = std::get_if<ClientRequest>(&a)) {
    const auto& y = std::get<ClientRequest>(b);
    EXPECT_EQ(x->request_id, y.request_id); EXPECT_EQ(x->op, y.op); EXPECT_EQ(x->store, y.store);
    EXPECT_EQ(x->key, y.key); EXPECT_EQ(x->value, y.value); expect_same(x->context, y.context);
    EXPECT_EQ(x->r, y.r); EXPECT_EQ(x->w, y.w);
  } else if (const auto* r = std::get_if<RingCall>(&a)) {
    EXPECT_EQ(r->request_id, std::get<RingCall>(b).request_id);
  } else {
    EXPECT_EQ(std::get<StatusCall>(a).request_id, std::get<StatusCall>(b).request_id);
  }
}

void expect_same_answer(const ClientAnswer& a, const ClientAnswer& b) {
  ASSERT_EQ(a.index(), b.index());
  if (const auto* x = std::get_if<ClientReply>(&a)) {
    const auto& y = std::get<ClientReply>(b);
    EXPECT_EQ(x->request_id, y.request_id); EXPECT_EQ(x->status, y.status); EXPECT_EQ(x->message, y.message);
    expect_same(x->siblings, y.siblings); expect_same(x->context, y.context);
    ASSERT_EQ(x->dot.has_value(), y.dot.has_value());
    if (x->dot) expect_same(*x->dot, *y.dot);
    EXPECT_EQ(x->coordinators, y.coordinators);
  } else if (const auto* x = std::get_if<RingInfo>(&a)) {
    const auto& y = std::get<RingInfo>(b);
    EXPECT_EQ(x->request_id, y.request_id); EXPECT_EQ(x->partitions, y.partitions);
    ASSERT_EQ(x->members.size(), y.members.size());
    for (std::size_t i = 0; i < x->members.size(); ++i) {
      EXPECT_EQ(x->members[i].member, y.members[i].member);
      EXPECT_EQ(x->members[i].peer_address, y.members[i].peer_address);
      EXPECT_EQ(x->members[i].client_address, y.members[i].client_address);
      EXPECT_EQ(x->members[i].http_address, y.members[i].http_address);
    }
    ASSERT_EQ(x->stores.size(), y.stores.size());
    for (std::size_t i = 0; i < x->stores.size(); ++i) {
      EXPECT_EQ(x->stores[i].name, y.stores[i].name);
      EXPECT_EQ(x->stores[i].n, y.stores[i].n); EXPECT_EQ(x->stores[i].r, y.stores[i].r);
      EXPECT_EQ(x->stores[i].w, y.stores[i].w);
      EXPECT_EQ(x->stores[i].durable_replicas, y.stores[i].durable_replicas);
      EXPECT_EQ(x->stores[i].max_value_bytes, y.stores[i].max_value_bytes);
    }
  } else if (const auto* x = std::get_if<StatusInfo>(&a)) {
    const auto& y = std::get<StatusInfo>(b);
    EXPECT_EQ(x->request_id, y.request_id); EXPECT_EQ(x->node, y.node); EXPECT_EQ(x->epoch, y.epoch);
    EXPECT_EQ(x->uptime_ms, y.uptime_ms);
    ASSERT_EQ(x->peers.size(), y.peers.size());
    for (std::size_t i = 0; i < x->peers.size(); ++i) {
      EXPECT_EQ(x->peers[i].id, y.peers[i].id); EXPECT_EQ(x->peers[i].suspected, y.peers[i].suspected);
      EXPECT_EQ(x->peers[i].hints_pending, y.peers[i].hints_pending);
    }
    EXPECT_EQ(x->requests_in_flight, y.requests_in_flight); EXPECT_EQ(x->hints_pending, y.hints_pending);
    EXPECT_EQ(x->handoffs_in_flight, y.handoffs_in_flight); EXPECT_EQ(x->read_repairs, y.read_repairs);
    EXPECT_EQ(x->dropped_messages, y.dropped_messages);
    EXPECT_EQ(x->merkle_exchanges, y.merkle_exchanges);
    EXPECT_EQ(x->merkle_keys_repaired, y.merkle_keys_repaired);
    EXPECT_EQ(x->merkle_bytes_sent, y.merkle_bytes_sent);
    EXPECT_EQ(x->tombstones_reaped, y.tombstones_reaped);
    EXPECT_EQ(x->keys_not_owned, y.keys_not_owned);
  } else {
    EXPECT_EQ(std::get<BatchError>(a).request_id, std::get<BatchError>(b).request_id);
    EXPECT_EQ(std::get<BatchError>(a).message, std::get<BatchError>(b).message);
  }
}

// --- sample batches: every message kind ---

PeerBatch sample_peer_batch() {
  PeerBatch batch{"node-a", 7, {}};
  batch.messages.push_back(StoreRequest{11, "default", binary_key(), value_version(), ""});
  batch.messages.push_back(StoreRequest{12, "carts", "k", tombstone(), "node-d"});  // hinted, a delete
  batch.messages.push_back(StoreAck{11, dot("node-a#1", 6, 60), 3, true, ""});
  batch.messages.push_back(StoreAck{12, dot("node-b#2", 2), 4, false, "the hint store is still loading"});
  batch.messages.push_back(ReadRequest{21, "default", "k"});
  batch.messages.push_back(ReadReply{21, "default", "k", true, {value_version(), tombstone(), blind_version()}});
  batch.messages.push_back(ReadReply{22, "default", "gone", false, {}});
  batch.messages.push_back(RepairRequest{"default", "k", {value_version(), tombstone()}});
  batch.messages.push_back(Handoff{99, "carts", "k", value_version()});
  batch.messages.push_back(HandoffAck{99, "carts", "k", dot("node-a#1", 6, 60)});
  batch.messages.push_back(KeySync{"default", "k", {tombstone()}, false});
  batch.messages.push_back(KeySync{"default", "k", {value_version(), blind_version()}, true});
  batch.messages.push_back(TransferKey{12, "default", "k", {value_version(), tombstone()}});
  batch.messages.push_back(TransferAck{12, "carts", "k", {dot("node-a#1", 6, 60), dot("node-b#2", 1, 0)}});
  batch.messages.push_back(TreeHashRequest{41, 42, "default", {MerkleShape{1024, 1023, 5}, {{0, 0}, {5, 1048575}}}});
  batch.messages.push_back(TreeHashReply{41, 42, "default", 1023, true, {{{0xfedcba9876543210ull, 1}, {0, 0}}}});
  batch.messages.push_back(TreeHashReply{41, 43, "carts", 7, false, {}});
  batch.messages.push_back(TreeLeafRequest{41, 44, "carts", {MerkleShape{16, 3, 2}, {0, 255}}});
  batch.messages.push_back(TreeLeafReply{
      41, 44, "carts", 3, true,
      {{{{binary_key(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 255}}, {"k", {}}}, {}}}});
  batch.messages.push_back(ReapQuery{31, "default", binary_key(), 0xfedcba9876543210ull, {tombstone()}, false});
  batch.messages.push_back(ReapQuery{32, "carts", "k", 1, {tombstone(), tombstone()}, true});
  batch.messages.push_back(ReapReply{31, "default", binary_key(), true, {dot("node-a#1", 6, 60), dot("node-b#2", 1, 0)}});
  batch.messages.push_back(ReapReply{33, "carts", "k", false, {}});
  return batch;
}

ClientBatch sample_client_batch() {
  ClientBatch batch;
  batch.calls.push_back(ClientRequest{1, OpKind::kPut, "carts", binary_key(), "v1", rich_context(), 2, 3});
  batch.calls.push_back(ClientRequest{2, OpKind::kGet, "", "k", "", CausalContext{}, std::nullopt, std::nullopt});
  batch.calls.push_back(ClientRequest{3, OpKind::kGet, "default", "k", "", CausalContext{}, 1, std::nullopt});
  batch.calls.push_back(ClientRequest{4, OpKind::kDelete, "default", "k", "", rich_context(), std::nullopt, 16});
  batch.calls.push_back(RingCall{5});
  batch.calls.push_back(StatusCall{6});
  return batch;
}

ReplyBatch sample_reply_batch() {
  ReplyBatch batch;
  ClientReply get{1, ReplyStatus::kOk, "", {value_version(), tombstone()}, rich_context(), std::nullopt, {}};
  ClientReply put{2, ReplyStatus::kOk, "", {}, value_version().history(), dot("node-a#1", 6, 60), {}};
  ClientReply unknown{3, ReplyStatus::kUnknown, "timed out after storing", {}, CausalContext{}, dot("node-a#1", 7, 70), {}};
  ClientReply failed{4, ReplyStatus::kFailed, "busy", {}, CausalContext{}, std::nullopt, {}};
  ClientReply redirect{5, ReplyStatus::kRedirect, "ask a coordinator", {}, CausalContext{}, std::nullopt,
                       {"node-b", "node-c", "node-d"}};
  batch.answers = {get, put, unknown, failed, redirect};
  RingInfo ring{6, 1024, {}, {}, {}, 0};
  ring.members.push_back({Member{"node-a", "dc-1", 1}, "tcp://127.0.0.1:7101", "tcp://127.0.0.1:7201", "http://127.0.0.1:8001"});
  ring.members.push_back({Member{"node-b", "dc-2", 1000}, "tcp://10.0.0.2:7101", "tcp://10.0.0.2:7201", ""});
  ring.stores.push_back(StoreInfo{"default", 3, 2, 2, false, limits::kDefaultMaxValueBytes});
  ring.stores.push_back(StoreInfo{"carts", 5, 1, 5, true, limits::kMaxValueBytes});
  batch.answers.push_back(ring);
  StatusInfo status{7, "node-a", 12, 3'600'000, {{"node-b", false, 0}, {"node-c", true, 42}}, 5, 42, 1, 9, 2, 3, 4, 5, 6, 7};
  batch.answers.push_back(status);
  batch.answers.push_back(BatchError{0, "wire: ClientBatch version 7, this node speaks 1"});
  return batch;
}

// --- round trips ---

TEST(WireRoundTrip, PeerBatchOfEveryMessageKind) {
  const PeerBatch batch = sample_peer_batch();
  const std::string bytes = encode_peer_batch(batch);
  EXPECT_EQ(bytes.size() % 8, 0u);
  const auto decoded = decode_peer_batch(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded.value().from, "node-a");
  EXPECT_EQ(decoded.value().from_epoch, 7u);
  ASSERT_EQ(decoded.value().messages.size(), batch.messages.size());
  for (std::size_t i = 0; i < batch.messages.size(); ++i) {
    SCOPED_TRACE(message_name(batch.messages[i]));
    expect_same_message(batch.messages[i], decoded.value().messages[i]);
  }
  // Tombstones stay tombstones; an empty value stays an empty value.
  const auto& read = std::get<ReadReply>(decoded.value().messages[5]);
  EXPECT_TRUE(read.versions[1].is_tombstone());
  EXPECT_FALSE(read.versions[2].is_tombstone());
  EXPECT_EQ(*read.versions[2].value, "");
  EXPECT_EQ(encode_peer_batch(decoded.value()), bytes);  // encoding is deterministic
}

TEST(WireRoundTrip, EmptyBatches) {
  auto peer = decode_peer_batch(encode_peer_batch(PeerBatch{"n", 0, {}}));
  ASSERT_TRUE(peer.ok()) << peer.error().message;
  EXPECT_TRUE(peer.value().messages.empty());
  auto client = decode_client_batch(encode_client_batch(ClientBatch{}));
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(client.value().calls.empty());
  auto reply = decode_reply_batch(encode_reply_batch(ReplyBatch{}));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_TRUE(reply.value().answers.empty());
}

TEST(WireRoundTrip, ClientBatchWithOptionalQuorumsAbsentAndPresent) {
  const ClientBatch batch = sample_client_batch();
  const auto decoded = decode_client_batch(encode_client_batch(batch));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded.value().calls.size(), batch.calls.size());
  for (std::size_t i = 0; i < batch.calls.size(); ++i) expect_same_call(batch.calls[i], decoded.value().calls[i]);
  const auto& get = std::get<ClientRequest>(decoded.value().calls[1]);
  EXPECT_FALSE(get.r.has_value());
  EXPECT_FALSE(get.w.has_value());
  EXPECT_EQ(get.store, "");
  const auto& put = std::get<ClientRequest>(decoded.value().calls[0]);
  EXPECT_EQ(put.r, 2);
  EXPECT_EQ(put.w, 3);
}

TEST(WireRoundTrip, ReplyBatchOfEveryAnswerKind) {
  const ReplyBatch batch = sample_reply_batch();
  const auto decoded = decode_reply_batch(encode_reply_batch(batch));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded.value().answers.size(), batch.answers.size());
  for (std::size_t i = 0; i < batch.answers.size(); ++i) {
    SCOPED_TRACE(i);
    expect_same_answer(batch.answers[i], decoded.value().answers[i]);
  }
}

TEST(WireRoundTrip, ContextWithSummaryAndCloud) {
  for (const CausalContext& context : {CausalContext{}, rich_context(), value_version().history()}) {
    const auto decoded = decode_context(encode_context(context));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    expect_same(context, decoded.value());
    EXPECT_EQ(context, decoded.value());
  }
}

TEST(WireRoundTrip, ReadsUnalignedInput) {
  const std::string bytes = encode_peer_batch(sample_peer_batch());
  for (std::size_t offset = 1; offset < 8; ++offset) {
    const std::string buffer = std::string(offset, 'x') + bytes;
    const auto decoded = decode_peer_batch(std::string_view(buffer).substr(offset));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded.value().messages.size(), sample_peer_batch().messages.size());
  }
}

TEST(WireRoundTrip, LargestValueAndKeyWithinLimits) {
  PeerBatch batch{"node-a", 1, {}};
  Version big{dot("node-a#1", 1), CausalContext{}, std::string(limits::kMaxValueBytes, 'v')};
  batch.messages.push_back(StoreRequest{1, std::string(limits::kMaxStoreNameBytes, 's'),
                                       std::string(limits::kMaxKeyBytes, 'k'), big, ""});
  const auto decoded = decode_peer_batch(encode_peer_batch(batch));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(std::get<StoreRequest>(decoded.value().messages[0]).version.value->size(), limits::kMaxValueBytes);
}

// A context written by another implementation need not be canonical: it is normalised on reading.
TEST(WireRoundTrip, NonCanonicalContextIsNormalised) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::ContextToken>();
  root.setVersion(kProtocolVersion);
  root.setKind(schema::MessageKind::CONTEXT_TOKEN);
  auto summary = root.initContext().initSummary(3);
  summary[0].setActor("b"); summary[0].setCounter(1);
  summary[1].setActor("a"); summary[1].setCounter(2);
  summary[2].setActor("z"); summary[2].setCounter(0);  // carries nothing
  auto cloud = root.getContext().initCloud(3);
  cloud[0].setActor("a"); cloud[0].setCounter(5);
  cloud[1].setActor("a"); cloud[1].setCounter(3);  // extends a:2, folded in
  cloud[2].setActor("b"); cloud[2].setCounter(1);  // covered
  const auto words = capnp::messageToFlatArray(message);
  const auto decoded = decode_context(std::string_view(reinterpret_cast<const char*>(words.asBytes().begin()), words.asBytes().size()));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  const CausalContext expected = CausalContext::from_parts(VectorClock::from_entries({{"a", 3, 0}, {"b", 1, 0}}), {dot("a", 5)});
  EXPECT_EQ(decoded.value(), expected);
}

// --- rejections ---

std::string bytes_of(capnp::MessageBuilder& message) {
  const auto words = capnp::messageToFlatArray(message);
  return std::string(reinterpret_cast<const char*>(words.asBytes().begin()), words.asBytes().size());
}

void expect_error(const auto& result, std::initializer_list<std::string> words) {
  ASSERT_FALSE(result.ok());
  const std::string& message = result.error().message;
  EXPECT_EQ(message.rfind("wire: ", 0), 0u) << message;
  for (const std::string& word : words) EXPECT_NE(message.find(word), std::string::npos) << "\"" << word << "\" not in: " << message;
}

TEST(WireRejects, WrongVersionOfEveryMessage) {
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<schema::PeerBatch>();
    root.setVersion(7);
    root.setFrom("node-a");
    expect_error(decode_peer_batch(bytes_of(message)), {"PeerBatch version 7, this node speaks 1"});
  }
  {
    capnp::MallocMessageBuilder message;
    message.initRoot<schema::ClientBatch>().setVersion(2);
    expect_error(decode_client_batch(bytes_of(message)), {"ClientBatch version 2, this node speaks 1"});
  }
  {
    capnp::MallocMessageBuilder message;
    message.initRoot<schema::ReplyBatch>();  // no version at all: 0
    expect_error(decode_reply_batch(bytes_of(message)), {"ReplyBatch version 0, this node speaks 1"});
  }
  {
    capnp::MallocMessageBuilder message;
    message.initRoot<schema::ContextToken>().setVersion(99);
    expect_error(decode_context(bytes_of(message)), {"context version 99"});
  }
}

// The version is checked before anything else: a future version's batch is refused by version even
// when its other fields break this version's limits.
TEST(WireRejects, VersionIsCheckedFirst) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::PeerBatch>();
  root.setVersion(2);
  root.setFrom(std::string(500, 'x'));
  expect_error(decode_peer_batch(bytes_of(message)), {"version 2"});
}

TEST(WireRejects, EveryTruncationOfEveryMessageKind) {
  const std::vector<std::pair<std::string, int>> samples = {
      {encode_peer_batch(sample_peer_batch()), 0},
      {encode_client_batch(sample_client_batch()), 1},
      {encode_reply_batch(sample_reply_batch()), 2},
      {encode_context(rich_context()), 3}};
  for (const auto& [bytes, kind] : samples) {
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      const std::string_view prefix(bytes.data(), size);
      bool ok = false;
      std::string error;
      switch (kind) {
        case 0: { auto r = decode_peer_batch(prefix); ok = r.ok(); if (!ok) error = r.error().message; break; }
        case 1: { auto r = decode_client_batch(prefix); ok = r.ok(); if (!ok) error = r.error().message; break; }
        case 2: { auto r = decode_reply_batch(prefix); ok = r.ok(); if (!ok) error = r.error().message; break; }
        default: { auto r = decode_context(prefix); ok = r.ok(); if (!ok) error = r.error().message; break; }
      }
      ASSERT_FALSE(ok) << "kind " << kind << ": a prefix of " << size << " of " << bytes.size() << " bytes decoded";
      ASSERT_EQ(error.rfind("wire: ", 0), 0u) << error;
    }
  }
}

TEST(WireRejects, SizesThatAreNotWholeWords) {
  const std::string bytes = encode_client_batch(sample_client_batch());
  expect_error(decode_client_batch(bytes.substr(0, bytes.size() - 3)), {"8-byte words"});
  for (std::size_t extra = 1; extra < 8; ++extra)
    expect_error(decode_client_batch(bytes + std::string(extra, '\0')), {"8-byte words"});
  expect_error(decode_client_batch(""), {"empty ClientBatch"});
}

TEST(WireRejects, BytesAfterTheMessage) {
  const std::string bytes = encode_peer_batch(sample_peer_batch());
  expect_error(decode_peer_batch(bytes + std::string(16, '\0')), {"16 bytes after the end"});
}

TEST(WireRejects, MessageOverTheSizeLimit) {
  const std::string bytes = encode_peer_batch(sample_peer_batch());
  WireLimits small;
  small.max_message_bytes = 64;
  expect_error(decode_peer_batch(bytes, small), {"PeerBatch of " + std::to_string(bytes.size()) + " bytes, limit 64"});
}

TEST(WireRejects, TooManyMessagesCallsOrAnswers) {
  WireLimits small;
  small.max_batch = 2;
  PeerBatch peer{"node-a", 1, {ReadRequest{1, "default", "a"}, ReadRequest{2, "default", "b"}, ReadRequest{3, "default", "c"}}};
  expect_error(decode_peer_batch(encode_peer_batch(peer), small), {"PeerBatch of 3 messages, limit 2"});
  ClientBatch client;
  for (std::uint64_t i = 0; i <= kReadLimits.max_batch; ++i) client.calls.push_back(RingCall{i});
  expect_error(decode_client_batch(encode_client_batch(client)), {"ClientBatch of 4097 calls, limit 4096"});
  ReplyBatch reply{{BatchError{0, "a"}, BatchError{0, "b"}, BatchError{0, "c"}}};
  expect_error(decode_reply_batch(encode_reply_batch(reply), small), {"ReplyBatch of 3 answers, limit 2"});
}

PeerBatch one_store(std::string store, std::string key, Version version, std::string hint = "") {
  return PeerBatch{"node-a", 1, {StoreRequest{1, std::move(store), std::move(key), std::move(version), std::move(hint)}}};
}

TEST(WireRejects, OversizedFields) {
  expect_error(decode_peer_batch(encode_peer_batch(one_store("default", std::string(2000, 'k'), value_version()))),
               {"message 0 (storeRequest)", "key of 2000 bytes, limit 1024"});
  expect_error(decode_peer_batch(encode_peer_batch(one_store(std::string(65, 's'), "k", value_version()))),
               {"store name of 65 bytes, limit 64"});
  expect_error(decode_peer_batch(encode_peer_batch(one_store("default", "k", value_version(), std::string(65, 'h')))),
               {"hint of 65 bytes, limit 64"});
  Version big = value_version();
  big.value = std::string(limits::kMaxValueBytes + 1, 'v');
  expect_error(decode_peer_batch(encode_peer_batch(one_store("default", "k", big))),
               {"value of 16777217 bytes, limit 16777216"});
  Version long_actor = value_version();
  long_actor.dot.actor = std::string(129, 'a');
  expect_error(decode_peer_batch(encode_peer_batch(one_store("default", "k", long_actor))),
               {"actor of 129 bytes, limit 128"});
  expect_error(decode_peer_batch(encode_peer_batch(PeerBatch{std::string(65, 'n'), 1, {}})),
               {"sender id of 65 bytes, limit 64"});
  expect_error(decode_peer_batch(encode_peer_batch(PeerBatch{"", 1, {}})), {"sender id of 0 bytes"});
  StoreAck ack{1, dot("a", 1), 1, false, std::string(kMaxTextBytes + 1, 'r')};
  expect_error(decode_peer_batch(encode_peer_batch(PeerBatch{"node-a", 1, {ack}})), {"refusal of 4097 bytes"});
}

// Reaping messages: the encoder writes what it is given; the decoder holds them to the limits.
// Merkle exchange messages: counts over merkle_limits and digests of another length are refused.
TEST(WireRejects, TreeMessagesOverTheLimits) {
  const auto one = [](PeerMessage m) { return decode_peer_batch(encode_peer_batch(PeerBatch{"node-a", 1, {std::move(m)}})); };
  TreeHashRequest hashes{1, 2, "default", {MerkleShape{16, 0, 1}, std::vector<MerklePosition>(merkle_limits::kMaxPositionsPerRequest + 1)}};
  expect_error(one(hashes), {"message 0 (treeHashRequest)", "4097 positions, limit 4096"});
  TreeHashReply reply{1, 2, "default", 0, true, {std::vector<MerkleHash>(merkle_limits::kMaxPositionsPerRequest + 1)}};
  expect_error(one(reply), {"message 0 (treeHashReply)", "4097 hashes, limit 4096"});
  TreeLeafRequest leaves{1, 2, "default", {MerkleShape{16, 0, 1}, std::vector<std::uint32_t>(merkle_limits::kMaxLeavesPerRequest + 1)}};
  expect_error(one(leaves), {"message 0 (treeLeafRequest)", "65 leaves, limit 64"});
  TreeLeafReply listing{1, 2, "default", 0, true, {std::vector<std::vector<MerkleEntry>>(1)}};
  listing.leaves.leaves[0].resize(merkle_limits::kMaxLeafKeys + 1, MerkleEntry{"k", {}});
  expect_error(one(listing), {"message 0 (treeLeafReply)", "1025 keys in a leaf, limit 1024"});
  // A digest that is not 16 bytes, written by hand (the encoder always writes 16).
  capnp::MallocMessageBuilder message;
  auto batch = message.initRoot<schema::PeerBatch>();
  batch.setVersion(1);
  batch.setKind(schema::MessageKind::PEER_BATCH);
  batch.setFrom("node-a");
  auto entry = batch.initMessages(1)[0].initTreeLeafReply().initLeaves(1)[0].initEntries(1)[0];
  entry.setKey(capnp::Data::Reader(reinterpret_cast<const kj::byte*>("k"), 1));
  entry.setDigest(capnp::Data::Reader(reinterpret_cast<const kj::byte*>("short"), 5));
  batch.getMessages()[0].getTreeLeafReply().setStore("default");
  expect_error(decode_peer_batch(bytes_of(message)), {"digest of 5 bytes"});
}

TEST(WireRejects, ReapMessagesOverTheLimits) {
  ReapReply reply{1, "default", "k", true, std::vector<Dot>(2 * limits::kMaxSiblings + 1, dot("node-a#1", 1))};
  expect_error(decode_peer_batch(encode_peer_batch(PeerBatch{"node-a", 1, {reply}})),
               {"message 0 (reapReply)", "held: 129 dots, limit 128"});
  ReapQuery query{1, "default", "k", 7, std::vector<Version>(2 * limits::kMaxSiblings + 1, tombstone()), false};
  expect_error(decode_peer_batch(encode_peer_batch(PeerBatch{"node-a", 1, {query}})), {"message 0 (reapQuery)"});
  expect_error(decode_peer_batch(encode_peer_batch(PeerBatch{"node-a", 1, {ReapQuery{1, "default", std::string(2000, 'k'), 7, {tombstone()}, false}}})),
               {"key of 2000 bytes, limit 1024"});
}

TEST(WireRejects, ContextsOverTheCoreLimits) {
  std::vector<ClockEntry> entries;
  for (std::size_t i = 0; i <= limits::kMaxClockEntries; ++i) entries.push_back({"actor-" + std::to_string(i), 1, 0});
  const CausalContext wide = CausalContext::from_parts(VectorClock::from_entries(entries), {});
  expect_error(decode_context(encode_context(wide)), {"65 summary entries in a context, limit 64"});
  std::vector<Dot> dots;
  for (std::uint64_t i = 0; i <= limits::kMaxContextDots; ++i) dots.push_back(dot("a", 2 * i + 3));
  const CausalContext cloudy = CausalContext::from_parts({}, dots);
  ASSERT_EQ(cloudy.cloud().size(), limits::kMaxContextDots + 1);
  expect_error(decode_context(encode_context(cloudy)), {"129 loose dots in a context, limit 128"});
  const CausalContext huge = CausalContext::from_parts({}, {dot("a", limits::kMaxCounter)});
  expect_error(decode_context(encode_context(huge)), {"not below 2^62"});
  // Too many versions in one message.
  KeySync sync{"default", "k", {}, false};
  for (std::size_t i = 0; i <= 2 * limits::kMaxSiblings; ++i) sync.versions.push_back(blind_version());
  expect_error(decode_peer_batch(encode_peer_batch(PeerBatch{"node-a", 1, {sync}})), {"129 versions, limit 128"});
}

// 64 summary entries and one loose dot (z,1) of a new actor: the dot folds into the summary on
// reading, which then names 65 actors.
TEST(WireRejects, ContextThatNormalisesOverTheLimit) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::ContextToken>();
  root.setVersion(kProtocolVersion);
  root.setKind(schema::MessageKind::CONTEXT_TOKEN);
  auto summary = root.initContext().initSummary(limits::kMaxClockEntries);
  for (unsigned i = 0; i < limits::kMaxClockEntries; ++i) {
    summary[i].setActor("actor-" + std::to_string(i));
    summary[i].setCounter(1);
  }
  auto cloud = root.getContext().initCloud(1);
  cloud[0].setActor("z");
  cloud[0].setCounter(1);
  expect_error(decode_context(bytes_of(message)), {"at most 64 actors"});
}

TEST(WireRejects, DotCounterZeroOrTooLarge) {
  Version zero = value_version();
  zero.dot.counter = 0;
  expect_error(decode_peer_batch(encode_peer_batch(one_store("default", "k", zero))), {"counter is 0"});
  Version large = value_version();
  large.dot.counter = limits::kMaxCounter;
  expect_error(decode_peer_batch(encode_peer_batch(one_store("default", "k", large))), {"not below 2^62"});
  // A summary entry at or above 2^62, written directly.
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::ContextToken>();
  root.setVersion(kProtocolVersion);
  root.setKind(schema::MessageKind::CONTEXT_TOKEN);
  auto summary = root.initContext().initSummary(1);
  summary[0].setActor("a");
  summary[0].setCounter(~std::uint64_t{0});
  expect_error(decode_context(bytes_of(message)), {"summary entry", "not below 2^62"});
}

TEST(WireRejects, QuorumOverridesOutOfRange) {
  for (int bad : {0, -1, 17, 1 << 30}) {
    ClientBatch batch{{ClientRequest{1, OpKind::kGet, "", "k", "", {}, bad, std::nullopt}}};
    expect_error(decode_client_batch(encode_client_batch(batch)), {"call 0 (kv)", "r of", "1 to 16"});
    ClientBatch batch_w{{ClientRequest{1, OpKind::kPut, "", "k", "v", {}, std::nullopt, bad}}};
    expect_error(decode_client_batch(encode_client_batch(batch_w)), {"w of " + std::to_string(bad)});
  }
}

TEST(WireRejects, UnknownEnumerantsAndUnionKinds) {
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<schema::ClientBatch>();
    root.setVersion(kProtocolVersion);
    root.setKind(schema::MessageKind::CLIENT_BATCH);
    root.initCalls(1)[0].initKv().setOp(static_cast<schema::OpKind>(7));
    expect_error(decode_client_batch(bytes_of(message)), {"unknown op 7"});
  }
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<schema::ReplyBatch>();
    root.setVersion(kProtocolVersion);
    root.setKind(schema::MessageKind::REPLY_BATCH);
    root.initAnswers(1)[0].initReply().setStatus(static_cast<schema::ReplyStatus>(9));
    expect_error(decode_reply_batch(bytes_of(message)), {"unknown reply status 9"});
  }
  {
    // A message kind from a newer protocol: the union's discriminant (first 16 bits of its data).
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<schema::PeerBatch>();
    root.setVersion(kProtocolVersion);
    root.setKind(schema::MessageKind::PEER_BATCH);
    root.setFrom("node-a");
    root.initMessages(1)[0].initReadRequest();
    capnp::AnyStruct::Builder any = root.getMessages()[0];
    any.getDataSection()[0] = 42;
    any.getDataSection()[1] = 0;
    expect_error(decode_peer_batch(bytes_of(message)), {"unknown message kind 42"});
  }
}

TEST(WireRejects, RingAndStatusFieldsOutOfRange) {
  RingInfo ring{1, 0, {}, {}, {}, 0};
  expect_error(decode_reply_batch(encode_reply_batch(ReplyBatch{{ring}})), {"0 partitions"});
  ring.partitions = 8;
  ring.members.push_back({Member{"a", "dc", 0}, "", "", ""});
  expect_error(decode_reply_batch(encode_reply_batch(ReplyBatch{{ring}})), {"member weight 0"});
  ring.members[0].member.weight = 1;
  ring.members[0].peer_address = std::string(300, 'x');
  expect_error(decode_reply_batch(encode_reply_batch(ReplyBatch{{ring}})), {"peer address of 300 bytes, limit 256"});
  ring.members[0].peer_address = "";
  ring.stores.push_back(StoreInfo{"default", 17, 1, 1, false, 1});
  expect_error(decode_reply_batch(encode_reply_batch(ReplyBatch{{ring}})), {"n of 17"});
  StatusInfo status;
  status.node = "";
  expect_error(decode_reply_batch(encode_reply_batch(ReplyBatch{{status}})), {"answer 0 (status)", "node id of 0 bytes"});
  ClientReply redirect{1, ReplyStatus::kRedirect, "", {}, {}, std::nullopt, std::vector<std::string>(17, "n")};
  expect_error(decode_reply_batch(encode_reply_batch(ReplyBatch{{redirect}})), {"17 coordinators, limit 16"});
}

TEST(WireRejects, ReadLimitsOfCapnProto) {
  const std::string bytes = encode_peer_batch(sample_peer_batch());
  WireLimits shallow;
  shallow.nesting_limit = 3;
  expect_error(decode_peer_batch(bytes, shallow), {"malformed PeerBatch", "nesting"});
  WireLimits short_walk;
  short_walk.traversal_limit_words = 16;
  expect_error(decode_peer_batch(bytes, short_walk), {"malformed PeerBatch", "traversal"});
}

TEST(WireRejects, OneKindOfMessageIsNotAnother) {
  expect_error(decode_client_batch(encode_peer_batch(sample_peer_batch())),
               {"expected a ClientBatch, got a PeerBatch", "wrong port"});
  expect_error(decode_peer_batch(encode_client_batch(sample_client_batch())), {"expected a PeerBatch, got a ClientBatch"});
  expect_error(decode_peer_batch(encode_reply_batch(sample_reply_batch())), {"expected a PeerBatch, got a ReplyBatch"});
  expect_error(decode_reply_batch(encode_context(rich_context())), {"expected a ReplyBatch, got a context"});
  expect_error(decode_context(encode_client_batch(sample_client_batch())), {"expected a context, got a ClientBatch"});
  capnp::MallocMessageBuilder message;
  message.initRoot<schema::ClientBatch>().setVersion(kProtocolVersion);  // no kind
  expect_error(decode_client_batch(bytes_of(message)), {"got a message of no kind"});
}

TEST(WireRejects, GarbageNeverCrashes) {
  std::mt19937_64 random(20240611);
  const std::string valid = encode_peer_batch(sample_peer_batch());
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bytes;
    if (round % 2 == 0) {
      bytes.resize(8 * (random() % 64));
      for (char& c : bytes) c = static_cast<char>(random());
    } else {
      bytes = valid;  // a valid message with a few bytes flipped
      for (int flips = 0; flips < 1 + round % 4; ++flips) bytes[random() % bytes.size()] ^= static_cast<char>(1 + random() % 255);
    }
    const auto peer = decode_peer_batch(bytes);
    const auto client = decode_client_batch(bytes);
    const auto reply = decode_reply_batch(bytes);
    const auto context = decode_context(bytes);
    accepted += peer.ok() + client.ok() + reply.ok() + context.ok();
    if (!peer.ok()) {
      EXPECT_EQ(peer.error().message.rfind("wire: ", 0), 0u);
    }
    // Whatever decodes re-encodes to bytes that decode to the same batch.
    if (peer.ok()) {
      const std::string again = encode_peer_batch(peer.value());
      const auto second = decode_peer_batch(again);
      ASSERT_TRUE(second.ok()) << second.error().message;
      EXPECT_EQ(encode_peer_batch(second.value()), again);
    }
  }
  EXPECT_LT(accepted, 4 * 3000);
  for (const std::string& filler : {std::string(64, '\0'), std::string(64, '\xff')}) {
    EXPECT_FALSE(decode_peer_batch(filler).ok());
    EXPECT_FALSE(decode_client_batch(filler).ok());
    EXPECT_FALSE(decode_reply_batch(filler).ok());
    EXPECT_FALSE(decode_context(filler).ok());
  }
}

}  // namespace
}  // namespace dynamo::net
