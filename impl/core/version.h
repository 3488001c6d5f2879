// version.h: the versions of one key, and how a put makes a new one.
//
// A Version is one write: its `dot` names the write event, its `context` is exactly the set of dots
// the writer had read, and its value is a byte string or a tombstone (a delete is a versioned write
// that can conflict like any other). The version's history is context + {dot}.
//
// The rules (spec/README.md "Versions"; tla/Dynamo.tla Supersedes, Reconcile, ReadContext,
// MakeVersion):
//   * a version supersedes another exactly when its context contains the other's dot, i.e. when
//     its writer had read the other;
//   * reconcile keeps every version that no other version supersedes, once per dot: an antichain;
//   * a get answers the siblings and read_context = the union of their histories;
//   * make_version gives the new version exactly the client's context, so it supersedes exactly
//     what the client read; every other version stays as a sibling. Two context-free puts through
//     one coordinator therefore both survive (Riak before 2.0 lost one of them).
// Reference: §4.4 "Data Versioning" (syntactic vs semantic reconciliation), Figure 3.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "impl/core/causal_context.h"
#include "impl/core/dot.h"

namespace dynamo {

struct Version {
  Dot dot;
  CausalContext context;
  std::optional<std::string> value;  // nullopt: a tombstone

  bool is_tombstone() const { return !value.has_value(); }
  // The version's history as a context: context + {dot}.
  CausalContext history() const;
};

// Twin of the spec's Supersedes(newer, older): newer's writer had read older.
bool supersedes(const Version& newer, const Version& older);

// Twin of Reconcile: the versions no other version supersedes, one per dot, sorted by dot. The
// result does not depend on the order of the input. Versions sharing a dot are the same write; if
// their bytes differ (corruption), one is kept by a fixed rule so every replica keeps the same one.
std::vector<Version> reconcile(std::vector<Version> versions);

// Twin of ReadContext: the union of the siblings' histories, the context a get returns.
CausalContext read_context(const std::vector<Version>& siblings);

// The dots of `versions`, sorted: two replica views hold the same versions exactly when these are equal.
std::vector<Dot> dots_of(const std::vector<Version>& versions);

// What a replica holds for one key: its reconciled siblings, and the last dot this node issued for
// the key. `issued` is kept beside the siblings (and stored with them) because truncated contexts may
// forget a node's counter; without it the node could issue a dot twice (riak_kv#679).
struct KeyState {
  std::vector<Version> siblings;  // reconciled: an antichain sorted by dot
  Dot issued;                     // counter 0: never issued for this key
};

struct MadeVersion {
  KeyState state;   // the coordinator's key state with the new version stored
  Version version;  // the new version, to send to the other replicas
};

// Twin of MakeVersion, the clock part of CoordinatePut: the coordinator `actor` turns a put of
// `value` (nullopt: delete) with the client's `context` into a new version. The dot's counter is one
// above every counter of `actor` known for the key (siblings, their contexts, the client's context,
// and the issued record), so it is new; the context is the client's, truncated to
// limits::kClockTruncateAbove actors. `now_ms` only stamps the dot.
MadeVersion make_version(const KeyState& local, std::string_view actor, const CausalContext& context,
                         std::optional<std::string> value, std::uint64_t now_ms);

// Twin of the replica side of StoreVersion: merges an incoming version into the key state.
KeyState store_version(KeyState local, Version incoming);

}  // namespace dynamo
