#include "impl/cli/cluster_client.h"

#include <cstdlib>
#include <future>

#include "impl/cli/commands.h"

namespace dynamo::cli {

std::string default_node_address() {
  if (const char* env = std::getenv("DYNAMO_NODE"); env != nullptr && *env != '\0') return env;
  return "tcp://127.0.0.1:" + std::to_string(kDefaultBasePort + 2);
}

void add_cluster_options(CLI::App& command, ClusterOptions& options) {
  command
      .add_option("--node", options.nodes,
                  "A node's client address (repeatable; default $DYNAMO_NODE, else " + default_node_address() + ")")
      ->check(CLI::Validator(
          [](const std::string& address) {
            return address.starts_with("tcp://") || address.starts_with("ipc://")
                       ? std::string()
                       : "'" + address + "' is not a node's client address: expected tcp://HOST:PORT (the node's "
                         "client port, not its HTTP port), e.g. tcp://127.0.0.1:" + std::to_string(kDefaultBasePort + 2);
          },
          "tcp://HOST:PORT"));
  command.add_option("--timeout", options.timeout_ms, "Milliseconds to wait for an answer")->capture_default_str();
  command.add_flag("--direct", options.direct,
                   "Send requests to the given node, which forwards them to a coordinator "
                   "(default: straight to a coordinator of the key)");
}

std::unique_ptr<client::Client> connect_or_throw(const ClusterOptions& options) {
  client::ClientOptions client_options;
  client_options.seeds = options.nodes.empty() ? std::vector<std::string>{default_node_address()} : options.nodes;
  client_options.timeout_ms = options.timeout_ms;
  client_options.partition_aware = !options.direct;
  auto connected = client::Client::connect(client_options);
  if (!connected.ok())
    throw CLI::RuntimeError("cannot reach the cluster: " + connected.error().message +
                                "\nIs it running? Start a local one with `dynamo cluster up`, or name a node with "
                                "--node tcp://HOST:PORT (or DYNAMO_NODE).",
                            kExitUnavailable);
  return std::move(connected).value();
}

std::vector<Result<net::StatusInfo>> ask_every_member(client::Client& client) {
  std::vector<std::future<Result<net::StatusInfo>>> pending;
  for (const auto& m : client.ring().members)
    pending.push_back(std::async(std::launch::async, [&client, id = m.member.id] { return client.status(id); }));
  std::vector<Result<net::StatusInfo>> answers;
  for (auto& p : pending) answers.push_back(p.get());
  return answers;
}

}  // namespace dynamo::cli
