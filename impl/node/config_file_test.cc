// config_file_test.cc: the node configuration file (config_file.h): a good file, every kind of error
// with its message, defaults, and the render round trip.
#include "impl/node/config_file.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "impl/node/cluster_secret.h"

namespace dynamo::node {
namespace {

bool same(const net::MemberAddress& a, const net::MemberAddress& b) {
  return a.member == b.member && a.peer_address == b.peer_address && a.client_address == b.client_address &&
         a.http_address == b.http_address;
}

// Field by field: NodeFileConfig and its parts have no operator==.
::testing::AssertionResult equal(const NodeFileConfig& a, const NodeFileConfig& b) {
  if (!same(a.self, b.self)) return ::testing::AssertionFailure() << "self differs";
  if (a.data_dir != b.data_dir) return ::testing::AssertionFailure() << "data_dir differs";
  if (a.engine != b.engine) return ::testing::AssertionFailure() << "engine differs";
  if (a.partitions != b.partitions) return ::testing::AssertionFailure() << "partitions differ";
  if (a.tick_ms != b.tick_ms) return ::testing::AssertionFailure() << "tick_ms differs";
  if (a.cluster_id != b.cluster_id || a.secret != b.secret || a.secret_file != b.secret_file)
    return ::testing::AssertionFailure() << "cluster id or secret differs";
  if (a.members.size() != b.members.size()) return ::testing::AssertionFailure() << "member counts differ";
  for (std::size_t i = 0; i < a.members.size(); ++i)
    if (!same(a.members[i], b.members[i])) return ::testing::AssertionFailure() << "member " << i << " differs";
  if (a.stores.size() != b.stores.size()) return ::testing::AssertionFailure() << "store counts differ";
  for (std::size_t i = 0; i < a.stores.size(); ++i) {
    const auto &x = a.stores[i], &y = b.stores[i];
    if (x.name != y.name || x.quorum.n != y.quorum.n || x.quorum.r != y.quorum.r || x.quorum.w != y.quorum.w ||
        x.replica_durability != y.replica_durability || x.max_value_bytes != y.max_value_bytes ||
        x.overlap_coordinator_write != y.overlap_coordinator_write)
      return ::testing::AssertionFailure() << "store " << i << " differs";
  }
  const auto &t = a.timing, &u = b.timing;
  if (t.request_timeout != u.request_timeout || t.resend_after != u.resend_after || t.suspect_for != u.suspect_for ||
      t.hint_scan_every != u.hint_scan_every || t.handoff_timeout != u.handoff_timeout ||
      t.flush_every != u.flush_every || t.anti_entropy_every != u.anti_entropy_every ||
      t.reap_grace_ms != u.reap_grace_ms || t.reap_settle != u.reap_settle)
    return ::testing::AssertionFailure() << "timing differs";
  const auto &l = a.limits, &m = b.limits;
  if (l.max_pending_hints_per_target != m.max_pending_hints_per_target ||
      l.max_requests_in_flight != m.max_requests_in_flight || l.handoffs_per_scan != m.handoffs_per_scan ||
      l.anti_entropy_keys_per_round != m.anti_entropy_keys_per_round ||
      l.merkle_tree_depth != m.merkle_tree_depth || l.merkle_exchanges_per_round != m.merkle_exchanges_per_round)
    return ::testing::AssertionFailure() << "limits differ";
  if (a.join != b.join || a.gossip_ms != b.gossip_ms) return ::testing::AssertionFailure() << "membership keys differ";
  return ::testing::AssertionSuccess();
}

// A 3-node cluster as `dynamo cluster up` lays it out (base port 7100), seen from n2.
const std::string kGood = R"(# node n2
[node]
id = "n2"
data_centre = "dc1"
weight = 2
data_dir = "/var/lib/dynamo/n2"
storage = "rocksdb"
peer = "tcp://127.0.0.1:7111"
client = "tcp://127.0.0.1:7112"
http = "127.0.0.1:7110"

[cluster]
partitions = 256

[[cluster.members]]
id = "n1"
data_centre = "dc1"
weight = 1
peer = "tcp://127.0.0.1:7101"
client = "tcp://127.0.0.1:7102"
http = "127.0.0.1:7100"

[[cluster.members]]
id = "n2"
data_centre = "dc1"
weight = 2
peer = "tcp://127.0.0.1:7111"
client = "tcp://127.0.0.1:7112"
http = "127.0.0.1:7110"

[[cluster.members]]
id = "n3"
data_centre = "dc2"
peer = "ipc:///tmp/dynamo-n3.peer"
client = "ipc:///tmp/dynamo-n3.client"
http = "[::1]:7120"

[stores.default]
n = 3
r = 2
w = 2
replicas = "buffered"
max_value_bytes = 1048576

[stores.carts]
n = 3
r = 1
w = 3
replicas = "durable"
max_value_bytes = 65536

[timing]
tick_ms = 20
request_timeout = 50
suspect_for = 70
hint_scan_every = 11
handoff_timeout = 31
flush_every = 6
anti_entropy_every = 101

[limits]
max_pending_hints_per_target = 500
max_requests_in_flight = 600
handoffs_per_scan = 7
anti_entropy_keys_per_round = 8
)";

// The smallest file: one node, memory storage, every optional key left out.
const std::string kMinimal = R"([node]
id = "solo"
storage = "memory"
peer = "tcp://localhost:7101"
client = "tcp://localhost:7102"
http = "localhost:7100"
[[cluster.members]]
id = "solo"
peer = "tcp://localhost:7101"
client = "tcp://localhost:7102"
http = "localhost:7100"
)";

// kGood with the first occurrence of `from` replaced by `to` (which must be there).
std::string with(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: no \"" << from << "\" in the text";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}
std::string good_with(const std::string& from, const std::string& to) { return with(kGood, from, to); }

std::string error_of(const std::string& text) {
  auto parsed = parse_node_config(text, "node.toml");
  if (parsed.ok()) return "(parsed without error)";
  return parsed.error().message;
}

// The message starts with the origin and line, names the key, and holds the given explanation.
#define EXPECT_CONFIG_ERROR(text, prefix, fragment)                                       \
  do {                                                                                    \
    const std::string message_ = error_of(text);                                          \
    EXPECT_EQ(message_.rfind(prefix, 0), 0u) << message_;                                 \
    EXPECT_NE(message_.find(fragment), std::string::npos) << message_;                    \
  } while (0)

void expect_round_trip(const NodeFileConfig& config) {
  const std::string text = render_node_config(config);
  auto again = parse_node_config(text, "rendered");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << text;
  EXPECT_TRUE(equal(config, again.value())) << text;
  EXPECT_EQ(render_node_config(again.value()), text);
}

// ---- the good file ----

TEST(ConfigFile, ReadsEveryKey) {
  auto parsed = parse_node_config(kGood, "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const NodeFileConfig& c = parsed.value();
  EXPECT_EQ(c.self.member, (Member{"n2", "dc1", 2}));
  EXPECT_EQ(c.self.peer_address, "tcp://127.0.0.1:7111");
  EXPECT_EQ(c.self.client_address, "tcp://127.0.0.1:7112");
  EXPECT_EQ(c.self.http_address, "127.0.0.1:7110");
  EXPECT_EQ(c.data_dir, "/var/lib/dynamo/n2");
  EXPECT_EQ(c.engine, Engine::kRocksDb);
  EXPECT_EQ(c.partitions, 256u);
  ASSERT_EQ(c.members.size(), 3u);
  EXPECT_EQ(c.members[0].member, (Member{"n1", "dc1", 1}));
  EXPECT_EQ(c.members[2].member, (Member{"n3", "dc2", 1}));  // weight defaults to 1
  EXPECT_EQ(c.members[2].peer_address, "ipc:///tmp/dynamo-n3.peer");
  EXPECT_EQ(c.members[2].http_address, "[::1]:7120");
  ASSERT_EQ(c.stores.size(), 2u);
  EXPECT_EQ(c.stores[0].name, "default");  // the file's order, not the alphabet's
  EXPECT_EQ(c.stores[1].name, "carts");
  EXPECT_EQ(c.stores[1].quorum.r, 1);
  EXPECT_EQ(c.stores[1].quorum.w, 3);
  EXPECT_EQ(c.stores[1].replica_durability, Durability::kDurable);
  EXPECT_EQ(c.stores[1].max_value_bytes, 65536u);
  EXPECT_EQ(c.stores[0].replica_durability, Durability::kBuffered);
  EXPECT_FALSE(c.stores[1].overlap_coordinator_write);  // the default
  EXPECT_EQ(c.tick_ms, 20u);
  EXPECT_EQ(c.timing.request_timeout, 50u);
  EXPECT_EQ(c.timing.resend_after, 20u);  // left out: the default, which is below half of 50
  EXPECT_EQ(c.timing.suspect_for, 70u);
  EXPECT_EQ(c.timing.hint_scan_every, 11u);
  EXPECT_EQ(c.timing.handoff_timeout, 31u);
  EXPECT_EQ(c.timing.flush_every, 6u);
  EXPECT_EQ(c.timing.anti_entropy_every, 101u);
  EXPECT_EQ(c.limits.max_pending_hints_per_target, 500u);
  EXPECT_EQ(c.limits.max_requests_in_flight, 600u);
  EXPECT_EQ(c.limits.handoffs_per_scan, 7u);
  EXPECT_EQ(c.limits.anti_entropy_keys_per_round, 8u);
}

TEST(ConfigFile, ResendAfterIsBelowTheRequestTimeoutOrOff) {
  auto explicit_value = parse_node_config(good_with("request_timeout = 50", "request_timeout = 50\nresend_after = 49"), "node.toml");
  ASSERT_TRUE(explicit_value.ok()) << explicit_value.error().message;
  EXPECT_EQ(explicit_value.value().timing.resend_after, 49u);
  auto off = parse_node_config(good_with("request_timeout = 50", "request_timeout = 50\nresend_after = 0"), "node.toml");
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_EQ(off.value().timing.resend_after, 0u);
  // Left out beside a short request timeout: half of it, so the file stays valid.
  auto short_timeout = parse_node_config(good_with("request_timeout = 50", "request_timeout = 9"), "node.toml");
  ASSERT_TRUE(short_timeout.ok()) << short_timeout.error().message;
  EXPECT_EQ(short_timeout.value().timing.resend_after, 4u);
  EXPECT_CONFIG_ERROR(good_with("request_timeout = 50", "request_timeout = 50\nresend_after = 50"),
                      "node.toml:55: timing.resend_after:", "must be below timing.request_timeout (50)");
  EXPECT_CONFIG_ERROR(good_with("request_timeout = 50", "request_timeout = 50\nresend_after = -1"),
                      "node.toml:55: timing.resend_after:", "-1 is outside 0..4294967295");
}

TEST(ConfigFile, MinimalFileTakesTheDefaults) {
  auto parsed = parse_node_config(kMinimal, "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const NodeFileConfig& c = parsed.value();
  const NodeFileConfig defaults;
  EXPECT_EQ(c.self.member, (Member{"solo", "dc1", 1}));
  EXPECT_EQ(c.engine, Engine::kMemory);
  EXPECT_EQ(c.data_dir, "");
  EXPECT_EQ(c.partitions, limits::kDefaultPartitions);
  EXPECT_EQ(c.tick_ms, 10u);
  EXPECT_EQ(c.timing.request_timeout, defaults.timing.request_timeout);
  EXPECT_EQ(c.timing.anti_entropy_every, defaults.timing.anti_entropy_every);
  EXPECT_EQ(c.limits.max_requests_in_flight, defaults.limits.max_requests_in_flight);
  // No [stores]: a default store with N = min(3, members) = 1 and R = W = a majority of N.
  ASSERT_EQ(c.stores.size(), 1u);
  EXPECT_EQ(c.stores[0].name, "default");
  EXPECT_EQ(c.stores[0].quorum.n, 1);
  EXPECT_EQ(c.stores[0].quorum.r, 1);
  EXPECT_EQ(c.stores[0].quorum.w, 1);
  EXPECT_EQ(c.stores[0].replica_durability, Durability::kBuffered);
  EXPECT_EQ(c.stores[0].max_value_bytes, limits::kDefaultMaxValueBytes);
}

TEST(ConfigFile, DefaultStoreWithoutStoresTableFollowsTheMemberCount) {
  std::string text = kGood.substr(0, kGood.find("[stores.default]"));
  auto parsed = parse_node_config(text, "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed.value().stores.size(), 1u);
  EXPECT_EQ(parsed.value().stores[0].quorum.n, 3);
  EXPECT_EQ(parsed.value().stores[0].quorum.r, 2);
  EXPECT_EQ(parsed.value().stores[0].quorum.w, 2);
}

TEST(ConfigFile, StoreKeysDefaultFromN) {
  auto parsed = parse_node_config(good_with("n = 3\nr = 2\nw = 2\nreplicas = \"buffered\"", "n = 2"), "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const StoreConfig& s = parsed.value().stores[0];
  EXPECT_EQ(s.quorum.n, 2);
  EXPECT_EQ(s.quorum.r, 2);  // a majority of 2
  EXPECT_EQ(s.quorum.w, 2);
  EXPECT_EQ(s.replica_durability, Durability::kBuffered);
  auto empty = parse_node_config(good_with("n = 3\nr = 2\nw = 2\nreplicas = \"buffered\"\nmax_value_bytes = 1048576", ""),
                                 "node.toml");
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_EQ(empty.value().stores[0].quorum.n, 3);
  EXPECT_EQ(empty.value().stores[0].quorum.r, 2);
  EXPECT_EQ(empty.value().stores[0].max_value_bytes, limits::kDefaultMaxValueBytes);
}

TEST(ConfigFile, InlineTablesAndDottedKeysAreTomlToo) {
  const std::string text = R"(node = { id = "a", storage = "memory", peer = "tcp://h:1", client = "tcp://h:2", http = "h:3" }
cluster.partitions = 1
cluster.members = [ { id = "a", peer = "tcp://h:1", client = "tcp://h:2", http = "h:3" } ]
stores.default = { n = 1 }
)";
  auto parsed = parse_node_config(text, "inline.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value().partitions, 1u);
  EXPECT_EQ(parsed.value().stores[0].quorum.r, 1);
}

TEST(ConfigFile, MemoryStorageAllowsADataDir) {
  auto parsed = parse_node_config(good_with("storage = \"rocksdb\"", "storage = \"memory\""), "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value().engine, Engine::kMemory);
  EXPECT_EQ(parsed.value().data_dir, "/var/lib/dynamo/n2");
}

TEST(ConfigFile, EmptyOriginStillNamesSomething) {
  auto parsed = parse_node_config("[node]\nid = 5\n", "");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message.rfind("config:2: node.id: must be a string", 0), 0u) << parsed.error().message;
}

// ---- syntax ----

TEST(ConfigFileErrors, SyntaxErrorHasLineAndColumn) {
  EXPECT_CONFIG_ERROR(good_with("weight = 2", "weight = = 2"), "node.toml:5:", "TOML syntax");
  EXPECT_CONFIG_ERROR("[node]\nid = \"unterminated\n", "node.toml:2:", "TOML syntax");
  EXPECT_CONFIG_ERROR(good_with("[cluster]", "[node]"), "node.toml:", "TOML syntax");  // redefined table
  EXPECT_CONFIG_ERROR(std::string("[node]\nid = \"a\xff\"\n"), "node.toml:2: ", "not valid UTF-8");
  EXPECT_CONFIG_ERROR(std::string("[node]\nid = \"a\xc3\xa9\xe0\x80\xaf\"\n"), "node.toml:2: ", "not valid UTF-8");
  EXPECT_CONFIG_ERROR(std::string("[node]\nid = \"a\0\"\n", 15), "node.toml:", "TOML syntax");
}

// toml++ 3.3 has undefined behaviour on U+00A1..U+0499, U+2C5E..U+3057 and U+FB26..U+FEFE where it
// checks for whitespace (config_file.cc, avoid_toml_defect); such text is rewritten or refused first.
const std::string kDataDir = "data_dir = \"/var/lib/dynamo/n2\"";

TEST(ConfigFile, NonAsciiInStringsAndCommentsIsRead) {
  // U+00E9, U+3000 (real whitespace, unaffected), U+3001, U+FEF7, and an escape already there.
  std::string text = good_with(kDataDir, "data_dir = \"/srv/caf\xc3\xa9/\xe3\x80\x80\xe3\x80\x81\xef\xbb\xb7\\u00e9\"  # Z\xc3\xbcrich");
  text = with(text, "[cluster]", "# r\xc3\xa9sum\xc3\xa9 \xd0\x96 \xef\xbb\xb7\n[cluster]");
  auto parsed = parse_node_config(text, "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value().data_dir, "/srv/caf\xc3\xa9/\xe3\x80\x80\xe3\x80\x81\xef\xbb\xb7\xc3\xa9");
  expect_round_trip(parsed.value());
  // A multi-line basic string, the character after a line-ending backslash, two quotes before the end.
  auto multi = parse_node_config(good_with(kDataDir, "data_dir = \"\"\"/a/\\\n   \xc3\xa9\"\"\"\"\""), "node.toml");
  ASSERT_TRUE(multi.ok()) << multi.error().message;
  EXPECT_EQ(multi.value().data_dir, "/a/\xc3\xa9\"\"");
  // Other non-ASCII characters reach toml++ as they are, in literal strings too.
  auto other = parse_node_config(good_with(kDataDir, "data_dir = '/\xe4\xb8\xad'"), "node.toml");
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_EQ(other.value().data_dir, "/\xe4\xb8\xad");
  // Quotes and '#' inside strings do not confuse the scan: the second string is still a string.
  auto quotes = parse_node_config(good_with(kDataDir, "data_dir = \"/a\\\"#'\" # \"\n"
                                                      "# '''\n"
                                                      "storage = \"rocksdb\" # \xc3\xa9"),
                                  "node.toml");
  EXPECT_FALSE(quotes.ok());  // storage twice: a TOML error, not a crash
  EXPECT_NE(quotes.error().message.find("TOML syntax"), std::string::npos) << quotes.error().message;
}

TEST(ConfigFileErrors, NonAsciiWhereTheTomlReaderCannotTakeIt) {
  EXPECT_CONFIG_ERROR(std::string("\xef\xbb\xb7" "d = 1\n"), "node.toml:1: ", "U+FEF7 outside a string or comment");
  EXPECT_CONFIG_ERROR(good_with("weight = 2", "weight = 2\xc3\xa9"), "node.toml:5: ", "U+00E9 outside a string");
  EXPECT_CONFIG_ERROR(good_with(kDataDir, "data_dir = '/caf\xc3\xa9'"), "node.toml:6: ",
                      "U+00E9 in a literal ('...') string");
  EXPECT_CONFIG_ERROR(good_with(kDataDir, "data_dir = '''/a\n\xc3\xa9'''"), "node.toml:7: ", "in a literal");
  EXPECT_CONFIG_ERROR(good_with(kDataDir, "data_dir = \"/a\\\xc3\xa9\""), "node.toml:6: ",
                      "a backslash before U+00E9 is no escape");
  // A quoted key is a basic string too: read, then refused as a store name.
  EXPECT_CONFIG_ERROR(good_with("[stores.carts]", "[stores.\"caf\xc3\xa9\"]"), "node.toml:45: stores.caf\xc3\xa9:",
                      "may hold only letters");
}

TEST(ConfigFileErrors, EmptyFileNeedsANode) {
  EXPECT_CONFIG_ERROR("", "node.toml: node:", "[node] table is missing");
}

TEST(ConfigFileErrors, HugeFileIsRefused) {
  EXPECT_CONFIG_ERROR(std::string(2u << 20, '#'), "node.toml: ", "larger than");
}

// ---- unknown keys and tables ----

TEST(ConfigFileErrors, UnknownTopLevelTable) {
  EXPECT_CONFIG_ERROR(kGood + "[nodes]\nx = 1\n", "node.toml:66: nodes:", "unknown key");
  EXPECT_CONFIG_ERROR("verbose = true\n" + kGood, "node.toml:1: verbose:", "keys of the file are node, cluster");
}

TEST(ConfigFileErrors, UnknownKeyInEveryTable) {
  EXPECT_CONFIG_ERROR(good_with("weight = 2", "wieght = 2"), "node.toml:5: node.wieght:",
                      "unknown key; the keys of [node] are id, data_centre, weight");
  EXPECT_CONFIG_ERROR(good_with("partitions = 256", "partition = 256"), "node.toml:13: cluster.partition:",
                      "unknown key; the keys of [cluster] are partitions, members");
  EXPECT_CONFIG_ERROR(good_with("weight = 1\npeer", "wait = 1\npeer"), "node.toml:18: cluster.members[0].wait:",
                      "unknown key");
  EXPECT_CONFIG_ERROR(good_with("replicas = \"buffered\"", "replica = \"buffered\""),
                      "node.toml:42: stores.default.replica:", "unknown key");
  EXPECT_CONFIG_ERROR(good_with("tick_ms = 20", "tick = 20"), "node.toml:53: timing.tick:", "unknown key");
  EXPECT_CONFIG_ERROR(good_with("handoffs_per_scan = 7", "handoff_per_scan = 7"),
                      "node.toml:64: limits.handoff_per_scan:", "unknown key");
}

TEST(ConfigFileErrors, TablesMustBeTables) {
  EXPECT_CONFIG_ERROR("node = 3\n", "node.toml:1: node:", "must be a table, not an integer");
  EXPECT_CONFIG_ERROR("timing = \"fast\"\n" + kGood.substr(0, kGood.find("[timing]")), "node.toml:1: timing:",
                      "must be a table, not a string");
  EXPECT_CONFIG_ERROR(good_with("[stores.carts]\nn = 3\nr = 1\nw = 3\nreplicas = \"durable\"\nmax_value_bytes = 65536",
                                "[stores]\ncarts = 3"),
                      "node.toml:46: stores.carts:", "must be a table, not an integer");
}

// ---- types and ranges ----

TEST(ConfigFileErrors, WrongTypes) {
  EXPECT_CONFIG_ERROR(good_with("weight = 2", "weight = \"2\""), "node.toml:5: node.weight:",
                      "must be an integer, not a string");
  EXPECT_CONFIG_ERROR(good_with("weight = 2", "weight = 2.0"), "node.toml:5: node.weight:",
                      "must be an integer, not a floating-point number");
  EXPECT_CONFIG_ERROR(good_with("id = \"n2\"", "id = 2"), "node.toml:3: node.id:", "must be a string, not an integer");
  EXPECT_CONFIG_ERROR(good_with("storage = \"rocksdb\"", "storage = true"), "node.toml:7: node.storage:",
                      "must be a string, not a boolean");
  EXPECT_CONFIG_ERROR(good_with("partitions = 256", "partitions = 1979-05-27"), "node.toml:13: cluster.partitions:",
                      "must be an integer, not a date");
}

TEST(ConfigFile, MembershipAntiEntropyAndReapingKeys) {
  // A joining node: [[cluster.members]] is the cluster it joins, without itself.
  std::string joiner = good_with("http = \"127.0.0.1:7110\"\n\n[cluster]", "http = \"127.0.0.1:7110\"\njoin = true\n\n[cluster]");
  EXPECT_CONFIG_ERROR(joiner, "node.toml:24: cluster.members[1]", "node.join = true says it joins later");
  // n4, not among the members, joins them.
  joiner = with(kGood, "[node]\nid = \"n2\"", "[node]\nid = \"n4\"");
  joiner = with(joiner, "peer = \"tcp://127.0.0.1:7111\"\nclient = \"tcp://127.0.0.1:7112\"\nhttp = \"127.0.0.1:7110\"\n\n[cluster]",
                "peer = \"tcp://127.0.0.1:7131\"\nclient = \"tcp://127.0.0.1:7132\"\nhttp = \"127.0.0.1:7130\"\njoin = true\n\n[cluster]");
  auto parsed = parse_node_config(joiner, "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(parsed.value().join);
  EXPECT_EQ(parsed.value().members.size(), 3u);
  auto again = parse_node_config(render_node_config(parsed.value()), "rendered.toml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(equal(parsed.value(), again.value()));

  auto tuned = parse_node_config(good_with("partitions = 256", "partitions = 256\ngossip_ms = 250") +
                                     "merkle_tree_depth = 3\nmerkle_exchanges_per_round = 9\n",
                                 "node.toml");
  ASSERT_TRUE(tuned.ok()) << tuned.error().message;
  EXPECT_EQ(tuned.value().gossip_ms, 250u);
  EXPECT_EQ(tuned.value().limits.merkle_tree_depth, 3);
  EXPECT_EQ(tuned.value().limits.merkle_exchanges_per_round, 9u);
  auto reaping = parse_node_config(good_with("anti_entropy_every = 101", "anti_entropy_every = 101\nreap_grace_ms = 0\nreap_settle = 7"),
                                   "node.toml");
  ASSERT_TRUE(reaping.ok()) << reaping.error().message;
  EXPECT_EQ(reaping.value().timing.reap_grace_ms, 0u);  // 0 turns reaping off
  EXPECT_EQ(reaping.value().timing.reap_settle, 7u);
  EXPECT_CONFIG_ERROR(good_with("partitions = 256", "partitions = 256\ngossip_ms = 5"), "node.toml:14: cluster.gossip_ms:",
                      "5 is outside 10..600000");
  EXPECT_CONFIG_ERROR(good_with("anti_entropy_keys_per_round = 8", "anti_entropy_keys_per_round = 8\nmerkle_tree_depth = 6"),
                      "node.toml:66: limits.merkle_tree_depth:", "6 is outside 1..5");
  EXPECT_CONFIG_ERROR(good_with("[node]\n", "[node]\njoin = 1\n"), "node.toml:3: node.join:", "must be true or false");
}

TEST(ConfigFile, AStoreMayOverlapTheCoordinatorsWrite) {
  auto parsed = parse_node_config(good_with("replicas = \"durable\"", "replicas = \"durable\"\noverlap_coordinator_write = true"),
                                  "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(parsed.value().stores[1].overlap_coordinator_write);
  EXPECT_FALSE(parsed.value().stores[0].overlap_coordinator_write);
  auto bad = parse_node_config(good_with("replicas = \"durable\"", "replicas = \"durable\"\noverlap_coordinator_write = 1"),
                               "node.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("stores.carts.overlap_coordinator_write"), std::string::npos) << bad.error().message;
}

TEST(ConfigFileErrors, IntegerRanges) {
  EXPECT_CONFIG_ERROR(good_with("weight = 2", "weight = 2\ncache_mb = 65537"), "node.toml:6: node.cache_mb:",
                      "65537 is outside 0..65536");
  EXPECT_CONFIG_ERROR(good_with("weight = 2", "weight = 2\ncache_mb = -1"), "node.toml:6: node.cache_mb:",
                      "-1 is outside 0..65536");
  auto no_cache = parse_node_config(good_with("weight = 2", "weight = 2\ncache_mb = 0"), "node.toml");
  ASSERT_TRUE(no_cache.ok()) << no_cache.error().message;
  EXPECT_EQ(no_cache.value().cache_mb, 0u);
  EXPECT_EQ(parse_node_config(kGood, "node.toml").value().cache_mb, 64u);  // the default
  EXPECT_CONFIG_ERROR(good_with("weight = 2", "weight = 0"), "node.toml:5: node.weight:", "0 is outside 1..1000");
  EXPECT_CONFIG_ERROR(good_with("weight = 2", "weight = 1001"), "node.toml:5: node.weight:", "1001 is outside 1..1000");
  EXPECT_CONFIG_ERROR(good_with("weight = 1\npeer", "weight = -1\npeer"), "node.toml:18: cluster.members[0].weight:",
                      "-1 is outside 1..1000");
  EXPECT_CONFIG_ERROR(good_with("partitions = 256", "partitions = 0"), "node.toml:13: cluster.partitions:",
                      "0 is outside 1..65536");
  EXPECT_CONFIG_ERROR(good_with("partitions = 256", "partitions = 131072"), "node.toml:13: cluster.partitions:",
                      "outside 1..65536");
  EXPECT_CONFIG_ERROR(good_with("tick_ms = 20", "tick_ms = 1001"), "node.toml:53: timing.tick_ms:",
                      "1001 is outside 1..1000");
  EXPECT_CONFIG_ERROR(good_with("tick_ms = 20", "tick_ms = 0"), "node.toml:53: timing.tick_ms:", "outside 1..1000");
  EXPECT_CONFIG_ERROR(good_with("request_timeout = 50", "request_timeout = 0"), "node.toml:54: timing.request_timeout:",
                      "0 is outside 1..4294967295");
  EXPECT_CONFIG_ERROR(good_with("flush_every = 6", "flush_every = 4294967296"), "node.toml:58: timing.flush_every:",
                      "outside 1..4294967295");
  EXPECT_CONFIG_ERROR(good_with("max_requests_in_flight = 600", "max_requests_in_flight = 0"),
                      "node.toml:63: limits.max_requests_in_flight:", "0 is outside 1..");
  EXPECT_CONFIG_ERROR(good_with("max_value_bytes = 65536", "max_value_bytes = 16777217"),
                      "node.toml:50: stores.carts.max_value_bytes:", "outside 1..16777216");
  EXPECT_CONFIG_ERROR(good_with("max_value_bytes = 65536", "max_value_bytes = 0"),
                      "node.toml:50: stores.carts.max_value_bytes:", "outside 1..16777216");
  EXPECT_CONFIG_ERROR(good_with("n = 3\nr = 1", "n = 17\nr = 1"), "node.toml:46: stores.carts.n:", "outside 1..16");
}

TEST(ConfigFileErrors, IntegersAtTheirBoundsAreAccepted) {
  std::string text = good_with("tick_ms = 20", "tick_ms = 1000");
  text = with(text, "flush_every = 6", "flush_every = 4294967295");
  text = with(text, "max_value_bytes = 65536", "max_value_bytes = 16777216");
  text = with(text, "handoffs_per_scan = 7", "handoffs_per_scan = 9223372036854775807");
  text = with(text, "weight = 2", "weight = 1000");
  text = with(text, "weight = 2", "weight = 1000");  // the member entry of n2 too
  text = with(text, "partitions = 256", "partitions = 65536");
  auto parsed = parse_node_config(text, "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value().timing.flush_every, 4294967295u);
  EXPECT_EQ(parsed.value().limits.handoffs_per_scan, 9223372036854775807u);
  expect_round_trip(parsed.value());
}

// ---- ids ----

TEST(ConfigFileErrors, Ids) {
  EXPECT_CONFIG_ERROR(good_with("id = \"n2\"", "id = \"\""), "node.toml:3: node.id:", "must be 1 to 64 bytes");
  EXPECT_CONFIG_ERROR(good_with("id = \"n2\"", "id = \"" + std::string(65, 'x') + "\""), "node.toml:3: node.id:",
                      "must be 1 to 64 bytes");
  EXPECT_CONFIG_ERROR(good_with("id = \"n2\"", "id = \"n 2\""), "node.toml:3: node.id:",
                      "may hold only letters, digits, '_', '.' and '-'");
  EXPECT_CONFIG_ERROR(good_with("id = \"n1\"", "id = \"n1/x\""), "node.toml:16: cluster.members[0].id:",
                      "may hold only letters");
  EXPECT_CONFIG_ERROR(good_with("data_centre = \"dc2\"", "data_centre = \"dc#2\""),
                      "node.toml:33: cluster.members[2].data_centre:", "may hold only letters");
  EXPECT_CONFIG_ERROR(good_with("id = \"n3\"", "id = \"n1\""), "node.toml:32: cluster.members[2].id:",
                      "\"n1\" is already the id of cluster.members[0]");
}

TEST(ConfigFileErrors, DottedAndLongIdsAreFine) {
  std::string id(64, 'a');
  id[3] = '.';
  id[4] = '-';
  id[5] = '_';
  std::string text = kMinimal;
  text = with(text, "id = \"solo\"", "id = \"" + id + "\"");
  text = with(text, "id = \"solo\"", "id = \"" + id + "\"");
  auto parsed = parse_node_config(text, "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value().self.member.id, id);
}

// ---- required keys ----

TEST(ConfigFileErrors, RequiredKeys) {
  EXPECT_CONFIG_ERROR(good_with("id = \"n2\"\n", ""), "node.toml:2: node.id:", "missing");
  EXPECT_CONFIG_ERROR(good_with("peer = \"tcp://127.0.0.1:7111\"\n", ""), "node.toml:2: node.peer:", "missing");
  EXPECT_CONFIG_ERROR(good_with("client = \"tcp://127.0.0.1:7102\"\n", ""), "node.toml:15: cluster.members[0].client:",
                      "missing");
  EXPECT_CONFIG_ERROR(good_with("http = \"[::1]:7120\"\n", ""), "node.toml:31: cluster.members[2].http:", "missing");
  EXPECT_CONFIG_ERROR(good_with("data_dir = \"/var/lib/dynamo/n2\"\n", ""), "node.toml:2: node.data_dir:",
                      "missing; storage \"rocksdb\" keeps its data there");
  EXPECT_CONFIG_ERROR(good_with("data_dir = \"/var/lib/dynamo/n2\"", "data_dir = \"\""), "node.toml:6: node.data_dir:",
                      "is empty");
  EXPECT_CONFIG_ERROR(good_with("data_dir = \"/var/lib/dynamo/n2\"", "data_dir = \"/a\\u0000b\""),
                      "node.toml:6: node.data_dir:", "NUL");
  EXPECT_CONFIG_ERROR(good_with("storage = \"rocksdb\"", "storage = \"leveldb\""), "node.toml:7: node.storage:",
                      "\"leveldb\" is no storage engine; use \"rocksdb\" or \"memory\"");
}

TEST(ConfigFileErrors, MembersRequired) {
  const std::string node_only = kGood.substr(0, kGood.find("[cluster]"));
  EXPECT_CONFIG_ERROR(node_only, "node.toml: cluster.members:", "missing; list every member");
  EXPECT_CONFIG_ERROR(node_only + "[cluster]\npartitions = 8\n", "node.toml:12: cluster.members:", "missing");
  EXPECT_CONFIG_ERROR(node_only + "[cluster]\nmembers = []\n", "node.toml:13: cluster.members:",
                      "is empty; a cluster has at least one member");
  EXPECT_CONFIG_ERROR(node_only + "[cluster]\nmembers = \"n1,n2\"\n", "node.toml:13: cluster.members:",
                      "must be an array of tables, not a string");
  EXPECT_CONFIG_ERROR(node_only + "[cluster]\nmembers = [1]\n", "node.toml:13: cluster.members[0]:",
                      "must be a table, not an integer");
}

// ---- addresses ----

TEST(ConfigFileErrors, PeerAndClientMustBeNngUrls) {
  EXPECT_CONFIG_ERROR(good_with("peer = \"tcp://127.0.0.1:7111\"", "peer = \"127.0.0.1:7111\""),
                      "node.toml:8: node.peer:", "must be an NNG URL, tcp://HOST:PORT or ipc:///path");
  EXPECT_CONFIG_ERROR(good_with("peer = \"tcp://127.0.0.1:7111\"", "peer = \"tcp://127.0.0.1\""),
                      "node.toml:8: node.peer:", "the port is missing");
  EXPECT_CONFIG_ERROR(good_with("peer = \"tcp://127.0.0.1:7111\"", "peer = \"tcp://127.0.0.1:0\""),
                      "node.toml:8: node.peer:", "not in 1..65535");
  EXPECT_CONFIG_ERROR(good_with("peer = \"tcp://127.0.0.1:7111\"", "peer = \"tcp://127.0.0.1:65536\""),
                      "node.toml:8: node.peer:", "not in 1..65535");
  EXPECT_CONFIG_ERROR(good_with("peer = \"tcp://127.0.0.1:7111\"", "peer = \"tcp://127.0.0.1:07111\""),
                      "node.toml:8: node.peer:", "leading zeros");
  EXPECT_CONFIG_ERROR(good_with("client = \"tcp://127.0.0.1:7112\"", "client = \"tcp://:7112\""),
                      "node.toml:9: node.client:", "the host is missing");
  EXPECT_CONFIG_ERROR(good_with("client = \"tcp://127.0.0.1:7112\"", "client = \"tcp://a b:7112\""),
                      "node.toml:9: node.client:", "may hold only letters");
  EXPECT_CONFIG_ERROR(good_with("client = \"tcp://127.0.0.1:7112\"", "client = \"tcp://127.0.0.1:http\""),
                      "node.toml:9: node.client:", "is not a number");
  EXPECT_CONFIG_ERROR(good_with("peer = \"ipc:///tmp/dynamo-n3.peer\"", "peer = \"ipc://relative.sock\""),
                      "node.toml:34: cluster.members[2].peer:", "ipc:///absolute/path");
  EXPECT_CONFIG_ERROR(good_with("peer = \"ipc:///tmp/dynamo-n3.peer\"", "peer = \"ipc:///" + std::string(120, 'p') + "\""),
                      "node.toml:34: cluster.members[2].peer:", "longer than 107 bytes");
  EXPECT_CONFIG_ERROR(good_with("peer = \"ipc:///tmp/dynamo-n3.peer\"", "peer = \"inproc://n3\""),
                      "node.toml:34: cluster.members[2].peer:", "must be an NNG URL");
}

TEST(ConfigFileErrors, HttpIsHostPort) {
  EXPECT_CONFIG_ERROR(good_with("http = \"127.0.0.1:7110\"", "http = \"http://127.0.0.1:7110\""),
                      "node.toml:10: node.http:", "may hold only letters");
  EXPECT_CONFIG_ERROR(good_with("http = \"127.0.0.1:7110\"", "http = \"127.0.0.1\""), "node.toml:10: node.http:",
                      "the port is missing");
  EXPECT_CONFIG_ERROR(good_with("http = \"[::1]:7120\"", "http = \"[::1]\""), "node.toml:36: cluster.members[2].http:",
                      "[ADDRESS]:PORT");
  EXPECT_CONFIG_ERROR(good_with("http = \"[::1]:7120\"", "http = \"[zz]:7120\""), "node.toml:36: cluster.members[2].http:",
                      "not an IPv6 address");
}

TEST(ConfigFileErrors, EveryEndpointIsUsedOnce) {
  // n3's HTTP on n1's peer port: one TCP port space.
  EXPECT_CONFIG_ERROR(good_with("http = \"[::1]:7120\"", "http = \"127.0.0.1:7101\""),
                      "node.toml:36: cluster.members[2].http:", "the same endpoint as cluster.members[0].peer");
  EXPECT_CONFIG_ERROR(good_with("client = \"ipc:///tmp/dynamo-n3.client\"", "client = \"ipc:///tmp/dynamo-n3.peer\""),
                      "node.toml:35: cluster.members[2].client:", "the same endpoint as cluster.members[2].peer");
}

// ---- self and the members ----

TEST(ConfigFileErrors, SelfMustBeAMember) {
  std::string text = good_with("id = \"n2\"", "id = \"n9\"");
  EXPECT_CONFIG_ERROR(text, "node.toml:2: node.id:", "\"n9\" is not among [[cluster.members]]");
}

TEST(ConfigFileErrors, SelfMustMatchItsMemberEntry) {
  // The member entry of n2 is the second "weight = 2" etc.; change the [node] side instead.
  EXPECT_CONFIG_ERROR(good_with("weight = 2", "weight = 3"), "node.toml:26: cluster.members[1].weight:",
                      "says 2 but node.weight says 3; make them the same");
  EXPECT_CONFIG_ERROR(good_with("data_centre = \"dc1\"", "data_centre = \"dc2\""),
                      "node.toml:25: cluster.members[1].data_centre:", "says dc1 but node.data_centre says dc2");
  EXPECT_CONFIG_ERROR(good_with("peer = \"tcp://127.0.0.1:7111\"", "peer = \"tcp://127.0.0.1:7115\""),
                      "node.toml:27: cluster.members[1].peer:", "node.peer says tcp://127.0.0.1:7115");
  EXPECT_CONFIG_ERROR(good_with("client = \"tcp://127.0.0.1:7112\"", "client = \"tcp://127.0.0.1:7116\""),
                      "node.toml:28: cluster.members[1].client:", "make them the same");
  EXPECT_CONFIG_ERROR(good_with("http = \"127.0.0.1:7110\"", "http = \"127.0.0.1:7117\""),
                      "node.toml:29: cluster.members[1].http:", "make them the same");
  // A default on one side and an explicit different value on the other.
  std::string text = with(kMinimal, "id = \"solo\"\nstorage", "id = \"solo\"\nweight = 5\nstorage");
  EXPECT_CONFIG_ERROR(text, "node.toml:", "says 1 but node.weight says 5");
}

// ---- stores ----

TEST(ConfigFileErrors, StoreQuorums) {
  EXPECT_CONFIG_ERROR(good_with("w = 2", "w = 4"), "node.toml:41: stores.default.w:",
                      "4 exceeds n = 3; lower w or raise n");
  EXPECT_CONFIG_ERROR(good_with("r = 2", "r = 5"), "node.toml:40: stores.default.r:", "5 exceeds n = 3");
  EXPECT_CONFIG_ERROR(good_with("r = 2", "r = 0"), "node.toml:40: stores.default.r:", "0 is outside 1..16");
  EXPECT_CONFIG_ERROR(good_with("n = 3\nr = 2\nw = 2", "n = 4\nr = 2\nw = 2"), "node.toml:39: stores.default:",
                      "N exceeds the 3 nodes of the cluster");
  // n defaults to min(3, members); an explicit r above it is still caught, at r.
  EXPECT_CONFIG_ERROR(with(kMinimal, "", "") + "[stores.default]\nr = 2\n", "node.toml:13: stores.default.r:",
                      "2 exceeds n = 1");
  EXPECT_CONFIG_ERROR(good_with("replicas = \"durable\"", "replicas = \"fsync\""), "node.toml:49: stores.carts.replicas:",
                      "use \"buffered\" or \"durable\"");
}

TEST(ConfigFileErrors, StoreNames) {
  EXPECT_CONFIG_ERROR(good_with("[stores.carts]", "[stores.\"car/ts\"]"), "node.toml:45: stores.car/ts:",
                      "may hold only letters, digits, '_' and '-'; rename the store");
  EXPECT_CONFIG_ERROR(good_with("[stores.carts]", "[stores.\"\"]"), "node.toml:45: stores.:", "1 to 64 bytes");
  EXPECT_CONFIG_ERROR(good_with("[stores.carts]", "[stores." + std::string(65, 's') + "]"), "node.toml:45: stores.",
                      "1 to 64 bytes");
  EXPECT_CONFIG_ERROR(good_with("[stores.default]", "[stores.main]"), "node.toml:38: stores.default:",
                      "missing; add a [stores.default] table");
  EXPECT_CONFIG_ERROR(good_with("[stores.default]\nn = 3\nr = 2\nw = 2\nreplicas = \"buffered\"\nmax_value_bytes = 1048576\n\n"
                                "[stores.carts]\nn = 3\nr = 1\nw = 3\nreplicas = \"durable\"\nmax_value_bytes = 65536\n",
                                "[stores]\n"),
                      "node.toml:", "missing; add a [stores.default] table");
}

// ---- the ring ----

TEST(ConfigFileErrors, RingMustBuild) {
  EXPECT_CONFIG_ERROR(good_with("partitions = 256", "partitions = 100"), "node.toml:12: cluster:",
                      "Q = 100 is not a power of two");
  EXPECT_CONFIG_ERROR(good_with("partitions = 256", "partitions = 2"), "node.toml:12: cluster:",
                      "smaller than the 3 members");
}

// ---- files ----

TEST(ConfigFile, LoadReadsAFileAndNamesItInErrors) {
  const auto dir = std::filesystem::temp_directory_path() / ("config_file_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string good = (dir / "good.toml").string();
  std::ofstream(good) << kGood;
  auto loaded = load_node_config(good);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value().self.member.id, "n2");
  const std::string bad = (dir / "bad.toml").string();
  std::ofstream(bad) << good_with("weight = 2", "weight = 0");
  auto failed = load_node_config(bad);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message.rfind(bad + ":5: node.weight:", 0), 0u) << failed.error().message;
  auto missing = load_node_config((dir / "missing.toml").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("missing.toml: cannot open the file"), std::string::npos);
  auto directory = load_node_config(dir.string());
  EXPECT_FALSE(directory.ok());
  std::filesystem::remove_all(dir);
}

// ---- render ----

TEST(ConfigFileRender, RoundTripsTheGoodFile) {
  auto parsed = parse_node_config(kGood, "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  expect_round_trip(parsed.value());
}

TEST(ConfigFileRender, RoundTripsTheMinimalFile) {
  auto parsed = parse_node_config(kMinimal, "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  expect_round_trip(parsed.value());
  EXPECT_EQ(render_node_config(parsed.value()).find("data_dir"), std::string::npos);
}

// What `dynamo cluster up` writes (cluster_command.cc), with the same member layout.
std::vector<NodeFileConfig> cluster_up(int nodes, int base_port, bool memory) {
  const std::vector<net::MemberAddress> members = local_cluster_members(nodes, base_port);
  StoreConfig store;
  store.quorum.n = std::min(3, nodes);
  store.quorum.r = store.quorum.w = store.quorum.n / 2 + 1;
  std::vector<NodeFileConfig> configs;
  for (const auto& m : members) {
    NodeFileConfig c;
    c.self = m;
    c.members = members;
    c.stores = {store};
    c.engine = memory ? Engine::kMemory : Engine::kRocksDb;
    c.data_dir = "/tmp/dynamo cluster/" + m.member.id;  // a space, to be quoted
    configs.push_back(std::move(c));
  }
  return configs;
}

TEST(ConfigFileRender, RoundTripsClusterUpConfigs) {
  for (int nodes : {1, 2, 3, 5}) {
    for (bool memory : {false, true}) {
      for (const auto& c : cluster_up(nodes, 7100, memory)) {
        SCOPED_TRACE("nodes " + std::to_string(nodes) + " " + c.self.member.id);
        expect_round_trip(c);
      }
    }
  }
}

TEST(ConfigFileRender, RoundTripsEveryFieldAwayFromItsDefault) {
  NodeFileConfig c = cluster_up(4, 9000, false)[2];
  c.members[0].member.dc = "eu-west.1";
  c.members[1].member.weight = 1000;
  c.members[3].peer_address = "ipc:///run/dynamo/n4.peer";
  c.members[3].client_address = "tcp://[fe80::1]:9032";
  c.members[3].http_address = "node-4.example.com:9030";
  c.self = c.members[2];
  c.partitions = 4096;
  c.tick_ms = 1;
  c.data_dir = "C:\\dynamo \"quoted\"\tdir\x01\x7f/é";
  c.timing = {2, 1, 3, 4, 5, 6, 4294967295u};  // resend_after (1) below request_timeout (2)
  c.limits = {1, 2, 3, 9223372036854775807u};
  StoreConfig a;
  a.name = "zeta";
  a.quorum = {4, 1, 4};
  a.replica_durability = Durability::kDurable;
  a.max_value_bytes = 1;
  StoreConfig b;
  b.name = "default";
  b.quorum = {1, 1, 1};
  b.max_value_bytes = limits::kMaxValueBytes;
  StoreConfig d;
  d.name = "A-b_9";
  c.stores = {a, b, d};  // not alphabetical: the order is kept
  expect_round_trip(c);
}

TEST(ConfigFileRender, RenderedTextIsReadable) {
  const std::string text = render_node_config(cluster_up(3, 7100, false)[0]);
  EXPECT_NE(text.find("[node]\nid = \"n1\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[[cluster.members]]\nid = \"n3\""), std::string::npos) << text;
  EXPECT_NE(text.find("http = \"127.0.0.1:7120\""), std::string::npos) << text;
  EXPECT_NE(text.find("[stores.default]\nn = 3\nr = 2\nw = 2\nreplicas = \"buffered\""), std::string::npos) << text;
}

// ---- the cluster secret (docs/security.md) ----

TEST(ConfigFileSecret, NoneByDefault) {
  auto parsed = parse_node_config(kMinimal, "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value().cluster_id, "dynamo");
  EXPECT_TRUE(parsed.value().secret.empty());
  EXPECT_TRUE(parsed.value().secret_file.empty());
}

TEST(ConfigFileSecret, InlineSecretAndClusterId) {
  auto parsed = parse_node_config(
      good_with("partitions = 256", "partitions = 256\ncluster_id = \"prod-eu\"\nsecret = \"0123456789abcdef!\""),
      "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value().cluster_id, "prod-eu");
  EXPECT_EQ(parsed.value().secret, "0123456789abcdef!");
  expect_round_trip(parsed.value());
}

TEST(ConfigFileSecret, SecretFileIsKeptAsWritten) {
  auto parsed = parse_node_config(good_with("partitions = 256", "partitions = 256\nsecret_file = \"keys/secret\""),
                                  "node.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value().secret_file, "keys/secret");
  EXPECT_TRUE(parsed.value().secret.empty());  // parsing reads no file
  expect_round_trip(parsed.value());
}

TEST(ConfigFileSecret, Errors) {
  const auto cluster = [](const std::string& lines) { return good_with("partitions = 256", "partitions = 256\n" + lines); };
  EXPECT_CONFIG_ERROR(cluster("secret = \"too short\""), "node.toml:14: cluster.secret:",
                      "is 9 bytes; a cluster secret is 16..1024 bytes");
  EXPECT_CONFIG_ERROR(cluster("secret = \"0123456789abcdef\"\nsecret_file = \"s\""), "node.toml:14: cluster.secret:",
                      "both set; keep one");
  EXPECT_CONFIG_ERROR(cluster("secret_file = \"\""), "node.toml:14: cluster.secret_file:", "must be a path of 1..");
  EXPECT_CONFIG_ERROR(cluster("secret_file = \"a\\nb\""), "node.toml:14: cluster.secret_file:", "control character");
  EXPECT_CONFIG_ERROR(cluster("secret = 12"), "node.toml:14: cluster.secret:", "must be a string");
  EXPECT_CONFIG_ERROR(cluster("cluster_id = \"a b\""), "node.toml:14: cluster.cluster_id:", "may hold only");
  EXPECT_CONFIG_ERROR(cluster("cluster_id = \"\""), "node.toml:14: cluster.cluster_id:", "1 to 64 bytes");
  EXPECT_CONFIG_ERROR(cluster("secrets = \"x\""), "node.toml:14: cluster.secrets:", "secret_file");
}

class SecretFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("config_secret_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  std::string config_naming(const std::string& secret_line, mode_t mode = 0600) {
    return write("node.toml", good_with("partitions = 256", "partitions = 256\n" + secret_line), mode);
  }
  std::filesystem::path dir_;
};

TEST_F(SecretFiles, RelativeToTheConfigFileAndTrimmed) {
  write("cluster.secret", "0123456789abcdef0123\n", 0600);
  auto loaded = load_node_config(config_naming("secret_file = \"cluster.secret\"", 0644));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value().secret, "0123456789abcdef0123");
}

TEST_F(SecretFiles, AbsolutePath) {
  const std::string path = write("abs.secret", "0123456789abcdef", 0400);
  auto loaded = load_node_config(config_naming("secret_file = \"" + path + "\""));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value().secret, "0123456789abcdef");
}

TEST_F(SecretFiles, OpenToOthersIsRefused) {
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    const std::string path = write("open.secret", "0123456789abcdef0123", mode);
    auto loaded = load_node_config(config_naming("secret_file = \"open.secret\""));
    ASSERT_FALSE(loaded.ok()) << mode;
    EXPECT_NE(loaded.error().message.find("cluster.secret_file: " + path + " is accessible by group or others"),
              std::string::npos)
        << loaded.error().message;
    EXPECT_NE(loaded.error().message.find("run chmod 600 " + path), std::string::npos);
    std::filesystem::remove(path);
  }
}

TEST_F(SecretFiles, MissingShortOrHugeIsRefused) {
  auto missing = load_node_config(config_naming("secret_file = \"nope\""));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("cannot open"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("openssl rand -hex 32"), std::string::npos);
  write("short.secret", "short\n\n", 0600);
  auto short_one = load_node_config(config_naming("secret_file = \"short.secret\""));
  ASSERT_FALSE(short_one.ok());
  EXPECT_NE(short_one.error().message.find("a secret of 5 bytes"), std::string::npos) << short_one.error().message;
  write("huge.secret", std::string(5000, 'h'), 0600);
  auto huge = load_node_config(config_naming("secret_file = \"huge.secret\""));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("larger than 4096 bytes"), std::string::npos) << huge.error().message;
  auto directory = load_node_config(config_naming("secret_file = \"" + dir_.string() + "\""));
  EXPECT_FALSE(directory.ok());
}

TEST_F(SecretFiles, InlineSecretNeedsAPrivateConfigFile) {
  auto open_file = load_node_config(config_naming("secret = \"0123456789abcdef\"", 0644));
  ASSERT_FALSE(open_file.ok());
  EXPECT_NE(open_file.error().message.find("cluster.secret: the file holds the cluster secret"), std::string::npos)
      << open_file.error().message;
  auto private_file = load_node_config(config_naming("secret = \"0123456789abcdef\"", 0600));
  ASSERT_TRUE(private_file.ok()) << private_file.error().message;
  EXPECT_EQ(private_file.value().secret, "0123456789abcdef");
}

TEST_F(SecretFiles, EnsureSecretFileCreatesOnceWithMode0600) {
  const std::string path = (dir_ / "new.secret").string();
  ASSERT_TRUE(ensure_secret_file(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto first = read_secret_file(path);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first.value().size(), 64u);
  ASSERT_TRUE(ensure_secret_file(path).ok());  // kept, not redrawn
  EXPECT_EQ(read_secret_file(path).value(), first.value());
  const std::string other = (dir_ / "other.secret").string();
  ASSERT_TRUE(ensure_secret_file(other).ok());
  EXPECT_NE(read_secret_file(other).value(), first.value());
}

}  // namespace
}  // namespace dynamo::node
