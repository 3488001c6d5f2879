// `dynamo node --config FILE`: runs one node in the foreground until SIGINT or SIGTERM, then stops
// cleanly (no new requests, storage finished and synced). Restarting with the same file resumes from
// the same data directory with the next epoch.
#include <csignal>
#include <cstdio>
#include <memory>

#include "impl/cli/commands.h"
#include "impl/node/config_file.h"
#include "impl/node/log.h"
#include "impl/node/node_runtime.h"

namespace dynamo::cli {
namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_stop_signal(int) { stop_requested.store(true); }

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

void add_node_command(CLI::App& app) {
  auto config_path = std::make_shared<std::string>();
  auto verbose = std::make_shared<bool>(false);
  CLI::App* node = app.add_subcommand("node", "Run one node of a cluster in the foreground (Ctrl-C stops it cleanly)");
  node->add_option("--config", *config_path, "The node's TOML file (format: docs/configuration.md)")->required();
  node->add_flag("--verbose", *verbose, "Log debug lines too");
  node->footer("Example:\n  dynamo node --config n1.toml\n`dynamo cluster up` writes such files and starts a local cluster.");
  node->callback([config_path, verbose] {
    auto config = node::load_node_config(*config_path);
    if (!config.ok()) throw CLI::RuntimeError("bad configuration: " + config.error().message, kExitUsage);
    if (*verbose) node::set_log_level(node::LogLevel::kDebug);
    install_stop_handlers();
    const std::string id = config.value().self.member.id;
    auto runtime = node::NodeRuntime::open(std::move(config).value());
    if (!runtime.ok()) throw CLI::RuntimeError("cannot start node " + id + ": " + runtime.error().message, kExitFailed);
    runtime.value()->run(stop_requested);
  });
}

}  // namespace dynamo::cli
