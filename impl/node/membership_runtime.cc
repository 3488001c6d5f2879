// membership_runtime.cc: the node's side of membership (docs/membership.md "In the node"). The pure
// pieces decide (membership.h: the view and the admin commands; gossip.h: whom to tell what); this
// file moves their messages, persists the view, and hands the core each new ring.
//
// Which ring the core serves: target_ring(view), joining and valid members. A joiner owns its
// partitions from the moment the core adopts the ring; the old owners find the keys they no longer
// own in their next anti-entropy pass and stream them over (Node::stream_partition), releasing each
// only once every new primary confirmed it. A leaver is out of the target ring, so it hands every
// key over, and it finishes its own leave (leaving -> removed) once a whole pass found nothing left
// to hand over and no hint or transfer is pending: only then can it be stopped without losing a copy.
//
// The view is persisted (DATA_DIR/membership) before anything acts on it, so a restarted node comes
// back with the membership it had, not the configuration's initial one. Writing it blocks the event
// loop for one small fsync per change; membership changes are rare (administrator commands).
#include <chrono>
#include <set>
#include <utility>

#include "impl/node/durable_file.h"
#include "impl/node/log.h"
#include "impl/node/runtime_state.h"

namespace dynamo::node {
namespace {

constexpr auto kJoinTimeout = std::chrono::seconds(5);
constexpr const char* kBootstrapBy = "config";  // every initial member builds the same view

JoinRequest join_request_of(const NodeFileConfig& config, const net::MemberAddress& m) {
  return JoinRequest{config.cluster_id, m.member.id, MemberAddresses{m.peer_address, m.client_address, m.http_address},
                     m.member.dc, m.member.weight};
}

std::string view_path(const NodeFileConfig& config) { return config.data_dir + "/membership"; }

bool persists(const NodeFileConfig& config) { return config.engine == Engine::kRocksDb; }

}  // namespace

Result<MembershipView> load_membership(const NodeFileConfig& config) {
  if (persists(config)) {
    auto bytes = read_whole_file(view_path(config));
    if (!bytes.ok()) return bytes.error();
    if (bytes.value()) {
      auto view = net::decode_view(*bytes.value());
      if (!view.ok())
        return Error{view_path(config) + " is damaged (" + view.error().message +
                     "); restore it, or start with an empty data directory"};
      if (view.value().cluster_id != config.cluster_id)
        return Error{view_path(config) + " is of cluster \"" + view.value().cluster_id + "\" but the configuration says \"" +
                     config.cluster_id + "\"; this data directory belongs to another cluster"};
      return view;
    }
  }
  std::vector<JoinRequest> initial;
  for (const auto& m : config.members) initial.push_back(join_request_of(config, m));
  return bootstrap(config.cluster_id, initial, kBootstrapBy);
}

std::size_t largest_n(const std::vector<StoreConfig>& stores) {
  std::size_t n = 1;
  for (const auto& store : stores) n = std::max(n, static_cast<std::size_t>(store.quorum.n));
  return n;
}

const MemberEntry* NodeRuntime::Impl::member_entry(const std::string& id) const {
  return gossiper->view().find(id);
}

void NodeRuntime::Impl::send_membership(const std::string& to, const std::string& address,
                                        std::variant<GossipMessage, net::JoinAsk, net::JoinAnswer> body) {
  if (Status s = peers->connect(to, address); !s.ok()) {
    log_warn("membership: " + s.error().message);
    return;
  }
  std::string bytes = net::encode_membership_message(
      net::MembershipMessage{config.self.member.id, config.self.peer_address, std::move(body)});
  if (sealer) {
    auto sealed = sealer->seal(to, bytes);
    if (!sealed.ok()) return log_error("cannot seal a membership message for " + to + ": " + sealed.error().message);
    bytes = std::move(sealed).value();
  }
  if (!peers->send(to, bytes)) metrics.count_dropped("peer_unreachable");
}

void NodeRuntime::Impl::gossip_tick() {
  for (auto& out : gossiper->on_gossip_tick()) send_membership(out.to, out.address, std::move(out.message));
}

void NodeRuntime::Impl::on_membership_bytes(std::string_view payload, const std::string& sealed_by) {
  auto message = net::decode_membership_message(payload);
  if (!message.ok()) return refuse_peer_message("malformed membership message: " + message.error().message);
  net::MembershipMessage m = std::move(message).value();
  if (sealer && m.from != sealed_by)
    return refuse_peer_message("peer auth: a membership message sealed by " + sealed_by + " names " + m.from);
  const MembershipView before = gossiper->view();
  if (auto* gossip = std::get_if<GossipMessage>(&m.body)) {
    // Gossip from a sender this view does not know yet is merged: it holds the secret, and a merge
    // only ever moves entries forward (a join-semilattice). It is answered only once the view knows
    // the sender, and at the address the view gives: a stranger cannot make this node dial anywhere.
    auto reply = gossiper->on_gossip(m.from, *gossip);
    if (!reply.ok()) return refuse_peer_message("gossip from " + m.from + ": " + reply.error().message);
    const MemberEntry* sender = gossiper->view().find(m.from);
    if (reply.value() && sender && sender->status != MemberStatus::kRemoved)
      send_membership(m.from, sender->addresses.peer, std::move(*reply.value()));
  } else if (auto* ask = std::get_if<net::JoinAsk>(&m.body)) {
    net::JoinAnswer answer{ask->ask_id, "", {}};
    if (ask->request.id != m.from) {
      answer.error = "a node may only ask to join as itself (" + m.from + " asked for " + ask->request.id + ")";
    } else if (Status s = admin_join(gossiper->local_view(), ask->request, config.self.member.id); !s.ok()) {
      answer.error = s.error().message;
    }
    if (answer.error.empty()) {
      log_info("membership: " + m.from + " joins through this node (" + ask->request.addresses.peer + ")");
      answer.view = gossiper->view();
    } else {
      log_warn("membership: refused the join of " + m.from + ": " + answer.error);
      answer.view.cluster_id = gossiper->view().cluster_id;
    }
    // Persist before answering: the joiner acts on the answer.
    membership_changed(before);
    send_membership(m.from, ask->request.addresses.peer, std::move(answer));
    return;
  } else if (auto* answer = std::get_if<net::JoinAnswer>(&m.body)) {
    if (!pending_join || pending_join->ask_id != answer->ask_id) return;  // late, or not ours
    const PendingJoin join = *std::exchange(pending_join, std::nullopt);
    if (!answer->error.empty()) {
      answer_batch_entry(join.batch, net::AdminAnswer{join.request_id, false, "the seed refused: " + answer->error});
      return;
    }
    if (answer->view.cluster_id == gossiper->view().cluster_id)
      gossiper->local_view() = merge(gossiper->view(), answer->view);
    membership_changed(before);
    answer_batch_entry(join.batch, net::AdminAnswer{join.request_id, true,
                                                    config.self.member.id + " joined through " + join.seed +
                                                        "; the ring changes as the view spreads (`dynamo ring`)"});
    return;
  }
  membership_changed(before);
}

// Everything that follows a change of the view, in this order: persist it, then act on it (dial new
// members, accept their messages, give the core the new ring), then finish this node's own join.
void NodeRuntime::Impl::membership_changed(const MembershipView& before) {
  if (gossiper->view() == before) return;
  const std::string& self = config.self.member.id;
  for (const auto& [id, entry] : gossiper->view().members) {
    const MemberEntry* old = before.find(id);
    if (!old || old->status != entry.status)
      log_info("membership: " + id + " is " + std::string(to_string(entry.status)) + " (changed by " +
               entry.changed_by + ")");
  }
  if (persists(config)) {
    if (Status s = replace_file_durably(config.data_dir, view_path(config), net::encode_view(gossiper->view()));
        !s.ok())
      log_error("membership: cannot persist the view: " + s.error().message);
  }
  std::set<std::string> senders;
  for (const auto& [id, entry] : gossiper->view().members) {
    senders.insert(id);  // removed members too: a node removed while alive still hands keys over
    if (id != self && entry.status != MemberStatus::kRemoved && !entry.addresses.peer.empty())
      if (Status s = peers->connect(id, entry.addresses.peer); !s.ok()) log_warn("membership: " + s.error().message);
  }
  if (opener) opener->set_members(std::move(senders));
  adopt_target_ring();
  core->set_leaving(leaving_members(gossiper->view()));
  const MemberEntry* mine = gossiper->view().find(self);
  if (mine && mine->status == MemberStatus::kJoining) {
    // The core serves the joiner's partitions from now on (it is in the target ring): the join is done
    // as far as the view goes; the data follows by transfer.
    const MembershipView joined = gossiper->view();
    if (finish_join(gossiper->local_view(), self, self).ok()) membership_changed(joined);
  }
  if (mine && mine->status == MemberStatus::kLeaving && !leave_pass) leave_pass = core->stats().anti_entropy_passes;
}

void NodeRuntime::Impl::adopt_target_ring() {
  auto ring = target_ring(gossiper->view(), config.partitions);
  if (!ring.ok()) return log_warn("membership: no ring from this view: " + ring.error().message);
  if (ring.value().members() == core->config().ring->members()) return;
  std::string names;
  for (const auto& m : ring.value().members()) names += " " + m.id;
  auto adopted = core->adopt_ring(std::make_shared<const Ring>(std::move(ring).value()));
  if (!adopted.ok()) return log_warn("membership: the core refused the new ring: " + adopted.error().message);
  log_info("ring: now" + names);
  apply(std::move(adopted).value());
}

// A leaver is done when a whole anti-entropy pass that began after the leave found no key left to
// hand over, and nothing is in transfer or waiting as a hint: then every key it held is confirmed on
// its new primaries, and it removes itself.
void NodeRuntime::Impl::check_leave_drained() {
  const std::string& self = config.self.member.id;
  const MemberEntry* mine = gossiper->view().find(self);
  if (!mine || mine->status != MemberStatus::kLeaving || !leave_pass) return;
  const NodeStats stats = core->stats();
  if (stats.anti_entropy_passes < *leave_pass + 2 || stats.keys_not_owned != 0 || stats.transfers_in_flight != 0 ||
      stats.pending_hints != 0)
    return;
  const MembershipView before = gossiper->view();
  if (!finish_leave(gossiper->local_view(), self, self).ok()) return;
  membership_changed(before);
  // Told to every member at once rather than by random gossip: the node is about to be stopped.
  const GossipMessage news{GossipKind::kAck2, digest(gossiper->view()), gossiper->view()};
  for (const auto& [id, entry] : gossiper->view().members)
    if (id != self && entry.status != MemberStatus::kRemoved) send_membership(id, entry.addresses.peer, news);
  log_info("membership: left the cluster: every key is handed over; this node can be stopped");
}

void NodeRuntime::Impl::on_admin(std::uint64_t batch, const net::AdminCall& call) {
  const std::string& self = config.self.member.id;
  const std::size_t min_members = largest_n(config.stores);
  const MembershipView before = gossiper->view();
  auto refuse = [&](std::string why) { answer_batch_entry(batch, net::AdminAnswer{call.request_id, false, std::move(why)}); };
  if (const auto* join = std::get_if<net::AdminJoin>(&call.command)) {
    if (const MemberEntry* mine = before.find(self)) {
      if (mine->status == MemberStatus::kRemoved)
        return refuse(self + " was removed from this cluster, and a removed id never comes back; start the node "
                             "under a new id with an empty data directory");
      return refuse(self + " is already a member (" + std::string(to_string(mine->status)) + ")");
    }
    if (pending_join) return refuse("a join through " + pending_join->seed + " is already under way");
    if (join->seed_id == self) return refuse("a node cannot join through itself; name a member of the cluster");
    pending_join = PendingJoin{next_ask++, batch, call.request_id, join->seed_id, Clock::now() + kJoinTimeout};
    send_membership(join->seed_id, join->seed_peer_address,
                    net::JoinAsk{pending_join->ask_id, join_request_of(config, config.self)});
    return;  // answered when the seed answers, or by expire_join
  }
  Status done;
  std::string what;
  if (std::holds_alternative<net::AdminLeave>(call.command)) {
    done = admin_leave(gossiper->local_view(), self, min_members, self);
    what = self + " is leaving: its keys move to their new owners, then it removes itself (watch `dynamo ring`; "
                  "stop it once its log says it left)";
  } else {
    const auto& remove = std::get<net::AdminRemove>(call.command);
    if (remove.id == self) return refuse("to take this node out, use `dynamo admin leave`; remove is for a node that is gone for good");
    done = admin_remove(gossiper->local_view(), remove.id, min_members, self);
    what = remove.id + " is removed; the other replicas refill its keys by anti-entropy and its hints go to the new owners";
  }
  if (!done.ok()) return refuse(done.error().message);
  membership_changed(before);
  answer_batch_entry(batch, net::AdminAnswer{call.request_id, true, what});
}

void NodeRuntime::Impl::expire_join() {
  if (!pending_join || Clock::now() < pending_join->deadline) return;
  const PendingJoin join = *std::exchange(pending_join, std::nullopt);
  answer_batch_entry(join.batch,
                     net::AdminAnswer{join.request_id, false,
                                      "the seed " + join.seed + " did not answer within 5 s: is it running and reachable, "
                                      "and does this node have the cluster's cluster_id and secret? (a refusal is in "
                                      "the seed's log)"});
}

}  // namespace dynamo::node
