#include "impl/conformance/ring_cases.h"

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "impl/conformance/case_helpers.h"
#include "impl/core/key_hash.h"
#include "impl/core/ring.h"

namespace dynamo::conformance {

namespace {

using nlohmann::json;

const std::string& string_field(const json& object, const char* name) {
  const json& value = field(object, name);
  if (!value.is_string()) throw BadCase{std::string("field \"") + name + "\" must be a string"};
  return value.get_ref<const std::string&>();
}

// An integer field, or an Error when it does not fit T (so "q": 1e12 is a rejected input, the
// same as "q": 12, rather than a malformed case).
template <class T>
Result<T> integer_field(const json& object, const char* name) {
  const json& value = field(object, name);
  if (!value.is_number_integer()) throw BadCase{std::string("field \"") + name + "\" must be an integer"};
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
      return Error{std::string(name) + " = " + value.dump() + " is out of range"};
    }
    return static_cast<T>(v);
  }
  const auto v = value.get<std::int64_t>();
  if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
      v > static_cast<std::int64_t>(std::numeric_limits<T>::max())) {
    return Error{std::string(name) + " = " + value.dump() + " is out of range"};
  }
  return static_cast<T>(v);
}

Result<std::vector<Member>> read_members(const json& c) {
  const json& list = field(c, "members");
  if (!list.is_array()) throw BadCase{"field \"members\" must be an array of {id, dc, weight}"};
  std::vector<Member> members;
  for (const json& m : list) {
    Member member{string_field(m, "id"), string_field(m, "dc"), 1};
    if (m.contains("weight")) {
      Result<std::uint32_t> weight = integer_field<std::uint32_t>(m, "weight");
      if (!weight.ok()) return weight.error();
      member.weight = weight.value();
    }
    members.push_back(std::move(member));
  }
  return members;
}

Result<Ring> read_ring(const json& c) {
  Result<std::vector<Member>> members = read_members(c);
  if (!members.ok()) return members.error();
  Result<std::uint32_t> q = integer_field<std::uint32_t>(c, "q");
  if (!q.ok()) return q.error();
  return Ring::build(std::move(members).value(), q.value());
}

json sloppy_json(const SloppyList& list) {
  json slots = json::array();
  for (const SloppySlot& slot : list.slots) {
    slots.push_back({{"node", slot.is_unfilled() ? json(nullptr) : json(slot.node)},
                     {"for", slot.stands_in_for.empty() ? json(nullptr) : json(slot.stands_in_for)}});
  }
  return slots;
}

// What this implementation computes for one key, in the vector format.
Result<json> key_result(const Ring& ring, const std::string& key, int n, const std::set<std::string>* down) {
  const std::uint32_t partition = ring.partition_of_key(key);
  Result<std::vector<std::string>> list = ring.preference_list(partition, n);
  if (!list.ok()) return list.error();
  json result = {{"md5", to_hex(md5_of(key))}, {"partition", partition}, {"preference_list", list.value()}};
  if (down != nullptr) {
    Result<SloppyList> sloppy = ring.sloppy_preference_list(partition, n, *down);
    if (!sloppy.ok()) return sloppy.error();
    result["sloppy"] = sloppy_json(sloppy.value());
  }
  return result;
}

bool expects_error(const json& c) {
  if (!c.contains("expect_error")) return false;
  if (!c.at("expect_error").is_boolean()) throw BadCase{"field \"expect_error\" must be true or false"};
  return c.at("expect_error").get<bool>();
}

// The outcome when this implementation rejected the inputs.
CaseOutcome rejected(const json& c, const Error& error) {
  if (expects_error(c)) return {true, ""};
  return {false, "rejected the inputs, but the case expects a result: " + error.message};
}

CaseOutcome run_ownership(const json& c) {
  Result<Ring> ring = read_ring(c);
  if (!ring.ok()) return rejected(c, ring.error());
  if (expects_error(c)) return {false, "expected the inputs to be rejected, but they were accepted"};
  json owners = json::array();
  for (std::uint32_t p = 0; p < ring.value().partitions(); ++p) owners.push_back(ring.value().owner(p));
  return compare_json(field(c, "expect"), owners);
}

CaseOutcome run_preference_list(const json& c) {
  Result<Ring> ring = read_ring(c);
  if (!ring.ok()) return rejected(c, ring.error());
  Result<int> n = integer_field<int>(c, "n");
  if (!n.ok()) return rejected(c, n.error());
  std::set<std::string> down;
  const bool has_down = c.contains("down");
  if (has_down) {
    if (!c.at("down").is_array()) throw BadCase{"field \"down\" must be an array of node ids"};
    for (const json& id : c.at("down")) {
      if (!id.is_string()) throw BadCase{"field \"down\" must be an array of node ids"};
      down.insert(id.get<std::string>());
    }
  }
  // N and the down set are checked once, so that a case with no keys still sees them rejected.
  Result<json> probe = key_result(ring.value(), "", n.value(), has_down ? &down : nullptr);
  if (!probe.ok()) return rejected(c, probe.error());
  const json& keys = field(c, "keys");
  if (!keys.is_array()) throw BadCase{"field \"keys\" must be an array of {key, expect}"};
  CaseOutcome outcome{true, ""};
  for (const json& entry : keys) {
    const std::string& key = string_field(entry, "key");
    Result<json> actual = key_result(ring.value(), key, n.value(), has_down ? &down : nullptr);
    if (!actual.ok()) return rejected(c, actual.error());
    if (expects_error(c)) continue;
    CaseOutcome one = compare_json(field(entry, "expect"), actual.value());
    if (!one.passed) {
      outcome.passed = false;
      outcome.diff += (outcome.diff.empty() ? "" : "\n      ") + ("key " + json(key).dump() + ": ") + one.diff;
    }
  }
  if (expects_error(c)) return {false, "expected the inputs to be rejected, but they were accepted"};
  return outcome;
}

}  // namespace

CaseOutcome run_ring_case(const json& c) {
  const std::string& op = string_field(c, "op");
  if (op == "ring.ownership") return run_ownership(c);
  if (op == "ring.preference_list") return run_preference_list(c);
  throw BadCase{"unknown ring op \"" + op + "\"; known: ring.ownership, ring.preference_list"};
}

}  // namespace dynamo::conformance
