// `dynamo put | get | delete`: one request to a running cluster through the partition-aware client.
//
// get prints every sibling and the read context; put and delete take that context back (--context),
// so a conflict is resolved from the command line by reading, merging by hand, and putting with the
// context of the read: the new version supersedes every sibling the read returned.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "impl/cli/cluster_client.h"
#include "impl/cli/commands.h"
#include "impl/core/node_config.h"
#include "impl/net/http_api.h"
#include "impl/net/wire.h"

namespace dynamo::cli {
namespace {

struct KvOptions {
  ClusterOptions cluster;
  std::string store{kDefaultStore};
  std::string key;
  std::string value;
  bool value_given = false;
  std::string value_file;
  std::string context;
  int quorum = 0;  // --r for get, --w for put/delete; 0: the store's
  bool json = false;
  bool value_only = false;
};

CausalContext context_from_text(const std::string& text) {
  if (text.empty()) return {};
  auto bytes = net::base64_decode(text);
  if (!bytes) throw CLI::ValidationError("--context", "not base64: pass the context exactly as `dynamo get` printed it");
  auto context = net::decode_context(*bytes);
  if (!context.ok())
    throw CLI::ValidationError("--context", context.error().message + " (pass the context as `dynamo get` printed it)");
  return std::move(context).value();
}

std::string dot_text(const Dot& dot) { return dot.actor + ":" + std::to_string(dot.counter); }

// Turns a reply that is not kOk into the exit code scripts rely on, with the node's reason.
void throw_unless_ok(const ClientReply& reply, const char* what) {
  if (reply.status == ReplyStatus::kOk) return;
  const bool unavailable = reply.status == ReplyStatus::kUnknown || reply.message.find("quorum") != std::string::npos ||
                           reply.message.find("answer") != std::string::npos ||
                           reply.message.find("timed out") != std::string::npos;
  throw CLI::RuntimeError(std::string(what) + " " + reply_status_name(reply.status) + ": " + reply.message,
                          unavailable ? kExitUnavailable : kExitFailed);
}

ClientRequest request_for(const KvOptions& o, OpKind op) {
  if (o.key.empty() || o.key.size() > limits::kMaxKeyBytes)
    throw CLI::ValidationError("KEY", "a key is 1 to " + std::to_string(limits::kMaxKeyBytes) + " bytes");
  ClientRequest request;
  request.op = op;
  request.store = o.store;
  request.key = o.key;
  if (op != OpKind::kGet) request.context = context_from_text(o.context);
  if (o.quorum > 0) (op == OpKind::kGet ? request.r : request.w) = o.quorum;
  return request;
}

void print_write(const ClientReply& reply, const KvOptions& o) {
  const std::string context = net::base64_encode(net::encode_context(reply.context));
  if (o.json) {
    nlohmann::json out{{"context", context}};
    if (reply.dot) out["dot"] = dot_text(*reply.dot);
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "ok" << (reply.dot ? " " + dot_text(*reply.dot) : std::string()) << "\ncontext: " << context << "\n";
}

int print_read(const ClientReply& reply, const KvOptions& o) {
  const std::string context = net::base64_encode(net::encode_context(reply.context));
  std::size_t live = 0;
  for (const auto& v : reply.siblings) live += v.is_tombstone() ? 0 : 1;
  if (o.value_only) {
    if (reply.siblings.size() != 1 || live != 1) {
      std::cerr << "dynamo get: " << reply.siblings.size() << " siblings (" << live
                << " live): --value-only needs exactly one; read without it to see them all\n";
      return live == 0 ? kExitNotFound : kExitFailed;
    }
    std::cout << *reply.siblings.front().value;
    return kExitOk;
  }
  if (o.json) {
    nlohmann::json siblings = nlohmann::json::array();
    for (const auto& v : reply.siblings) {
      nlohmann::json s{{"dot", dot_text(v.dot)}, {"deleted", v.is_tombstone()}};
      if (v.value) s["value_base64"] = net::base64_encode(*v.value), s["value"] = *v.value;
      siblings.push_back(std::move(s));
    }
    nlohmann::json out{{"context", context}, {"siblings", siblings}};
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << "context: " << context << "\n";
    if (reply.siblings.empty()) std::cout << "(no version)\n";
    std::size_t i = 0;
    for (const auto& v : reply.siblings) {
      std::cout << "sibling " << ++i << "/" << reply.siblings.size() << " " << dot_text(v.dot) << ": ";
      if (v.is_tombstone()) std::cout << "(deleted)\n";
      else std::cout << v.value->size() << " bytes: " << *v.value << "\n";
    }
    if (reply.siblings.size() > 1)
      std::cout << "conflict: merge the values and `dynamo put " << o.key
                << " MERGED --context <context above>` to resolve it\n";
  }
  return live == 0 ? kExitNotFound : kExitOk;
}

CLI::App* add_kv_command(CLI::App& app, const char* name, const char* description, std::shared_ptr<KvOptions> o) {
  CLI::App* command = app.add_subcommand(name, description);
  command->add_option("KEY", o->key, "The key (1 to 1024 bytes)")->required();
  command->add_option("--store", o->store, "A named store")->capture_default_str();
  add_cluster_options(*command, o->cluster);
  command->add_flag("--json", o->json, "Print JSON instead of text");
  return command;
}

}  // namespace

void add_kv_commands(CLI::App& app) {
  auto put = std::make_shared<KvOptions>();
  CLI::App* p = add_kv_command(app, "put", "Store a value under a key in a running cluster", put);
  p->add_option("VALUE", put->value, "The value (or --value-file)")->each([put](const std::string&) { put->value_given = true; });
  p->add_option("--value-file", put->value_file, "Read the value from this file ('-' for stdin)");
  p->add_option("--context", put->context,
                "The context printed by `dynamo get` (none: the write supersedes nothing, a sibling if the key exists)");
  p->add_option("--w", put->quorum, "Write quorum for this request (default: the store's W)");
  p->footer("Example:\n  dynamo put cart:42 '[\"milk\"]'\n  dynamo put cart:42 '[\"milk\",\"eggs\"]' --context <from dynamo get>");
  p->callback([put] {
    if (!put->value_file.empty()) {
      std::ostringstream text;
      if (put->value_file == "-") {
        text << std::cin.rdbuf();
      } else {
        std::ifstream in(put->value_file, std::ios::binary);
        if (!in) throw CLI::ValidationError("--value-file", "cannot read " + put->value_file);
        text << in.rdbuf();
      }
      put->value = text.str();
    } else if (!put->value_given) {
      throw CLI::ValidationError("VALUE", "give a value, or --value-file FILE");
    }
    ClientRequest request = request_for(*put, OpKind::kPut);  // bad input is refused before any network
    request.value = put->value;
    auto client = connect_or_throw(put->cluster);
    const ClientReply reply = client->call(std::move(request));
    throw_unless_ok(reply, "put");
    print_write(reply, *put);
  });

  auto del = std::make_shared<KvOptions>();
  CLI::App* d = add_kv_command(app, "delete", "Delete a key (writes a tombstone) in a running cluster", del);
  d->add_option("--context", del->context, "The context printed by `dynamo get` (what the delete supersedes)");
  d->add_option("--w", del->quorum, "Write quorum for this request (default: the store's W)");
  d->footer(
      "Without --context the tombstone supersedes nothing: a value already there stays beside it as a\n"
      "sibling (a blind write, as for put). To delete what you read, pass the context `dynamo get` printed.\n"
      "Example:\n  dynamo get cart:42          # prints context: <C>\n  dynamo delete cart:42 --context <C>");
  d->callback([del] {
    ClientRequest request = request_for(*del, OpKind::kDelete);
    auto client = connect_or_throw(del->cluster);
    const ClientReply reply = client->call(std::move(request));
    throw_unless_ok(reply, "delete");
    print_write(reply, *del);
  });

  auto get = std::make_shared<KvOptions>();
  CLI::App* g = add_kv_command(app, "get", "Read a key from a running cluster: every sibling and the context", get);
  g->add_option("--r", get->quorum, "Read quorum for this request (default: the store's R)");
  g->add_flag("--value-only", get->value_only, "Print only the value (fails unless there is exactly one, live)");
  g->footer(
      "Exit codes: 0 found, 3 no live version, 4 quorum not met in time.\n"
      "Example:\n  dynamo get cart:42\n  dynamo get cart:42 --value-only --r 1\n  dynamo get cart:42 --json --node tcp://127.0.0.1:7112");
  g->callback([get] {
    ClientRequest request = request_for(*get, OpKind::kGet);
    auto client = connect_or_throw(get->cluster);
    const ClientReply reply = client->call(std::move(request));
    throw_unless_ok(reply, "get");
    const int code = print_read(reply, *get);
    if (code != kExitOk) throw CLI::RuntimeError("", code);
  });
}

}  // namespace dynamo::cli
