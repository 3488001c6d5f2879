// wire_membership.cc: the membership messages of wire.h (gossip, a joiner's ask and the seed's
// answer), the persisted view file, and the member entries a RingInfo carries, to and from Cap'n
// Proto (spec/dynamo.capnp, "Membership"). Every view read from outside is checked with the core's
// validate_view (membership.h) on top of the field bounds here, so a peer cannot hand the node a
// view the core would not build itself.
#include "impl/net/wire_membership.h"

#include <utility>

#include "impl/core/limits.h"
#include "impl/net/wire.h"
#include "impl/net/wire_frame.h"

namespace dynamo::net {
namespace wire_detail {

namespace {

schema::MemberStatus status_to_wire(MemberStatus status) {
  switch (status) {
    case MemberStatus::kJoining: return schema::MemberStatus::JOINING;
    case MemberStatus::kValid: return schema::MemberStatus::VALID;
    case MemberStatus::kLeaving: return schema::MemberStatus::LEAVING;
    case MemberStatus::kRemoved: return schema::MemberStatus::REMOVED;
  }
  return schema::MemberStatus::JOINING;
}

MemberStatus status_from_wire(schema::MemberStatus status) {
  switch (status) {
    case schema::MemberStatus::JOINING: return MemberStatus::kJoining;
    case schema::MemberStatus::VALID: return MemberStatus::kValid;
    case schema::MemberStatus::LEAVING: return MemberStatus::kLeaving;
    case schema::MemberStatus::REMOVED: return MemberStatus::kRemoved;
  }
  fail("unknown member status " + num(static_cast<unsigned>(status)));
}

std::string read_address(capnp::Text::Reader text, const char* what, std::size_t min = 0) {
  return read_text(text, what, dynamo::kMaxAddressBytes, min);
}

}  // namespace

void write_member_entry(schema::MemberEntry::Builder out, const MemberEntry& entry) {
  out.setId(text_of(entry.id));
  out.setPeerAddress(text_of(entry.addresses.peer));
  out.setClientAddress(text_of(entry.addresses.client));
  out.setHttpAddress(text_of(entry.addresses.http));
  out.setDc(text_of(entry.dc));
  out.setWeight(entry.weight);
  out.setStatus(status_to_wire(entry.status));
  out.setJoinSeq(entry.join_seq);
  out.setVersion(entry.version);
  out.setChangedBy(text_of(entry.changed_by));
}

MemberEntry read_member_entry(schema::MemberEntry::Reader in) {
  MemberEntry entry;
  entry.id = read_text(in.getId(), "member id", limits::kMaxNodeIdBytes, 1);
  entry.addresses.peer = read_address(in.getPeerAddress(), "peer address");
  entry.addresses.client = read_address(in.getClientAddress(), "client address");
  entry.addresses.http = read_address(in.getHttpAddress(), "http address");
  entry.dc = read_text(in.getDc(), "data centre", limits::kMaxNodeIdBytes, 1);
  entry.weight = in.getWeight();
  entry.status = status_from_wire(in.getStatus());
  entry.join_seq = in.getJoinSeq();
  entry.version = in.getVersion();
  entry.changed_by = read_text(in.getChangedBy(), "changed by", limits::kMaxNodeIdBytes);
  return entry;
}

void write_members(capnp::List<schema::MemberEntry>::Builder out, const MembershipView& view) {
  unsigned i = 0;
  for (const auto& [id, entry] : view.members) write_member_entry(out[i++], entry);
}

MembershipView read_members(std::string cluster_id, capnp::List<schema::MemberEntry>::Reader in) {
  check_count(in.size(), "membership entries", kMaxMembershipEntries);
  MembershipView view;
  view.cluster_id = std::move(cluster_id);
  for (const auto entry : in) {
    MemberEntry e = read_member_entry(entry);
    if (view.members.contains(e.id)) fail("membership view names " + e.id + " twice");
    std::string id = e.id;
    view.members.emplace(std::move(id), std::move(e));
  }
  return view;
}

void write_view(schema::MembershipView::Builder out, const MembershipView& view) {
  out.setClusterId(text_of(view.cluster_id));
  write_members(out.initMembers(static_cast<unsigned>(view.members.size())), view);
}

// `allow_empty`: a kSyn carries the cluster id only (validate_view wants a member).
MembershipView read_view(schema::MembershipView::Reader in, bool allow_empty) {
  auto cluster_id = read_text(in.getClusterId(), "cluster id", kMaxClusterIdBytes, 1);
  MembershipView view = read_members(std::move(cluster_id), in.getMembers());
  if (view.members.empty()) {
    if (allow_empty) return view;
    fail("membership view with no member (only a gossip syn carries none)");
  }
  if (auto valid = validate_view(view); !valid.ok()) fail("membership view: " + valid.error().message);
  return view;
}

}  // namespace wire_detail

using namespace wire_detail;  // NOLINT: the codec's own helpers

namespace {

schema::GossipKind gossip_kind_to_wire(GossipKind kind) {
  switch (kind) {
    case GossipKind::kSyn: return schema::GossipKind::SYN;
    case GossipKind::kAck: return schema::GossipKind::ACK;
    case GossipKind::kAck2: return schema::GossipKind::ACK2;
  }
  return schema::GossipKind::SYN;
}

GossipKind gossip_kind_from_wire(schema::GossipKind kind) {
  switch (kind) {
    case schema::GossipKind::SYN: return GossipKind::kSyn;
    case schema::GossipKind::ACK: return GossipKind::kAck;
    case schema::GossipKind::ACK2: return GossipKind::kAck2;
  }
  fail("unknown gossip kind " + num(static_cast<unsigned>(kind)));
}

void write_join_request(schema::JoinAsk::Builder out, const JoinRequest& request) {
  out.setClusterId(text_of(request.cluster_id));
  auto e = out.initEntry();
  e.setId(text_of(request.id));
  e.setPeerAddress(text_of(request.addresses.peer));
  e.setClientAddress(text_of(request.addresses.client));
  e.setHttpAddress(text_of(request.addresses.http));
  e.setDc(text_of(request.dc));
  e.setWeight(request.weight);
}

JoinRequest read_join_request(schema::JoinAsk::Reader in) {
  const MemberEntry entry = read_member_entry(in.getEntry());
  JoinRequest request;
  request.cluster_id = read_text(in.getClusterId(), "cluster id", kMaxClusterIdBytes, 1);
  request.id = entry.id;
  request.addresses = entry.addresses;
  request.dc = entry.dc;
  request.weight = entry.weight;
  return request;
}

}  // namespace

std::string encode_membership_message(const MembershipMessage& message) {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<schema::MembershipMessage>();
  root.setVersion(kProtocolVersion);
  root.setKind(schema::MessageKind::MEMBERSHIP);
  root.setFrom(text_of(message.from));
  root.setFromPeerAddress(text_of(message.from_peer_address));
  if (const auto* gossip = std::get_if<GossipMessage>(&message.body)) {
    auto g = root.initGossip();
    g.setKind(gossip_kind_to_wire(gossip->kind));
    g.setDigest(gossip->digest);
    write_view(g.initView(), gossip->view);
  } else if (const auto* ask = std::get_if<JoinAsk>(&message.body)) {
    auto a = root.initJoinAsk();
    a.setAskId(ask->ask_id);
    write_join_request(a, ask->request);
  } else {
    const auto& answer = std::get<JoinAnswer>(message.body);
    auto a = root.initJoinAnswer();
    a.setAskId(answer.ask_id);
    a.setError(text_of(answer.error));
    write_view(a.initView(), answer.view);
  }
  return to_bytes(builder);
}

Result<MembershipMessage> decode_membership_message(std::string_view bytes, const WireLimits& limits) {
  return guarded<MembershipMessage>("MembershipMessage", [&] {
    Frame frame(bytes, limits, "MembershipMessage");
    const auto root = frame.root<schema::MembershipMessage>();
    check_header(root, schema::MessageKind::MEMBERSHIP);
    MembershipMessage message;
    message.from = read_text(root.getFrom(), "sender id", limits::kMaxNodeIdBytes, 1);
    message.from_peer_address = read_address(root.getFromPeerAddress(), "sender peer address");
    switch (root.which()) {
      case schema::MembershipMessage::GOSSIP: {
        const auto g = root.getGossip();
        GossipMessage gossip;
        gossip.kind = gossip_kind_from_wire(g.getKind());
        gossip.digest = g.getDigest();
        gossip.view = read_view(g.getView(), gossip.kind == GossipKind::kSyn);
        message.body = std::move(gossip);
        break;
      }
      case schema::MembershipMessage::JOIN_ASK: {
        const auto a = root.getJoinAsk();
        message.body = JoinAsk{a.getAskId(), read_join_request(a)};
        break;
      }
      case schema::MembershipMessage::JOIN_ANSWER: {
        const auto a = root.getJoinAnswer();
        JoinAnswer answer;
        answer.ask_id = a.getAskId();
        answer.error = read_text(a.getError(), "join error", kMaxTextBytes);
        answer.view = read_view(a.getView(), !answer.error.empty());
        message.body = std::move(answer);
        break;
      }
      default:
        fail("unknown membership message kind " + num(static_cast<unsigned>(root.which())) +
             " (sent by a newer protocol?)");
    }
    return message;
  });
}

TopKind peek_kind(std::string_view bytes, const WireLimits& limits) {
  auto kind = guarded<schema::MessageKind>("message", [&] {
    Frame frame(bytes, limits, "message");
    // Every top-level struct has its UInt32 version at @0 and its MessageKind in the next data slot.
    return frame.root<schema::MembershipMessage>().getKind();
  });
  if (!kind.ok()) return TopKind::kUnset;
  switch (kind.value()) {
    case schema::MessageKind::PEER_BATCH: return TopKind::kPeerBatch;
    case schema::MessageKind::MEMBERSHIP: return TopKind::kMembership;
    case schema::MessageKind::UNSET: return TopKind::kUnset;
    default: return TopKind::kOther;
  }
}

std::string encode_view(const MembershipView& view) {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<schema::ViewFile>();
  root.setVersion(kProtocolVersion);
  root.setKind(schema::MessageKind::MEMBERSHIP);
  write_view(root.initView(), view);
  return to_bytes(builder);
}

Result<MembershipView> decode_view(std::string_view bytes, const WireLimits& limits) {
  return guarded<MembershipView>("membership view", [&] {
    Frame frame(bytes, limits, "membership view");
    const auto root = frame.root<schema::ViewFile>();
    check_header(root, schema::MessageKind::MEMBERSHIP);
    return read_view(root.getView(), false);
  });
}

}  // namespace dynamo::net
