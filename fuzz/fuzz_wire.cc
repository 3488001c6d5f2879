// Fuzzes the wire codec (impl/net/wire.h): every byte a peer or client sends reaches one of its
// decoders first, so any bytes must give a batch or an Error starting "wire: ", never a crash, a
// hang or unbounded memory. The first input byte picks the decoder (0 PeerBatch, 1 ClientBatch,
// 2 ReplyBatch, 3 context, 4 MembershipMessage, 5 the persisted view; the seed corpus files start
// with it), the rest is the message, which is so unaligned, as a network buffer may be.
//
// Properties, on top of "no crash" (ASan+UBSan):
//   * whatever decodes re-encodes to bytes that decode again, to a batch that encodes to the same
//     bytes (decode . encode . decode == decode, compared through the deterministic encoding);
//   * every context and version decoded passes the core's own checks (message_checks.h), and every
//     peer message can be checked without a crash; every membership view but a gossip syn's passes
//     the core's validate_view.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "impl/core/message_checks.h"
#include "impl/net/wire.h"

namespace {

using namespace dynamo;       // NOLINT
using namespace dynamo::net;  // NOLINT

void require(bool condition) {
  if (!condition) __builtin_trap();
}

void check_versions(const std::vector<Version>& versions) {
  for (const Version& v : versions) {
    require(check_version(v).ok());
    require(v.history().contains(v.dot));
  }
}

void check_decoded(const PeerBatch& batch) {
  for (const PeerMessage& m : batch.messages) {
    (void)check_peer_message(m);
    if (const auto* s = std::get_if<StoreRequest>(&m)) check_versions({s->version});
    if (const auto* r = std::get_if<ReadReply>(&m)) check_versions(r->versions);
    if (const auto* r = std::get_if<RepairRequest>(&m)) check_versions(r->versions);
    if (const auto* h = std::get_if<Handoff>(&m)) check_versions({h->version});
    if (const auto* k = std::get_if<KeySync>(&m)) check_versions(k->versions);
  }
}

void check_decoded(const ClientBatch& batch) {
  for (const ClientCall& c : batch.calls)
    if (const auto* r = std::get_if<ClientRequest>(&c)) require(check_context(r->context).ok());
}

void check_decoded(const ReplyBatch& batch) {
  for (const ClientAnswer& a : batch.answers) {
    if (const auto* r = std::get_if<ClientReply>(&a)) {
      check_versions(r->siblings);
      require(check_context(r->context).ok());
    }
  }
}

void check_decoded(const CausalContext& context) { require(check_context(context).ok()); }

void check_decoded(const MembershipView& view) { require(validate_view(view).ok()); }

void check_decoded(const MembershipMessage& message) {
  if (const auto* g = std::get_if<GossipMessage>(&message.body)) {
    if (g->kind != GossipKind::kSyn) check_decoded(g->view);
  } else if (const auto* a = std::get_if<JoinAnswer>(&message.body)) {
    if (a->error.empty()) check_decoded(a->view);
  }
}

template <class Decode, class Encode>
void round_trip(std::string_view bytes, Decode decode, Encode encode) {
  const auto first = decode(bytes, kReadLimits);
  if (!first.ok()) {
    require(first.error().message.rfind("wire: ", 0) == 0);
    return;
  }
  check_decoded(first.value());
  const std::string once = encode(first.value());
  const auto second = decode(once, kReadLimits);
  require(second.ok());
  require(encode(second.value()) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: round_trip(bytes, decode_peer_batch, encode_peer_batch); break;
    case 1: round_trip(bytes, decode_client_batch, encode_client_batch); break;
    case 2: round_trip(bytes, decode_reply_batch, encode_reply_batch); break;
    case 3: round_trip(bytes, decode_context, encode_context); break;
    case 4: round_trip(bytes, decode_membership_message, encode_membership_message); break;
    default: round_trip(bytes, decode_view, encode_view); break;
  }
  return 0;
}
