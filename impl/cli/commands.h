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

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the command ran and found a problem (e.g. a vector mismatch)
inline constexpr int kExitUsage = 2;   // bad command line or bad input; the message says what to fix

}  // namespace dynamo::cli
