// json_codec.h: the JSON forms of clocks, dots, contexts and versions used by conformance vectors
// (documented in spec/README.md, "Vector files"). Decoding checks the core's limits and throws
// BadCase with the offending field; it never accepts what the core would refuse.
#pragma once

#include <nlohmann/json.hpp>

#include "impl/core/causal_context.h"
#include "impl/core/dot.h"
#include "impl/core/vector_clock.h"
#include "impl/core/version.h"

namespace dynamo::conformance {

// {"Sx": 2, "Sy": {"counter": 1, "stamp": 17}}: actor -> counter, or counter with a stamp.
VectorClock clock_from_json(const nlohmann::json& j);
nlohmann::json clock_to_json(const VectorClock& clock);

// ["Sx", 2] or ["Sx", 2, stamp]
Dot dot_from_json(const nlohmann::json& j);
nlohmann::json dot_to_json(const Dot& dot);

// {"vv": clock, "dots": [dot, ...]}, both optional: an exact set of dots.
CausalContext context_from_json(const nlohmann::json& j);
nlohmann::json context_to_json(const CausalContext& context);

// {"dot": dot, "context": context, "value": "bytes"} or with "deleted": true instead of "value".
Version version_from_json(const nlohmann::json& j);
nlohmann::json version_to_json(const Version& version);
// [version, ...], at most limits::kMaxSiblings * 4 of them.
std::vector<Version> versions_from_json(const nlohmann::json& j);

}  // namespace dynamo::conformance
