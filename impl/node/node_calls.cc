// The client side of a running node: NNG client batches, HTTP requests, forwarding to a key's
// coordinators, and the ring and status answers the shell gives itself.
#include <utility>

#include "impl/node/log.h"
#include "impl/node/runtime_state.h"

namespace dynamo::node {
namespace {

const char* op_label(OpKind op) {
  switch (op) {
    case OpKind::kPut: return "put";
    case OpKind::kDelete: return "delete";
    case OpKind::kGet: return "get";
  }
  return "?";
}

std::string client_name(std::uint64_t call) { return "call-" + std::to_string(call); }

}  // namespace

void NodeRuntime::Impl::on_client_bytes(std::uint64_t origin, const std::string& bytes) {
  auto batch = net::decode_client_batch(bytes);
  if (!batch.ok()) {
    // Answered every time; logged for the first few, then every thousandth (a misbehaving client
    // must not fill the disk with log lines).
    ++malformed_client_batches;
    if (malformed_client_batches <= 10 || malformed_client_batches % 1000 == 0)
      log_warn("refused a malformed client batch (" + std::to_string(malformed_client_batches) +
               " so far): " + batch.error().message);
    metrics.count_dropped("malformed_client");
    net::ReplyBatch refusal;
    refusal.answers.push_back(net::BatchError{0, batch.error().message});
    clients->reply(origin, net::encode_reply_batch(refusal));
    return;
  }
  const std::uint64_t id = next_batch++;
  Batch& pending = batches[id];
  pending.origin = origin;
  pending.remaining = batch.value().calls.size();
  if (pending.remaining == 0) {
    clients->reply(origin, net::encode_reply_batch(pending.reply));
    batches.erase(id);
    return;
  }
  for (auto& call : std::move(batch).value().calls) {
    std::visit(
        [&](auto& c) {
          using C = std::decay_t<decltype(c)>;
          if constexpr (std::is_same_v<C, net::RingCall>) {
            answer_batch_entry(id, ring_info(c.request_id));
          } else if constexpr (std::is_same_v<C, net::StatusCall>) {
            answer_batch_entry(id, status_info(c.request_id));
          } else if constexpr (std::is_same_v<C, net::AdminCall>) {
            on_admin(id, c);
          } else {
            Call started{BatchOrigin{id, c.request_id}, std::move(c), Clock::now(), 0, {}};
            start_call(std::move(started));
          }
        },
        call);
  }
}

void NodeRuntime::Impl::on_http(std::uint64_t origin, const net::HttpRequest& request) {
  net::HttpCall call = net::parse_http_request(request, http_api);
  if (auto* response = std::get_if<net::HttpResponse>(&call)) {
    metrics.count_http_refusal(response->status);
    http->complete(origin, *response);
    return;
  }
  if (std::holds_alternative<net::MetricsCall>(call)) {
    update_gauges();
    http->complete(origin, net::HttpResponse{200, {{"Content-Type", "text/plain; version=0.0.4"}}, metrics.render()});
    return;
  }
  auto& kv = std::get<net::KvCall>(call);
  start_call(Call{HttpOrigin{origin}, std::move(kv.request), Clock::now(), 0, {}});
}

void NodeRuntime::Impl::start_call(Call call) {
  const std::uint64_t number = next_call++;
  call.request.request_id = number;
  ClientRequest request = call.request;
  calls.emplace(number, std::move(call));
  apply(core->on_client_request(client_name(number), request));
}

void NodeRuntime::Impl::on_reply(const std::string& client, ClientReply reply) {
  if (!client.starts_with("call-")) return;
  const std::uint64_t number = std::stoull(client.substr(5));
  auto it = calls.find(number);
  if (it == calls.end()) return;
  if (reply.status == ReplyStatus::kRedirect) {
    it->second.coordinators = reply.coordinators;
    forward(number, it->second);
    return;
  }
  answer(number, std::move(reply));
}

// This node is not a coordinator of the key: pass the call to the key's coordinators, in preference
// order, the next one when one does not answer. A put that got no answer may still have happened;
// one that never left this node (no connection to that coordinator in time) goes to the next.
void NodeRuntime::Impl::forward(std::uint64_t number, Call& call) {
  while (call.forwards < call.coordinators.size()) {
    const std::string target = call.coordinators[call.forwards++];
    if (target == config.self.member.id) continue;
    auto& connection = forward_connections[target];
    if (!connection) {
      const MemberEntry* member = member_entry(target);
      if (member == nullptr || member->addresses.client.empty()) continue;
      auto opened = client::Connection::open({member->addresses.client,
                                              config.tick_ms * config.timing.request_timeout * 2, 1024});
      if (!opened.ok()) continue;
      connection = std::move(opened).value();
    }
    net::ClientBatch batch;
    batch.calls.push_back(call.request);
    connection->call(net::encode_client_batch(batch), [this, number](Result<net::ReplyBatch> reply, client::Sent sent) {
      if (!reply.ok()) {
        inbox.post(ForwardDone{number, reply.error(), sent == client::Sent::kNo});
        return;
      }
      for (auto& answer : std::move(reply).value().answers)
        if (auto* r = std::get_if<ClientReply>(&answer)) {
          inbox.post(ForwardDone{number, std::move(*r)});
          return;
        } else if (auto* e = std::get_if<net::BatchError>(&answer)) {
          inbox.post(ForwardDone{number, Error{e->message}});
          return;
        }
      inbox.post(ForwardDone{number, Error{"an empty answer"}});
    });
    return;
  }
  // Every coordinator was skipped or never got the call (a write that one of them may have received
  // is answered kUnknown in on_forward_done instead of going on), so nothing happened.
  ClientReply failed;
  failed.request_id = call.request.request_id;
  failed.status = ReplyStatus::kFailed;
  failed.message = "no coordinator of the key answered (tried " + std::to_string(call.forwards) + ")";
  answer(number, std::move(failed));
}

void NodeRuntime::Impl::on_forward_done(std::uint64_t number, Result<ClientReply> reply, bool not_sent) {
  auto it = calls.find(number);
  if (it == calls.end()) return;
  if (!reply.ok()) {
    log_warn("forwarded " + std::string(op_label(it->second.request.op)) + " got no answer: " + reply.error().message);
    if (not_sent) {
      forward(number, it->second);  // that coordinator never saw it: the next one may take even a write
    } else if (it->second.request.op == OpKind::kGet) {
      forward(number, it->second);  // a get is safe to ask elsewhere
    } else {
      ClientReply unknown;
      unknown.status = ReplyStatus::kUnknown;
      unknown.message = "the coordinator did not answer (" + reply.error().message +
                        "): the write may or may not have happened";
      answer(number, std::move(unknown));
    }
    return;
  }
  answer(number, std::move(reply).value());
}

void NodeRuntime::Impl::answer(std::uint64_t number, ClientReply reply) {
  auto it = calls.find(number);
  if (it == calls.end()) return;
  Call call = std::move(it->second);
  calls.erase(it);
  const double seconds = std::chrono::duration<double>(Clock::now() - call.started).count();
  metrics.observe_request(op_label(call.request.op), reply_status_name(reply.status), seconds,
                          call.request.op == OpKind::kGet ? reply.siblings.size() : 0);
  if (auto* http_origin = std::get_if<HttpOrigin>(&call.origin)) {
    http->complete(http_origin->origin, net::http_response_for(call.request.op, reply));
    return;
  }
  const auto& batch_origin = std::get<BatchOrigin>(call.origin);
  reply.request_id = batch_origin.request_id;
  answer_batch_entry(batch_origin.batch, std::move(reply));
}

void NodeRuntime::Impl::answer_batch_entry(std::uint64_t id, net::ClientAnswer answer) {
  auto it = batches.find(id);
  if (it == batches.end()) return;
  it->second.reply.answers.push_back(std::move(answer));
  if (--it->second.remaining > 0) return;
  clients->reply(it->second.origin, net::encode_reply_batch(it->second.reply));
  batches.erase(it);
}

net::RingInfo NodeRuntime::Impl::ring_info(std::uint64_t request_id) const {
  net::RingInfo info;
  info.request_id = request_id;
  info.partitions = config.partitions;
  // The ring the core serves, in its join order (a client rebuilds it with Ring::build), with each
  // member's addresses from the view; and the whole view, for `dynamo ring`.
  for (const auto& m : core->config().ring->members()) {
    const MemberEntry* entry = member_entry(m.id);
    info.members.push_back({m, entry ? entry->addresses.peer : "", entry ? entry->addresses.client : "",
                            entry ? entry->addresses.http : ""});
  }
  info.view = gossiper->view();
  const NodeStats stats = core->stats();
  info.transfers_pending = stats.keys_not_owned + stats.transfers_in_flight;
  for (const auto& store : config.stores)
    info.stores.push_back({store.name, store.quorum.n, store.quorum.r, store.quorum.w,
                           store.replica_durability == Durability::kDurable, store.max_value_bytes});
  return info;
}

net::StatusInfo NodeRuntime::Impl::status_info(std::uint64_t request_id) const {
  net::StatusInfo info;
  info.request_id = request_id;
  info.node = config.self.member.id;
  info.epoch = epoch;
  info.uptime_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_at).count());
  for (const auto& peer : core->peer_views()) info.peers.push_back({peer.id, peer.suspected, peer.hints_pending});
  const NodeStats stats = core->stats();
  info.requests_in_flight = stats.requests_in_flight;
  info.hints_pending = stats.pending_hints;
  info.handoffs_in_flight = stats.handoffs_in_flight;
  info.read_repairs = stats.read_repairs;
  info.dropped_messages = stats.dropped_messages + peers->dropped();
  info.merkle_exchanges = stats.merkle_exchanges;
  info.merkle_keys_repaired = stats.merkle_keys_repaired;
  info.merkle_bytes_sent = stats.merkle_bytes_sent;
  info.tombstones_reaped = stats.tombstones_reaped;
  info.keys_not_owned = stats.keys_not_owned;
  return info;
}

void NodeRuntime::Impl::update_gauges() {
  const NodeStats stats = core->stats();
  metrics.set_node_gauges({stats.pending_hints, stats.requests_in_flight, stats.read_repairs, stats.merkle_exchanges,
                           stats.merkle_keys_repaired, stats.merkle_bytes_sent, stats.keys_transferred,
                           stats.tombstones_reaped, stats.keys_not_owned});
}

}  // namespace dynamo::node
