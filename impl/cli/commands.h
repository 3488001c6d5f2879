// commands.h: the verbs of the `dynamo` command. Each add_*_command registers one subcommand with
// its options and help; a verb that fails throws CLI::RuntimeError(message, exit code), which main
// prints and turns into the exit code (see main.cc for the codes scripts can rely on).
#pragma once

#include <CLI/CLI.hpp>

namespace dynamo::cli {

void add_ring_command(CLI::App& app);
void add_versions_command(CLI::App& app);
void add_conformance_command(CLI::App& app);
void add_check_history_command(CLI::App& app);
void add_simulate_command(CLI::App& app);
void add_node_command(CLI::App& app);
void add_cluster_command(CLI::App& app);
void add_kv_commands(CLI::App& app);  // put, get, delete
void add_status_command(CLI::App& app);
void add_admin_command(CLI::App& app);

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the command ran and found a problem (e.g. a vector mismatch)
inline constexpr int kExitUsage = 2;   // bad command line or bad input; the message says what to fix
inline constexpr int kExitNotFound = 3;     // get: the key has no live version
inline constexpr int kExitUnavailable = 4;  // the cluster did not answer, or not with a quorum in time
                                            // (a write may or may not have happened: the message says)

// `dynamo cluster up`: node i (0-based) serves HTTP on base+10i, peers on base+10i+1, clients on
// base+10i+2 (docs/configuration.md).
inline constexpr int kDefaultBasePort = 7100;

}  // namespace dynamo::cli
