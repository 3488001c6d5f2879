// cluster_client.h: what the verbs that talk to a running cluster share (put, get, delete, ring,
// status): the --node and --timeout options, connecting with an error that says what to do, and the
// context's text form (standard base64 of the wire encoding, the same as HTTP's X-Dynamo-Context).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "impl/client/client.h"

namespace dynamo::cli {

// Where the cluster is: DYNAMO_NODE if set, else node 0 of `dynamo cluster up` with its default
// base port.
std::string default_node_address();

struct ClusterOptions {
  std::vector<std::string> nodes;  // client addresses; empty: default_node_address()
  std::uint32_t timeout_ms = 3000;
  bool direct = false;             // send every request to the given node (no partition awareness)
};
void add_cluster_options(CLI::App& command, ClusterOptions& options);
// Connects, or throws CLI::RuntimeError(kExitUnavailable) naming every address tried.
std::unique_ptr<client::Client> connect_or_throw(const ClusterOptions& options);
// Every member of the ring the client learnt, asked for its status at once (so a down member costs
// one --timeout in all, not one each); the answers in the order of `client.ring().members`.
std::vector<Result<net::StatusInfo>> ask_every_member(client::Client& client);

}  // namespace dynamo::cli
