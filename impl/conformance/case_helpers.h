// case_helpers.h: small helpers shared by the case runners, so every runner reports the same way.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "impl/conformance/runner.h"

namespace dynamo::conformance {

// Raised inside a case runner when a case is malformed; run_case turns it into a failed outcome.
struct BadCase {
  std::string message;
};

inline const nlohmann::json& field(const nlohmann::json& object, const char* name) {
  if (!object.is_object() || !object.contains(name)) throw BadCase{std::string("missing field \"") + name + "\""};
  return object.at(name);
}

inline CaseOutcome compare_json(const nlohmann::json& expected, const nlohmann::json& actual) {
  if (expected == actual) return {true, ""};
  return {false, "expected " + expected.dump() + "\n      actual   " + actual.dump()};
}

}  // namespace dynamo::conformance
