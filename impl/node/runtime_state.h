// runtime_state.h: the state of a running node (node_runtime.h), shared by the files that implement
// it: node_runtime.cc (opening, the loop, peer messages, storage), node_calls.cc (client calls over
// NNG and HTTP, forwarding, ring and status answers).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "impl/client/connection.h"
#include "impl/core/gossip.h"
#include "impl/core/membership.h"
#include "impl/core/node.h"
#include "impl/net/http_api.h"
#include "impl/net/metrics.h"
#include "impl/net/peer_auth.h"
#include "impl/net/wire.h"
#include "impl/node/client_server.h"
#include "impl/node/config_file.h"
#include "impl/node/http_server.h"
#include "impl/node/inbox.h"
#include "impl/node/node_runtime.h"
#include "impl/node/peer_transport.h"
#include "impl/node/storage_worker.h"

namespace dynamo::node {

using Clock = std::chrono::steady_clock;

// Where a call's answer goes.
struct BatchOrigin { std::uint64_t batch = 0; std::uint64_t request_id = 0; };  // an NNG client batch
struct HttpOrigin { std::uint64_t origin = 0; };                                  // an HTTP request
struct Call {
  std::variant<BatchOrigin, HttpOrigin> origin;
  ClientRequest request;          // as received (for forwarding); request_id is the call number
  Clock::time_point started;
  std::size_t forwards = 0;       // coordinators tried after the core redirected the call
  std::vector<std::string> coordinators;
};
// A client batch being answered: the reply goes out when every call of it has its answer.
struct Batch {
  std::uint64_t origin = 0;  // the ClientServer context
  std::size_t remaining = 0;
  net::ReplyBatch reply;
};

// The membership view a node starts with: its persisted one, else the configuration's initial members.
Result<MembershipView> load_membership(const NodeFileConfig& config);
// The largest N among the stores: a leave or removal may not leave fewer valid members.
std::size_t largest_n(const std::vector<StoreConfig>& stores);

struct NodeRuntime::Impl {
  NodeFileConfig config;
  std::uint64_t epoch = 0;
  Clock::time_point started_at = Clock::now();
  Inbox inbox;
  std::optional<Node> core;
  std::unique_ptr<StorageWorker> storage;
  std::unique_ptr<PeerTransport> peers;
  std::unique_ptr<ClientServer> clients;
  std::unique_ptr<HttpServer> http;
  net::HttpApiConfig http_api;
  net::DynamoMetrics metrics;
  std::map<std::string, std::unique_ptr<client::Connection>> forward_connections;  // lazily opened

  std::uint64_t next_call = 1;
  std::uint64_t next_batch = 1;
  std::unordered_map<std::uint64_t, Call> calls;
  std::unordered_map<std::uint64_t, Batch> batches;

  // The turn's outputs, flushed at its end.
  std::vector<StorageOp> turn_storage;
  std::map<std::string, std::vector<PeerMessage>> turn_sends;
  std::uint64_t malformed_peer_batches = 0;
  std::uint64_t malformed_client_batches = 0;
  // The cluster secret's envelope (peer_auth.h); both null when no secret is configured.
  std::unique_ptr<net::Sealer> sealer;
  std::unique_ptr<net::Opener> opener;
  std::uint64_t unauthenticated_peer_messages = 0;
  // Membership (membership_runtime.cc): the view and its gossip, a join under way, a leave.
  std::optional<Gossiper> gossiper;
  Clock::time_point next_gossip = Clock::now();
  struct PendingJoin {
    std::uint64_t ask_id = 0;
    std::uint64_t batch = 0;       // the admin call's batch and request id, answered later
    std::uint64_t request_id = 0;
    std::string seed;
    Clock::time_point deadline;
  };
  std::optional<PendingJoin> pending_join;
  std::uint64_t next_ask = 1;
  std::optional<std::uint64_t> leave_pass;  // anti-entropy passes done when this node began to leave

  // node_runtime.cc
  void apply(Effects effects);
  void flush_turn();
  void on_event(Event& event);
  void on_peer_bytes(const std::string& bytes);
  void refuse_peer_message(const std::string& reason);
  // membership_runtime.cc
  const MemberEntry* member_entry(const std::string& id) const;
  void send_membership(const std::string& to, const std::string& address,
                       std::variant<GossipMessage, net::JoinAsk, net::JoinAnswer> body);
  void gossip_tick();
  void on_membership_bytes(std::string_view payload, const std::string& sealed_by);
  void membership_changed(const MembershipView& before);
  void adopt_target_ring();
  void check_leave_drained();
  void on_admin(std::uint64_t batch, const net::AdminCall& call);
  void expire_join();
  // node_calls.cc
  void on_client_bytes(std::uint64_t origin, const std::string& bytes);
  void on_http(std::uint64_t origin, const net::HttpRequest& request);
  void start_call(Call call);
  void on_reply(const std::string& client, ClientReply reply);
  void forward(std::uint64_t call_number, Call& call);
  void on_forward_done(std::uint64_t call_number, Result<ClientReply> reply, bool not_sent);
  void answer(std::uint64_t call_number, ClientReply reply);
  void answer_batch_entry(std::uint64_t batch, net::ClientAnswer answer);
  net::RingInfo ring_info(std::uint64_t request_id) const;
  net::StatusInfo status_info(std::uint64_t request_id) const;
  void update_gauges();
};

}  // namespace dynamo::node
