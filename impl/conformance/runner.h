// runner.h: checks this implementation against conformance vector files (spec/vectors/*.json).
//
// A vector file is {"format": "dynamo-vectors/1", "cases": [...]}; each case has a "name", an
// "op" naming what it checks, its inputs, and "expect". spec/README.md documents every op so that
// another implementation can run the same files. Running a case never throws: a malformed case is
// reported as a failure that says which field is wrong.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dynamo::conformance {

// The largest vector file a runner accepts.
inline constexpr std::size_t kMaxVectorFileBytes = std::size_t{64} << 20;

struct CaseOutcome {
  bool passed = false;
  std::string diff;  // when !passed: what was expected, what this implementation produced
};

struct FileReport {
  std::string path;
  int passed = 0;
  int failed = 0;
  std::vector<std::string> failures;  // "case-name: diff", one per failed case
  std::string error;                  // non-empty when the file itself could not be read or parsed
};

// Runs one case; dispatches on its "op" (clock.*, version.*, ring.*).
CaseOutcome run_case(const nlohmann::json& the_case);
// Runs every case of a vector file given as text (kept apart from file I/O so the fuzzer can drive it).
FileReport run_vector_text(const std::string& path, const std::string& text);

}  // namespace dynamo::conformance
