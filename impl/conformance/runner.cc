#include "impl/conformance/runner.h"

#include <string>

#include "impl/conformance/case_helpers.h"
#include "impl/conformance/clock_cases.h"
#include "impl/conformance/ring_cases.h"
#include "impl/util/json_nesting.h"

namespace dynamo::conformance {
namespace {

using nlohmann::json;

// Limits on a vector file, which may come from anyone: a file is read whole, parsed once, and its
// nesting is checked before parsing so a hostile file cannot exhaust the stack.
constexpr int kMaxNestingDepth = 32;
constexpr std::size_t kMaxCases = 100000;

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

CaseOutcome run_case(const json& the_case) {
  try {
    const json& op = field(the_case, "op");
    if (!op.is_string()) throw BadCase{"\"op\" must be a string"};
    const std::string name = op.get<std::string>();
    if (starts_with(name, "clock.") || starts_with(name, "context.") || starts_with(name, "version.")) {
      return run_clock_case(the_case);
    }
    if (starts_with(name, "ring.")) return run_ring_case(the_case);
    throw BadCase{"unknown op \"" + name + "\""};
  } catch (const BadCase& bad) {
    return {false, "malformed case: " + bad.message};
  } catch (const json::exception& e) {
    return {false, std::string("malformed case: ") + e.what()};
  }
}

FileReport run_vector_text(const std::string& path, const std::string& text) {
  FileReport report;
  report.path = path;
  if (text.size() > kMaxVectorFileBytes) {
    report.error = "file is larger than " + std::to_string(kMaxVectorFileBytes >> 20) + " MiB";
    return report;
  }
  if (json_nesting_depth(text, kMaxNestingDepth) > kMaxNestingDepth) {
    report.error = "JSON nests deeper than " + std::to_string(kMaxNestingDepth) + " levels";
    return report;
  }
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    report.error = "not valid JSON";
    return report;
  }
  const bool well_formed = doc.is_object() && doc.contains("format") && doc.at("format") == "dynamo-vectors/1" &&
                           doc.contains("cases") && doc.at("cases").is_array();
  if (!well_formed) {
    report.error = R"(expected {"format": "dynamo-vectors/1", "cases": [...]})";
    return report;
  }
  if (doc.at("cases").size() > kMaxCases) {
    report.error = "more than " + std::to_string(kMaxCases) + " cases";
    return report;
  }
  int index = 0;
  for (const json& the_case : doc.at("cases")) {
    const std::string name = the_case.is_object() && the_case.contains("name") && the_case.at("name").is_string()
                                 ? the_case.at("name").get<std::string>()
                                 : "case #" + std::to_string(index);
    ++index;
    const CaseOutcome outcome = run_case(the_case);
    if (outcome.passed) {
      ++report.passed;
    } else {
      ++report.failed;
      report.failures.push_back(name + ": " + outcome.diff);
    }
  }
  return report;
}

}  // namespace dynamo::conformance
