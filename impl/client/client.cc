#include "impl/client/client.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "impl/client/connection.h"
#include "impl/core/node_config.h"
#include "impl/core/ring.h"

namespace dynamo::client {
namespace {

using Clock = std::chrono::steady_clock;

struct Pending {
  ClientRequest request;
  Client::Done done;
  // The nodes this request was sent (or queued) to, in order. A retry goes to the best candidate
  // not among them: the candidates are re-ranked at every try (a node that just failed goes last),
  // so a position in that list would skip a healthy node, or pick a failed one again.
  std::vector<std::string> tried;
};

struct Lane {
  std::unique_ptr<Connection> connection;
  std::deque<Pending> queue;
  std::size_t in_flight = 0;
  Clock::time_point avoid_until{};
};

Result<net::RingInfo> ask_ring(Connection& connection) {
  net::ClientBatch batch;
  batch.calls.push_back(net::RingCall{1});
  auto reply = connection.call_sync(batch);
  if (!reply.ok()) return reply.error();
  for (auto& answer : std::move(reply).value().answers) {
    if (auto* ring = std::get_if<net::RingInfo>(&answer)) return std::move(*ring);
    if (auto* error = std::get_if<net::BatchError>(&answer)) return Error{error->message};
  }
  return Error{"the node sent no ring"};
}

}  // namespace

std::optional<std::string> next_target(const std::vector<std::string>& candidates, const std::vector<std::string>& tried) {
  for (const auto& id : candidates)
    if (std::find(tried.begin(), tried.end(), id) == tried.end()) return id;
  return std::nullopt;
}

namespace {

ClientReply failure(ReplyStatus status, std::string message) {
  ClientReply reply;
  reply.status = status;
  reply.message = std::move(message);
  return reply;
}

}  // namespace

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
  ClientOptions options;
  net::RingInfo info;
  std::optional<Ring> ring;
  std::map<std::string, int, std::less<>> replicas;  // store -> N
  std::vector<std::string> order;                    // node ids, in ring order
  std::vector<std::string> seed_ids;                 // the members whose client address is a seed
  std::mutex mutex;
  std::map<std::string, Lane> lanes;  // node id -> lane
  bool closing = false;               // ~Client has begun: nothing more is sent
  // Batches a connection answered at once, on the thread that was sending them (it could not send:
  // no free slot, or out of memory). That thread holds `mutex` in pump, so their on_batch waits here
  // until the lock is released (submit and on_batch run them after it); calling it there would lock
  // `mutex` twice.
  std::vector<std::function<void()>> deferred;
  static thread_local const Impl* pumping;
  std::atomic<std::uint64_t> next_request{1};
  std::atomic<std::uint64_t> round_robin{0};

  // The nodes to try for a request, best first (mutex held).
  std::vector<std::string> candidates(const ClientRequest& request) {
    std::vector<std::string> out;
    if (options.partition_aware) {
      auto n = replicas.find(request.store.empty() ? std::string(kDefaultStore) : request.store);
      if (n != replicas.end()) {
        auto list = ring->preference_list(ring->partition_of_key(request.key), n->second);
        if (list.ok()) out = std::move(list).value();
      }
    }
    // Not partition-aware: the seeds first, in turn (they forward to a coordinator).
    if (!options.partition_aware && !seed_ids.empty()) {
      const std::size_t first = round_robin.fetch_add(1);
      for (std::size_t i = 0; i < seed_ids.size(); ++i) out.push_back(seed_ids[(first + i) % seed_ids.size()]);
    }
    // Then every other node, from a rotating start (any node forwards to a coordinator).
    const std::size_t start = round_robin.fetch_add(1);
    for (std::size_t i = 0; i < order.size(); ++i) {
      const std::string& id = order[(start + i) % order.size()];
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    }
    // Nodes avoided lately, or with no connection up now (down, or not reached yet), go last.
    const auto now = Clock::now();
    std::stable_partition(out.begin(), out.end(), [&](const std::string& id) {
      const Lane& lane = lanes[id];
      return lane.avoid_until <= now && lane.connection && lane.connection->connected();
    });
    return out;
  }

  void submit(Pending pending) {
    std::vector<std::pair<Done, ClientReply>> failed;
    std::vector<std::function<void()>> deferred_now;
    {
      std::lock_guard lock(mutex);
      if (closing) {
        failed.emplace_back(std::move(pending.done), failure(ReplyStatus::kFailed, "the client is closing; not sent"));
      } else if (const auto target = next_target(candidates(pending.request), pending.tried); !target) {
        std::string names;
        for (const auto& id : pending.tried) names += (names.empty() ? "" : ", ") + id;
        failed.emplace_back(std::move(pending.done),
                            failure(ReplyStatus::kFailed, "no node answered (tried " + std::to_string(pending.tried.size()) +
                                                              (names.empty() ? "" : ": " + names) + ")"));
      } else {
        pending.tried.push_back(*target);
        lanes[*target].queue.push_back(std::move(pending));
        pump(*target);
      }
      deferred_now.swap(deferred);  // pump's put-off answers, run once the lock is released
    }
    for (auto& [done, reply] : failed) done(std::move(reply));
    for (auto& call : deferred_now) call();
  }

  // Sends what is queued for `target`, as batches (mutex held).
  void pump(const std::string& target) {
    Lane& lane = lanes[target];
    if (!lane.connection) return;  // the client is closing
    while (lane.in_flight < options.max_batches_per_node && !lane.queue.empty()) {
      auto calls = std::make_shared<std::vector<Pending>>();
      net::ClientBatch batch;
      while (!lane.queue.empty() && calls->size() < options.max_calls_per_batch) {
        calls->push_back(std::move(lane.queue.front()));
        lane.queue.pop_front();
        batch.calls.push_back(calls->back().request);
      }
      ++lane.in_flight;
      auto self = shared_from_this();
      std::string bytes = net::encode_client_batch(batch);
      // Restored on every way out of this scope, an exception included.
      struct PumpScope {
        const Impl* previous;
        explicit PumpScope(const Impl* now) : previous(std::exchange(pumping, now)) {}
        ~PumpScope() { pumping = previous; }
      } scope(this);
      lane.connection->call(std::move(bytes),
                            [self, target, calls](Result<net::ReplyBatch> reply, Sent sent) {
                              if (pumping == self.get()) {  // answered at once, under our lock
                                self->deferred.push_back([self, target, calls, reply = std::move(reply), sent]() mutable {
                                  self->on_batch(target, std::move(*calls), std::move(reply), sent);
                                });
                                return;
                              }
                              self->on_batch(target, std::move(*calls), std::move(reply), sent);
                            });
    }
  }

  void on_batch(const std::string& target, std::vector<Pending> calls, Result<net::ReplyBatch> reply, Sent sent) {
    std::vector<std::pair<Done, ClientReply>> finished;
    std::vector<Pending> retry;
    std::vector<std::function<void()>> deferred_now;
    {
      std::lock_guard lock(mutex);
      Lane& lane = lanes[target];
      --lane.in_flight;
      if (!reply.ok()) {
        lane.avoid_until = Clock::now() + std::chrono::milliseconds(options.avoid_ms);
        for (auto& call : calls) {
          // A batch that was never sent did nothing, so even a write may go to the next node.
          if (call.request.op == OpKind::kGet || sent == Sent::kNo) {
            retry.push_back(std::move(call));
          } else {
            finished.emplace_back(std::move(call.done),
                                  failure(ReplyStatus::kUnknown, target + " did not answer (" + reply.error().message +
                                                                     "): the write may or may not have happened"));
          }
        }
      } else {
        std::map<std::uint64_t, ClientReply> by_id;
        std::string refusal;
        for (auto& answer : std::move(reply).value().answers) {
          if (auto* r = std::get_if<ClientReply>(&answer)) by_id[r->request_id] = std::move(*r);
          if (auto* e = std::get_if<net::BatchError>(&answer)) refusal = e->message;
        }
        for (auto& call : calls) {
          auto it = by_id.find(call.request.request_id);
          if (it != by_id.end()) {
            finished.emplace_back(std::move(call.done), std::move(it->second));
          } else {
            finished.emplace_back(std::move(call.done),
                                  failure(ReplyStatus::kFailed, target + " refused the batch: " +
                                                                    (refusal.empty() ? "no answer for this call" : refusal)));
          }
        }
      }
      pump(target);
      deferred_now.swap(deferred);
    }
    for (auto& [done, r] : finished) done(std::move(r));
    for (auto& call : retry) submit(std::move(call));
    for (auto& call : deferred_now) call();
  }
};

thread_local const Client::Impl* Client::Impl::pumping = nullptr;

Result<std::unique_ptr<Client>> Client::connect(ClientOptions options) {
  if (options.seeds.empty()) return Error{"no seed node given: pass at least one node's client address"};
  std::string reasons;
  for (const auto& seed : options.seeds) {
    auto connection = Connection::open({seed, options.timeout_ms, 16});
    if (!connection.ok()) {
      reasons += "\n  " + seed + ": " + connection.error().message;
      continue;
    }
    auto info = ask_ring(*connection.value());
    if (!info.ok()) {
      reasons += "\n  " + seed + ": " + info.error().message;
      continue;
    }
    auto impl = std::make_shared<Impl>();
    impl->options = options;
    impl->info = std::move(info).value();
    std::vector<Member> members;
    for (const auto& m : impl->info.members) members.push_back(m.member);
    auto ring = Ring::build(members, impl->info.partitions);
    if (!ring.ok()) return Error{"the ring from " + seed + " is invalid: " + ring.error().message};
    impl->ring.emplace(std::move(ring).value());
    for (const auto& store : impl->info.stores) impl->replicas[store.name] = store.n;
    for (const auto& m : impl->info.members) {
      impl->order.push_back(m.member.id);
      if (std::find(options.seeds.begin(), options.seeds.end(), m.client_address) != options.seeds.end())
        impl->seed_ids.push_back(m.member.id);
      auto lane_connection = Connection::open({m.client_address, options.timeout_ms, options.max_batches_per_node * 2});
      if (!lane_connection.ok()) return Error{"cannot connect to " + m.member.id + ": " + lane_connection.error().message};
      impl->lanes[m.member.id].connection = std::move(lane_connection).value();
    }
    // The dials run in the background. Give them a moment, so the first requests already know which
    // nodes are down and go past them instead of waiting for a connection that will not come.
    const auto settle = Clock::now() + std::chrono::milliseconds(std::min<std::uint32_t>(options.timeout_ms, options.settle_ms));
    for (auto& [id, lane] : impl->lanes) lane.connection->wait_connected(settle);
    return std::unique_ptr<Client>(new Client(std::move(impl)));
  }
  return Error{"no seed node answered:" + reasons};
}

Client::Client(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() {
  std::map<std::string, Lane> lanes;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->closing = true;  // from here, submit (a retry from a cancelled batch too) fails at once
    lanes.swap(impl_->lanes);
  }
  // Close the connections (waits for their callbacks, which hold the Impl alive through `self`):
  // every batch in flight ends, in on_batch, with an answer or an error for each of its calls.
  std::vector<Pending> unsent;
  for (auto& [id, lane] : lanes) {
    for (auto& pending : lane.queue) unsent.push_back(std::move(pending));
    lane.queue.clear();
  }
  lanes.clear();
  // Queued and never sent: `done` still runs exactly once for each.
  for (auto& pending : unsent)
    pending.done(failure(ReplyStatus::kFailed, "the client closed before sending this request"));
}

void Client::submit(ClientRequest request, Done done) {
  request.request_id = impl_->next_request.fetch_add(1);
  impl_->submit(Pending{std::move(request), std::move(done), {}});
}

ClientReply Client::call(ClientRequest request) {
  std::promise<ClientReply> promise;
  auto future = promise.get_future();
  submit(std::move(request), [&promise](ClientReply reply) { promise.set_value(std::move(reply)); });
  return future.get();
}

const net::RingInfo& Client::ring() const { return impl_->info; }

std::string Client::route(const std::string& store, const std::string& key) const {
  ClientRequest request;
  request.store = store;
  request.key = key;
  std::lock_guard lock(impl_->mutex);
  auto order = impl_->candidates(request);
  return order.empty() ? std::string() : order.front();
}

Result<net::StatusInfo> Client::status(const std::string& node_id) {
  Connection* connection = nullptr;
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->lanes.find(node_id);
    if (it == impl_->lanes.end()) return Error{"no member named " + node_id};
    connection = it->second.connection.get();
  }
  net::ClientBatch batch;
  batch.calls.push_back(net::StatusCall{1});
  auto reply = connection->call_sync(batch);
  if (!reply.ok()) return reply.error();
  for (auto& answer : std::move(reply).value().answers)
    if (auto* status = std::get_if<net::StatusInfo>(&answer)) return std::move(*status);
  return Error{node_id + " sent no status"};
}

}  // namespace dynamo::client
