#include "impl/node/node_runtime.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "impl/node/epoch_file.h"
#include "impl/node/log.h"
#include "impl/node/runtime_state.h"
#include "impl/store/memory_store.h"
#include "impl/store/rocksdb_store.h"

namespace dynamo::node {
namespace {

Result<std::unique_ptr<store::Storage>> open_storage(const NodeFileConfig& config) {
  if (config.engine == Engine::kMemory) return std::unique_ptr<store::Storage>(std::make_unique<store::MemoryStore>());
  auto db = store::RocksDbStore::open({config.data_dir + "/rocksdb", nullptr, config.cache_mb << 20});
  if (!db.ok()) return db.error();
  return std::unique_ptr<store::Storage>(std::move(db).value());
}

// The memory engine keeps nothing, so no epoch file either: the epoch is the start time in ms, which
// grows across restarts just as well (dots of a previous life are never reused). So is a RocksDB
// node's first epoch (epoch_file.h: its directory may have been wiped).
Result<std::uint64_t> epoch_for(const NodeFileConfig& config) {
  const auto now_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  if (config.engine == Engine::kRocksDb) return next_epoch(config.data_dir, now_ms);
  return now_ms;
}

}  // namespace

Result<std::unique_ptr<NodeRuntime>> NodeRuntime::open(NodeFileConfig config) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  const NodeFileConfig& c = impl->config;
  set_log_identity(c.self.member.id);

  // The membership this node starts with, and the ring the core serves (membership_runtime.cc).
  auto view = load_membership(c);
  if (!view.ok()) return view.error();
  auto ring = target_ring(view.value(), c.partitions);
  if (!ring.ok()) return Error{"the membership view gives no ring: " + ring.error().message};
  auto epoch = epoch_for(c);
  if (!epoch.ok()) return epoch.error();
  impl->epoch = epoch.value();

  NodeConfig core_config;
  core_config.id = c.self.member.id;
  core_config.epoch = impl->epoch;
  core_config.ring = std::make_shared<const Ring>(std::move(ring).value());
  core_config.stores = c.stores;
  core_config.timing = c.timing;
  core_config.limits = c.limits;
  core_config.record_spec_steps = false;  // nothing here reads Effects::steps
  auto core = Node::create(std::move(core_config));
  if (!core.ok()) return core.error();
  impl->core.emplace(std::move(core).value());
  impl->core->set_leaving(leaving_members(view.value()));

  auto storage = open_storage(c);
  if (!storage.ok()) return storage.error();
  impl->storage = std::make_unique<StorageWorker>(std::move(storage).value(), impl->inbox);

  // Gossip: the configuration's members are the seeds (§4.8.2); the seed of the PRNG is the epoch,
  // so each life of a node picks its own peers.
  GossipConfig gossip_config{c.self.member.id, {}};
  for (const auto& m : c.members) gossip_config.seeds.push_back(SeedPeer{m.member.id, m.peer_address});
  if (Status s = Gossiper::validate(gossip_config, view.value()); !s.ok()) return s.error();
  impl->gossiper.emplace(std::move(gossip_config), view.value(), impl->epoch);

  std::map<std::string, std::string> peer_addresses;
  for (const auto& [id, entry] : view.value().members)
    if (id != c.self.member.id && entry.status != MemberStatus::kRemoved) peer_addresses[id] = entry.addresses.peer;
  if (!c.secret.empty()) {
    // Sealed peer messages (docs/security.md): everyone in the view may send; an authentic sender
    // outside it may only ask to join or gossip (on_peer_bytes).
    std::set<std::string> senders;
    for (const auto& [id, entry] : view.value().members) senders.insert(id);
    const net::ClusterKey key{c.cluster_id, c.secret};
    auto sealer = net::Sealer::create(key, c.self.member.id, impl->epoch);
    if (!sealer.ok()) return sealer.error();
    auto opener = net::Opener::create(key, c.self.member.id, std::move(senders), net::kReadLimits.max_message_bytes);
    if (!opener.ok()) return opener.error();
    impl->sealer = std::move(sealer).value();
    impl->opener = std::move(opener).value();
  }

  auto peers = PeerTransport::start(c.self.peer_address, peer_addresses, impl->inbox);
  if (!peers.ok()) return peers.error();
  impl->peers = std::move(peers).value();
  auto clients = ClientServer::start(c.self.client_address, impl->inbox);
  if (!clients.ok()) return clients.error();
  impl->clients = std::move(clients).value();

  std::size_t largest_value = 0;
  for (const auto& store : c.stores) {
    impl->http_api.stores[store.name] = store.max_value_bytes;
    impl->http_api.replicas[store.name] = store.quorum.n;
    largest_value = std::max(largest_value, store.max_value_bytes);
  }
  // Above every store's limit, so the API (not NNG) answers an oversized value, with 413.
  const std::size_t max_body = std::min(limits::kMaxValueBytes, 2 * largest_value) + 1;
  auto http = HttpServer::start(c.self.http_address, max_body, impl->inbox);
  if (!http.ok()) return http.error();
  impl->http = std::move(http).value();
  return std::unique_ptr<NodeRuntime>(new NodeRuntime(std::move(impl)));
}

NodeRuntime::NodeRuntime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NodeRuntime::~NodeRuntime() = default;

void NodeRuntime::run(const std::atomic<bool>& stop) {
  Impl& impl = *impl_;
  const auto tick = std::chrono::milliseconds(impl.config.tick_ms);
  log_info("serving: epoch " + std::to_string(impl.epoch) + ", http " + impl.config.self.http_address + ", client " +
           impl.config.self.client_address + ", peer " + impl.config.self.peer_address + ", storage " +
           (impl.config.engine == Engine::kRocksDb ? impl.config.data_dir : std::string("memory")));
  if (impl.sealer)
    log_info("peer messages are sealed with HMAC-SHA256 (cluster \"" + impl.config.cluster_id + "\")");
  else
    log_warn("peer messages are not authenticated: no cluster secret configured (cluster.secret_file, "
             "docs/security.md); anyone who can reach the peer port can send this node messages");
  impl.apply(impl.core->start());
  impl.flush_turn();
  auto next_tick = Clock::now() + tick;
  while (!stop.load()) {
    auto events = impl.inbox.take(std::min(next_tick, Clock::now() + std::chrono::milliseconds(100)));
    for (auto& event : events) impl.on_event(event);
    if (Clock::now() >= next_tick) {
      const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch());
      impl.apply(impl.core->on_tick(static_cast<std::uint64_t>(wall.count())));
      impl.update_gauges();
      impl.check_leave_drained();
      impl.expire_join();
      if (Clock::now() >= impl.next_gossip) {
        impl.gossip_tick();
        impl.next_gossip = Clock::now() + std::chrono::milliseconds(impl.config.gossip_ms);
      }
      next_tick += tick;
      if (next_tick < Clock::now()) next_tick = Clock::now() + tick;  // fell behind: skip, do not burst
    }
    impl.flush_turn();
  }
  log_info("stopping: no new requests; finishing storage");
  // Stop the inputs first, then the storage thread (which syncs every buffered write on its way out).
  impl.http.reset();
  impl.clients.reset();
  impl.forward_connections.clear();
  impl.storage.reset();
  impl.peers.reset();
  log_info("stopped cleanly");
}

void NodeRuntime::Impl::on_event(Event& event) {
  std::visit(
      [&](auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, PeerBytes>) {
          on_peer_bytes(e.bytes);
        } else if constexpr (std::is_same_v<E, ClientBytes>) {
          on_client_bytes(e.origin, e.bytes);
        } else if constexpr (std::is_same_v<E, HttpIn>) {
          on_http(e.origin, e.request);
        } else if constexpr (std::is_same_v<E, StorageDone>) {
          for (auto& [token, outcome] : e.completions) apply(core->on_storage_done(token, std::move(outcome)));
        } else if constexpr (std::is_same_v<E, ForwardDone>) {
          on_forward_done(e.call, std::move(e.reply), e.not_sent);
        }
      },
      event);
}

void NodeRuntime::Impl::on_peer_bytes(const std::string& bytes) {
  std::string_view payload = bytes;
  std::string sealed_by;  // the sender the MAC vouches for
  bool member = true;     // without a secret, anyone who reaches the port is (docs/security.md)
  if (opener) {
    auto opened = opener->open(bytes);
    if (!opened.ok()) return refuse_peer_message(opened.error().message);
    payload = opened.value().payload;
    sealed_by = opened.value().from;
    member = opened.value().member;
  } else if (net::looks_sealed(bytes)) {
    return refuse_peer_message(
        "peer auth: a sealed message, but this node has no cluster secret; configure the same secret on every "
        "node (docs/security.md)");
  }
  if (net::peek_kind(payload) == net::TopKind::kMembership) return on_membership_bytes(payload, sealed_by);
  if (!member)
    return refuse_peer_message("peer auth: " + sealed_by + " is not in this node's membership view; it may ask to join "
                               "(`dynamo admin join`), nothing else");
  auto batch = net::decode_peer_batch(payload);
  if (!batch.ok()) {
    // A peer cannot be answered (one-way); log the first few, then every thousandth.
    ++malformed_peer_batches;
    metrics.count_dropped("malformed");
    if (malformed_peer_batches <= 10 || malformed_peer_batches % 1000 == 0)
      log_warn("dropped a malformed peer batch (" + std::to_string(malformed_peer_batches) + " so far): " +
               batch.error().message);
    return;
  }
  // The core trusts `from`; with a secret it must be the node that sealed the batch.
  if (opener && batch.value().from != sealed_by)
    return refuse_peer_message("peer auth: a batch sealed by " + sealed_by + " names " + batch.value().from +
                               " as its sender");
  for (const auto& message : batch.value().messages) apply(core->on_message(batch.value().from, message));
}

// A peer message the cluster secret does not vouch for: dropped, counted, logged (the first ten,
// then every thousandth, so a flood cannot fill the log).
void NodeRuntime::Impl::refuse_peer_message(const std::string& reason) {
  ++unauthenticated_peer_messages;
  metrics.count_dropped("unauthenticated");
  if (unauthenticated_peer_messages <= 10 || unauthenticated_peer_messages % 1000 == 0)
    log_warn("refused a peer message (" + std::to_string(unauthenticated_peer_messages) + " so far): " + reason);
}

void NodeRuntime::Impl::apply(Effects effects) {
  for (auto& op : effects.storage) turn_storage.push_back(std::move(op));
  for (auto& send : effects.sends) turn_sends[send.to].push_back(std::move(send.message));
  for (auto& reply : effects.replies) on_reply(reply.client, std::move(reply.reply));
}

void NodeRuntime::Impl::flush_turn() {
  // Storage ops run now; the completions available at once may issue more ops (a put's read, then
  // its write), so run until none is left. Durable ones complete later, after their group's sync.
  while (!turn_storage.empty()) {
    for (auto& [token, outcome] : storage->run(std::exchange(turn_storage, {})))
      apply(core->on_storage_done(token, std::move(outcome)));
  }
  // Taken out first: a message to oneself is applied here and may add sends for the next turn.
  for (auto& [to, messages] : std::exchange(turn_sends, {})) {
    net::PeerBatch batch{config.self.member.id, epoch, std::move(messages)};
    metrics.count_peer_batch(batch.messages.size());
    if (to == config.self.member.id) {  // never expected, but a message to oneself needs no socket
      for (const auto& message : batch.messages) apply(core->on_message(to, message));
      continue;
    }
    std::string bytes = net::encode_peer_batch(batch);
    if (sealer) {
      auto sealed = sealer->seal(to, bytes);
      if (!sealed.ok()) {  // never expected (ids are checked at start; 2^64 batches per peer)
        metrics.count_dropped("other");
        log_error("cannot seal a batch for " + to + ": " + sealed.error().message);
        continue;
      }
      bytes = std::move(sealed).value();
    }
    if (!peers->send(to, bytes)) metrics.count_dropped("peer_unreachable");
  }
}

}  // namespace dynamo::node
