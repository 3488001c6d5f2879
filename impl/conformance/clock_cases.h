// clock_cases.h: conformance cases for clocks, contexts and versions (ops "clock.*", "context.*",
// "version.*"; spec/README.md lists each op's fields).
#pragma once

#include <nlohmann/json.hpp>

#include "impl/conformance/runner.h"

namespace dynamo::conformance {

// REQUIRES: the_case["op"] starts with "clock.", "context." or "version.". Throws BadCase on a
// malformed case (run_case reports it).
CaseOutcome run_clock_case(const nlohmann::json& the_case);

}  // namespace dynamo::conformance
