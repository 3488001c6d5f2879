#include "impl/conformance/json_codec.h"

#include <string>
#include <utility>

#include "impl/conformance/case_helpers.h"
#include "impl/core/limits.h"

namespace dynamo::conformance {
namespace {

using nlohmann::json;

std::string actor_from_json(const json& j) {
  if (!j.is_string()) throw BadCase{"an actor must be a string, got " + j.dump()};
  const std::string& actor = j.get_ref<const std::string&>();
  if (actor.empty() || actor.size() > limits::kMaxActorBytes) {
    throw BadCase{"an actor must be 1.." + std::to_string(limits::kMaxActorBytes) + " bytes"};
  }
  return actor;
}

std::uint64_t counter_from_json(const json& j, bool zero_allowed) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<std::int64_t>() >= 0)) {
    throw BadCase{"a counter must be a non-negative integer, got " + j.dump()};
  }
  const auto counter = j.get<std::uint64_t>();
  if (counter == 0 && !zero_allowed) throw BadCase{"a dot's counter starts at 1"};
  return counter;
}

}  // namespace

VectorClock clock_from_json(const json& j) {
  if (!j.is_object()) throw BadCase{"a clock must be an object actor -> counter, got " + j.dump()};
  if (j.size() > limits::kMaxClockEntries) {
    throw BadCase{"a clock may have at most " + std::to_string(limits::kMaxClockEntries) + " entries"};
  }
  std::vector<ClockEntry> entries;
  for (const auto& [actor, value] : j.items()) {
    ClockEntry entry{actor_from_json(json(actor)), 0, 0};
    if (value.is_object()) {
      entry.counter = counter_from_json(field(value, "counter"), true);
      entry.stamp_ms = counter_from_json(field(value, "stamp"), true);
    } else {
      entry.counter = counter_from_json(value, true);
    }
    entries.push_back(std::move(entry));
  }
  return VectorClock::from_entries(std::move(entries));
}

json clock_to_json(const VectorClock& clock) {
  json j = json::object();
  for (const ClockEntry& entry : clock.entries()) j[entry.actor] = entry.counter;
  return j;
}

Dot dot_from_json(const json& j) {
  if (!j.is_array() || j.size() < 2 || j.size() > 3) {
    throw BadCase{"a dot must be [actor, counter] or [actor, counter, stamp], got " + j.dump()};
  }
  Dot dot{actor_from_json(j[0]), counter_from_json(j[1], false), 0};
  if (j.size() == 3) dot.stamp_ms = counter_from_json(j[2], true);
  return dot;
}

json dot_to_json(const Dot& dot) { return json::array({dot.actor, dot.counter}); }

CausalContext context_from_json(const json& j) {
  if (!j.is_object()) throw BadCase{"a context must be an object {\"vv\": ..., \"dots\": [...]}"};
  VectorClock summary = j.contains("vv") ? clock_from_json(j.at("vv")) : VectorClock{};
  std::vector<Dot> dots;
  if (j.contains("dots")) {
    const json& list = j.at("dots");
    if (!list.is_array() || list.size() > limits::kMaxContextDots) {
      throw BadCase{"\"dots\" must be an array of at most " + std::to_string(limits::kMaxContextDots) + " dots"};
    }
    for (const json& d : list) dots.push_back(dot_from_json(d));
  }
  return CausalContext::from_parts(std::move(summary), std::move(dots));
}

json context_to_json(const CausalContext& context) {
  json dots = json::array();
  for (const Dot& dot : context.cloud()) dots.push_back(dot_to_json(dot));
  return json{{"vv", clock_to_json(context.summary())}, {"dots", dots}};
}

Version version_from_json(const json& j) {
  Version version{dot_from_json(field(j, "dot")),
                  j.contains("context") ? context_from_json(j.at("context")) : CausalContext{}, std::nullopt};
  const bool deleted = j.contains("deleted") && j.at("deleted") == true;
  if (deleted == j.contains("value")) throw BadCase{"a version has either \"value\" or \"deleted\": true"};
  if (!deleted) {
    const json& value = j.at("value");
    if (!value.is_string()) throw BadCase{"\"value\" must be a string"};
    if (value.get_ref<const std::string&>().size() > limits::kMaxValueBytes) throw BadCase{"value too large"};
    version.value = value.get<std::string>();
  }
  return version;
}

json version_to_json(const Version& version) {
  json j{{"dot", dot_to_json(version.dot)}, {"context", context_to_json(version.context)}};
  if (version.value) {
    j["value"] = *version.value;
  } else {
    j["deleted"] = true;
  }
  return j;
}

std::vector<Version> versions_from_json(const json& j) {
  if (!j.is_array() || j.size() > 4 * limits::kMaxSiblings) {
    throw BadCase{"versions must be an array of at most " + std::to_string(4 * limits::kMaxSiblings)};
  }
  std::vector<Version> versions;
  for (const json& v : j) versions.push_back(version_from_json(v));
  return versions;
}

}  // namespace dynamo::conformance
