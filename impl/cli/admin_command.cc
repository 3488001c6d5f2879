// `dynamo admin join | leave | remove`: membership commands (docs/membership.md "In the node").
// Each is applied by one node, to its own view, and spreads by gossip:
//   join SEED      run against the NEW node (--node): it asks the seed (any member's client address)
//                  to admit it; the seed checks the cluster id, the id and the fields, and answers.
//   leave          run against the node that leaves: it hands every key over, then removes itself.
//   remove NODE    run against any member: NODE is gone for good (its keys are refilled from the
//                  other replicas). A node that is still up should leave instead.
// Exit codes: 0 done, 1 refused (the message says why), 4 a node did not answer.
#include <iostream>
#include <memory>
#include <string>

#include "impl/cli/cluster_client.h"
#include "impl/cli/commands.h"
#include "impl/client/connection.h"
#include "impl/net/wire.h"

namespace dynamo::cli {
namespace {

struct AdminOptions {
  std::string node;       // the node that applies the command (client address)
  std::string seed;       // join: a member's client address
  std::string remove_id;  // remove: the node that is gone
  std::uint32_t timeout_ms = 10'000;
};

net::ReplyBatch call_or_throw(const std::string& address, std::uint32_t timeout_ms, net::ClientBatch batch) {
  auto connection = client::Connection::open({address, timeout_ms, 4});
  if (!connection.ok())
    throw CLI::RuntimeError("cannot reach " + address + ": " + connection.error().message, kExitUnavailable);
  auto reply = connection.value()->call_sync(batch);
  if (!reply.ok())
    throw CLI::RuntimeError("no answer from " + address + ": " + reply.error().message +
                                "\nIs the node running? Its client address is the `client` line `dynamo cluster up` "
                                "printed (or DYNAMO_NODE).",
                            kExitUnavailable);
  return std::move(reply).value();
}

// The seed's id and peer address, asked of the seed itself (an envelope names its receiver).
net::AdminJoin resolve_seed(const std::string& seed, std::uint32_t timeout_ms) {
  net::ClientBatch batch;
  batch.calls = {net::RingCall{1}, net::StatusCall{2}};
  const net::ReplyBatch reply = call_or_throw(seed, timeout_ms, batch);
  const net::RingInfo* ring = nullptr;
  const net::StatusInfo* status = nullptr;
  for (const auto& answer : reply.answers) {
    if (const auto* r = std::get_if<net::RingInfo>(&answer)) ring = r;
    if (const auto* s = std::get_if<net::StatusInfo>(&answer)) status = s;
  }
  if (!ring || !status) throw CLI::RuntimeError("the seed " + seed + " did not describe itself", kExitFailed);
  const MemberEntry* entry = ring->view.find(status->node);
  if (!entry || entry->addresses.peer.empty())
    throw CLI::RuntimeError("the seed " + seed + " (" + status->node + ") does not list itself as a member; name "
                                "another member as the seed",
                            kExitFailed);
  return net::AdminJoin{status->node, entry->addresses.peer};
}

void run_admin(const AdminOptions& o, net::AdminCall call) {
  const std::string node = o.node.empty() ? default_node_address() : o.node;
  net::ClientBatch batch;
  batch.calls.push_back(std::move(call));
  const net::ReplyBatch reply = call_or_throw(node, o.timeout_ms, batch);
  for (const auto& answer : reply.answers) {
    if (const auto* a = std::get_if<net::AdminAnswer>(&answer)) {
      if (!a->ok) throw CLI::RuntimeError("refused: " + a->message, kExitFailed);
      std::cout << a->message << "\n";
      return;
    }
    if (const auto* e = std::get_if<net::BatchError>(&answer))
      throw CLI::RuntimeError(node + " refused the command: " + e->message, kExitFailed);
  }
  throw CLI::RuntimeError(node + " sent no answer to the command", kExitFailed);
}

void add_node_option(CLI::App& command, AdminOptions& o, const char* which) {
  command.add_option("--node", o.node, std::string(which) + " (client address; default DYNAMO_NODE, else node 1 of "
                                                            "`dynamo cluster up`)");
  command.add_option("--timeout", o.timeout_ms, "Milliseconds to wait for the answer")->capture_default_str();
}

}  // namespace

void add_admin_command(CLI::App& app) {
  CLI::App* admin = app.add_subcommand("admin", "Change the cluster's membership: join, leave, remove");
  admin->require_subcommand(1);
  admin->footer("Exit codes: 0 done, 1 refused (the message says why), 4 a node did not answer.\n"
                "docs/membership.md says what each command does and when it is refused.");
  auto o = std::make_shared<AdminOptions>();

  CLI::App* join = admin->add_subcommand("join", "Add a new node to the cluster through a seed (run against the new node)");
  join->add_option("SEED", o->seed, "Client address of any member, e.g. tcp://127.0.0.1:7102")->required();
  add_node_option(*join, *o, "The NEW node, configured with node.join = true");
  join->footer("Example (a fourth node beside `dynamo cluster up`, its client port 7132):\n"
               "  dynamo admin join tcp://127.0.0.1:7102 --node tcp://127.0.0.1:7132");
  join->callback([o] { run_admin(*o, net::AdminCall{1, resolve_seed(o->seed, o->timeout_ms)}); });

  CLI::App* leave = admin->add_subcommand("leave", "Take a node out: it hands its keys over, then removes itself");
  add_node_option(*leave, *o, "The node that leaves");
  leave->callback([o] { run_admin(*o, net::AdminCall{1, net::AdminLeave{}}); });

  CLI::App* remove = admin->add_subcommand("remove", "Declare a node gone for good (it cannot hand its keys over)");
  remove->add_option("NODE", o->remove_id, "The id of the node that is gone, e.g. n5")->required();
  add_node_option(*remove, *o, "Any member that applies the removal");
  remove->callback([o] { run_admin(*o, net::AdminCall{1, net::AdminRemove{o->remove_id}}); });
}

}  // namespace dynamo::cli
