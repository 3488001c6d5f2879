// The trace reader: a C++ mirror of spec/reference/trace_check.py (each check below is that file's,
// in its order, so both report the same first malformed line), with every size bounded.
#include "impl/check/trace_reader.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "impl/util/json_nesting.h"

namespace dynamo::check {
namespace {

using nlohmann::json;
namespace tl = trace_limits;

// Thrown only inside this file and caught in read_trace: a failed check deep in a line becomes the
// error value the caller gets.
struct Bad {
  std::string message;
};

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw Bad{"field \"" + field + "\": " + what};
}

std::string quote_name(std::string_view s) {
  // At most 40 bytes of a name, cut on a UTF-8 character boundary so the message stays valid UTF-8.
  constexpr std::size_t kShown = 40;
  bool cut = false;
  if (s.size() > kShown) {
    std::size_t end = kShown;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    s = s.substr(0, end);
    cut = true;
  }
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace) + (cut ? "..." : "");
}

// A short description of any JSON value, for error messages (never the whole value).
std::string shown(const json& x) {
  switch (x.type()) {
    case json::value_t::string: return quote_name(x.get_ref<const std::string&>());
    case json::value_t::array: return "an array of " + std::to_string(x.size());
    case json::value_t::object: return "an object";
    case json::value_t::discarded: return "nothing";
    default: return x.dump();  // null, boolean, number: short
  }
}

std::string str(std::uint64_t n) { return std::to_string(n); }
std::string at(const std::string& what, std::size_t i) { return what + "[" + std::to_string(i) + "]"; }

const json* find(const json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

bool is_int(const json& x) { return x.is_number_integer(); }  // not booleans, not floats

// (json::empty() is false for every string: it is about arrays and objects.)
bool non_empty_string(const json& x) { return x.is_string() && !x.get_ref<const std::string&>().empty(); }

// Python's str.isspace() on the ASCII range, which is what trace_check.py's blank-line test uses.
bool blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
  });
}

constexpr std::array<std::pair<const char*, ActionKind>, 21> kActions{{
    {"CoordinatePut", ActionKind::kCoordinatePut}, {"StoreVersion", ActionKind::kStoreVersion},
    {"CompletePut", ActionKind::kCompletePut},     {"ClientGet", ActionKind::kClientGet},
    {"ReplicaRead", ActionKind::kReplicaRead},     {"CompleteGet", ActionKind::kCompleteGet},
    {"ReadRepair", ActionKind::kReadRepair},       {"DeliverHint", ActionKind::kDeliverHint},
    {"DeleteHint", ActionKind::kDeleteHint},       {"Flush", ActionKind::kFlush},
    {"Crash", ActionKind::kCrash},                 {"Recover", ActionKind::kRecover},
    {"LoseMessage", ActionKind::kLoseMessage},     {"DuplicateMessage", ActionKind::kDuplicateMessage},
    {"AckPut", ActionKind::kAckPut},               {"ReplyGet", ActionKind::kReplyGet},
    {"Discard", ActionKind::kDiscard},             {"PutTimeout", ActionKind::kPutTimeout},
    {"GetTimeout", ActionKind::kGetTimeout},       {"PersistPut", ActionKind::kPersistPut},
    {"ResendPut", ActionKind::kResendPut},
}};

// Message types and their exact fields besides "type", "to" and "from" (a Store may also have "hint").
struct MessageShape {
  const char* name;
  MessageType type;
  std::vector<const char*> fields;
};
const std::vector<MessageShape>& message_shapes() {
  static const std::vector<MessageShape> shapes{
      {"Store", MessageType::kStore, {"id", "key", "ver"}},
      {"StoreAck", MessageType::kStoreAck, {"id", "dot", "epoch"}},
      {"Repair", MessageType::kRepair, {"key", "vers"}},
      {"Handoff", MessageType::kHandoff, {"key", "ver"}},
      {"HandoffAck", MessageType::kHandoffAck, {"key", "ver"}},
      {"Read", MessageType::kRead, {"id", "key"}},
      {"ReadReply", MessageType::kReadReply, {"id", "vers"}},
  };
  return shapes;
}
const MessageShape& shape_of(MessageType type) {
  for (const auto& s : message_shapes())
    if (s.type == type) return s;
  return message_shapes().front();  // unreachable: every type has a shape
}

// ---- canonical forms: one byte string per message, hint or sibling set, equal exactly when the
// Python check's canonical JSON is equal (contexts and version sets compare as sets) ----------------

void put_u64(std::string* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_dot(std::string* out, const TraceDot& d) {
  put_u64(out, d.node);
  put_u64(out, d.epoch);
  put_u64(out, d.counter);
}
void put_bytes(std::string* out, std::string_view s) {
  put_u64(out, s.size());
  out->append(s);
}
std::string canon_version(const TraceVersion& v) {
  std::string out;
  put_dot(&out, v.dot);
  std::vector<TraceDot> ctx = v.ctx;
  std::sort(ctx.begin(), ctx.end());
  put_u64(&out, ctx.size());
  for (const auto& d : ctx) put_dot(&out, d);
  if (v.val) {
    out.push_back('v');
    put_bytes(&out, *v.val);
  } else {
    out.push_back('t');
  }
  return out;
}
std::string canon_versions(const std::vector<TraceVersion>& vers) {
  std::vector<std::string> each;
  each.reserve(vers.size());
  for (const auto& v : vers) each.push_back(canon_version(v));
  std::sort(each.begin(), each.end());
  std::string out;
  put_u64(&out, each.size());
  for (const auto& e : each) put_bytes(&out, e);
  return out;
}
std::string canon_message(const TraceMessage& m) {
  std::string out;
  out.push_back(static_cast<char>('0' + static_cast<int>(m.type)));
  put_u64(&out, m.to);
  put_u64(&out, m.from);
  switch (m.type) {
    case MessageType::kStore:
      put_u64(&out, m.id);
      put_u64(&out, m.key);
      put_bytes(&out, canon_version(*m.ver));
      out.push_back(m.hint ? 'h' : '-');
      if (m.hint) put_u64(&out, *m.hint);
      break;
    case MessageType::kStoreAck:
      put_u64(&out, m.id);
      put_dot(&out, m.dot);
      put_u64(&out, m.epoch);
      break;
    case MessageType::kRepair:
      put_u64(&out, m.key);
      put_bytes(&out, canon_versions(m.vers));
      break;
    case MessageType::kHandoff:
    case MessageType::kHandoffAck:
      put_u64(&out, m.key);
      put_bytes(&out, canon_version(*m.ver));
      break;
    case MessageType::kRead:
      put_u64(&out, m.id);
      put_u64(&out, m.key);
      break;
    case MessageType::kReadReply:
      put_u64(&out, m.id);
      put_bytes(&out, canon_versions(m.vers));
      break;
  }
  return out;
}
std::string canon_hint(NodeIndex to, KeyIndex key, const TraceVersion& ver) {
  std::string out;
  put_u64(&out, to);
  put_u64(&out, key);
  put_bytes(&out, canon_version(ver));
  return out;
}

// Bytes charged per entry kept besides its canonical string (hash node, counters).
constexpr std::size_t kEntryOverhead = 64;

struct PutOp {
  NodeIndex node = 0;
  KeyIndex key = 0;
  TraceVersion ver;  // what its Store messages carry (a ResendPut sends it again)
  bool persisted = false;  // its PersistPut came
  bool done = false;
};
struct GetOp {
  NodeIndex node = 0;
  KeyIndex key = 0;
  bool done = false;
  std::optional<std::string> siblings;  // canonical; set by CompleteGet (not by GetTimeout)
};

// Reads one trace: the header, then one action line at a time, keeping the state the checks need.
class Reader {
 public:
  void header(const json& h, TraceHeader* out);
  TraceAction action(const json& e, std::size_t line);

 private:
  // Typed fields.
  NodeIndex node(const json& x, const std::string& what) const;
  KeyIndex key(const json& x, const std::string& what) const;
  static std::uint64_t nat(const json& x, const std::string& what, std::uint64_t least = 0);
  TraceDot dot(const json& x, const std::string& what) const;
  std::vector<TraceDot> ctx(const json& x, const std::string& what) const;
  static std::optional<std::string> value_of(const json& x, const std::string& what);
  TraceVersion version(const json& x, const std::string& what) const;
  std::vector<TraceVersion> versions(const json& x, const std::string& what) const;
  std::vector<TraceTarget> targets(const json& x, const std::string& what, NodeIndex coord) const;
  TraceMessage msg(const json& x, const std::string& what, std::initializer_list<MessageType> types) const;
  std::string client(const json& x) const;
  std::string name(NodeIndex n) const { return quote_name(header_.nodes[n]); }

  // The network and the node states.
  void charge(std::size_t bytes, const std::string& what);
  void refund(std::size_t bytes) { state_bytes_ -= std::min(state_bytes_, bytes); }
  void send(const TraceMessage& m, const std::string& what);
  std::unordered_map<std::string, std::uint64_t>::iterator in_flight(const TraceMessage& m, const std::string& what);
  void consume(const TraceMessage& m, const std::string& what);
  void running(NodeIndex n, const std::string& what) const;
  void receive(NodeIndex n, const TraceMessage& m, const std::string& what);
  template <class Op>
  std::pair<std::uint64_t, Op*> started(std::vector<Op>& ops, const json& e, const char* what, TraceAction* out);

  // One method per action.
  void coordinate_put(const json& e, TraceAction* a);
  void store_version(const json& e, TraceAction* a);
  void complete_put(const json& e, TraceAction* a);
  void resend_put(const json& e, TraceAction* a);
  void client_get(const json& e, TraceAction* a);
  void replica_read(const json& e, TraceAction* a);
  void complete_get(const json& e, TraceAction* a);
  void read_repair(const json& e, TraceAction* a);
  void deliver_hint(const json& e, TraceAction* a);
  void delete_hint(const json& e, TraceAction* a);
  void noted(const json& e, TraceAction* a, std::initializer_list<MessageType> types, bool consume);

  TraceHeader header_;
  std::unordered_map<std::string, NodeIndex> node_index_;
  std::unordered_map<std::string, KeyIndex> key_index_;
  std::vector<PutOp> puts_;  // put id i is puts_[i - 1]
  std::vector<GetOp> gets_;
  std::vector<std::uint64_t> epoch_;
  std::vector<bool> up_;
  std::unordered_map<std::string, std::uint64_t> net_;                   // message -> copies in flight
  std::vector<std::unordered_map<std::string, std::uint64_t>> hints_;    // per node: hint -> copies
  std::size_t state_bytes_ = 0;
};

// ---- header ----------------------------------------------------------------------------------

void Reader::header(const json& h, TraceHeader* out) {
  const json* format = find(h, "format");
  if (format == nullptr || !format->is_string() || *format != "dynamo-trace") {
    bad("format", "must be \"dynamo-trace\"");
  }
  const json* version = find(h, "version");
  if (version == nullptr || !is_int(*version) || *version != 1) bad("version", "must be 1");
  const json* nodes = find(h, "nodes");
  if (nodes == nullptr || !nodes->is_array() || nodes->empty() ||
      !std::all_of(nodes->begin(), nodes->end(), [](const json& n) { return non_empty_string(n); })) {
    bad("nodes", "must be a non-empty array of non-empty strings");
  }
  if (nodes->size() > tl::kMaxNodes) bad("nodes", "more than " + str(tl::kMaxNodes) + " nodes");
  for (std::size_t i = 0; i < nodes->size(); ++i) {
    const std::string& n = (*nodes)[i].get_ref<const std::string&>();
    if (n.size() > tl::kMaxNameBytes) bad(at("nodes", i), "longer than " + str(tl::kMaxNameBytes) + " bytes");
    if (!node_index_.emplace(n, static_cast<NodeIndex>(i)).second) bad("nodes", "repeats a node: " + quote_name(n));
    header_.nodes.push_back(n);
  }
  std::array<std::int64_t, 3> nrw{};
  const std::array<const char*, 3> nrw_names{"N", "R", "W"};
  for (std::size_t i = 0; i < 3; ++i) {
    const json* f = find(h, nrw_names[i]);
    if (f == nullptr || !is_int(*f)) bad(nrw_names[i], "must be an integer");
    nrw[i] = f->is_number_unsigned() ? static_cast<std::int64_t>(std::min<std::uint64_t>(f->get<std::uint64_t>(), 1u << 30))
                                     : f->get<std::int64_t>();
  }
  const auto count = static_cast<std::int64_t>(header_.nodes.size());
  const char* out_of_range = !(1 <= nrw[0] && nrw[0] <= count) ? "N" : !(1 <= nrw[1] && nrw[1] <= nrw[0]) ? "R"
                             : !(1 <= nrw[2] && nrw[2] <= nrw[0])                                        ? "W"
                                                                                                         : nullptr;
  if (out_of_range) bad(out_of_range, "need 1 <= R, W <= N <= number of nodes");
  header_.n = static_cast<int>(nrw[0]);
  header_.r = static_cast<int>(nrw[1]);
  header_.w = static_cast<int>(nrw[2]);
  const json* keys = find(h, "keys");
  if (keys == nullptr || !keys->is_array() || keys->empty()) bad("keys", "must be a non-empty array");
  if (keys->size() > tl::kMaxKeys) bad("keys", "more than " + str(tl::kMaxKeys) + " keys");
  for (std::size_t i = 0; i < keys->size(); ++i) {
    const json& k = (*keys)[i];
    const json* name = k.is_object() ? find(k, "key") : nullptr;
    if (name == nullptr || !non_empty_string(*name)) {
      bad(at("keys", i), "must be {\"key\": string, \"walk\": [node, ...]}");
    }
    const std::string& key = name->get_ref<const std::string&>();
    if (key.size() > tl::kMaxKeyBytes) bad(at("keys", i) + ".key", "longer than " + str(tl::kMaxKeyBytes) + " bytes");
    if (!key_index_.emplace(key, static_cast<KeyIndex>(i)).second) {
      bad(at("keys", i) + ".key", "key " + quote_name(key) + " listed twice");
    }
    const json* walk = find(k, "walk");
    TraceKey parsed{key, {}};
    bool ok = walk != nullptr && walk->is_array() && walk->size() == header_.nodes.size();
    std::vector<bool> seen(header_.nodes.size(), false);
    for (std::size_t j = 0; ok && j < walk->size(); ++j) {
      const json& n = (*walk)[j];
      auto it = n.is_string() ? node_index_.find(n.get_ref<const std::string&>()) : node_index_.end();
      ok = it != node_index_.end() && !seen[it->second];
      if (ok) {
        seen[it->second] = true;
        parsed.walk.push_back(it->second);
      }
    }
    if (!ok) bad(at("keys", i) + ".walk", "the walk of " + quote_name(key) + " must list every node exactly once");
    header_.keys.push_back(std::move(parsed));
  }
  epoch_.assign(header_.nodes.size(), 0);
  up_.assign(header_.nodes.size(), true);
  hints_.resize(header_.nodes.size());
  *out = header_;
}

// ---- typed fields ----------------------------------------------------------------------------

NodeIndex Reader::node(const json& x, const std::string& what) const {
  auto it = x.is_string() ? node_index_.find(x.get_ref<const std::string&>()) : node_index_.end();
  if (it == node_index_.end()) bad(what, "not a node of the header: " + shown(x));
  return it->second;
}

KeyIndex Reader::key(const json& x, const std::string& what) const {
  auto it = x.is_string() ? key_index_.find(x.get_ref<const std::string&>()) : key_index_.end();
  if (it == key_index_.end()) bad(what, "not a key of the header: " + shown(x));
  return it->second;
}

std::uint64_t Reader::nat(const json& x, const std::string& what, std::uint64_t least) {
  // nlohmann::json reads a literal without '-' as unsigned, so a signed integer is negative or -0.
  const bool negative = is_int(x) && !x.is_number_unsigned() && x.get<std::int64_t>() < 0;
  const std::uint64_t v = is_int(x) && !negative ? (x.is_number_unsigned() ? x.get<std::uint64_t>() : 0) : 0;
  if (!is_int(x) || negative || v < least) bad(what, "must be an integer >= " + str(least) + ", got " + shown(x));
  if (v > tl::kMaxInteger) bad(what, "larger than 2^62 (a limit of this reader)");
  return v;
}

TraceDot Reader::dot(const json& x, const std::string& what) const {
  if (!x.is_array() || x.size() != 3) bad(what, "a dot is [node, epoch, counter], got " + shown(x));
  return TraceDot{node(x[0], what + "[0]"), nat(x[1], what + "[1]"), nat(x[2], what + "[2]", 1)};
}

std::vector<TraceDot> Reader::ctx(const json& x, const std::string& what) const {
  if (!x.is_array()) bad(what, "a context is an array of dots");
  if (x.size() > tl::kMaxContextDots) bad(what, "more than " + str(tl::kMaxContextDots) + " dots (a limit of this reader)");
  std::vector<TraceDot> out;
  out.reserve(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out.push_back(dot(x[i], at(what, i)));
  std::vector<TraceDot> sorted = out;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) bad(what, "a context lists a dot twice");
  return out;
}

// A version's or a put's value: exactly one of "val" (a string) and "tombstone" (true). `what` is
// the version's field name, or "" for the put line itself.
std::optional<std::string> Reader::value_of(const json& x, const std::string& what) {
  const json* val = find(x, "val");
  const json* tombstone = find(x, "tombstone");
  const std::string prefix = what.empty() ? "" : what + ".";
  if ((val == nullptr) == (tombstone == nullptr)) {
    bad(what.empty() ? "val" : what, "exactly one of \"val\" and \"tombstone\"");
  }
  if (val != nullptr && !val->is_string()) bad(prefix + "val", "must be a string");
  if (tombstone != nullptr && *tombstone != true) bad(prefix + "tombstone", "must be true");
  if (val == nullptr) return std::nullopt;
  const std::string& s = val->get_ref<const std::string&>();
  if (s.size() > tl::kMaxValueBytes) bad(prefix + "val", "longer than " + str(tl::kMaxValueBytes) + " bytes (a limit of this reader)");
  return s;
}

TraceVersion Reader::version(const json& x, const std::string& what) const {
  if (!x.is_object()) bad(what, "a version is an object");
  bool extra = false;
  for (auto it = x.begin(); it != x.end(); ++it) {
    const std::string& k = it.key();
    extra = extra || (k != "dot" && k != "ctx" && k != "val" && k != "tombstone");
  }
  if (extra || !x.contains("dot") || !x.contains("ctx")) {
    bad(what, "a version has exactly \"dot\", \"ctx\" and \"val\" or \"tombstone\"");
  }
  TraceVersion v;
  v.dot = dot(x["dot"], what + ".dot");
  v.ctx = ctx(x["ctx"], what + ".ctx");
  v.val = value_of(x, what);
  return v;
}

std::vector<TraceVersion> Reader::versions(const json& x, const std::string& what) const {
  if (!x.is_array()) bad(what, "must be an array of versions");
  if (x.size() > tl::kMaxVersions) bad(what, "more than " + str(tl::kMaxVersions) + " versions (a limit of this reader)");
  std::vector<TraceVersion> out;
  out.reserve(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out.push_back(version(x[i], at(what, i)));
  std::vector<TraceDot> dots;
  dots.reserve(out.size());
  for (const auto& v : out) dots.push_back(v.dot);
  std::sort(dots.begin(), dots.end());
  if (std::adjacent_find(dots.begin(), dots.end()) != dots.end()) bad(what, "two versions with one dot");
  return out;
}

std::vector<TraceTarget> Reader::targets(const json& x, const std::string& what, NodeIndex coord) const {
  if (!x.is_array() || x.size() != static_cast<std::size_t>(header_.n)) {
    bad(what, "must be an array of N = " + str(header_.n) + " targets");
  }
  std::vector<TraceTarget> out;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const json& t = x[i];
    bool shape = t.is_object() && t.contains("node");
    for (auto it = t.begin(); shape && it != t.end(); ++it) shape = it.key() == "node" || it.key() == "hint";
    if (!shape) bad(at(what, i), "a target is {\"node\": node} or {\"node\": node, \"hint\": node}");
    TraceTarget target{node(t["node"], at(what, i) + ".node"), std::nullopt};
    if (t.contains("hint")) target.hint = node(t["hint"], at(what, i) + ".hint");
    out.push_back(target);
  }
  std::vector<NodeIndex> nodes;
  for (const auto& t : out) nodes.push_back(t.node);
  std::sort(nodes.begin(), nodes.end());
  if (std::adjacent_find(nodes.begin(), nodes.end()) != nodes.end()) bad(what, "a node is targeted twice");
  if (std::none_of(out.begin(), out.end(), [&](const TraceTarget& t) { return t.node == coord && !t.hint; })) {
    bad(what, "the coordinator " + name(coord) + " must be a target (without hint)");
  }
  return out;
}

TraceMessage Reader::msg(const json& x, const std::string& what, std::initializer_list<MessageType> types) const {
  const json* type = x.is_object() ? find(x, "type") : nullptr;
  const MessageShape* shape = nullptr;
  for (const auto& s : message_shapes())
    if (type != nullptr && type->is_string() && *type == s.name) shape = &s;
  if (shape == nullptr) {
    bad(what, "a message is an object whose \"type\" is one of Store, StoreAck, Repair, Handoff, HandoffAck, Read, ReadReply");
  }
  if (types.size() != 0 && std::find(types.begin(), types.end(), shape->type) == types.end()) {
    std::string names;
    for (MessageType t : types) names += (names.empty() ? "" : " or ") + std::string(message_type_name(t));
    bad(what, "must be a message of type " + names + ", got " + shape->name);
  }
  // Exactly the type's fields (a Store may also have "hint").
  std::string fields = "\"type\", \"to\", \"from\"";
  for (const char* f : shape->fields) fields += std::string(", \"") + f + "\"";
  const std::string exactly = std::string("a ") + shape->name + " message has exactly the fields " + fields +
                              (shape->type == MessageType::kStore ? " (and optionally \"hint\")" : "");
  for (auto it = x.begin(); it != x.end(); ++it) {
    const std::string& k = it.key();
    const bool known = k == "type" || k == "to" || k == "from" || (k == "hint" && shape->type == MessageType::kStore) ||
                       std::any_of(shape->fields.begin(), shape->fields.end(), [&](const char* f) { return k == f; });
    if (!known) bad(what, exactly + ", got also " + quote_name(k));
  }
  for (const char* f : {"to", "from"})
    if (!x.contains(f)) bad(what, exactly + ", \"" + f + "\" is missing");
  for (const char* f : shape->fields)
    if (!x.contains(f)) bad(what, exactly + ", \"" + f + "\" is missing");
  TraceMessage m;
  m.type = shape->type;
  m.to = node(x["to"], what + ".to");
  m.from = node(x["from"], what + ".from");
  if (x.contains("hint")) m.hint = node(x["hint"], what + ".hint");
  if (x.contains("id")) m.id = nat(x["id"], what + ".id", 1);
  if (x.contains("key")) m.key = key(x["key"], what + ".key");
  if (x.contains("ver")) m.ver = version(x["ver"], what + ".ver");
  if (x.contains("vers")) m.vers = versions(x["vers"], what + ".vers");
  if (x.contains("dot")) m.dot = dot(x["dot"], what + ".dot");
  if (x.contains("epoch")) m.epoch = nat(x["epoch"], what + ".epoch");
  return m;
}

std::string Reader::client(const json& x) const {
  if (!non_empty_string(x)) bad("client", "must be a non-empty string");
  const std::string& s = x.get_ref<const std::string&>();
  if (s.size() > tl::kMaxNameBytes) bad("client", "longer than " + str(tl::kMaxNameBytes) + " bytes (a limit of this reader)");
  return s;
}

// ---- the network -----------------------------------------------------------------------------

void Reader::charge(std::size_t bytes, const std::string& what) {
  if (bytes + kEntryOverhead > tl::kMaxStateBytes - std::min(state_bytes_, tl::kMaxStateBytes)) {
    bad(what, "the trace keeps more than " + str(tl::kMaxStateBytes >> 20) +
                  " MiB of messages in flight, hints, get results and put versions (a limit of this reader)");
  }
  state_bytes_ += bytes + kEntryOverhead;
}

void Reader::send(const TraceMessage& m, const std::string& what) {
  std::string c = canon_message(m);
  auto it = net_.find(c);
  if (it == net_.end()) {
    charge(c.size(), what);
    it = net_.emplace(std::move(c), 0).first;
  }
  ++it->second;
}

std::unordered_map<std::string, std::uint64_t>::iterator Reader::in_flight(const TraceMessage& m, const std::string& what) {
  auto it = net_.find(canon_message(m));
  if (it == net_.end()) {
    std::string about = std::string("this ") + message_type_name(m.type) + " message from " + name(m.from) + " to " + name(m.to);
    if (m.type == MessageType::kStore || m.type == MessageType::kStoreAck || m.type == MessageType::kRead ||
        m.type == MessageType::kReadReply) {
      about += " (id " + str(m.id) + ")";
    }
    bad(what, about + " was never sent, or is no longer in flight");
  }
  return it;
}

void Reader::consume(const TraceMessage& m, const std::string& what) {
  auto it = in_flight(m, what);
  if (--it->second == 0) {
    refund(it->first.size() + kEntryOverhead);
    net_.erase(it);
  }
}

void Reader::running(NodeIndex n, const std::string& what) const {
  if (!up_[n]) bad(what, "node " + name(n) + " is down (crashed, not recovered)");
}

void Reader::receive(NodeIndex n, const TraceMessage& m, const std::string& what) {
  if (m.to != n) bad(what, "the message is addressed to " + name(m.to) + ", not " + name(n));
  running(n, "node");
  consume(m, what);
}

// ---- lines -----------------------------------------------------------------------------------

void need(const json& e, const char* action, std::initializer_list<const char*> fields) {
  for (const char* f : fields)
    if (!e.contains(f)) bad(f, std::string("missing (a ") + action + " line has it)");
}

void Reader::coordinate_put(const json& e, TraceAction* a) {
  need(e, "CoordinatePut", {"client", "key", "node", "epoch", "id", "ctx", "dot", "targets"});
  a->client = client(e["client"]);
  a->key = key(e["key"], "key");
  a->node = node(e["node"], "node");
  const NodeIndex n = a->node;
  running(n, "node");
  a->epoch = nat(e["epoch"], "epoch");
  if (a->epoch != epoch_[n]) bad("epoch", str(a->epoch) + " but " + name(n) + " is at epoch " + str(epoch_[n]));
  a->id = nat(e["id"], "id", 1);
  if (a->id != puts_.size() + 1) {
    bad("id", "put ids count 1, 2, 3...: expected " + str(puts_.size() + 1) + ", got " + str(a->id));
  }
  a->ctx = ctx(e["ctx"], "ctx");
  a->val = value_of(e, "");
  a->dot = dot(e["dot"], "dot");
  if (a->dot.node != n || a->dot.epoch != epoch_[n]) {
    bad("dot", "the new dot's actor must be the coordinator's, [" + name(n) + ", " + str(epoch_[n]) + "]");
  }
  a->targets = targets(e["targets"], "targets", n);
  TraceMessage m;
  m.type = MessageType::kStore;
  m.from = n;
  m.id = a->id;
  m.key = a->key;
  m.ver = TraceVersion{a->dot, a->ctx, a->val};
  charge(canon_version(*m.ver).size(), "ctx");  // kept with the put for its ResendPut lines
  puts_.push_back(PutOp{n, a->key, *m.ver});
  for (const auto& t : a->targets) {
    if (t.node == n && !t.hint) continue;
    m.to = t.node;
    m.hint = t.hint;
    send(m, "targets");
  }
}

void Reader::store_version(const json& e, TraceAction* a) {
  need(e, "StoreVersion", {"node", "msg", "siblings"});
  const NodeIndex n = a->node = node(e["node"], "node");
  a->msg = msg(e["msg"], "msg", {MessageType::kStore, MessageType::kRepair, MessageType::kHandoff});
  a->siblings = versions(e["siblings"], "siblings");
  const TraceMessage& m = *a->msg;
  receive(n, m, "msg");
  if (m.type == MessageType::kStore) {
    if (m.hint) {
      std::string h = canon_hint(*m.hint, m.key, *m.ver);
      auto it = hints_[n].find(h);
      if (it == hints_[n].end()) {
        charge(h.size(), "msg");
        it = hints_[n].emplace(std::move(h), 0).first;
      }
      ++it->second;
    }
    TraceMessage ack;
    ack.type = MessageType::kStoreAck;
    ack.to = m.from;
    ack.from = n;
    ack.id = m.id;
    ack.dot = m.ver->dot;
    ack.epoch = epoch_[n];
    send(ack, "msg");
  } else if (m.type == MessageType::kHandoff) {
    TraceMessage ack;
    ack.type = MessageType::kHandoffAck;
    ack.to = m.from;
    ack.from = n;
    ack.key = m.key;
    ack.ver = m.ver;
    send(ack, "msg");
  }
}

template <class Op>
std::pair<std::uint64_t, Op*> Reader::started(std::vector<Op>& ops, const json& e, const char* what, TraceAction* out) {
  need(e, what, {"node", "id"});
  const std::uint64_t i = nat(e["id"], "id", 1);
  const char* kind = std::is_same_v<Op, PutOp> ? "put" : "get";
  if (i > ops.size()) bad("id", std::string("no ") + kind + " with id " + str(i) + " was started");
  Op& op = ops[i - 1];
  out->id = i;
  out->node = node(e["node"], "node");
  if (op.node != out->node) {
    bad("node", std::string(kind) + " " + str(i) + " is coordinated by " + name(op.node) + ", not " + name(out->node));
  }
  return {i, &op};
}

// A put still open sends its version to one more node, with a hint: the Store message goes in flight.
// Whether `to` is a fallback of the key and `hint` one of its primaries is TLC's check (ImplResendPut).
void Reader::resend_put(const json& e, TraceAction* a) {
  need(e, "ResendPut", {"to", "hint"});
  auto [i, op] = started(puts_, e, "ResendPut", a);
  running(op->node, "node");
  if (op->done) bad("id", "put " + str(i) + " completed or timed out already");
  TraceMessage m;
  m.type = MessageType::kStore;
  m.from = op->node;
  m.to = node(e["to"], "to");
  if (m.to == op->node) bad("to", "the coordinator " + name(op->node) + " cannot resend to itself");
  m.hint = node(e["hint"], "hint");
  m.id = i;
  m.key = op->key;
  m.ver = op->ver;
  a->targets = {TraceTarget{m.to, m.hint}};
  send(m, "to");
}

void Reader::complete_put(const json& e, TraceAction* a) {
  need(e, "CompletePut", {"acks"});
  auto [i, op] = started(puts_, e, "CompletePut", a);
  running(op->node, "node");
  if (op->done) bad("id", "put " + str(i) + " completed already");
  if (!op->persisted) bad("id", "put " + str(i) + " completes before its PersistPut (the coordinator's own copy must be durable first)");
  const json& acks = e["acks"];
  if (!acks.is_array()) bad("acks", "must be an array of {\"from\": node, \"epoch\": epoch}");
  if (acks.size() > tl::kMaxNodes) bad("acks", "more than " + str(tl::kMaxNodes) + " acks (a limit of this reader)");
  for (std::size_t j = 0; j < acks.size(); ++j) {
    const json& ack = acks[j];
    if (!ack.is_object() || ack.size() != 2 || !ack.contains("from") || !ack.contains("epoch")) {
      bad(at("acks", j), "must be {\"from\": node, \"epoch\": epoch}");
    }
    TraceAck parsed{node(ack["from"], at("acks", j) + ".from"), nat(ack["epoch"], at("acks", j) + ".epoch")};
    TraceMessage m;
    m.type = MessageType::kStoreAck;
    m.to = op->node;
    m.from = parsed.from;
    m.id = i;
    m.dot = op->ver.dot;
    m.epoch = parsed.epoch;
    consume(m, at("acks", j));
    a->acks.push_back(parsed);
  }
  op->done = true;
}

void Reader::client_get(const json& e, TraceAction* a) {
  need(e, "ClientGet", {"client", "key", "node", "epoch", "id", "targets", "view"});
  a->client = client(e["client"]);
  a->key = key(e["key"], "key");
  const NodeIndex n = a->node = node(e["node"], "node");
  running(n, "node");
  a->epoch = nat(e["epoch"], "epoch");
  if (a->epoch != epoch_[n]) bad("epoch", str(a->epoch) + " but " + name(n) + " is at epoch " + str(epoch_[n]));
  a->id = nat(e["id"], "id", 1);
  if (a->id != gets_.size() + 1) {
    bad("id", "get ids count 1, 2, 3...: expected " + str(gets_.size() + 1) + ", got " + str(a->id));
  }
  a->targets = targets(e["targets"], "targets", n);
  a->view = versions(e["view"], "view");
  gets_.push_back(GetOp{n, a->key, false, std::nullopt});
  TraceMessage m;
  m.type = MessageType::kRead;
  m.from = n;
  m.id = a->id;
  m.key = a->key;
  for (const auto& t : a->targets) {
    if (t.node == n && !t.hint) continue;
    m.to = t.node;
    send(m, "targets");
  }
}

void Reader::replica_read(const json& e, TraceAction* a) {
  need(e, "ReplicaRead", {"node", "msg", "view"});
  const NodeIndex n = a->node = node(e["node"], "node");
  a->msg = msg(e["msg"], "msg", {MessageType::kRead});
  a->view = versions(e["view"], "view");
  receive(n, *a->msg, "msg");
  TraceMessage reply;
  reply.type = MessageType::kReadReply;
  reply.to = a->msg->from;
  reply.from = n;
  reply.id = a->msg->id;
  reply.vers = a->view;
  send(reply, "view");
}

void Reader::complete_get(const json& e, TraceAction* a) {
  need(e, "CompleteGet", {"replies", "siblings", "ctx"});
  auto [g, op] = started(gets_, e, "CompleteGet", a);
  running(op->node, "node");
  if (op->done) bad("id", "get " + str(g) + " completed already");
  const json& replies = e["replies"];
  if (!replies.is_array()) bad("replies", "must be an array of {\"from\": node, \"vers\": [version, ...]}");
  if (replies.size() > tl::kMaxNodes) bad("replies", "more than " + str(tl::kMaxNodes) + " replies (a limit of this reader)");
  for (std::size_t j = 0; j < replies.size(); ++j) {
    const json& r = replies[j];
    if (!r.is_object() || r.size() != 2 || !r.contains("from") || !r.contains("vers")) {
      bad(at("replies", j), "must be {\"from\": node, \"vers\": [version, ...]}");
    }
    TraceReply parsed{node(r["from"], at("replies", j) + ".from"), versions(r["vers"], at("replies", j) + ".vers")};
    TraceMessage m;
    m.type = MessageType::kReadReply;
    m.to = op->node;
    m.from = parsed.from;
    m.id = g;
    m.vers = std::move(parsed.vers);
    consume(m, at("replies", j));
    parsed.vers = std::move(m.vers);
    a->replies.push_back(std::move(parsed));
  }
  a->siblings = versions(e["siblings"], "siblings");
  a->ctx = ctx(e["ctx"], "ctx");
  std::string result = canon_versions(a->siblings);
  charge(result.size(), "siblings");
  op->done = true;
  op->siblings = std::move(result);
}

void Reader::read_repair(const json& e, TraceAction* a) {
  need(e, "ReadRepair", {"to", "siblings"});
  auto [g, op] = started(gets_, e, "ReadRepair", a);
  running(op->node, "node");
  if (!op->done) bad("id", "get " + str(g) + " has not completed");
  const json& to = e["to"];
  if (!to.is_array() || to.empty()) bad("to", "must be a non-empty array of nodes");
  if (to.size() > tl::kMaxNodes) bad("to", "more than " + str(tl::kMaxNodes) + " nodes");
  for (std::size_t j = 0; j < to.size(); ++j) a->to.push_back(node(to[j], at("to", j)));
  std::vector<NodeIndex> sorted = a->to;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) bad("to", "a node is listed twice");
  a->siblings = versions(e["siblings"], "siblings");
  if (!op->siblings || canon_versions(a->siblings) != *op->siblings) {
    bad("siblings", "must be those get " + str(g) + " returned");
  }
  TraceMessage m;
  m.type = MessageType::kRepair;
  m.from = op->node;
  m.key = op->key;
  m.vers = a->siblings;
  for (NodeIndex t : a->to) {
    m.to = t;
    send(m, "to");
  }
}

void Reader::deliver_hint(const json& e, TraceAction* a) {
  need(e, "DeliverHint", {"node", "hint"});
  const NodeIndex n = a->node = node(e["node"], "node");
  const json& h = e["hint"];
  if (!h.is_object() || h.size() != 3 || !h.contains("to") || !h.contains("key") || !h.contains("ver")) {
    bad("hint", "must be {\"to\": node, \"key\": key, \"ver\": version}");
  }
  TraceHint hint;
  hint.to = node(h["to"], "hint.to");
  hint.key = key(h["key"], "hint.key");
  hint.ver = version(h["ver"], "hint.ver");
  running(n, "node");
  if (hints_[n].count(canon_hint(hint.to, hint.key, hint.ver)) == 0) {
    bad("hint", name(n) + " holds no such hint (no Store with this hint reached it)");
  }
  TraceMessage m;
  m.type = MessageType::kHandoff;
  m.to = hint.to;
  m.from = n;
  m.key = hint.key;
  m.ver = hint.ver;
  send(m, "hint");
  a->hint = std::move(hint);
}

void Reader::delete_hint(const json& e, TraceAction* a) {
  need(e, "DeleteHint", {"node", "msg"});
  const NodeIndex n = a->node = node(e["node"], "node");
  a->msg = msg(e["msg"], "msg", {MessageType::kHandoffAck});
  receive(n, *a->msg, "msg");
  auto it = hints_[n].find(canon_hint(a->msg->from, a->msg->key, *a->msg->ver));
  if (it != hints_[n].end()) {
    refund(it->first.size() + kEntryOverhead);
    hints_[n].erase(it);
  }
}

// The stuttering steps that name a message delivered to `node`.
void Reader::noted(const json& e, TraceAction* a, std::initializer_list<MessageType> types, bool consume_it) {
  need(e, action_name(a->kind), {"node", "msg"});
  const NodeIndex n = a->node = node(e["node"], "node");
  a->msg = msg(e["msg"], "msg", types);
  if (a->msg->to != n) bad("msg", "the message is addressed to " + name(a->msg->to) + ", not " + name(n));
  running(n, "node");
  if (consume_it) consume(*a->msg, "msg");
  else in_flight(*a->msg, "msg");
}

TraceAction Reader::action(const json& e, std::size_t line) {
  TraceAction a;
  a.line = line;
  const json* name_json = find(e, "action");
  if (name_json == nullptr) bad("action", "missing");
  const auto* known = std::find_if(kActions.begin(), kActions.end(),
                                   [&](const auto& entry) { return name_json->is_string() && *name_json == entry.first; });
  if (known == kActions.end()) bad("action", "unknown action " + shown(*name_json));
  a.kind = known->second;
  switch (a.kind) {
    case ActionKind::kCoordinatePut: coordinate_put(e, &a); break;
    case ActionKind::kStoreVersion: store_version(e, &a); break;
    case ActionKind::kCompletePut: complete_put(e, &a); break;
    case ActionKind::kResendPut: resend_put(e, &a); break;
    case ActionKind::kClientGet: client_get(e, &a); break;
    case ActionKind::kReplicaRead: replica_read(e, &a); break;
    case ActionKind::kCompleteGet: complete_get(e, &a); break;
    case ActionKind::kReadRepair: read_repair(e, &a); break;
    case ActionKind::kDeliverHint: deliver_hint(e, &a); break;
    case ActionKind::kDeleteHint: delete_hint(e, &a); break;
    case ActionKind::kCrash: {
      need(e, "Crash", {"node"});
      a.node = node(e["node"], "node");
      running(a.node, "node");
      up_[a.node] = false;
      break;
    }
    case ActionKind::kRecover: {
      need(e, "Recover", {"node", "epoch"});
      a.node = node(e["node"], "node");
      if (up_[a.node]) bad("node", "node " + name(a.node) + " is up");
      a.epoch = nat(e["epoch"], "epoch");
      if (a.epoch != epoch_[a.node] + 1) bad("epoch", "the new epoch of " + name(a.node) + " must be " + str(epoch_[a.node] + 1));
      epoch_[a.node] = a.epoch;
      up_[a.node] = true;
      break;
    }
    case ActionKind::kFlush: {
      need(e, "Flush", {"node"});
      a.node = node(e["node"], "node");
      running(a.node, "node");
      break;
    }
    case ActionKind::kLoseMessage: {
      need(e, "LoseMessage", {"msg"});
      a.msg = msg(e["msg"], "msg", {});
      consume(*a.msg, "msg");
      break;
    }
    case ActionKind::kDuplicateMessage: {
      need(e, "DuplicateMessage", {"msg"});
      a.msg = msg(e["msg"], "msg", {});
      ++in_flight(*a.msg, "msg")->second;
      break;
    }
    case ActionKind::kAckPut: noted(e, &a, {MessageType::kStoreAck}, false); break;  // CompletePut consumes it
    case ActionKind::kReplyGet: noted(e, &a, {MessageType::kReadReply}, false); break;  // CompleteGet consumes it
    case ActionKind::kDiscard: noted(e, &a, {}, true); break;
    case ActionKind::kPersistPut: {
      auto [i, op] = started(puts_, e, "PersistPut", &a);
      running(op->node, "node");
      // After a PutTimeout too: the spec's put stays open until its coordinator crashes. (After a
      // CompletePut it is "persisted already": a put completes only once persisted.)
      if (op->persisted) bad("id", "put " + str(i) + " was persisted already");
      op->persisted = true;
      break;
    }
    case ActionKind::kPutTimeout: {
      auto [i, op] = started(puts_, e, "PutTimeout", &a);
      if (op->done) bad("id", "put " + str(i) + " completed already");
      op->done = true;
      break;
    }
    case ActionKind::kGetTimeout: {
      auto [g, op] = started(gets_, e, "GetTimeout", &a);
      if (op->done) bad("id", "get " + str(g) + " completed already");
      op->done = true;
      break;
    }
  }
  return a;
}

// Parses one line's JSON, bounded in size and depth; throws Bad.
json parse_line(std::string_view line) {
  if (line.size() > tl::kMaxLineBytes) throw Bad{"longer than " + str(tl::kMaxLineBytes >> 20) + " MiB (a limit of this reader)"};
  if (blank(line)) throw Bad{"blank line (TLC's NDJSON reader takes none)"};
  // nlohmann::json skips a UTF-8 byte order mark; JSON (and the Python check) does not.
  if (line.size() >= 3 && std::memcmp(line.data(), "\xEF\xBB\xBF", 3) == 0) throw Bad{"not JSON: a byte order mark"};
  if (json_nesting_depth(line, tl::kMaxNestingDepth) > tl::kMaxNestingDepth) {
    throw Bad{"JSON nests deeper than " + std::to_string(tl::kMaxNestingDepth) + " levels (a limit of this reader)"};
  }
  try {
    return json::parse(line);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    const auto* parse_error = dynamic_cast<const json::parse_error*>(&e);
    throw Bad{parse_error != nullptr ? "not JSON (at byte " + std::to_string(parse_error->byte) + ")"
                                     : "not JSON (a number out of range)"};
  }
}

}  // namespace

Result<Trace> read_trace(std::string_view ndjson) {
  // As trace_check.py: a final "\n" ends the last line; an empty text has no header.
  std::string_view text = ndjson;
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (ndjson.empty()) return Error{"line 1: empty trace: the header line is missing"};
  Trace trace;
  Reader reader;
  std::size_t start = 0;
  for (std::size_t number = 1;; ++number) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    try {
      if (number > tl::kMaxLines) throw Bad{"more than " + str(tl::kMaxLines) + " lines (a limit of this reader)"};
      if (end > tl::kMaxTraceBytes) throw Bad{"the trace is longer than " + str(tl::kMaxTraceBytes >> 20) + " MiB (a limit of this reader)"};
      const json e = parse_line(line);
      if (number == 1) {
        if (!e.is_object()) throw Bad{"the header must be a JSON object"};
        reader.header(e, &trace.header);
      } else {
        if (!e.is_object()) throw Bad{"an action line must be a JSON object"};
        trace.actions.push_back(reader.action(e, number));
      }
    } catch (const Bad& bad_line) {
      return Error{"line " + std::to_string(number) + ": " + bad_line.message};
    }
    if (end == text.size()) break;
    start = end + 1;
  }
  return trace;
}

const char* action_name(ActionKind kind) {
  for (const auto& [name, k] : kActions)
    if (k == kind) return name;
  return "?";
}

const char* message_type_name(MessageType type) { return shape_of(type).name; }

}  // namespace dynamo::check
