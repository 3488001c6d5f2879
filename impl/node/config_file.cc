// config_file.cc: the node's TOML configuration file (config_file.h), read with toml++ and checked
// key by key. Every error reads "ORIGIN[:LINE]: KEY: what is wrong; what to do". The format, every
// key, its default and its range: docs/configuration.md.
#include "impl/node/config_file.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include <toml++/toml.h>

#include "impl/core/merkle_tree.h"
#include "impl/net/peer_auth.h"
#include "impl/node/cluster_secret.h"

namespace dynamo::node {
namespace {

using Int = std::int64_t;

constexpr std::size_t kMaxFileBytes = std::size_t{1} << 20;  // a config file is a few KiB
constexpr std::size_t kMaxHostBytes = 253;                   // a DNS name
constexpr std::size_t kMaxIpcPathBytes = 107;                // sockaddr_un::sun_path, less its NUL
constexpr Int kMaxTickMs = 1000;
constexpr std::size_t kMaxSecretPathBytes = 4096;            // PATH_MAX

const char* type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// TOML basic string: quotes, backslashes and control characters escaped; other bytes as they are.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(u));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string join(std::initializer_list<std::string_view> words) {
  std::string out;
  for (auto w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

// The reader of one document: every error names the origin, the line when known, and the key.
class Reader {
 public:
  explicit Reader(std::string_view origin) : origin_(origin.empty() ? "config" : origin) {}

  Error fail(const toml::source_region* where, std::string_view key, std::string_view what) const {
    std::string message = origin_;
    if (where && where->begin.line > 0) message += ":" + std::to_string(where->begin.line);
    message += ": ";
    if (!key.empty()) message.append(key).append(": ");
    message += what;
    return Error{message};
  }
  Error fail(const toml::node& where, std::string_view key, std::string_view what) const {
    return fail(&where.source(), key, what);
  }

  // Unknown keys are errors: a typo must never be ignored silently.
  Status known_keys(const toml::table& table, std::string_view table_name,
                    std::initializer_list<std::string_view> known) const {
    for (auto&& [key, value] : table) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      const std::string name = table_name.empty() ? std::string(key.str())
                                                  : std::string(table_name) + "." + std::string(key.str());
      return fail(&key.source(), name,
                  "unknown key; the keys of " + (table_name.empty() ? std::string("the file") : "[" + std::string(table_name) + "]") +
                      " are " + join(known) + " (docs/configuration.md)");
    }
    return {};
  }

  // An optional table: nullptr when absent, an error when the key holds something else.
  Result<const toml::table*> table(const toml::table& parent, std::string_view key, std::string_view name) const {
    const toml::node* node = parent.get(key);
    if (!node) return static_cast<const toml::table*>(nullptr);
    if (const toml::table* t = node->as_table()) return t;
    return fail(*node, name, std::string("must be a table, not ") + type_name(node->type()) + "; write it as [" +
                                 std::string(name) + "]");
  }

  // An optional integer in [lo, hi]; `out` keeps its default when the key is absent.
  template <class T>
  Status integer(const toml::table& table, std::string_view key, std::string_view name, Int lo, Int hi, T& out) const {
    const toml::node* node = table.get(key);
    if (!node) return {};
    const auto* value = node->as_integer();
    if (!value)
      return fail(*node, name, std::string("must be an integer, not ") + type_name(node->type()) + "; write e.g. " +
                                   std::string(key) + " = " + std::to_string(lo));
    const Int v = value->get();
    if (v < lo || v > hi)
      return fail(*node, name, std::to_string(v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi) +
                                   "; use a value in that range");
    out = static_cast<T>(v);
    return {};
  }

  // An optional string; `present` says whether the key was there.
  Status string(const toml::table& table, std::string_view key, std::string_view name, std::string& out,
                bool* present = nullptr) const {
    if (present) *present = false;
    const toml::node* node = table.get(key);
    if (!node) return {};
    const auto* value = node->as_string();
    if (!value)
      return fail(*node, name, std::string("must be a string, not ") + type_name(node->type()) + "; put it in quotes");
    out = value->get();
    if (present) *present = true;
    return {};
  }

  // A string key that must be present (the table's own region locates the error when it is not).
  Status boolean(const toml::table& table, std::string_view key, std::string_view name, bool& out) const {
    const toml::node* node = table.get(key);
    if (!node) return {};
    const auto* value = node->as_boolean();
    if (!value)
      return fail(*node, name, std::string("must be true or false, not ") + type_name(node->type()));
    out = value->get();
    return {};
  }

  Status required_string(const toml::table& table, std::string_view key, std::string_view name,
                         std::string& out) const {
    bool present = false;
    if (Status s = string(table, key, name, out, &present); !s.ok()) return s;
    if (!present) return fail(&table.source(), name, "missing; it is required (docs/configuration.md)");
    return {};
  }

 private:
  std::string origin_;
};

bool identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

// Node ids and data centre names: 1..kMaxNodeIdBytes of [A-Za-z0-9_.-].
std::optional<std::string> identifier_problem(std::string_view s) {
  if (s.empty() || s.size() > limits::kMaxNodeIdBytes)
    return "\"" + std::string(s) + "\" must be 1 to " + std::to_string(limits::kMaxNodeIdBytes) + " bytes long";
  if (!std::all_of(s.begin(), s.end(), identifier_char))
    return quoted(s) + " may hold only letters, digits, '_', '.' and '-'";
  return std::nullopt;
}

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_';
}

bool ipv6_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' || c == '.';
}

// "HOST:PORT" with HOST a name, an IPv4 address or a bracketed IPv6 address, PORT in 1..65535
// (decimal, no leading zero). Returns what is wrong, or nullopt.
std::optional<std::string> host_port_problem(std::string_view s) {
  std::string_view host, port;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return std::string("an IPv6 host is written [ADDRESS]:PORT");
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
    if (host.empty() || !std::all_of(host.begin(), host.end(), ipv6_char))
      return "\"" + std::string(host) + "\" is not an IPv6 address";
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::string("the port is missing (HOST:PORT)");
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.empty()) return std::string("the host is missing (HOST:PORT)");
    if (host.size() > kMaxHostBytes) return "the host is longer than " + std::to_string(kMaxHostBytes) + " bytes";
    if (!std::all_of(host.begin(), host.end(), host_char))
      return "the host \"" + std::string(host) + "\" may hold only letters, digits, '.', '-' and '_'";
  }
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "the port \"" + std::string(port) + "\" is not a number in 1..65535";
  const int number = std::stoi(std::string(port));
  if (number < 1 || number > 65535 || port.front() == '0')
    return "the port " + std::string(port) + " is not in 1..65535 (written without leading zeros)";
  return std::nullopt;
}

// "tcp://HOST:PORT" or "ipc:///absolute/path".
std::optional<std::string> nng_url_problem(std::string_view s) {
  if (s.starts_with("tcp://")) {
    if (auto p = host_port_problem(s.substr(6))) return *p;
    return std::nullopt;
  }
  if (s.starts_with("ipc://")) {
    const std::string_view path = s.substr(6);
    if (path.size() < 2 || path.front() != '/') return std::string("an IPC address is ipc:///absolute/path");
    if (path.size() > kMaxIpcPathBytes)
      return "the IPC path is longer than " + std::to_string(kMaxIpcPathBytes) + " bytes (a Unix socket's limit)";
    if (std::any_of(path.begin(), path.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
      return std::string("the IPC path holds a control character");
    return std::nullopt;
  }
  return std::string("must be an NNG URL, tcp://HOST:PORT or ipc:///path");
}

// What an address occupies: TCP endpoints (peer, client and HTTP alike) share one port space.
std::string endpoint_of(std::string_view address) {
  if (address.starts_with("tcp://")) return std::string(address.substr(6));
  return std::string(address);  // ipc://... or HOST:PORT
}

const std::initializer_list<std::string_view> kMemberKeys = {"id", "data_centre", "weight", "peer", "client", "http"};
const std::initializer_list<std::string_view> kNodeKeys = {"id",      "data_centre", "weight", "data_dir", "storage",
                                                               "cache_mb", "peer",       "client", "http",     "join"};

// The member fields shared by [node] and [[cluster.members]]: id, data_centre, weight, addresses.
Status read_member(const Reader& in, const toml::table& table, const std::string& prefix, net::MemberAddress& out) {
  const auto name = [&](std::string_view key) { return prefix + "." + std::string(key); };
  Member& m = out.member;
  m.dc = "dc1";
  m.weight = 1;
  if (Status s = in.required_string(table, "id", name("id"), m.id); !s.ok()) return s;
  if (auto p = identifier_problem(m.id)) return in.fail(*table.get("id"), name("id"), *p);
  if (Status s = in.string(table, "data_centre", name("data_centre"), m.dc); !s.ok()) return s;
  if (auto p = identifier_problem(m.dc)) return in.fail(*table.get("data_centre"), name("data_centre"), *p);
  if (Status s = in.integer(table, "weight", name("weight"), 1, limits::kMaxWeight, m.weight); !s.ok()) return s;
  struct Address {
    std::string_view key;
    std::string* field;
    bool nng;
  };
  for (const Address& a : {Address{"peer", &out.peer_address, true}, Address{"client", &out.client_address, true},
                           Address{"http", &out.http_address, false}}) {
    if (Status s = in.required_string(table, a.key, name(a.key), *a.field); !s.ok()) return s;
    auto problem = a.nng ? nng_url_problem(*a.field) : host_port_problem(*a.field);
    if (problem) {
      const std::string example = a.nng ? "tcp://127.0.0.1:7101" : "127.0.0.1:7100";
      return in.fail(*table.get(a.key), name(a.key),
                     quoted(*a.field) + ": " + *problem + "; write e.g. " + quoted(example));
    }
  }
  return {};
}

Status read_node(const Reader& in, const toml::table& root, NodeFileConfig& config) {
  auto node = in.table(root, "node", "node");
  if (!node.ok()) return node.error();
  if (!node.value()) return in.fail(nullptr, "node", "the [node] table is missing; it says who this node is");
  const toml::table& t = *node.value();
  if (Status s = in.known_keys(t, "node", kNodeKeys); !s.ok()) return s;
  if (Status s = read_member(in, t, "node", config.self); !s.ok()) return s;
  std::string storage = "rocksdb";
  if (Status s = in.string(t, "storage", "node.storage", storage); !s.ok()) return s;
  if (storage == "rocksdb") {
    config.engine = Engine::kRocksDb;
  } else if (storage == "memory") {
    config.engine = Engine::kMemory;
  } else {
    return in.fail(*t.get("storage"), "node.storage",
                   quoted(storage) + " is no storage engine; use \"rocksdb\" or \"memory\" (tests only)");
  }
  if (Status s = in.integer(t, "cache_mb", "node.cache_mb", 0, 65536, config.cache_mb); !s.ok()) return s;
  if (Status s = in.boolean(t, "join", "node.join", config.join); !s.ok()) return s;
  bool has_dir = false;
  if (Status s = in.string(t, "data_dir", "node.data_dir", config.data_dir, &has_dir); !s.ok()) return s;
  if (has_dir && config.data_dir.empty())
    return in.fail(*t.get("data_dir"), "node.data_dir", "is empty; name a directory or leave the key out");
  if (has_dir && config.data_dir.find('\0') != std::string::npos)
    return in.fail(*t.get("data_dir"), "node.data_dir", "holds a NUL character, which no path can");
  if (!has_dir && config.engine == Engine::kRocksDb)
    return in.fail(&t.source(), "node.data_dir",
                   "missing; storage \"rocksdb\" keeps its data there, so name a directory (or use storage = \"memory\")");
  return {};
}

// cluster_id, and at most one of secret (inline) and secret_file (read later, by load_node_config:
// parsing touches no file). docs/security.md says why a secret, and never on the command line.
Status read_secret_keys(const Reader& in, const toml::table& t, NodeFileConfig& config) {
  if (Status s = in.string(t, "cluster_id", "cluster.cluster_id", config.cluster_id); !s.ok()) return s;
  if (auto p = identifier_problem(config.cluster_id)) return in.fail(*t.get("cluster_id"), "cluster.cluster_id", *p);
  bool inline_secret = false, file = false;
  if (Status s = in.string(t, "secret", "cluster.secret", config.secret, &inline_secret); !s.ok()) return s;
  if (Status s = in.string(t, "secret_file", "cluster.secret_file", config.secret_file, &file); !s.ok()) return s;
  if (inline_secret && file)
    return in.fail(*t.get("secret"), "cluster.secret",
                   "and cluster.secret_file are both set; keep one (secret_file is the better: docs/security.md)");
  if (inline_secret && (config.secret.size() < net::kMinSecretBytes || config.secret.size() > net::kMaxSecretBytes))
    return in.fail(*t.get("secret"), "cluster.secret",
                   "is " + std::to_string(config.secret.size()) + " bytes; a cluster secret is " +
                       std::to_string(net::kMinSecretBytes) + ".." + std::to_string(net::kMaxSecretBytes) +
                       " bytes (e.g. `openssl rand -hex 32`)");
  if (file) {
    if (config.secret_file.empty() || config.secret_file.size() > kMaxSecretPathBytes)
      return in.fail(*t.get("secret_file"), "cluster.secret_file",
                     "must be a path of 1.." + std::to_string(kMaxSecretPathBytes) + " bytes");
    if (std::any_of(config.secret_file.begin(), config.secret_file.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
      return in.fail(*t.get("secret_file"), "cluster.secret_file", "holds a control character");
  }
  return {};
}

Status read_cluster(const Reader& in, const toml::table& root, NodeFileConfig& config,
                    std::vector<const toml::table*>& member_tables) {
  auto cluster = in.table(root, "cluster", "cluster");
  if (!cluster.ok()) return cluster.error();
  if (!cluster.value())
    return in.fail(nullptr, "cluster.members",
                   "missing; list every member of the cluster, this node included, as [[cluster.members]] tables");
  const toml::table& t = *cluster.value();
  if (Status s = in.known_keys(t, "cluster", {"partitions", "members", "cluster_id", "secret", "secret_file", "gossip_ms"}); !s.ok())
    return s;
  if (Status s = in.integer(t, "gossip_ms", "cluster.gossip_ms", 10, 600'000, config.gossip_ms); !s.ok()) return s;
  if (Status s = in.integer(t, "partitions", "cluster.partitions", 1, limits::kMaxPartitions, config.partitions); !s.ok())
    return s;
  if (Status s = read_secret_keys(in, t, config); !s.ok()) return s;
  const toml::node* members = t.get("members");
  if (!members)
    return in.fail(&t.source(), "cluster.members",
                   "missing; list every member of the cluster, this node included, as [[cluster.members]] tables");
  const toml::array* list = members->as_array();
  if (!list)
    return in.fail(*members, "cluster.members",
                   std::string("must be an array of tables, not ") + type_name(members->type()) +
                       "; write one [[cluster.members]] table per member");
  if (list->empty())
    return in.fail(*members, "cluster.members", "is empty; a cluster has at least one member (this node)");
  if (list->size() > limits::kMaxNodes)
    return in.fail(*members, "cluster.members",
                   std::to_string(list->size()) + " members exceed the limit of " + std::to_string(limits::kMaxNodes));
  std::map<std::string, std::string> ids;        // id -> the key that declared it
  std::map<std::string, std::string> endpoints;  // endpoint -> the key that uses it
  for (std::size_t i = 0; i < list->size(); ++i) {
    const toml::node& element = *list->get(i);
    const std::string prefix = "cluster.members[" + std::to_string(i) + "]";
    const toml::table* mt = element.as_table();
    if (!mt)
      return in.fail(element, prefix,
                     std::string("must be a table, not ") + type_name(element.type()) +
                         "; write one [[cluster.members]] table per member");
    if (Status s = in.known_keys(*mt, prefix, kMemberKeys); !s.ok()) return s;
    net::MemberAddress m;
    if (Status s = read_member(in, *mt, prefix, m); !s.ok()) return s;
    if (auto [it, fresh] = ids.emplace(m.member.id, prefix); !fresh)
      return in.fail(*mt->get("id"), prefix + ".id",
                     quoted(m.member.id) + " is already the id of " + it->second + "; every member needs its own id");
    for (auto [key, address] : {std::pair<std::string_view, const std::string*>{"peer", &m.peer_address},
                                {"client", &m.client_address},
                                {"http", &m.http_address}}) {
      const std::string name = prefix + "." + std::string(key);
      if (auto [it, fresh] = endpoints.emplace(endpoint_of(*address), name); !fresh)
        return in.fail(*mt->get(key), name,
                       quoted(*address) + " uses the same endpoint as " + it->second +
                           "; every address in the cluster needs its own port or path");
    }
    config.members.push_back(std::move(m));
    member_tables.push_back(mt);
  }
  return {};
}

// This node's [[cluster.members]] entry must say exactly what [node] says; a joining node (node.join)
// must have none: the members are then the cluster it joins.
Status check_self(const Reader& in, const toml::table& root, const NodeFileConfig& config,
                  const std::vector<const toml::table*>& member_tables) {
  const auto& self = config.self;
  for (std::size_t i = 0; i < config.members.size(); ++i) {
    const auto& m = config.members[i];
    if (m.member.id != self.member.id) continue;
    if (config.join)
      return in.fail(&member_tables[i]->source(), "cluster.members[" + std::to_string(i) + "]",
                     "names this node, but node.join = true says it joins later (`dynamo admin join`); list only "
                     "the cluster it joins, or set join = false");
    const std::string prefix = "cluster.members[" + std::to_string(i) + "]";
    struct Field {
      std::string_view key;
      std::string mine, theirs;
    };
    for (const Field& f : {Field{"data_centre", self.member.dc, m.member.dc},
                           Field{"weight", std::to_string(self.member.weight), std::to_string(m.member.weight)},
                           Field{"peer", self.peer_address, m.peer_address},
                           Field{"client", self.client_address, m.client_address},
                           Field{"http", self.http_address, m.http_address}}) {
      if (f.mine == f.theirs) continue;
      const toml::node* at = member_tables[i]->get(f.key);
      return in.fail(at ? &at->source() : &member_tables[i]->source(), prefix + "." + std::string(f.key),
                     "the entry of this node (" + quoted(self.member.id) + ") says " + f.theirs + " but node." +
                         std::string(f.key) + " says " + f.mine + "; make them the same");
    }
    return {};
  }
  if (config.join) return {};
  return in.fail(&root.get("node")->source(), "node.id",
                 quoted(self.member.id) +
                     " is not among [[cluster.members]]; add this node's entry (the members include this node)");
}

StoreConfig default_store(std::size_t members) {
  StoreConfig store;
  store.name = std::string(kDefaultStore);
  store.quorum.n = static_cast<int>(std::min<std::size_t>(3, members));
  store.quorum.r = store.quorum.n / 2 + 1;
  store.quorum.w = store.quorum.n / 2 + 1;
  return store;
}

Status read_stores(const Reader& in, const toml::table& root, NodeFileConfig& config) {
  // A joining node checks N against the cluster it joins (which must already hold N replicas).
  const std::size_t members = config.members.size();
  auto stores = in.table(root, "stores", "stores");
  if (!stores.ok()) return stores.error();
  if (!stores.value()) {  // no [stores] at all: one default store
    config.stores = {default_store(members)};
    return {};
  }
  struct Read {
    toml::source_position at;
    StoreConfig store;
  };
  std::vector<Read> read;
  for (auto&& [key, value] : *stores.value()) {
    const std::string name = "stores." + std::string(key.str());
    if (Status s = validate_store_name(key.str()); !s.ok())
      return in.fail(&key.source(), name, s.error().message + "; rename the store");
    const toml::table* t = value.as_table();
    if (!t)
      return in.fail(value, name,
                     std::string("must be a table, not ") + type_name(value.type()) + "; write it as [" + name + "]");
    if (Status s = in.known_keys(*t, name, {"n", "r", "w", "replicas", "overlap_coordinator_write", "max_value_bytes"}); !s.ok()) return s;
    StoreConfig store = default_store(members);
    store.name = std::string(key.str());
    QuorumConfig& q = store.quorum;
    if (Status s = in.integer(*t, "n", name + ".n", 1, limits::kMaxReplicas, q.n); !s.ok()) return s;
    q.r = q.w = q.n / 2 + 1;  // the defaults follow n
    if (Status s = in.integer(*t, "r", name + ".r", 1, limits::kMaxReplicas, q.r); !s.ok()) return s;
    if (Status s = in.integer(*t, "w", name + ".w", 1, limits::kMaxReplicas, q.w); !s.ok()) return s;
    for (auto [key2, v] : {std::pair<std::string_view, int>{"r", q.r}, {"w", q.w}}) {
      if (v <= q.n) continue;
      const toml::node* at = t->get(key2);
      return in.fail(at ? &at->source() : &t->source(), name + "." + std::string(key2),
                     std::to_string(v) + " exceeds n = " + std::to_string(q.n) + "; lower " + std::string(key2) +
                         " or raise n");
    }
    if (Status s = validate(q, members); !s.ok()) {
      const toml::node* at = t->get("n");
      return in.fail(at ? &at->source() : &t->source(), name, s.error().message);
    }
    std::string replicas = "buffered";
    if (Status s = in.string(*t, "replicas", name + ".replicas", replicas); !s.ok()) return s;
    if (replicas == "buffered") {
      store.replica_durability = Durability::kBuffered;
    } else if (replicas == "durable") {
      store.replica_durability = Durability::kDurable;
    } else {
      return in.fail(*t->get("replicas"), name + ".replicas",
                     quoted(replicas) + " is no durability; use \"buffered\" or \"durable\"");
    }
    if (Status s = in.boolean(*t, "overlap_coordinator_write", name + ".overlap_coordinator_write",
                              store.overlap_coordinator_write);
        !s.ok())
      return s;
    if (Status s = in.integer(*t, "max_value_bytes", name + ".max_value_bytes", 1,
                              static_cast<Int>(limits::kMaxValueBytes), store.max_value_bytes);
        !s.ok())
      return s;
    read.push_back({t->source().begin, std::move(store)});
  }
  // A TOML table does not keep its keys' order; the stores keep the file's.
  std::stable_sort(read.begin(), read.end(), [](const Read& a, const Read& b) {
    return std::pair(a.at.line, a.at.column) < std::pair(b.at.line, b.at.column);
  });
  for (auto& r : read) config.stores.push_back(std::move(r.store));
  if (std::none_of(config.stores.begin(), config.stores.end(),
                   [](const StoreConfig& s) { return s.name == kDefaultStore; }))
    return in.fail(&stores.value()->source(), "stores.default",
                   "missing; add a [stores.default] table (requests that name no store use it)");
  return {};
}

Status read_timing(const Reader& in, const toml::table& root, NodeFileConfig& config) {
  auto timing = in.table(root, "timing", "timing");
  if (!timing.ok()) return timing.error();
  if (!timing.value()) return {};
  const toml::table& t = *timing.value();
  if (Status s = in.known_keys(t, "timing",
                               {"tick_ms", "request_timeout", "resend_after", "suspect_for", "hint_scan_every",
                                "handoff_timeout", "flush_every", "anti_entropy_every", "reap_settle", "reap_grace_ms"});
      !s.ok())
    return s;
  if (Status s = in.integer(t, "tick_ms", "timing.tick_ms", 1, kMaxTickMs, config.tick_ms); !s.ok()) return s;
  constexpr Int kMaxTicks = std::numeric_limits<std::uint32_t>::max();
  NodeTiming& n = config.timing;
  for (auto [key, field] : {std::pair<std::string_view, std::uint32_t*>{"request_timeout", &n.request_timeout},
                            {"suspect_for", &n.suspect_for},
                            {"hint_scan_every", &n.hint_scan_every},
                            {"handoff_timeout", &n.handoff_timeout},
                            {"flush_every", &n.flush_every},
                            {"anti_entropy_every", &n.anti_entropy_every},
                            {"reap_settle", &n.reap_settle}})
    if (Status s = in.integer(t, key, "timing." + std::string(key), 1, kMaxTicks, *field); !s.ok()) return s;
  // 0 turns resending off. Left out, it is the default or half the request timeout, whichever is
  // shorter, so a short request_timeout alone stays a valid file.
  if (const toml::node* given = t.get("resend_after")) {
    if (Status s = in.integer(t, "resend_after", "timing.resend_after", 0, kMaxTicks, n.resend_after); !s.ok()) return s;
    if (n.resend_after >= n.request_timeout)
      return in.fail(*given, "timing.resend_after",
                     "must be below timing.request_timeout (" + std::to_string(n.request_timeout) +
                         "): a put would time out before it resends; write a smaller value, or 0 to never resend");
  } else {
    n.resend_after = std::min(n.resend_after, n.request_timeout / 2);
  }
  // Milliseconds, not ticks; 0 turns reaping off (docs/reaping.md). At most a year.
  if (Status s = in.integer(t, "reap_grace_ms", "timing.reap_grace_ms", 0, Int{365} * 24 * 3600 * 1000, n.reap_grace_ms);
      !s.ok())
    return s;
  return {};
}

Status read_limits(const Reader& in, const toml::table& root, NodeFileConfig& config) {
  auto table = in.table(root, "limits", "limits");
  if (!table.ok()) return table.error();
  if (!table.value()) return {};
  const toml::table& t = *table.value();
  if (Status s = in.known_keys(t, "limits",
                               {"max_pending_hints_per_target", "max_requests_in_flight", "handoffs_per_scan",
                                "anti_entropy_keys_per_round", "merkle_tree_depth", "merkle_exchanges_per_round"});
      !s.ok())
    return s;
  NodeLimits& l = config.limits;
  for (auto [key, field] :
       {std::pair<std::string_view, std::size_t*>{"max_pending_hints_per_target", &l.max_pending_hints_per_target},
        {"max_requests_in_flight", &l.max_requests_in_flight},
        {"handoffs_per_scan", &l.handoffs_per_scan},
        {"anti_entropy_keys_per_round", &l.anti_entropy_keys_per_round},
        {"merkle_exchanges_per_round", &l.merkle_exchanges_per_round}})
    if (Status s = in.integer(t, key, "limits." + std::string(key), 1, std::numeric_limits<Int>::max(), *field);
        !s.ok())
      return s;
  // The same on every node of a cluster (trees of different shapes cannot be compared).
  if (Status s = in.integer(t, "merkle_tree_depth", "limits.merkle_tree_depth", 1, merkle_limits::kMaxDepth,
                            l.merkle_tree_depth);
      !s.ok())
    return s;
  return {};
}

Result<NodeFileConfig> read_config(const Reader& in, const toml::table& root) {
  if (Status s = in.known_keys(root, "", {"node", "cluster", "stores", "timing", "limits"}); !s.ok()) return s.error();
  NodeFileConfig config;
  std::vector<const toml::table*> member_tables;
  if (Status s = read_node(in, root, config); !s.ok()) return s.error();
  if (Status s = read_cluster(in, root, config, member_tables); !s.ok()) return s.error();
  if (Status s = check_self(in, root, config, member_tables); !s.ok()) return s.error();
  if (Status s = read_stores(in, root, config); !s.ok()) return s.error();
  if (Status s = read_timing(in, root, config); !s.ok()) return s.error();
  if (Status s = read_limits(in, root, config); !s.ok()) return s.error();

  // The ring must build from the members in join order (Q a power of two, at least one per member).
  std::vector<Member> join_order;
  for (const auto& m : config.members) join_order.push_back(m.member);
  auto ring = Ring::build(std::move(join_order), config.partitions);
  const toml::node* cluster = root.get("cluster");
  if (!ring.ok()) return in.fail(&cluster->source(), "cluster", ring.error().message);
  // Everything the core checks of a NodeConfig (config.id in the ring, stores, timing, limits).
  NodeConfig core;
  core.id = config.self.member.id;
  core.ring = std::make_shared<const Ring>(std::move(ring).value());
  core.stores = config.stores;
  core.timing = config.timing;
  core.limits = config.limits;
  if (Status s = validate(core); !s.ok()) return in.fail(nullptr, "", s.error().message);
  return config;
}

void render_member(std::ostringstream& out, const net::MemberAddress& m) {
  out << "id = " << quoted(m.member.id) << "\n"
      << "data_centre = " << quoted(m.member.dc) << "\n"
      << "weight = " << m.member.weight << "\n";
}

void render_addresses(std::ostringstream& out, const net::MemberAddress& m) {
  out << "peer = " << quoted(m.peer_address) << "\n"
      << "client = " << quoted(m.client_address) << "\n"
      << "http = " << quoted(m.http_address) << "\n";
}

bool bare_key(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// toml++ 3.3 (Debian 12) reaches __builtin_unreachable, undefined behaviour, in
// impl::is_non_ascii_horizontal_whitespace for U+00A1..U+0499, U+2C5E..U+3057 (U+3000 aside) and
// U+FB26..U+FEFE (its table misses these ranges). It asks that question of characters outside
// strings, of quoted keys and of multi-line basic strings; never of comments. fuzz_config found it
// (seed corpus: fuzz/corpus/fuzz_config/regression_*). So before toml++ reads a text, such characters
// are rewritten or refused, leaving every document's meaning unchanged:
//   in a basic string ("..." and """...""")      written as the escape \uXXXX: the same string;
//   in a comment                                 kept (toml++ never asks there);
//   in a literal string ('...' and '''...''')    refused, with advice to use double quotes;
//   outside strings and comments                 refused (TOML allows no non-ASCII there anyway).
// Lines stay where they were (columns may shift on a rewritten line). Invalid UTF-8 is refused here
// too, so this scan decodes exactly what toml++ would.
bool toml_whitespace_defect(char32_t c) {
  return (c >= 0xA1 && c <= 0x499) || (c >= 0x2C5E && c <= 0x3057 && c != 0x3000) || (c >= 0xFB26 && c <= 0xFEFE);
}

// Strict UTF-8: the code point and its length, or 0 for an invalid sequence at text[i].
std::size_t decode_utf8(std::string_view text, std::size_t i, char32_t& out) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t len = 0;
  char32_t cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2, cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3, cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4, cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  out = cp;
  return len;
}

Result<std::string> avoid_toml_defect(std::string_view text, std::string_view origin) {
  enum class In { kOutside, kComment, kBasic, kMlBasic, kLiteral, kMlLiteral };
  In in = In::kOutside;
  bool escaped = false;  // the previous character was a backslash in a basic string
  std::size_t line = 1;
  std::string out;
  out.reserve(text.size());
  const auto fail = [&](const std::string& what) {
    return Error{std::string(origin) + ":" + std::to_string(line) + ": " + what};
  };
  const auto run_of = [&](std::size_t i, char quote) {
    std::size_t n = 0;
    while (i + n < text.size() && text[i + n] == quote) ++n;
    return n;
  };
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      char32_t cp = 0;
      const std::size_t len = decode_utf8(text, i, cp);
      if (len == 0) return fail("the file is not valid UTF-8, as TOML requires; save it as UTF-8");
      if (!toml_whitespace_defect(cp) || in == In::kComment) {
        out.append(text.substr(i, len));
      } else {
        char name[16];
        std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(cp));
        if (escaped) return fail(std::string("a backslash before ") + name + " is no escape; remove the backslash");
        if (in == In::kBasic || in == In::kMlBasic) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04X", static_cast<unsigned>(cp));
          out += escape;
        } else if (in == In::kOutside) {
          return fail(std::string(name) +
                      " outside a string or comment; TOML allows non-ASCII characters only in strings and comments");
        } else {
          return fail(std::string(name) +
                      " in a literal ('...') string, which this TOML reader cannot take; write the string in "
                      "double quotes (\"...\", with \\\\ for each backslash)");
        }
      }
      escaped = false;
      i += len;
      continue;
    }
    std::size_t take = 1;
    if (c == '\n') ++line;
    switch (in) {
      case In::kOutside:
        if (c == '#') in = In::kComment;
        if (c == '"') {
          in = In::kBasic;
          if (run_of(i, '"') >= 3) in = In::kMlBasic, take = 3;
        }
        if (c == '\'') {
          in = In::kLiteral;
          if (run_of(i, '\'') >= 3) in = In::kMlLiteral, take = 3;
        }
        break;
      case In::kComment:
        if (c == '\n') in = In::kOutside;
        break;
      case In::kBasic:
      case In::kMlBasic:
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (in == In::kBasic && (c == '"' || c == '\n')) {
          in = In::kOutside;
        } else if (in == In::kMlBasic && c == '"') {
          take = run_of(i, '"');  // up to two quotes may end the content before the closing """
          if (take >= 3) in = In::kOutside;
        }
        break;
      case In::kLiteral:
        if (c == '\'' || c == '\n') in = In::kOutside;
        break;
      case In::kMlLiteral:
        if (c == '\'') {
          take = run_of(i, '\'');
          if (take >= 3) in = In::kOutside;
        }
        break;
    }
    out.append(text.substr(i, take));
    i += take;
  }
  return out;
}

}  // namespace

Result<NodeFileConfig> parse_node_config(std::string_view toml_text, std::string_view origin) {
  const Reader in(origin);
  if (toml_text.size() > kMaxFileBytes)
    return in.fail(nullptr, "", "the file is larger than " + std::to_string(kMaxFileBytes) +
                                    " bytes; a node configuration is a few KiB");
  auto safe_text = avoid_toml_defect(toml_text, origin.empty() ? "config" : origin);
  if (!safe_text.ok()) return safe_text.error();
  toml::table root;
  try {
    root = toml::parse(safe_text.value());
  } catch (const toml::parse_error& e) {
    std::string where = std::string(origin.empty() ? "config" : origin);
    if (e.source().begin.line > 0)
      where += ":" + std::to_string(e.source().begin.line) + ":" + std::to_string(e.source().begin.column);
    return Error{where + ": TOML syntax: " + std::string(e.description()) +
                 "; fix the file (format: docs/configuration.md)"};
  }
  return read_config(in, root);
}

Result<NodeFileConfig> load_node_config(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Error{path + ": cannot open the file; check the path and its permissions"};
  std::string text;
  char buf[4096];
  while (file.read(buf, sizeof buf) || file.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(file.gcount()));
    if (text.size() > kMaxFileBytes) break;  // parse_node_config reports the size
  }
  if (file.bad()) return Error{path + ": cannot read the file; check that it is a regular file"};
  auto config = parse_node_config(text, path);
  if (!config.ok()) return config;
  NodeFileConfig c = std::move(config).value();
  if (!c.secret_file.empty()) {
    // Relative to this file's directory. (No <filesystem> here: its std::quoted would be found
    // by argument-dependent lookup instead of this file's quoted().)
    std::string secret_path = c.secret_file;
    if (secret_path.front() != '/') {
      const auto slash = path.rfind('/');
      if (slash != std::string::npos) secret_path = path.substr(0, slash + 1) + secret_path;
    }
    auto secret = read_secret_file(secret_path);
    if (!secret.ok()) return Error{path + ": cluster.secret_file: " + secret.error().message};
    c.secret = std::move(secret).value();
  } else if (!c.secret.empty()) {
    if (Status s = check_private(path); !s.ok())
      return Error{path + ": cluster.secret: the file holds the cluster secret, but " + s.error().message};
  }
  return c;
}

std::vector<net::MemberAddress> local_cluster_members(int nodes, int base_port) {
  std::vector<net::MemberAddress> members;
  for (int i = 0; i < nodes; ++i) {
    const int base = base_port + 10 * i;
    net::MemberAddress m;
    m.member = {"n" + std::to_string(i + 1), "dc1", 1};
    m.http_address = "127.0.0.1:" + std::to_string(base);
    m.peer_address = "tcp://127.0.0.1:" + std::to_string(base + 1);
    m.client_address = "tcp://127.0.0.1:" + std::to_string(base + 2);
    members.push_back(m);
  }
  return members;
}

std::string render_node_config(const NodeFileConfig& config) {
  std::ostringstream out;
  out << "# Dynamo node configuration (docs/configuration.md)\n\n[node]\n";
  render_member(out, config.self);
  if (!config.data_dir.empty()) out << "data_dir = " << quoted(config.data_dir) << "\n";
  out << "storage = " << (config.engine == Engine::kMemory ? "\"memory\"" : "\"rocksdb\"") << "\n";
  render_addresses(out, config.self);
  if (config.join) out << "join = true\n";
  out << "\n[cluster]\npartitions = " << config.partitions << "\n"
      << "gossip_ms = " << config.gossip_ms << "\n"
      << "cluster_id = " << quoted(config.cluster_id) << "\n";
  if (!config.secret_file.empty()) {
    out << "secret_file = " << quoted(config.secret_file) << "\n";
  } else if (!config.secret.empty()) {
    out << "secret = " << quoted(config.secret) << "\n";
  }
  for (const auto& m : config.members) {
    out << "\n[[cluster.members]]\n";
    render_member(out, m);
    render_addresses(out, m);
  }
  for (const auto& s : config.stores) {
    out << "\n[stores." << (bare_key(s.name) ? s.name : quoted(s.name)) << "]\n"
        << "n = " << s.quorum.n << "\nr = " << s.quorum.r << "\nw = " << s.quorum.w << "\n"
        << "replicas = " << (s.replica_durability == Durability::kDurable ? "\"durable\"" : "\"buffered\"") << "\n"
        << "overlap_coordinator_write = " << (s.overlap_coordinator_write ? "true" : "false") << "\n"
        << "max_value_bytes = " << s.max_value_bytes << "\n";
  }
  const NodeTiming& t = config.timing;
  out << "\n[timing]\n"
      << "tick_ms = " << config.tick_ms << "\n"
      << "request_timeout = " << t.request_timeout << "\n"
      << "resend_after = " << t.resend_after << "\n"
      << "suspect_for = " << t.suspect_for << "\n"
      << "hint_scan_every = " << t.hint_scan_every << "\n"
      << "handoff_timeout = " << t.handoff_timeout << "\n"
      << "flush_every = " << t.flush_every << "\n"
      << "anti_entropy_every = " << t.anti_entropy_every << "\n"
      << "reap_settle = " << t.reap_settle << "\n"
      << "reap_grace_ms = " << t.reap_grace_ms << "\n";
  const NodeLimits& l = config.limits;
  out << "\n[limits]\n"
      << "max_pending_hints_per_target = " << l.max_pending_hints_per_target << "\n"
      << "max_requests_in_flight = " << l.max_requests_in_flight << "\n"
      << "handoffs_per_scan = " << l.handoffs_per_scan << "\n"
      << "anti_entropy_keys_per_round = " << l.anti_entropy_keys_per_round << "\n"
      << "merkle_tree_depth = " << l.merkle_tree_depth << "\n"
      << "merkle_exchanges_per_round = " << l.merkle_exchanges_per_round << "\n";
  return out.str();
}

}  // namespace dynamo::node
