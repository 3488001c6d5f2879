// peer_auth.h: the sealed envelope around every node -> node message when the cluster has a secret
// (docs/security.md says why HMAC-SHA256 and not TLS; spec/README.md "Wire protocol", "Sealed
// envelope", gives the byte layout another implementation needs).
//
//   header (fixed part, 28 bytes, little-endian) | cluster id | sender | receiver | payload | MAC
//
// The MAC is HMAC-SHA256, keyed with the cluster secret, over everything before it. It binds the
// cluster, the sender, the receiver, the sender's epoch (durable, larger at every start) and a
// counter per receiver that starts at 1 in each epoch; the Opener accepts from each sender only an
// (epoch, counter) strictly greater than the last it accepted, so a captured envelope can be neither
// altered, nor redirected to another node or cluster, nor replayed while the receiver runs.
//
// Both classes belong to one thread (the node's event loop); neither is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "impl/core/result.h"
#include "impl/net/hmac.h"

namespace dynamo::net {

inline constexpr char kSealMagic[4] = {'D', 'Y', 'S', 'L'};  // "DYnamo SeaLed"
inline constexpr std::uint8_t kSealFormat = 1;              // bumped on any change of the layout
inline constexpr std::size_t kSealFixedBytes = 28;         // magic .. payload length
inline constexpr std::size_t kSealMacBytes = 32;           // SHA-256
inline constexpr std::size_t kMaxSealIdBytes = 64;         // cluster id, node ids (limits::kMaxNodeIdBytes)
// The most an envelope adds to its payload (NNG's receive limit grows by this much).
inline constexpr std::size_t kMaxSealOverhead = kSealFixedBytes + 3 * kMaxSealIdBytes + kSealMacBytes;
// A secret shorter than this is refused (docs/security.md); longer than the maximum is a mistake.
inline constexpr std::size_t kMinSecretBytes = 16;
inline constexpr std::size_t kMaxSecretBytes = 1024;

// The cluster's identity for sealing: its id (not secret; names the cluster in errors) and secret.
struct ClusterKey {
  std::string cluster_id;
  std::string secret;
};

// Checks a cluster id (1..64 bytes) and a secret (kMinSecretBytes..kMaxSecretBytes).
Status validate_cluster_key(const ClusterKey& key);

// True when `bytes` starts like a sealed envelope (magic), whatever else it holds: used to say
// "sealed message but this node has no secret" rather than "malformed".
bool looks_sealed(std::string_view bytes);

// Seals the payloads one node sends: one counter per receiver, from 1 in this epoch.
class Sealer {
 public:
  // REQUIRES: validate_cluster_key(key).ok(); `self` 1..64 bytes; `epoch` this start's epoch.
  static Result<std::unique_ptr<Sealer>> create(ClusterKey key, std::string self, std::uint64_t epoch);
  ~Sealer();
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;

  // The envelope of `payload` for node `to`; an error when `to` is not 1..64 bytes, the payload is
  // too large (4 GiB) or the counter would wrap (2^64 - 1 messages to one peer in one epoch).
  Result<std::string> seal(const std::string& to, std::string_view payload);

 private:
  Sealer() = default;
  ClusterKey key_;
  std::string self_;
  std::uint64_t epoch_ = 0;
  std::map<std::string, std::uint64_t> counters_;  // receiver -> last counter used
  std::unique_ptr<Hmac> hmac_;
};

// What an envelope carried, once its MAC and freshness are checked.
struct Opened {
  std::string from;          // the sender, as the MAC vouches
  std::uint64_t epoch = 0;
  std::uint64_t counter = 0;
  std::string_view payload;  // points into the bytes given to open()
  bool member = true;        // false: an authentic sender that is not (yet) a member (a joiner); the
                             // caller accepts only a join from it
};

// Opens the envelopes one node receives. Checks, in order: length, magic and format, the lengths
// inside, cluster id, receiver, the MAC (constant-time compare), then freshness; an authentic
// sender outside the member set is reported (Opened::member false), not refused: holding the
// secret is what admits a node, and a joiner must reach a seed before any view names it. Only a message that passes every check changes its state; errors read
// "peer auth: ...", name the claimed sender and say what to check.
class Opener {
 public:
  // `members`: the node ids that may send (self excluded or not: a message from self is refused).
  static Result<std::unique_ptr<Opener>> create(ClusterKey key, std::string self, std::set<std::string> members,
                                                std::size_t max_payload_bytes);
  ~Opener();
  Opener(const Opener&) = delete;
  Opener& operator=(const Opener&) = delete;

  Result<Opened> open(std::string_view bytes);
  // The senders that are members now (the membership view changed); self is ignored.
  void set_members(std::set<std::string> members);
  // Authentic senders that are not members get replay state too, but only this many of them (a
  // joiner is one until its join spreads), so the state stays bounded.
  static constexpr std::size_t kMaxNonMemberSenders = 64;

 private:
  struct Seen { std::uint64_t epoch = 0, counter = 0; };
  Opener() = default;
  ClusterKey key_;
  std::string self_;
  std::set<std::string> members_;
  std::size_t max_payload_bytes_ = 0;
  std::map<std::string, Seen> last_;  // sender -> last accepted (epoch, counter)
  std::size_t non_members_seen_ = 0;  // senders in last_ that were not members when first heard
  std::unique_ptr<Hmac> hmac_;
};

}  // namespace dynamo::net
