// Fuzzes the sealed envelope of peer messages (impl/net/peer_auth.h): any bytes on a node's peer
// port reach Opener::open first, before the wire decoder, so it must refuse everything it cannot
// vouch for with an Error, never crash, hang or allocate by a length it read.
//
// Properties, on top of "no crash" (ASan+UBSan):
//   * every error starts with "peer auth: ";
//   * what opens says truly whether its sender is a member (an authentic non-member, a joiner, is
//     reported, not refused), names a sender that is a node id, and its payload lies inside the
//     input, right before the MAC;
//   * what opened once never opens again (replay), whatever the opener saw in between;
//   * the input sealed by a Sealer with the same key opens to itself; with one byte changed anywhere
//     (chosen by the input) it does not.
// The seed corpus (fuzz/corpus/fuzz_peer_auth/) holds envelopes sealed with kKey below, so that
// mutations reach the checks behind the MAC too (written by impl/e2e/peer_seal.py).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "impl/net/peer_auth.h"

namespace {

using namespace dynamo;       // NOLINT
using namespace dynamo::net;  // NOLINT

void require(bool condition) {
  if (!condition) __builtin_trap();
}

const ClusterKey kKey{"fuzz", "fuzz-secret-0123456789"};

bool refusal(const Result<Opened>& r) { return !r.ok() && r.error().message.starts_with("peer auth: "); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto opener = Opener::create(kKey, "n1", {"n2", "n3"}, 1u << 16);
  require(opener.ok());
  Opener& o = *opener.value();

  auto opened = o.open(input);
  if (opened.ok()) {
    const Opened& m = opened.value();
    require(m.member == (m.from == "n2" || m.from == "n3"));
    require(!m.from.empty() && m.from != "n1");
    require(m.counter >= 1);
    require(m.payload.data() >= input.data() &&
            m.payload.data() + m.payload.size() + kSealMacBytes == input.data() + input.size());
    require(refusal(o.open(input)));
  } else {
    require(refusal(opened));
  }

  // The round trip, through the same opener (so it holds state from the input above).
  auto sealer = Sealer::create(kKey, "n3", ~std::uint64_t{0});  // the highest epoch: fresh whatever came first
  require(sealer.ok());
  auto sealed = sealer.value()->seal("n1", input);
  require(sealed.ok());
  // (An input that opened as n3, only possible from a seed, may hold any epoch: skip it.)
  const bool fresh = !opened.ok() || opened.value().from != "n3";
  if (fresh && input.size() <= (1u << 16)) {
    std::string changed = sealed.value();
    const std::size_t at = size == 0 ? 0 : data[0] % changed.size();
    changed[at] = static_cast<char>(changed[at] ^ (size > 1 && data[1] != 0 ? data[1] : 1));
    require(refusal(o.open(changed)));  // before the genuine one: a refusal must not change the state
    auto back = o.open(sealed.value());
    require(back.ok() && back.value().payload == input && back.value().from == "n3");
    require(refusal(o.open(sealed.value())));
  }
  return 0;
}
