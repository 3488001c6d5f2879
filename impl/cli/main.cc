// main.cc: the `dynamo` command. Verbs live in their own files (commands.h).
#include <cstdio>
#include <exception>
#include <string_view>

#include <CLI/CLI.hpp>
#include <nng/nng.h>

#include "impl/cli/commands.h"

namespace {
// NNG frees closed sockets on its own reaper thread. Without nng_fini at exit a client command that
// closed its connection just before returning can end while that reaper still holds memory
// (LeakSanitizer reports it in the ASan build, about 1 run in 20); nng_fini waits for the reaper.
// Only for the short client commands: a node (`node`, `cluster up`) closes its sockets itself on
// the way out and must never wait on anything after "stopped cleanly".
struct NngFinalizer {
  bool enabled = true;
  ~NngFinalizer() {
    if (enabled) nng_fini();
  }
};
}  // namespace

int main(int argc, char** argv) {
  NngFinalizer nng_finalizer;  // declared first, so it runs after every client is gone
  if (argc > 1 && (std::string_view(argv[1]) == "node" || std::string_view(argv[1]) == "cluster"))
    nng_finalizer.enabled = false;
  CLI::App app{
      "dynamo: a formally-checked reference implementation of Amazon's Dynamo key-value store.\n"
      "Exit codes: 0 ok, 1 the command found a problem (or a node refused the request: the message\n"
      "says why), 2 bad usage or input (refused before anything is sent), 3 key not found,\n"
      "4 cluster unavailable or quorum not met in time (a write may or may not have happened)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dynamo 0.1.0");
  dynamo::cli::add_ring_command(app);
  dynamo::cli::add_versions_command(app);
  dynamo::cli::add_conformance_command(app);
  dynamo::cli::add_check_history_command(app);
  dynamo::cli::add_simulate_command(app);
  dynamo::cli::add_node_command(app);
  dynamo::cli::add_cluster_command(app);
  dynamo::cli::add_kv_commands(app);
  dynamo::cli::add_status_command(app);
  dynamo::cli::add_admin_command(app);
  // CLI11 reports an unknown command word as "A subcommand is required"; name the word instead, at
  // any depth ("dynamo cluster down" as well as "dynamo frobnicate").
  std::string path = "dynamo";
  const CLI::App* level = &app;
  int words = 1;  // argv[0 .. words) name the command reached so far
  for (int i = 1; i < argc && argv[i][0] != '-'; ++i) {
    const auto commands = level->get_subcommands([](const CLI::App*) { return true; });
    if (commands.empty()) break;  // the words from here on are the command's own arguments
    const CLI::App* next = nullptr;
    std::string names;
    for (const CLI::App* command : commands) {
      if (command->get_name() == argv[i]) next = command;
      names += " " + command->get_name();
    }
    if (next == nullptr) {
      std::fprintf(stderr, "%s: unknown command '%s'; the commands are:%s (%s --help)\n", path.c_str(), argv[i],
                   names.c_str(), path.c_str());
      return dynamo::cli::kExitUsage;
    }
    path += " " + next->get_name();
    level = next;
    words = i + 1;
  }
  if (words == argc && level->get_require_subcommand_min() > 0) {  // "dynamo" or "dynamo cluster", nothing more
    std::string names;
    for (const CLI::App* command : level->get_subcommands([](const CLI::App*) { return true; }))
      names += " " + command->get_name();
    std::fprintf(stderr, "%s: name a command:%s (%s --help)\n", path.c_str(), names.c_str(), path.c_str());
    return dynamo::cli::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    if (*e.what() != '\0') std::fprintf(stderr, "dynamo: %s\n", e.what());
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return dynamo::cli::kExitUsage;
  }
  return dynamo::cli::kExitOk;
}
