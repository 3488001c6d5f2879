#include "impl/check/history.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "impl/util/json_nesting.h"

namespace dynamo::check {
namespace {

using nlohmann::json;
namespace hl = history_limits;

// Thrown only inside this file and caught in parse_history: it turns a deep validation failure
// into the error value the caller gets.
struct BadField {
  std::string message;
};

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw BadField{"field \"" + field + "\": " + what};
}

const json* find(const json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

std::string string_field(const json& value, const std::string& name, std::size_t max_bytes, bool allow_empty) {
  if (!value.is_string()) bad(name, "must be a string");
  const std::string& s = value.get_ref<const std::string&>();
  if (!allow_empty && s.empty()) bad(name, "must not be empty");
  if (s.size() > max_bytes) bad(name, "longer than " + std::to_string(max_bytes) + " bytes");
  return s;
}

std::string required_string(const json& object, const char* name, std::size_t max_bytes, bool allow_empty) {
  const json* value = find(object, name);
  if (value == nullptr) bad(name, "missing");
  return string_field(*value, name, max_bytes, allow_empty);
}

void forbid(const json& object, const char* name, const char* why) {
  if (find(object, name) != nullptr) bad(name, why);
}

WriteId parse_sibling(const json& sibling, std::size_t index) {
  const std::string name = "siblings[" + std::to_string(index) + "]";
  if (sibling.is_string()) return WriteId{false, string_field(sibling, name, hl::kMaxValueBytes, true)};
  if (!sibling.is_object()) bad(name, "must be a value (string) or a tombstone {\"deleted\": \"<delete op id>\"}");
  const json* deleted = find(sibling, "deleted");
  if (deleted == nullptr || sibling.size() != 1) bad(name, "a tombstone is exactly {\"deleted\": \"<delete op id>\"}");
  return WriteId{true, string_field(*deleted, name + ".deleted", hl::kMaxIdBytes, false)};
}

void parse_invoke(const json& object, Event* event) {
  const std::string type = required_string(object, "type", 16, false);
  if (type == "put") event->type = OpType::kPut;
  else if (type == "delete") event->type = OpType::kDelete;
  else if (type == "get") event->type = OpType::kGet;
  else bad("type", "must be \"put\", \"delete\" or \"get\"");
  event->key = required_string(object, "key", hl::kMaxKeyBytes, true);
  forbid(object, "outcome", "belongs on the complete event");
  forbid(object, "siblings", "belongs on the complete event of a get");

  if (event->type == OpType::kPut) {
    event->value = required_string(object, "value", hl::kMaxValueBytes, true);
  } else {
    forbid(object, "value", "only a put has a value");
  }
  if (event->type == OpType::kGet) {
    forbid(object, "read", "only puts and deletes send a context");
    if (const json* final = find(object, "final")) {
      if (!final->is_boolean()) bad("final", "must be true or false");
      event->final = final->get<bool>();
    }
    return;
  }
  forbid(object, "final", "only a get can be the final read");
  // `read` is required (null for a blind write) so that a misspelt field cannot turn a
  // read-modify-write into a blind one.
  const json* read = find(object, "read");
  if (read == nullptr) bad("read", "missing (null for a blind write, else the op id of the get whose context was sent)");
  if (!read->is_null()) event->read = string_field(*read, "read", hl::kMaxIdBytes, false);
}

void parse_complete(const json& object, Event* event) {
  const std::string outcome = required_string(object, "outcome", 16, false);
  if (outcome == "ok") event->outcome = Outcome::kOk;
  else if (outcome == "fail") event->outcome = Outcome::kFail;
  else if (outcome == "unknown") event->outcome = Outcome::kUnknown;
  else bad("outcome", "must be \"ok\", \"fail\" or \"unknown\"");
  for (const char* name : {"type", "key", "value", "read", "final"}) forbid(object, name, "belongs on the invoke event");
  const json* siblings = find(object, "siblings");
  if (siblings == nullptr) return;
  if (!siblings->is_array()) bad("siblings", "must be an array");
  if (siblings->size() > hl::kMaxSiblingsPerRead) {
    bad("siblings", "more than " + std::to_string(hl::kMaxSiblingsPerRead) + " siblings");
  }
  std::vector<WriteId> parsed;
  parsed.reserve(siblings->size());
  for (std::size_t i = 0; i < siblings->size(); ++i) parsed.push_back(parse_sibling((*siblings)[i], i));
  event->siblings = std::move(parsed);
}

Event parse_line(std::string_view line, std::size_t line_number) {
  if (line.size() > hl::kMaxLineBytes) {
    throw BadField{"longer than " + std::to_string(hl::kMaxLineBytes) + " bytes"};
  }
  if (json_nesting_depth(line, hl::kMaxNestingDepth) > hl::kMaxNestingDepth) {
    throw BadField{"JSON nests deeper than " + std::to_string(hl::kMaxNestingDepth) + " levels"};
  }
  const json object = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) throw BadField{"not valid JSON (one event per line)"};
  if (!object.is_object()) throw BadField{"an event must be a JSON object"};
  Event event;
  event.line = line_number;
  const std::string kind = required_string(object, "event", 16, false);
  event.process = required_string(object, "process", hl::kMaxIdBytes, false);
  event.op = required_string(object, "op", hl::kMaxIdBytes, false);
  if (kind == "invoke") {
    event.kind = EventKind::kInvoke;
    parse_invoke(object, &event);
  } else if (kind == "complete") {
    event.kind = EventKind::kComplete;
    parse_complete(object, &event);
  } else {
    bad("event", "must be \"invoke\" or \"complete\"");
  }
  return event;
}

bool blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

}  // namespace

std::string HistoryError::to_string() const {
  return line == 0 ? message : "line " + std::to_string(line) + ": " + message;
}

ParsedHistory parse_history(std::string_view text) {
  ParsedHistory history;
  if (text.size() > hl::kMaxHistoryBytes) {
    history.error = HistoryError{0, "history is larger than " + std::to_string(hl::kMaxHistoryBytes >> 20) + " MiB"};
    return history;
  }
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (blank(line)) continue;
    if (history.events.size() == hl::kMaxEvents) {
      history.events.clear();
      history.error = HistoryError{line_number, "more than " + std::to_string(hl::kMaxEvents) + " events"};
      return history;
    }
    try {
      history.events.push_back(parse_line(line, line_number));
    } catch (const BadField& e) {
      history.events.clear();
      history.error = HistoryError{line_number, e.message};
      return history;
    }
  }
  return history;
}

const char* op_type_name(OpType type) {
  switch (type) {
    case OpType::kPut: return "put";
    case OpType::kDelete: return "delete";
    case OpType::kGet: return "get";
  }
  return "?";
}

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk: return "ok";
    case Outcome::kFail: return "fail";
    case Outcome::kUnknown: return "unknown";
  }
  return "?";
}

}  // namespace dynamo::check
