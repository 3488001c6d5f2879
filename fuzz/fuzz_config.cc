// Fuzzes the node configuration file (impl/node/config_file.h): an operator's file is outside
// bytes, so any bytes must give a NodeFileConfig or an Error naming the origin, never a crash, a hang
// or unbounded memory.
//
// Properties, on top of "no crash" (ASan+UBSan):
//   * every error message starts with the origin ("fuzz.toml");
//   * whatever parses renders (render_node_config) to a file that parses again, to an equal config,
//     which renders to the same text (parse . render . parse == parse).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "impl/node/config_file.h"

namespace {

using namespace dynamo;        // NOLINT
using namespace dynamo::node;  // NOLINT

void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool same(const net::MemberAddress& a, const net::MemberAddress& b) {
  return a.member == b.member && a.peer_address == b.peer_address && a.client_address == b.client_address &&
         a.http_address == b.http_address;
}

// Field by field: NodeFileConfig and its parts have no operator==.
bool equal(const NodeFileConfig& a, const NodeFileConfig& b) {
  if (!same(a.self, b.self) || a.data_dir != b.data_dir || a.engine != b.engine || a.partitions != b.partitions ||
      a.tick_ms != b.tick_ms || a.members.size() != b.members.size() || a.stores.size() != b.stores.size() ||
      a.cluster_id != b.cluster_id || a.secret != b.secret || a.secret_file != b.secret_file)
    return false;
  for (std::size_t i = 0; i < a.members.size(); ++i)
    if (!same(a.members[i], b.members[i])) return false;
  for (std::size_t i = 0; i < a.stores.size(); ++i) {
    const auto &x = a.stores[i], &y = b.stores[i];
    if (x.name != y.name || x.quorum.n != y.quorum.n || x.quorum.r != y.quorum.r || x.quorum.w != y.quorum.w ||
        x.replica_durability != y.replica_durability || x.max_value_bytes != y.max_value_bytes)
      return false;
  }
  const auto &t = a.timing, &u = b.timing;
  const auto &l = a.limits, &m = b.limits;
  return t.request_timeout == u.request_timeout && t.resend_after == u.resend_after && t.suspect_for == u.suspect_for &&
         t.hint_scan_every == u.hint_scan_every && t.handoff_timeout == u.handoff_timeout &&
         t.flush_every == u.flush_every && t.anti_entropy_every == u.anti_entropy_every &&
         l.max_pending_hints_per_target == m.max_pending_hints_per_target &&
         l.max_requests_in_flight == m.max_requests_in_flight && l.handoffs_per_scan == m.handoffs_per_scan &&
         l.anti_entropy_keys_per_round == m.anti_entropy_keys_per_round;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_node_config(text, "fuzz.toml");
  if (!parsed.ok()) {
    require(parsed.error().message.starts_with("fuzz.toml"));
    return 0;
  }
  const std::string rendered = render_node_config(parsed.value());
  auto again = parse_node_config(rendered, "rendered.toml");
  require(again.ok());
  require(equal(parsed.value(), again.value()));
  require(render_node_config(again.value()) == rendered);
  return 0;
}
