#include "impl/conformance/clock_cases.h"

#include <optional>
#include <string>

#include "impl/conformance/case_helpers.h"
#include "impl/conformance/json_codec.h"
#include "impl/core/causal_context.h"
#include "impl/core/limits.h"
#include "impl/core/version.h"

namespace dynamo::conformance {
namespace {

using nlohmann::json;

json dots_json(const std::vector<Version>& versions) {
  json dots = json::array();
  for (const Version& v : versions) dots.push_back(dot_to_json(v.dot));
  return dots;
}

std::uint64_t size_field(const json& c, const char* name) {
  const json& j = field(c, name);
  if (!j.is_number_unsigned() || j.get<std::uint64_t>() > limits::kMaxClockEntries) {
    throw BadCase{std::string("\"") + name + "\" must be an integer 0.." + std::to_string(limits::kMaxClockEntries)};
  }
  return j.get<std::uint64_t>();
}

CaseOutcome run_put(const json& c) {
  const json& state_json = field(c, "state");
  KeyState state;
  state.siblings = reconcile(versions_from_json(field(state_json, "siblings")));
  if (state_json.contains("issued")) state.issued = dot_from_json(state_json.at("issued"));
  const json& actor = field(c, "actor");
  if (!actor.is_string() || actor.get_ref<const std::string&>().empty()) throw BadCase{"\"actor\" must be a non-empty string"};
  std::optional<std::string> value;
  if (c.contains("value")) {
    if (!c.at("value").is_string()) throw BadCase{"\"value\" must be a string"};
    value = c.at("value").get<std::string>();
  }
  const std::uint64_t now = c.contains("now") && c.at("now").is_number_unsigned() ? c.at("now").get<std::uint64_t>() : 0;
  const MadeVersion made = make_version(state, actor.get<std::string>(),
                                        context_from_json(field(c, "context")), value, now);
  return compare_json(field(c, "expect"), json{{"dot", dot_to_json(made.version.dot)},
                                               {"siblings", dots_json(made.state.siblings)}});
}

}  // namespace

CaseOutcome run_clock_case(const json& c) {
  const std::string op = field(c, "op").get<std::string>();
  const json& expect = field(c, "expect");
  if (op == "clock.compare") {
    return compare_json(expect, to_string(compare(clock_from_json(field(c, "a")), clock_from_json(field(c, "b")))));
  }
  if (op == "clock.merge") {
    return compare_json(expect, clock_to_json(merge(clock_from_json(field(c, "a")), clock_from_json(field(c, "b")))));
  }
  if (op == "clock.increment") {
    const json& actor = field(c, "actor");
    if (!actor.is_string() || actor.get_ref<const std::string&>().empty()) throw BadCase{"\"actor\" must be a non-empty string"};
    return compare_json(expect, clock_to_json(increment(clock_from_json(field(c, "clock")), actor.get<std::string>(), 0)));
  }
  if (op == "clock.truncate") {
    return compare_json(expect, clock_to_json(truncate(clock_from_json(field(c, "clock")), size_field(c, "max_entries"))));
  }
  if (op == "context.merge") {
    return compare_json(expect, context_to_json(merge(context_from_json(field(c, "a")), context_from_json(field(c, "b")))));
  }
  if (op == "context.contains") {
    return compare_json(expect, context_from_json(field(c, "context")).contains(dot_from_json(field(c, "dot"))));
  }
  if (op == "version.reconcile") {
    const std::vector<Version> siblings = reconcile(versions_from_json(field(c, "versions")));
    return compare_json(expect, json{{"siblings", dots_json(siblings)}, {"context", context_to_json(read_context(siblings))}});
  }
  if (op == "version.put") return run_put(c);
  throw BadCase{"unknown op \"" + op + "\""};
}

}  // namespace dynamo::conformance
