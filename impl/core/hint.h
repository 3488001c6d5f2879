// hint.h: a version kept for a node that did not answer (sloppy quorum), until it is handed off.
//
// A fallback that stores a replica meant for a down primary keeps it apart from its own data, as a
// hint naming that primary; it delivers the hint when the primary answers again and deletes it only
// after the primary stored it (spec: `hints`, DeliverHint, DeleteHint).
// Reference: §4.6 "Handling Temporary Failures: Hinted Handoff".
#pragma once

#include <cstdint>
#include <string>

#include "impl/core/version.h"

namespace dynamo {

struct Hint {
  std::string target;  // the node the version was meant for
  std::string key;     // the storage key (store name and key, see node_config.h storage_key)
  Version version;
};

// A hint's identity in one node's storage: its target and a sequence number never reused there.
struct HintId {
  std::string target;
  std::uint64_t sequence = 0;
  friend bool operator==(const HintId&, const HintId&) = default;
};

struct StoredHint {
  HintId id;
  Hint hint;
};

}  // namespace dynamo
