// ring_command.h: `dynamo ring`, which shows where keys live on a ring.
//
// `dynamo ring --simulate` builds a ring offline from a described membership (nodes node-1..node-K
// joined in that order, data centres dc-1..dc-D assigned round-robin, optional weights) and prints
// partitions per node, and for each --key its MD5, partition, preference list and, with --down, the
// sloppy list. The live form, asking a running node for its ring, comes with the node runtime; until
// then the command says so. Every option is validated with a message naming it.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace dynamo::cli {

struct RingOptions {
  bool simulate = false;
  int nodes = 8;
  int dcs = 2;
  std::uint32_t q = 64;
  int n = 3;
  std::vector<std::uint32_t> weights;  // empty: every node weighs 1
  std::vector<std::string> down;
  std::vector<std::string> keys;
  bool show_owners = false;
};

// Adds the `ring` subcommand to app.
void add_ring_command(CLI::App& app);

// Runs `dynamo ring --simulate` with the given options, printing to out. Returns an empty string on
// success, otherwise what was wrong with the options (nothing is printed then).
std::string run_ring_simulation(const RingOptions& options, std::ostream& out);

}  // namespace dynamo::cli
