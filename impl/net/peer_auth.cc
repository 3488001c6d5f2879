// peer_auth.cc: the sealed envelope (peer_auth.h). Layout, all integers little-endian as Cap'n
// Proto's, lengths implied by nothing but the header:
//   0  magic "DYSL"   4  format (1)   5  cluster id length   6  sender length   7  receiver length
//   8  epoch (u64)   16  counter (u64)   24  payload length (u32)
//   28 cluster id | sender | receiver | payload | HMAC-SHA256 of all bytes before it (32)
#include "impl/net/peer_auth.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

namespace dynamo::net {
namespace {

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
  return v;
}

// A claimed id, safe to print: at most 64 bytes, control and non-ASCII bytes as \xNN.
std::string printable(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (char c : s.substr(0, kMaxSealIdBytes)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

bool id_ok(std::string_view id) { return !id.empty() && id.size() <= kMaxSealIdBytes; }

Error refuse(std::string what) { return Error{"peer auth: " + std::move(what)}; }

}  // namespace

Status validate_cluster_key(const ClusterKey& key) {
  if (!id_ok(key.cluster_id))
    return Error{"the cluster id must be 1 to " + std::to_string(kMaxSealIdBytes) + " bytes, not " +
                 std::to_string(key.cluster_id.size())};
  if (key.secret.size() < kMinSecretBytes)
    return Error{"the cluster secret is " + std::to_string(key.secret.size()) + " bytes; it must be at least " +
                 std::to_string(kMinSecretBytes) + " (e.g. `openssl rand -hex 32`)"};
  if (key.secret.size() > kMaxSecretBytes)
    return Error{"the cluster secret is " + std::to_string(key.secret.size()) + " bytes; at most " +
                 std::to_string(kMaxSecretBytes) + " are accepted"};
  return {};
}

bool looks_sealed(std::string_view bytes) {
  return bytes.size() >= sizeof kSealMagic && std::memcmp(bytes.data(), kSealMagic, sizeof kSealMagic) == 0;
}

// --- Sealer ---

Result<std::unique_ptr<Sealer>> Sealer::create(ClusterKey key, std::string self, std::uint64_t epoch) {
  if (Status s = validate_cluster_key(key); !s.ok()) return s.error();
  if (!id_ok(self)) return Error{"peer auth: the node id must be 1 to 64 bytes"};
  auto hmac = Hmac::create(key.secret);
  if (!hmac.ok()) return hmac.error();
  std::unique_ptr<Sealer> sealer(new Sealer());
  sealer->key_ = std::move(key);
  sealer->self_ = std::move(self);
  sealer->epoch_ = epoch;
  sealer->hmac_ = std::move(hmac).value();
  return sealer;
}

Sealer::~Sealer() = default;

Result<std::string> Sealer::seal(const std::string& to, std::string_view payload) {
  if (!id_ok(to)) return refuse("cannot seal for a node id of " + std::to_string(to.size()) + " bytes");
  if (payload.size() > std::numeric_limits<std::uint32_t>::max())
    return refuse("cannot seal a payload of " + std::to_string(payload.size()) + " bytes (limit 4 GiB)");
  std::uint64_t& counter = counters_[to];
  if (counter == std::numeric_limits<std::uint64_t>::max())
    return refuse("the counter for " + printable(to) + " is exhausted; restart the node (a new epoch)");
  ++counter;
  std::string out;
  out.reserve(kSealFixedBytes + key_.cluster_id.size() + self_.size() + to.size() + payload.size() + kSealMacBytes);
  out.append(kSealMagic, sizeof kSealMagic);
  out.push_back(static_cast<char>(kSealFormat));
  out.push_back(static_cast<char>(key_.cluster_id.size()));
  out.push_back(static_cast<char>(self_.size()));
  out.push_back(static_cast<char>(to.size()));
  put_le(out, epoch_, 8);
  put_le(out, counter, 8);
  put_le(out, payload.size(), 4);
  out += key_.cluster_id;
  out += self_;
  out += to;
  out.append(payload);
  auto mac = hmac_->mac({out});
  if (!mac.ok()) return mac.error();
  out.append(reinterpret_cast<const char*>(mac.value().data()), mac.value().size());
  return out;
}

// --- Opener ---

Result<std::unique_ptr<Opener>> Opener::create(ClusterKey key, std::string self, std::set<std::string> members,
                                               std::size_t max_payload_bytes) {
  if (Status s = validate_cluster_key(key); !s.ok()) return s.error();
  if (!id_ok(self)) return Error{"peer auth: the node id must be 1 to 64 bytes"};
  auto hmac = Hmac::create(key.secret);
  if (!hmac.ok()) return hmac.error();
  std::unique_ptr<Opener> opener(new Opener());
  opener->key_ = std::move(key);
  opener->self_ = std::move(self);
  opener->members_ = std::move(members);
  opener->max_payload_bytes_ = std::min<std::size_t>(max_payload_bytes, std::numeric_limits<std::uint32_t>::max());
  opener->hmac_ = std::move(hmac).value();
  return opener;
}

Opener::~Opener() = default;

void Opener::set_members(std::set<std::string> members) { members_ = std::move(members); }

Result<Opened> Opener::open(std::string_view bytes) {
  constexpr std::size_t kSmallest = kSealFixedBytes + 3 + kSealMacBytes;  // one-byte ids, no payload
  if (!looks_sealed(bytes))
    return refuse("message of " + std::to_string(bytes.size()) +
                  " bytes is not sealed (is the sender configured without a cluster secret?)");
  if (bytes.size() < kSmallest)
    return refuse("sealed message of " + std::to_string(bytes.size()) + " bytes, shorter than any envelope (" +
                  std::to_string(kSmallest) + ")");
  if (const auto format = static_cast<unsigned char>(bytes[4]); format != kSealFormat)
    return refuse("sealed format " + std::to_string(format) + ", this node speaks " + std::to_string(kSealFormat));
  const std::size_t cluster_len = static_cast<unsigned char>(bytes[5]);
  const std::size_t from_len = static_cast<unsigned char>(bytes[6]);
  const std::size_t to_len = static_cast<unsigned char>(bytes[7]);
  const std::uint64_t epoch = get_le(bytes, 8, 8);
  const std::uint64_t counter = get_le(bytes, 16, 8);
  const std::size_t payload_len = static_cast<std::size_t>(get_le(bytes, 24, 4));
  for (auto [what, len] : {std::pair<const char*, std::size_t>{"cluster id", cluster_len},
                           {"sender id", from_len},
                           {"receiver id", to_len}})
    if (len == 0 || len > kMaxSealIdBytes)
      return refuse(std::string("envelope with a ") + what + " of " + std::to_string(len) + " bytes (must be 1.." +
                    std::to_string(kMaxSealIdBytes) + ")");
  if (payload_len > max_payload_bytes_)
    return refuse("envelope with a payload of " + std::to_string(payload_len) + " bytes, limit " +
                  std::to_string(max_payload_bytes_));
  const std::size_t expected = kSealFixedBytes + cluster_len + from_len + to_len + payload_len + kSealMacBytes;
  if (bytes.size() != expected)
    return refuse("envelope of " + std::to_string(bytes.size()) + " bytes, its header says " +
                  std::to_string(expected) + " (truncated or padded)");
  std::size_t at = kSealFixedBytes;
  const std::string_view cluster = bytes.substr(at, cluster_len);
  const std::string_view from = bytes.substr(at += cluster_len, from_len);
  const std::string_view to = bytes.substr(at += from_len, to_len);
  const std::string_view payload = bytes.substr(at += to_len, payload_len);
  const std::size_t mac_at = at + payload_len;
  // What follows is only claimed until the MAC is checked: errors say "claims".
  if (cluster != key_.cluster_id)
    return refuse("message for cluster \"" + printable(cluster) + "\", this is cluster \"" +
                  printable(key_.cluster_id) + "\" (claimed sender " + printable(from) + ")");
  if (to != self_)
    return refuse("message from " + printable(from) + " for " + printable(to) + ", this is " + printable(self_) +
                  " (misdirected, or redirected by someone in between)");
  if (from == self_) return refuse("message claims to come from this node (" + printable(self_) + ")");
  if (std::any_of(from.begin(), from.end(), [](char c) { return c <= 0x20 || c >= 0x7f; }))
    return refuse("sender id " + printable(from) + " is not a node id (printable ASCII without spaces)");
  const bool member = members_.contains(std::string(from));
  auto mac = hmac_->mac({bytes.substr(0, mac_at)});
  if (!mac.ok()) return refuse(mac.error().message);
  if (!same_mac(mac.value(), reinterpret_cast<const std::uint8_t*>(bytes.data() + mac_at)))
    return refuse("bad MAC from " + printable(from) + " (is its cluster secret the same?)");
  // Authentic. Fresh only if (epoch, counter) is past the last one accepted from this sender.
  if (counter == 0) return refuse("message from " + printable(from) + " with counter 0 (counters start at 1)");
  if (!member && !last_.contains(std::string(from)) && non_members_seen_ >= kMaxNonMemberSenders)
    return refuse("message from " + printable(from) + ", which is not a member of this cluster (and " +
                  std::to_string(kMaxNonMemberSenders) + " other non-members have already been heard)");
  if (!member && !last_.contains(std::string(from))) ++non_members_seen_;
  Seen& last = last_[std::string(from)];
  if (epoch < last.epoch || (epoch == last.epoch && counter <= last.counter))
    return refuse("replayed or reordered message from " + printable(from) + " (epoch " + std::to_string(epoch) +
                  " counter " + std::to_string(counter) + " <= " + std::to_string(last.epoch) + "/" +
                  std::to_string(last.counter) + ")" +
                  (epoch < last.epoch ? "; an older epoch: a message of an earlier life of that node, or its "
                                        "epoch went back (data directory restored?)"
                                      : ""));
  last = {epoch, counter};
  return Opened{std::string(from), epoch, counter, payload, member};
}

}  // namespace dynamo::net
