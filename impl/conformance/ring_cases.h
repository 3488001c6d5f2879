// ring_cases.h: the conformance runner for the ring ops, "ring.ownership" and
// "ring.preference_list" (formats in spec/README.md, "Vector files").
//
// A case either expects a result (owners, or per key: md5, partition, preference list, sloppy
// list) or, with "expect_error": true, expects the inputs to be rejected. A malformed case (a
// missing field, a wrong JSON type) raises BadCase, which run_case reports as a failure.
#pragma once

#include <nlohmann/json.hpp>

#include "impl/conformance/runner.h"

namespace dynamo::conformance {

// Runs one case whose "op" starts with "ring.". REQUIRES: c["op"] is a ring op.
CaseOutcome run_ring_case(const nlohmann::json& c);

}  // namespace dynamo::conformance
