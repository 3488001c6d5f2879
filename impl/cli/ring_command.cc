#include "impl/cli/ring_command.h"

#include <iomanip>
#include <iostream>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>

#include "impl/cli/cluster_client.h"
#include "impl/cli/commands.h"
#include "impl/core/key_hash.h"
#include "impl/core/limits.h"
#include "impl/core/ring.h"

namespace dynamo::cli {

namespace {

// The membership the options describe: node-1..node-K in join order, dc-1..dc-D round-robin.
std::vector<Member> described_members(const RingOptions& options) {
  std::vector<Member> members;
  for (int i = 0; i < options.nodes; ++i) {
    members.push_back({"node-" + std::to_string(i + 1), "dc-" + std::to_string(i % options.dcs + 1),
                       options.weights.empty() ? 1u : options.weights[static_cast<std::size_t>(i)]});
  }
  return members;
}

std::string check_options(const RingOptions& options) {
  if (options.nodes < 1 || static_cast<std::size_t>(options.nodes) > limits::kMaxNodes) {
    return "--nodes " + std::to_string(options.nodes) + ": give 1 to " + std::to_string(limits::kMaxNodes) + " nodes";
  }
  if (options.dcs < 1 || options.dcs > options.nodes) {
    return "--dcs " + std::to_string(options.dcs) + ": give 1 to " + std::to_string(options.nodes) +
           " data centres (at most one per node)";
  }
  if (!options.weights.empty() && options.weights.size() != static_cast<std::size_t>(options.nodes)) {
    return "--weights has " + std::to_string(options.weights.size()) + " values but there are " +
           std::to_string(options.nodes) + " nodes: give one weight per node, in order, e.g. 1,1,2";
  }
  for (std::uint32_t weight : options.weights) {
    if (weight < 1 || weight > limits::kMaxWeight) {
      return "--weights: weight " + std::to_string(weight) + " is outside 1.." + std::to_string(limits::kMaxWeight);
    }
  }
  const int most = std::min(options.nodes, limits::kMaxReplicas);
  if (options.n < 1 || options.n > most) {
    return "--n " + std::to_string(options.n) + ": give 1 to " + std::to_string(most) +
           " replicas (at most one per node, and at most " + std::to_string(limits::kMaxReplicas) + ")";
  }
  for (const std::string& id : options.down) {
    const std::string prefix = "node-";
    const std::string number = id.rfind(prefix, 0) == 0 ? id.substr(prefix.size()) : "";
    const bool valid = !number.empty() && number.size() <= 4 && number[0] != '0' &&
                       number.find_first_not_of("0123456789") == std::string::npos && std::stoi(number) <= options.nodes;
    if (!valid) return "--down " + id + ": not a node; the nodes are node-1 to node-" + std::to_string(options.nodes);
  }
  for (const std::string& key : options.keys) {
    if (key.size() > limits::kMaxKeyBytes) {
      return "--key: a key of " + std::to_string(key.size()) + " bytes is longer than the limit of " +
             std::to_string(limits::kMaxKeyBytes);
    }
  }
  return "";
}

void print_counts(const Ring& ring, std::ostream& out) {
  out << "Partitions per node (share = Q * weight / total weight, what a perfect split would give):\n";
  out << "  " << std::left << std::setw(12) << "node" << std::setw(8) << "dc" << std::right << std::setw(7)
      << "weight" << std::setw(12) << "partitions" << std::setw(9) << "share" << "\n";
  for (std::size_t i = 0; i < ring.members().size(); ++i) {
    const Member& m = ring.members()[i];
    out << "  " << std::left << std::setw(12) << m.id << std::setw(8) << m.dc << std::right << std::setw(7) << m.weight
        << std::setw(12) << ring.partition_counts()[i] << std::setw(9) << std::fixed << std::setprecision(2)
        << ring.weighted_share(i) << "\n";
  }
}

void print_owners(const Ring& ring, std::ostream& out) {
  out << "\nOwner of each partition (partition i covers hashes [i*2^128/Q, (i+1)*2^128/Q)):\n";
  for (std::uint32_t p = 0; p < ring.partitions(); ++p) {
    const bool row_ends = p % 8 == 7 || p + 1 == ring.partitions();
    out << std::right << std::setw(7) << p << " " << std::left << std::setw(row_ends ? 0 : 10) << ring.owner(p)
        << (row_ends ? "\n" : "");
  }
}

std::string dc_of(const Ring& ring, const std::string& id) { return ring.members()[*ring.index_of(id)].dc; }

void print_key(const Ring& ring, const RingOptions& options, const std::string& key, std::ostream& out) {
  const std::uint32_t partition = ring.partition_of_key(key);
  out << "\nKey \"" << key << "\"\n";
  out << "  md5        " << to_hex(md5_of(key)) << "\n";
  out << "  partition  " << partition << " of " << ring.partitions() << " (owner " << ring.owner(partition) << ")\n";
  out << "  preference list (N=" << options.n << ", the first healthy node coordinates):\n";
  const std::vector<std::string> list = ring.preference_list(partition, options.n).value();
  for (std::size_t i = 0; i < list.size(); ++i) {
    out << "    " << i + 1 << ". " << std::left << std::setw(12) << list[i] << dc_of(ring, list[i]) << "\n";
  }
  if (options.down.empty()) return;
  const std::set<std::string> down(options.down.begin(), options.down.end());
  const SloppyList sloppy = ring.sloppy_preference_list(partition, options.n, down).value();
  out << "  sloppy list (down:";
  for (const std::string& id : down) out << " " << id;
  out << "):";
  if (sloppy.nodes() == list) {
    out << " no node of the preference list is down, so it is used as is\n";
    return;
  }
  out << "\n";
  for (std::size_t i = 0; i < sloppy.slots.size(); ++i) {
    const SloppySlot& slot = sloppy.slots[i];
    out << "    " << i + 1 << ". ";
    if (slot.is_unfilled()) {
      out << "(none)      no healthy node left to stand in for " << slot.stands_in_for << "\n";
      continue;
    }
    out << std::left << std::setw(12) << slot.node << dc_of(ring, slot.node);
    if (slot.is_fallback()) out << "  stands in for " << slot.stands_in_for << " (keeps the write with a hint for it)";
    out << "\n";
  }
  if (sloppy.unfilled_count() > 0) {
    out << "  only " << sloppy.nodes().size() << " of " << options.n << " replicas can be written\n";
  }
}

}  // namespace

std::string run_ring_simulation(const RingOptions& options, std::ostream& out) {
  if (std::string problem = check_options(options); !problem.empty()) return problem;
  Result<Ring> built = Ring::build(described_members(options), options.q);
  if (!built.ok()) return "cannot build the described ring: " + built.error().message;
  const Ring& ring = built.value();
  out << "Simulated ring: " << ring.members().size() << " nodes (node-1.." << "node-" << options.nodes
      << ", joined in that order) in " << ring.data_centre_count() << " data centres, Q = " << ring.partitions()
      << " partitions, N = " << options.n << "\n\n";
  print_counts(ring, out);
  if (options.show_owners) print_owners(ring, out);
  for (const std::string& key : options.keys) print_key(ring, options, key, out);
  if (options.keys.empty()) out << "\n(add --key KEY to see where a key lives)\n";
  return "";
}

// The membership view of the node asked (every member ever admitted, with its lifecycle status),
// and what that node still has to hand over.
void print_membership(const net::RingInfo& info, std::ostream& out) {
  if (info.view.members.empty()) return;  // a node older than membership changes
  out << "Membership (this node's view; it spreads by gossip):\n";
  for (const auto& [id, entry] : info.view.members)
    out << "  " << id << ": " << to_string(entry.status) << " (join " << entry.join_seq << ", version "
        << entry.version << ", changed by " << entry.changed_by << ")\n";
  out << "Pending transfers at this node: " << info.transfers_pending
      << (info.transfers_pending == 0 ? " (nothing left to hand over)\n" : " keys not yet handed over\n");
}

// The live form: the ring a running node serves, its members and addresses, which of them answer,
// and where keys live (with the sloppy list when a member of a key's preference list is down).
void print_live_ring(client::Client& client, const RingOptions& options, std::ostream& out) {
  const net::RingInfo& info = client.ring();
  const std::vector<Result<net::StatusInfo>> answers = ask_every_member(client);
  std::vector<Member> members;
  for (const auto& m : info.members) members.push_back(m.member);
  Result<Ring> built = Ring::build(members, info.partitions);
  if (!built.ok()) throw CLI::RuntimeError("the node's ring is invalid: " + built.error().message, kExitFailed);
  const Ring& ring = built.value();
  out << "Live ring: " << ring.members().size() << " nodes in " << ring.data_centre_count()
      << " data centres, Q = " << ring.partitions() << " partitions\n";
  std::vector<std::string> down;
  for (std::size_t i = 0; i < info.members.size(); ++i) {
    const auto& m = info.members[i];
    out << "  " << m.member.id << " (" << m.member.dc << ", weight " << m.member.weight << "): http " << m.http_address
        << ", client " << m.client_address << ", peer " << m.peer_address;
    if (answers[i].ok()) {
      out << ", up\n";
    } else {
      out << ", DOWN (" << answers[i].error().message << ")\n";
      down.push_back(m.member.id);
    }
  }
  out << "Stores:";
  int n = 3;
  for (const auto& s : info.stores) {
    out << " " << s.name << " (N=" << s.n << " R=" << s.r << " W=" << s.w << ", replicas "
        << (s.durable_replicas ? "durable" : "buffered") << ")";
    if (s.name == "default") n = s.n;
  }
  out << "\n";
  print_membership(info, out);
  out << "\n";
  print_counts(ring, out);
  if (options.show_owners) print_owners(ring, out);
  RingOptions keys = options;
  keys.n = n;
  keys.down = down;
  for (const std::string& key : options.keys) print_key(ring, keys, key, out);
}

void add_ring_command(CLI::App& app) {
  auto options = std::make_shared<RingOptions>();
  CLI::App* ring = app.add_subcommand(
      "ring", "Show the ring: partitions per node, and where keys live (preference and sloppy lists)");
  ring->footer(
      "Without --simulate, asks a running node (--node) for its ring and every member for its status: a member\n"
      "that does not answer within --timeout is shown DOWN, and a key's sloppy list is computed without it.\n"
      "Example:\n  dynamo ring --key cart:42\n  dynamo ring --simulate --nodes 8 --dcs 2 --q 64 --n 3 --key cart:42 --down node-3\n"
      "Nodes are node-1..node-K, joined in that order; node i is in dc-((i-1) mod D + 1).\n"
      "The rules are spec/README.md, section Ring (MD5 ring, Q equal partitions, strategy 3).");
  ring->add_flag("--simulate", options->simulate,
                 "Compute the ring offline from the membership described by the options below");
  ring->add_option("--nodes", options->nodes, "Number of nodes, 1.." + std::to_string(limits::kMaxNodes))
      ->capture_default_str();
  ring->add_option("--dcs", options->dcs, "Number of data centres, 1..nodes (nodes assigned round-robin)")
      ->capture_default_str();
  ring->add_option("--q", options->q,
                   "Partitions: a power of two, at least the node count (clusters use " +
                       std::to_string(limits::kDefaultPartitions) + ")")
      ->capture_default_str();
  ring->add_option("--n", options->n, "Replicas per key (N), 1..min(nodes, 16)")->capture_default_str();
  ring->add_option("--weights", options->weights, "Capacity weight of each node in order, e.g. 1,1,2 (default all 1)")
      ->delimiter(',');
  ring->add_option("--down", options->down, "With --simulate: nodes to treat as down for the sloppy list, e.g. node-3,node-5")
      ->delimiter(',');
  ring->add_option("--key", options->keys, "A key to locate (repeatable)");
  ring->add_flag("--owners", options->show_owners, "Also print the owner of every partition");
  auto cluster = std::make_shared<ClusterOptions>();
  add_cluster_options(*ring, *cluster);
  ring->callback([options, cluster] {
    if (!options->simulate) {
      if (!options->down.empty())
        throw CLI::ValidationError("--down", "only with --simulate; the live ring asks every member and marks DOWN "
                                             "those that do not answer");
      std::ostringstream out;
      print_live_ring(*connect_or_throw(*cluster), *options, out);
      std::cout << out.str();
      return;
    }
    std::ostringstream out;
    const std::string problem = run_ring_simulation(*options, out);
    if (!problem.empty()) throw CLI::ValidationError(problem);
    std::cout << out.str();
  });
}

}  // namespace dynamo::cli
