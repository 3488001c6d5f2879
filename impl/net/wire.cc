// wire.cc: the batches of wire.h to and from Cap'n Proto (spec/dynamo.capnp): framing, the version
// check, batch limits, and the conversion of each message; values (dots, contexts, versions) and
// bounded field reads are in wire_convert.cc.
#include "impl/net/wire.h"

#include <cstring>
#include <optional>
#include <utility>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include "impl/core/limits.h"
#include "impl/net/wire_convert.h"
#include "impl/net/wire_frame.h"
#include "impl/net/wire_membership.h"

namespace dynamo::net {
namespace {

using namespace wire_detail;  // NOLINT: the codec's own helpers

// Versions one message may carry: a replica's siblings plus the hints it keeps for the key.
constexpr std::size_t kMaxVersions = 2 * limits::kMaxSiblings;

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

void check_batch(std::size_t count, const char* kind, const char* items, const WireLimits& limits) {
  if (count > limits.max_batch)
    fail(std::string(kind) + " of " + num(count) + " " + items + ", limit " + num(limits.max_batch));
}

// Re-throws a field's error with the position of the message it is in.
template <class F>
auto at_item(const char* kind, const char* items, std::size_t index, const char* name, F&& read) {
  try {
    return read();
  } catch (const WireError& e) {
    fail(std::string(kind) + " " + items + " " + num(index) + " (" + name + "): " + e.message);
  }
}

std::string read_store(capnp::Text::Reader text) { return read_text(text, "store name", limits::kMaxStoreNameBytes); }
std::string read_key(capnp::Data::Reader data) { return read_data(data, "key", limits::kMaxKeyBytes); }
std::string read_node_id(capnp::Text::Reader text, const char* what) {
  return read_text(text, what, limits::kMaxNodeIdBytes, 1);
}

int read_replicas(std::int32_t value, const char* what) {
  if (value < 1 || value > limits::kMaxReplicas)
    fail(std::string(what) + " of " + std::to_string(value) + ", it must be 1 to " + std::to_string(limits::kMaxReplicas));
  return value;
}

// --- the Merkle exchange's parts (impl/core/merkle_exchange.h) ---

void write_shape(schema::MerkleShape::Builder out, const MerkleShape& shape) {
  out.setPartitions(shape.partitions);
  out.setPartition(shape.partition);
  out.setDepth(static_cast<std::uint8_t>(shape.depth));
}

// Read as sent; whether the shape is one this node's trees have is the core's check (check_shape).
MerkleShape read_shape(schema::MerkleShape::Reader in) {
  return MerkleShape{in.getPartitions(), in.getPartition(), static_cast<int>(in.getDepth())};
}

MerkleHashRequest read_hash_request(schema::TreeHashRequest::Reader in) {
  MerkleHashRequest out{read_shape(in.getShape()), {}};
  const auto positions = in.getPositions();
  check_count(positions.size(), "positions", merkle_limits::kMaxPositionsPerRequest);
  for (auto p : positions) out.positions.push_back(MerklePosition{p.getLevel(), p.getIndex()});
  return out;
}

MerkleHashReply read_hash_reply(schema::TreeHashReply::Reader in) {
  MerkleHashReply out;
  const auto hashes = in.getHashes();
  check_count(hashes.size(), "hashes", merkle_limits::kMaxPositionsPerRequest);
  for (auto h : hashes) out.hashes.push_back(MerkleHash{h.getHi(), h.getLo()});
  return out;
}

MerkleLeafRequest read_leaf_request(schema::TreeLeafRequest::Reader in) {
  MerkleLeafRequest out{read_shape(in.getShape()), {}};
  const auto leaves = in.getLeaves();
  check_count(leaves.size(), "leaves", merkle_limits::kMaxLeavesPerRequest);
  for (auto leaf : leaves) out.leaves.push_back(leaf);
  return out;
}

MerkleLeafReply read_leaf_reply(schema::TreeLeafReply::Reader in) {
  MerkleLeafReply out;
  const auto leaves = in.getLeaves();
  check_count(leaves.size(), "leaves", merkle_limits::kMaxLeavesPerRequest);
  for (auto leaf : leaves) {
    const auto entries = leaf.getEntries();
    check_count(entries.size(), "keys in a leaf", merkle_limits::kMaxLeafKeys);
    auto& listing = out.leaves.emplace_back();
    for (auto e : entries) {
      MerkleEntry entry{read_key(e.getKey()), {}};
      const std::string digest = read_data(e.getDigest(), "digest", entry.digest.size(), entry.digest.size());
      std::memcpy(entry.digest.data(), digest.data(), entry.digest.size());
      listing.push_back(std::move(entry));
    }
  }
  return out;
}

// --- peer messages ---

void write_peer_message(schema::PeerMessage::Builder out, const PeerMessage& message) {
  std::visit(Overloaded{
                 [&](const StoreRequest& m) {
                   auto b = out.initStoreRequest();
                   b.setPutId(m.put_id);
                   b.setStore(text_of(m.store));
                   b.setKey(data_of(m.key));
                   write_version(b.initVersion(), m.version);
                   b.setHint(text_of(m.hint));
                 },
                 [&](const StoreAck& m) {
                   auto b = out.initStoreAck();
                   b.setPutId(m.put_id);
                   write_dot(b.initDot(), m.dot);
                   b.setEpoch(m.epoch);
                   b.setStored(m.stored);
                   b.setRefusal(text_of(m.refusal));
                 },
                 [&](const ReadRequest& m) {
                   auto b = out.initReadRequest();
                   b.setGetId(m.get_id);
                   b.setStore(text_of(m.store));
                   b.setKey(data_of(m.key));
                 },
                 [&](const ReadReply& m) {
                   auto b = out.initReadReply();
                   b.setGetId(m.get_id);
                   b.setStore(text_of(m.store));
                   b.setKey(data_of(m.key));
                   b.setOk(m.ok);
                   write_versions(b.initVersions(static_cast<unsigned>(m.versions.size())), m.versions);
                 },
                 [&](const RepairRequest& m) {
                   auto b = out.initRepairRequest();
                   b.setStore(text_of(m.store));
                   b.setKey(data_of(m.key));
                   write_versions(b.initVersions(static_cast<unsigned>(m.versions.size())), m.versions);
                 },
                 [&](const Handoff& m) {
                   auto b = out.initHandoff();
                   b.setSequence(m.sequence);
                   b.setStore(text_of(m.store));
                   b.setKey(data_of(m.key));
                   write_version(b.initVersion(), m.version);
                 },
                 [&](const HandoffAck& m) {
                   auto b = out.initHandoffAck();
                   b.setSequence(m.sequence);
                   b.setStore(text_of(m.store));
                   b.setKey(data_of(m.key));
                   write_dot(b.initDot(), m.dot);
                 },
                 [&](const KeySync& m) {
                   auto b = out.initKeySync();
                   b.setStore(text_of(m.store));
                   b.setKey(data_of(m.key));
                   write_versions(b.initVersions(static_cast<unsigned>(m.versions.size())), m.versions);
                   b.setReply(m.reply);
                 },
                 [&](const TransferKey& m) {
                   auto b = out.initTransferKey();
                   b.setSequence(m.sequence);
                   b.setStore(text_of(m.store));
                   b.setKey(data_of(m.key));
                   write_versions(b.initVersions(static_cast<unsigned>(m.versions.size())), m.versions);
                 },
                 [&](const TransferAck& m) {
                   auto b = out.initTransferAck();
                   b.setSequence(m.sequence);
                   b.setStore(text_of(m.store));
                   b.setKey(data_of(m.key));
                   auto dots = b.initDots(static_cast<unsigned>(m.dots.size()));
                   for (unsigned i = 0; i < m.dots.size(); ++i) write_dot(dots[i], m.dots[i]);
                 },
                 [&](const TreeHashRequest& m) {
                   auto b = out.initTreeHashRequest();
                   b.setExchange(m.exchange);
                   b.setRequest(m.request);
                   b.setStore(text_of(m.store));
                   write_shape(b.initShape(), m.hashes.shape);
                   auto positions = b.initPositions(static_cast<unsigned>(m.hashes.positions.size()));
                   for (unsigned i = 0; i < m.hashes.positions.size(); ++i) {
                     positions[i].setLevel(m.hashes.positions[i].level);
                     positions[i].setIndex(m.hashes.positions[i].index);
                   }
                 },
                 [&](const TreeHashReply& m) {
                   auto b = out.initTreeHashReply();
                   b.setExchange(m.exchange);
                   b.setRequest(m.request);
                   b.setStore(text_of(m.store));
                   b.setPartition(m.partition);
                   b.setOk(m.ok);
                   auto hashes = b.initHashes(static_cast<unsigned>(m.hashes.hashes.size()));
                   for (unsigned i = 0; i < m.hashes.hashes.size(); ++i) {
                     hashes[i].setHi(m.hashes.hashes[i].hi);
                     hashes[i].setLo(m.hashes.hashes[i].lo);
                   }
                 },
                 [&](const TreeLeafRequest& m) {
                   auto b = out.initTreeLeafRequest();
                   b.setExchange(m.exchange);
                   b.setRequest(m.request);
                   b.setStore(text_of(m.store));
                   write_shape(b.initShape(), m.leaves.shape);
                   auto leaves = b.initLeaves(static_cast<unsigned>(m.leaves.leaves.size()));
                   for (unsigned i = 0; i < m.leaves.leaves.size(); ++i) leaves.set(i, m.leaves.leaves[i]);
                 },
                 [&](const TreeLeafReply& m) {
                   auto b = out.initTreeLeafReply();
                   b.setExchange(m.exchange);
                   b.setRequest(m.request);
                   b.setStore(text_of(m.store));
                   b.setPartition(m.partition);
                   b.setOk(m.ok);
                   auto leaves = b.initLeaves(static_cast<unsigned>(m.leaves.leaves.size()));
                   for (unsigned i = 0; i < m.leaves.leaves.size(); ++i) {
                     const auto& listing = m.leaves.leaves[i];
                     auto entries = leaves[i].initEntries(static_cast<unsigned>(listing.size()));
                     for (unsigned j = 0; j < listing.size(); ++j) {
                       entries[j].setKey(data_of(listing[j].key));
                       entries[j].setDigest(capnp::Data::Reader(listing[j].digest.data(), listing[j].digest.size()));
                     }
                   }
                 },
                 [&](const ReapQuery& m) {
                   auto b = out.initReapQuery();
                   b.setQuery(m.query);
                   b.setStore(text_of(m.store));
                   b.setKey(data_of(m.key));
                   b.setRing(m.ring);
                   write_versions(b.initTombstones(static_cast<unsigned>(m.tombstones.size())), m.tombstones);
                   b.setReap(m.reap);
                 },
                 [&](const ReapReply& m) {
                   auto b = out.initReapReply();
                   b.setQuery(m.query);
                   b.setStore(text_of(m.store));
                   b.setKey(data_of(m.key));
                   b.setOk(m.ok);
                   auto held = b.initHeld(static_cast<unsigned>(m.held.size()));
                   for (unsigned i = 0; i < m.held.size(); ++i) write_dot(held[i], m.held[i]);
                 },
             },
             message);
}

const char* peer_kind_name(schema::PeerMessage::Which which) {
  switch (which) {
    case schema::PeerMessage::STORE_REQUEST: return "storeRequest";
    case schema::PeerMessage::STORE_ACK: return "storeAck";
    case schema::PeerMessage::READ_REQUEST: return "readRequest";
    case schema::PeerMessage::READ_REPLY: return "readReply";
    case schema::PeerMessage::REPAIR_REQUEST: return "repairRequest";
    case schema::PeerMessage::HANDOFF: return "handoff";
    case schema::PeerMessage::HANDOFF_ACK: return "handoffAck";
    case schema::PeerMessage::KEY_SYNC: return "keySync";
    case schema::PeerMessage::TRANSFER_KEY: return "transferKey";
    case schema::PeerMessage::TRANSFER_ACK: return "transferAck";
    case schema::PeerMessage::TREE_HASH_REQUEST: return "treeHashRequest";
    case schema::PeerMessage::TREE_HASH_REPLY: return "treeHashReply";
    case schema::PeerMessage::TREE_LEAF_REQUEST: return "treeLeafRequest";
    case schema::PeerMessage::TREE_LEAF_REPLY: return "treeLeafReply";
    case schema::PeerMessage::REAP_QUERY: return "reapQuery";
    case schema::PeerMessage::REAP_REPLY: return "reapReply";
  }
  return "unknown kind";
}

PeerMessage read_peer_message(schema::PeerMessage::Reader in) {
  switch (in.which()) {
    case schema::PeerMessage::STORE_REQUEST: {
      const auto m = in.getStoreRequest();
      return StoreRequest{m.getPutId(), read_store(m.getStore()), read_key(m.getKey()), read_version(m.getVersion()),
                          read_text(m.getHint(), "hint", limits::kMaxNodeIdBytes)};
    }
    case schema::PeerMessage::STORE_ACK: {
      const auto m = in.getStoreAck();
      return StoreAck{m.getPutId(), read_dot(m.getDot(), "the acknowledged dot's"), m.getEpoch(), m.getStored(),
                      read_text(m.getRefusal(), "refusal", kMaxTextBytes)};
    }
    case schema::PeerMessage::READ_REQUEST: {
      const auto m = in.getReadRequest();
      return ReadRequest{m.getGetId(), read_store(m.getStore()), read_key(m.getKey())};
    }
    case schema::PeerMessage::READ_REPLY: {
      const auto m = in.getReadReply();
      return ReadReply{m.getGetId(), read_store(m.getStore()), read_key(m.getKey()), m.getOk(),
                       read_versions(m.getVersions(), "versions", kMaxVersions)};
    }
    case schema::PeerMessage::REPAIR_REQUEST: {
      const auto m = in.getRepairRequest();
      return RepairRequest{read_store(m.getStore()), read_key(m.getKey()),
                           read_versions(m.getVersions(), "versions", kMaxVersions)};
    }
    case schema::PeerMessage::HANDOFF: {
      const auto m = in.getHandoff();
      return Handoff{m.getSequence(), read_store(m.getStore()), read_key(m.getKey()), read_version(m.getVersion())};
    }
    case schema::PeerMessage::HANDOFF_ACK: {
      const auto m = in.getHandoffAck();
      return HandoffAck{m.getSequence(), read_store(m.getStore()), read_key(m.getKey()),
                        read_dot(m.getDot(), "the acknowledged dot's")};
    }
    case schema::PeerMessage::KEY_SYNC: {
      const auto m = in.getKeySync();
      return KeySync{read_store(m.getStore()), read_key(m.getKey()),
                     read_versions(m.getVersions(), "versions", kMaxVersions), m.getReply()};
    }
    case schema::PeerMessage::TRANSFER_KEY: {
      const auto m = in.getTransferKey();
      return TransferKey{m.getSequence(), read_store(m.getStore()), read_key(m.getKey()),
                         read_versions(m.getVersions(), "versions", kMaxVersions)};
    }
    case schema::PeerMessage::TRANSFER_ACK: {
      const auto m = in.getTransferAck();
      const auto dots = m.getDots();
      if (dots.size() > kMaxVersions)
        fail("dots: " + num(dots.size()) + " of them, limit " + num(kMaxVersions));
      TransferAck ack{m.getSequence(), read_store(m.getStore()), read_key(m.getKey()), {}};
      for (unsigned i = 0; i < dots.size(); ++i) ack.dots.push_back(read_dot(dots[i], "a confirmed dot's"));
      return ack;
    }
    case schema::PeerMessage::TREE_HASH_REQUEST: {
      const auto m = in.getTreeHashRequest();
      return TreeHashRequest{m.getExchange(), m.getRequest(), read_store(m.getStore()), read_hash_request(m)};
    }
    case schema::PeerMessage::TREE_HASH_REPLY: {
      const auto m = in.getTreeHashReply();
      return TreeHashReply{m.getExchange(), m.getRequest(), read_store(m.getStore()), m.getPartition(), m.getOk(),
                           read_hash_reply(m)};
    }
    case schema::PeerMessage::TREE_LEAF_REQUEST: {
      const auto m = in.getTreeLeafRequest();
      return TreeLeafRequest{m.getExchange(), m.getRequest(), read_store(m.getStore()), read_leaf_request(m)};
    }
    case schema::PeerMessage::TREE_LEAF_REPLY: {
      const auto m = in.getTreeLeafReply();
      return TreeLeafReply{m.getExchange(), m.getRequest(), read_store(m.getStore()), m.getPartition(), m.getOk(),
                           read_leaf_reply(m)};
    }
    case schema::PeerMessage::REAP_QUERY: {
      const auto m = in.getReapQuery();
      return ReapQuery{m.getQuery(), read_store(m.getStore()), read_key(m.getKey()), m.getRing(),
                       read_versions(m.getTombstones(), "tombstones", kMaxVersions), m.getReap()};
    }
    case schema::PeerMessage::REAP_REPLY: {
      const auto m = in.getReapReply();
      const auto held = m.getHeld();
      if (held.size() > kMaxVersions) fail("held: " + num(held.size()) + " dots, limit " + num(kMaxVersions));
      ReapReply reply{m.getQuery(), read_store(m.getStore()), read_key(m.getKey()), m.getOk(), {}};
      for (unsigned i = 0; i < held.size(); ++i) reply.held.push_back(read_dot(held[i], "a held dot's"));
      return reply;
    }
  }
  fail("unknown message kind " + num(static_cast<unsigned>(in.which())) + " (sent by a newer protocol?)");
}

// --- client calls ---

void write_quorum_override(auto out, const std::optional<int>& value) {
  if (value) {
    out.setCount(*value);
  } else {
    out.setStoreDefault();
  }
}

void write_client_call(schema::ClientCall::Builder out, const ClientCall& call) {
  std::visit(Overloaded{
                 [&](const ClientRequest& m) {
                   auto b = out.initKv();
                   b.setRequestId(m.request_id);
                   switch (m.op) {
                     case OpKind::kGet: b.setOp(schema::OpKind::GET); break;
                     case OpKind::kPut: b.setOp(schema::OpKind::PUT); break;
                     case OpKind::kDelete: b.setOp(schema::OpKind::DELETE); break;
                   }
                   b.setStore(text_of(m.store));
                   b.setKey(data_of(m.key));
                   b.setValue(data_of(m.value));
                   write_context(b.initContext(), m.context);
                   write_quorum_override(b.initR(), m.r);
                   write_quorum_override(b.initW(), m.w);
                 },
                 [&](const RingCall& m) { out.initRing().setRequestId(m.request_id); },
                 [&](const StatusCall& m) { out.initStatus().setRequestId(m.request_id); },
                 [&](const AdminCall& m) {
                   auto b = out.initAdmin();
                   b.setRequestId(m.request_id);
                   std::visit(Overloaded{
                                  [&](const AdminJoin& c) {
                                    auto j = b.initJoin();
                                    j.setSeedId(text_of(c.seed_id));
                                    j.setSeedPeerAddress(text_of(c.seed_peer_address));
                                  },
                                  [&](const AdminLeave&) { b.setLeave(); },
                                  [&](const AdminRemove& c) { b.setRemove(text_of(c.id)); },
                              },
                              m.command);
                 },
             },
             call);
}

template <class Group>
std::optional<int> read_quorum_override(typename Group::Reader in, const char* what) {
  switch (in.which()) {
    case Group::STORE_DEFAULT: return std::nullopt;
    case Group::COUNT: return read_replicas(in.getCount(), what);
  }
  fail(std::string(what) + " of unknown kind " + num(static_cast<unsigned>(in.which())));
}

ClientRequest read_client_request(schema::ClientRequest::Reader in) {
  ClientRequest request;
  request.request_id = in.getRequestId();
  switch (in.getOp()) {
    case schema::OpKind::GET: request.op = OpKind::kGet; break;
    case schema::OpKind::PUT: request.op = OpKind::kPut; break;
    case schema::OpKind::DELETE: request.op = OpKind::kDelete; break;
    default: fail("unknown op " + num(static_cast<unsigned>(in.getOp())));
  }
  request.store = read_store(in.getStore());
  request.key = read_key(in.getKey());
  request.value = read_data(in.getValue(), "value", limits::kMaxValueBytes);
  request.context = read_context(in.getContext());
  request.r = read_quorum_override<schema::ClientRequest::R>(in.getR(), "r");
  request.w = read_quorum_override<schema::ClientRequest::W>(in.getW(), "w");
  return request;
}

AdminCall read_admin_call(schema::AdminCall::Reader in) {
  AdminCall call;
  call.request_id = in.getRequestId();
  switch (in.which()) {
    case schema::AdminCall::JOIN:
      call.command = AdminJoin{read_node_id(in.getJoin().getSeedId(), "seed id"),
                               read_text(in.getJoin().getSeedPeerAddress(), "seed peer address", kMaxAddressBytes, 1)};
      return call;
    case schema::AdminCall::LEAVE: call.command = AdminLeave{}; return call;
    case schema::AdminCall::REMOVE: call.command = AdminRemove{read_node_id(in.getRemove(), "node to remove")}; return call;
  }
  fail("unknown admin command " + num(static_cast<unsigned>(in.which())) + " (sent by a newer protocol?)");
}

const char* call_kind_name(schema::ClientCall::Which which) {
  switch (which) {
    case schema::ClientCall::KV: return "kv";
    case schema::ClientCall::RING: return "ring";
    case schema::ClientCall::STATUS: return "status";
    case schema::ClientCall::ADMIN: return "admin";
  }
  return "unknown kind";
}

ClientCall read_client_call(schema::ClientCall::Reader in) {
  switch (in.which()) {
    case schema::ClientCall::KV: return read_client_request(in.getKv());
    case schema::ClientCall::RING: return RingCall{in.getRing().getRequestId()};
    case schema::ClientCall::STATUS: return StatusCall{in.getStatus().getRequestId()};
    case schema::ClientCall::ADMIN: return read_admin_call(in.getAdmin());
  }
  fail("unknown call kind " + num(static_cast<unsigned>(in.which())) + " (sent by a newer protocol?)");
}

// --- answers ---

schema::ReplyStatus status_to_wire(ReplyStatus status) {
  switch (status) {
    case ReplyStatus::kOk: return schema::ReplyStatus::OK;
    case ReplyStatus::kFailed: return schema::ReplyStatus::FAILED;
    case ReplyStatus::kUnknown: return schema::ReplyStatus::UNKNOWN;
    case ReplyStatus::kRedirect: return schema::ReplyStatus::REDIRECT;
  }
  return schema::ReplyStatus::FAILED;
}

ReplyStatus status_from_wire(schema::ReplyStatus status) {
  switch (status) {
    case schema::ReplyStatus::OK: return ReplyStatus::kOk;
    case schema::ReplyStatus::FAILED: return ReplyStatus::kFailed;
    case schema::ReplyStatus::UNKNOWN: return ReplyStatus::kUnknown;
    case schema::ReplyStatus::REDIRECT: return ReplyStatus::kRedirect;
  }
  fail("unknown reply status " + num(static_cast<unsigned>(status)));
}

void write_client_reply(schema::ClientReply::Builder b, const ClientReply& m) {
  b.setRequestId(m.request_id);
  b.setStatus(status_to_wire(m.status));
  b.setMessage(text_of(m.message));
  write_versions(b.initSiblings(static_cast<unsigned>(m.siblings.size())), m.siblings);
  write_context(b.initContext(), m.context);
  if (m.dot) {
    write_dot(b.initDot().initSome(), *m.dot);
  } else {
    b.initDot().setNone();
  }
  auto coordinators = b.initCoordinators(static_cast<unsigned>(m.coordinators.size()));
  for (unsigned i = 0; i < m.coordinators.size(); ++i) coordinators.set(i, text_of(m.coordinators[i]));
}

ClientReply read_client_reply(schema::ClientReply::Reader in) {
  ClientReply reply;
  reply.request_id = in.getRequestId();
  reply.status = status_from_wire(in.getStatus());
  reply.message = read_text(in.getMessage(), "message", kMaxTextBytes);
  reply.siblings = read_versions(in.getSiblings(), "siblings", kMaxVersions);
  reply.context = read_context(in.getContext());
  const auto dot = in.getDot();
  switch (dot.which()) {
    case schema::ClientReply::Dot::NONE: break;
    case schema::ClientReply::Dot::SOME: reply.dot = read_dot(dot.getSome(), "the new version's dot"); break;
    default: fail("dot of unknown kind " + num(static_cast<unsigned>(dot.which())));
  }
  const auto coordinators = in.getCoordinators();
  check_count(coordinators.size(), "coordinators", static_cast<std::size_t>(limits::kMaxReplicas));
  for (const auto id : coordinators) reply.coordinators.push_back(read_node_id(id, "coordinator id"));
  return reply;
}

void write_ring_info(schema::RingInfo::Builder b, const RingInfo& m) {
  b.setRequestId(m.request_id);
  b.setPartitions(m.partitions);
  auto members = b.initMembers(static_cast<unsigned>(m.members.size()));
  for (unsigned i = 0; i < m.members.size(); ++i) {
    const MemberAddress& a = m.members[i];
    members[i].setId(text_of(a.member.id));
    members[i].setDc(text_of(a.member.dc));
    members[i].setWeight(a.member.weight);
    members[i].setPeerAddress(text_of(a.peer_address));
    members[i].setClientAddress(text_of(a.client_address));
    members[i].setHttpAddress(text_of(a.http_address));
  }
  auto stores = b.initStores(static_cast<unsigned>(m.stores.size()));
  for (unsigned i = 0; i < m.stores.size(); ++i) {
    const StoreInfo& s = m.stores[i];
    stores[i].setName(text_of(s.name));
    stores[i].setN(s.n);
    stores[i].setR(s.r);
    stores[i].setW(s.w);
    stores[i].setDurableReplicas(s.durable_replicas);
    stores[i].setMaxValueBytes(s.max_value_bytes);
  }
  write_members(b.initView(static_cast<unsigned>(m.view.members.size())), m.view);
  b.setTransfersPending(m.transfers_pending);
}

RingInfo read_ring_info(schema::RingInfo::Reader in) {
  RingInfo info;
  info.request_id = in.getRequestId();
  info.partitions = in.getPartitions();
  if (info.partitions < 1 || info.partitions > limits::kMaxPartitions)
    fail("ring of " + num(info.partitions) + " partitions, it must have 1 to " + num(limits::kMaxPartitions));
  const auto members = in.getMembers();
  check_count(members.size(), "ring members", limits::kMaxNodes);
  for (const auto m : members) {
    MemberAddress a;
    a.member.id = read_node_id(m.getId(), "member id");
    a.member.dc = read_node_id(m.getDc(), "data centre name");
    a.member.weight = m.getWeight();
    if (a.member.weight < 1 || a.member.weight > limits::kMaxWeight)
      fail("member weight " + num(a.member.weight) + ", it must be 1 to " + num(limits::kMaxWeight));
    a.peer_address = read_text(m.getPeerAddress(), "peer address", kMaxAddressBytes);
    a.client_address = read_text(m.getClientAddress(), "client address", kMaxAddressBytes);
    a.http_address = read_text(m.getHttpAddress(), "HTTP address", kMaxAddressBytes);
    info.members.push_back(std::move(a));
  }
  const auto stores = in.getStores();
  check_count(stores.size(), "stores", kMaxStores);
  for (const auto s : stores) {
    StoreInfo store;
    store.name = read_text(s.getName(), "store name", limits::kMaxStoreNameBytes, 1);
    store.n = read_replicas(s.getN(), "n");
    store.r = read_replicas(s.getR(), "r");
    store.w = read_replicas(s.getW(), "w");
    store.durable_replicas = s.getDurableReplicas();
    store.max_value_bytes = s.getMaxValueBytes();
    if (store.max_value_bytes > limits::kMaxValueBytes)
      fail("store value limit of " + num(store.max_value_bytes) + " bytes, limit " + num(limits::kMaxValueBytes));
    info.stores.push_back(std::move(store));
  }
  // Bounds only (validate_view wants a cluster id and a member; an old node sends neither).
  info.view = read_members("", in.getView());
  info.transfers_pending = in.getTransfersPending();
  return info;
}

void write_status_info(schema::StatusInfo::Builder b, const StatusInfo& m) {
  b.setRequestId(m.request_id);
  b.setNode(text_of(m.node));
  b.setEpoch(m.epoch);
  b.setUptimeMs(m.uptime_ms);
  auto peers = b.initPeers(static_cast<unsigned>(m.peers.size()));
  for (unsigned i = 0; i < m.peers.size(); ++i) {
    peers[i].setId(text_of(m.peers[i].id));
    peers[i].setSuspected(m.peers[i].suspected);
    peers[i].setHintsPending(m.peers[i].hints_pending);
  }
  b.setRequestsInFlight(m.requests_in_flight);
  b.setHintsPending(m.hints_pending);
  b.setHandoffsInFlight(m.handoffs_in_flight);
  b.setReadRepairs(m.read_repairs);
  b.setDroppedMessages(m.dropped_messages);
  b.setMerkleExchanges(m.merkle_exchanges);
  b.setMerkleKeysRepaired(m.merkle_keys_repaired);
  b.setMerkleBytesSent(m.merkle_bytes_sent);
  b.setTombstonesReaped(m.tombstones_reaped);
  b.setKeysNotOwned(m.keys_not_owned);
}

StatusInfo read_status_info(schema::StatusInfo::Reader in) {
  StatusInfo info;
  info.request_id = in.getRequestId();
  info.node = read_node_id(in.getNode(), "node id");
  info.epoch = in.getEpoch();
  info.uptime_ms = in.getUptimeMs();
  const auto peers = in.getPeers();
  check_count(peers.size(), "peers", limits::kMaxNodes);
  for (const auto p : peers)
    info.peers.push_back(PeerState{read_node_id(p.getId(), "peer id"), p.getSuspected(), p.getHintsPending()});
  info.requests_in_flight = in.getRequestsInFlight();
  info.hints_pending = in.getHintsPending();
  info.handoffs_in_flight = in.getHandoffsInFlight();
  info.read_repairs = in.getReadRepairs();
  info.dropped_messages = in.getDroppedMessages();
  info.merkle_exchanges = in.getMerkleExchanges();
  info.merkle_keys_repaired = in.getMerkleKeysRepaired();
  info.merkle_bytes_sent = in.getMerkleBytesSent();
  info.tombstones_reaped = in.getTombstonesReaped();
  info.keys_not_owned = in.getKeysNotOwned();
  return info;
}

void write_answer(schema::ClientAnswer::Builder out, const ClientAnswer& answer) {
  std::visit(Overloaded{
                 [&](const ClientReply& m) { write_client_reply(out.initReply(), m); },
                 [&](const RingInfo& m) { write_ring_info(out.initRing(), m); },
                 [&](const StatusInfo& m) { write_status_info(out.initStatus(), m); },
                 [&](const BatchError& m) {
                   auto b = out.initError();
                   b.setRequestId(m.request_id);
                   b.setMessage(text_of(m.message));
                 },
                 [&](const AdminAnswer& m) {
                   auto b = out.initAdmin();
                   b.setRequestId(m.request_id);
                   b.setOk(m.ok);
                   b.setMessage(text_of(m.message));
                 },
             },
             answer);
}

const char* answer_kind_name(schema::ClientAnswer::Which which) {
  switch (which) {
    case schema::ClientAnswer::REPLY: return "reply";
    case schema::ClientAnswer::RING: return "ring";
    case schema::ClientAnswer::STATUS: return "status";
    case schema::ClientAnswer::ERROR: return "error";
    case schema::ClientAnswer::ADMIN: return "admin";
  }
  return "unknown kind";
}

ClientAnswer read_answer(schema::ClientAnswer::Reader in) {
  switch (in.which()) {
    case schema::ClientAnswer::REPLY: return read_client_reply(in.getReply());
    case schema::ClientAnswer::RING: return read_ring_info(in.getRing());
    case schema::ClientAnswer::STATUS: return read_status_info(in.getStatus());
    case schema::ClientAnswer::ERROR: {
      const auto e = in.getError();
      return BatchError{e.getRequestId(), read_text(e.getMessage(), "message", kMaxTextBytes)};
    }
    case schema::ClientAnswer::ADMIN: {
      const auto a = in.getAdmin();
      return AdminAnswer{a.getRequestId(), a.getOk(), read_text(a.getMessage(), "message", kMaxTextBytes)};
    }
  }
  fail("unknown answer kind " + num(static_cast<unsigned>(in.which())) + " (sent by a newer protocol?)");
}

}  // namespace

// --- the batches ---

std::string encode_peer_batch(const PeerBatch& batch) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::PeerBatch>();
  root.setVersion(kProtocolVersion);
  root.setKind(schema::MessageKind::PEER_BATCH);
  root.setFrom(text_of(batch.from));
  root.setFromEpoch(batch.from_epoch);
  auto messages = root.initMessages(static_cast<unsigned>(batch.messages.size()));
  for (unsigned i = 0; i < batch.messages.size(); ++i) write_peer_message(messages[i], batch.messages[i]);
  return to_bytes(message);
}

Result<PeerBatch> decode_peer_batch(std::string_view bytes, const WireLimits& limits) {
  return guarded<PeerBatch>("PeerBatch", [&] {
    Frame frame(bytes, limits, "PeerBatch");
    const auto root = frame.root<schema::PeerBatch>();
    check_header(root, schema::MessageKind::PEER_BATCH);
    PeerBatch batch;
    batch.from = read_node_id(root.getFrom(), "sender id");
    batch.from_epoch = root.getFromEpoch();
    const auto messages = root.getMessages();
    check_batch(messages.size(), "PeerBatch", "messages", limits);
    batch.messages.reserve(messages.size());
    std::size_t index = 0;
    for (const auto m : messages) {
      batch.messages.push_back(
          at_item("PeerBatch", "message", index, peer_kind_name(m.which()), [&] { return read_peer_message(m); }));
      ++index;
    }
    return batch;
  });
}

std::string encode_client_batch(const ClientBatch& batch) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::ClientBatch>();
  root.setVersion(kProtocolVersion);
  root.setKind(schema::MessageKind::CLIENT_BATCH);
  auto calls = root.initCalls(static_cast<unsigned>(batch.calls.size()));
  for (unsigned i = 0; i < batch.calls.size(); ++i) write_client_call(calls[i], batch.calls[i]);
  return to_bytes(message);
}

Result<ClientBatch> decode_client_batch(std::string_view bytes, const WireLimits& limits) {
  return guarded<ClientBatch>("ClientBatch", [&] {
    Frame frame(bytes, limits, "ClientBatch");
    const auto root = frame.root<schema::ClientBatch>();
    check_header(root, schema::MessageKind::CLIENT_BATCH);
    const auto calls = root.getCalls();
    check_batch(calls.size(), "ClientBatch", "calls", limits);
    ClientBatch batch;
    batch.calls.reserve(calls.size());
    std::size_t index = 0;
    for (const auto c : calls) {
      batch.calls.push_back(
          at_item("ClientBatch", "call", index, call_kind_name(c.which()), [&] { return read_client_call(c); }));
      ++index;
    }
    return batch;
  });
}

std::string encode_reply_batch(const ReplyBatch& batch) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::ReplyBatch>();
  root.setVersion(kProtocolVersion);
  root.setKind(schema::MessageKind::REPLY_BATCH);
  auto answers = root.initAnswers(static_cast<unsigned>(batch.answers.size()));
  for (unsigned i = 0; i < batch.answers.size(); ++i) write_answer(answers[i], batch.answers[i]);
  return to_bytes(message);
}

Result<ReplyBatch> decode_reply_batch(std::string_view bytes, const WireLimits& limits) {
  return guarded<ReplyBatch>("ReplyBatch", [&] {
    Frame frame(bytes, limits, "ReplyBatch");
    const auto root = frame.root<schema::ReplyBatch>();
    check_header(root, schema::MessageKind::REPLY_BATCH);
    const auto answers = root.getAnswers();
    check_batch(answers.size(), "ReplyBatch", "answers", limits);
    ReplyBatch batch;
    batch.answers.reserve(answers.size());
    std::size_t index = 0;
    for (const auto a : answers) {
      batch.answers.push_back(
          at_item("ReplyBatch", "answer", index, answer_kind_name(a.which()), [&] { return read_answer(a); }));
      ++index;
    }
    return batch;
  });
}

std::string encode_context(const CausalContext& context) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::ContextToken>();
  root.setVersion(kProtocolVersion);
  root.setKind(schema::MessageKind::CONTEXT_TOKEN);
  write_context(root.initContext(), context);
  return to_bytes(message);
}

Result<CausalContext> decode_context(std::string_view bytes, const WireLimits& limits) {
  return guarded<CausalContext>("context", [&] {
    Frame frame(bytes, limits, "context");
    const auto root = frame.root<schema::ContextToken>();
    check_header(root, schema::MessageKind::CONTEXT_TOKEN);
    return read_context(root.getContext());
  });
}

}  // namespace dynamo::net
