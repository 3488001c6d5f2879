// config_file.h: the node's TOML configuration file (`dynamo node --config FILE`), loaded into the
// core's NodeConfig pieces plus what only the runtime needs (addresses, data directory, engine).
// Documented, field by field, in docs/configuration.md; every error names the file, the key and
// what would fix it ("node.toml: stores.default.w = 4 exceeds n = 3").
//
//   [node]
//   id = "n1"                              # 1..64 bytes, unique in the cluster
//   data_centre = "dc1"
//   weight = 1                             # capacity weight, 1..1000
//   data_dir = "/var/lib/dynamo/n1"        # created if missing; holds RocksDB and the epoch file
//   storage = "rocksdb"                    # or "memory" (tests only: nothing survives a restart)
//   cache_mb = 64                          # hot key states kept decoded (0..65536 MiB; 0: none)
//   peer = "tcp://127.0.0.1:7101"          # NNG URL other nodes send to
//   client = "tcp://127.0.0.1:7102"        # NNG URL clients (CLI, client library) send to
//   http = "127.0.0.1:7100"                # host:port of the HTTP API
//   join = false                           # true: not an initial member; `dynamo admin join` adds it
//   [cluster]
//   partitions = 1024                      # Q
//   cluster_id = "dynamo"                  # names the cluster; sealed peer messages carry it
//   gossip_ms = 1000                       # each node gossips its membership view this often
//   secret_file = "secret"                 # the cluster secret (or secret = "..." inline; or neither:
//                                          #   peer messages unauthenticated, docs/security.md)
//   [[cluster.members]]                    # the initial members, in join order (self included)
//   id = "n1"  data_centre = "dc1"  weight = 1  peer = "..."  client = "..."  http = "..."
//   [stores.default]                       # one table per named store; "default" must exist
//   n = 3  r = 2  w = 2  replicas = "buffered"   # or "durable"
//   max_value_bytes = 1048576
//   [timing]                               # optional; ticks are tick_ms long
//   tick_ms = 10  request_timeout = 40  resend_after = 20  suspect_for = 60  hint_scan_every = 10
//   handoff_timeout = 30  flush_every = 5  anti_entropy_every = 100
//   [limits]                               # optional (node_config.h NodeLimits)
//   max_pending_hints_per_target = 10000  max_requests_in_flight = 10000
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "impl/core/node_config.h"
#include "impl/core/result.h"
#include "impl/net/wire.h"

namespace dynamo::node {

enum class Engine { kRocksDb, kMemory };

struct NodeFileConfig {
  net::MemberAddress self;                  // this node: id, dc, weight and its three addresses
  std::string data_dir;
  Engine engine = Engine::kRocksDb;
  std::size_t cache_mb = 64;  // RocksDB's cache of decoded key states (state_cache.h); 0: none
  std::uint32_t partitions = limits::kDefaultPartitions;
  std::vector<net::MemberAddress> members;  // join order; self is one of them (same fields), unless join
  bool join = false;                        // node.join: not an initial member; joins by `dynamo admin join`
  std::uint32_t gossip_ms = 1000;           // cluster.gossip_ms: one gossip exchange per period (§4.8.1)
  std::vector<StoreConfig> stores;          // "default" among them
  NodeTiming timing;
  NodeLimits limits;
  std::uint32_t tick_ms = 10;
  // The cluster secret (docs/security.md): peer messages are sealed with it when `secret` is set.
  std::string cluster_id = "dynamo";
  std::string secret_file;  // as written ("" when none); load_node_config reads it into `secret`
  std::string secret;       // the secret's bytes: inline `secret = "..."` or the file's content
};

// Parses and validates; `origin` (a file name) prefixes every error.
Result<NodeFileConfig> parse_node_config(std::string_view toml_text, std::string_view origin);
// Reads the file, then parse_node_config, then the secret file if one is named (a relative path is
// relative to the configuration file's directory). A file holding a secret (the secret file, or this
// file when the secret is inline) must not be accessible by group or others (cluster_secret.h).
Result<NodeFileConfig> load_node_config(const std::string& path);
// The TOML text that parse_node_config reads back as `config` (used by `dynamo cluster up`).
std::string render_node_config(const NodeFileConfig& config);

// The members of a local development cluster (`dynamo cluster up`; docs/configuration.md, "Ports of
// `dynamo cluster up`"): node i (0-based) is n<i+1> in data centre "dc1", on loopback, with HTTP on
// P+10i, peers on P+10i+1 and clients on P+10i+2, where P is `base_port`.
std::vector<net::MemberAddress> local_cluster_members(int nodes, int base_port);

}  // namespace dynamo::node
