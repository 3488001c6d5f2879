// Tombstone reaping (tla/Membership.tla: ReapTombstone; the rule and why it is safe: docs/reaping.md).
//
// A delete is a tombstone: a version like any other, so that it supersedes what it deleted on every
// replica it reaches. Kept for ever, tombstones would make deleted keys cost storage for ever; dropped
// too early, the value they superseded comes back (from a replica, a hint or a message that still has
// it). A tombstone goes only when nothing it supersedes is left anywhere:
//   consider_reap      the anti-entropy pass meets a key this node is a primary of whose siblings are
//                      all tombstones, the newest older than reap_grace_ms, with no hint kept here for
//                      it and not in transfer: it starts a reap;
//   ask_reap           every member of the ring (this node included) is asked whether it holds, for
//                      the key, anything the tombstones do not cover (answer_reap_query: siblings and
//                      hints; a primary must hold exactly the tombstones; a member with another ring,
//                      its hints not loaded yet, or the key in transfer says no);
//                      the question is asked twice, reap_settle ticks apart, and every member must say
//                      yes both times with the same holdings: anything sent before the first round has
//                      landed by the second, and nobody changed in between;
//   reap_tombstone     then each member holding some of the tombstones is told to drop them; the drop
//                      is a conditional storage op (Storage::reap) that keeps anything else, so a
//                      write that landed meanwhile stays.
// A member that does not answer in time, or says no, ends the reap; the next pass tries again.
#include <algorithm>
#include <utility>

#include "impl/core/node.h"
#include "impl/core/node_ops.h"

namespace dynamo {
namespace {

bool covered_by(const Version& held, const std::vector<Version>& tombstones) {
  return held.is_tombstone() && std::any_of(tombstones.begin(), tombstones.end(), [&](const Version& t) {
           return t.dot == held.dot || supersedes(t, held);
         });
}

}  // namespace

// Declared in messages.h. The ring's identity (members in join order, their data centres and
// weights, Q): two nodes with the same digest place every key on the same primaries. FNV-1a, stable
// across machines.
std::uint64_t ring_digest(const Ring& ring) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // a separator, so ("ab","c") differs from ("a","bc")
  };
  for (const auto& m : ring.members()) {
    mix(m.id);
    mix(m.dc);
    mix(std::to_string(m.weight));
  }
  mix(std::to_string(ring.partitions()));
  return h;
}

void Node::consider_reap(Effects& out, const std::string& key, const KeyState& state, const StoreConfig& store) {
  if (config_.timing.reap_grace_ms == 0 || state.siblings.empty()) return;
  // One querier per key: the first primary this node does not suspect (any primary would do; one
  // saves the others' questions).
  const std::string_view user_key = split_storage_key(key).second;
  for (const auto& primary : preference_list(user_key, store.quorum.n)) {
    if (primary == config_.id) break;
    if (!suspected(primary)) return;
  }
  std::uint64_t newest = 0;
  for (const auto& v : state.siblings) {
    if (!v.is_tombstone()) return;
    newest = std::max(newest, v.dot.stamp_ms);
  }
  if (now_ms_ < newest || now_ms_ - newest < config_.timing.reap_grace_ms) return;
  if (keys_in_reap_.contains(key) || keys_in_transfer_.contains(key) || may_hold_hints(key)) return;
  if (reaps_.size() >= config_.limits.anti_entropy_keys_per_round) return;
  ++counters_.reap_rounds;
#ifdef DYNAMO_MUTANT_REAP_WITHOUT_ASKING
  // Mutant (the spec's EarlyReapBug): the tombstone is dropped here without asking anyone.
  reap_floor_ = std::max(reap_floor_, max_issued_);
  issue(out, ReapKey{key, state.siblings}, Reaped{key, state.siblings});
  return;
#endif
  Reaping r;
  r.key = key;
  r.tombstones = state.siblings;
  keys_in_reap_.insert(key);
  const std::uint64_t id = next_op_id_++;
  reaps_.emplace(id, std::move(r));
  ask_reap(out, id);
}

void Node::ask_reap(Effects& out, std::uint64_t query) {
  // Each round has its own id: a late or duplicated answer to round 1 never counts for round 2.
  auto node = reaps_.extract(query);
  if (node.empty()) return;
  const std::uint64_t id = next_op_id_++;
  Reaping& r = node.mapped();
  r.awaiting.clear();
  r.held.clear();
  r.ask_at = 0;
  r.deadline = now_ + config_.timing.request_timeout;
  auto [store, user_key] = split_storage_key(r.key);
  const std::uint64_t ring = ring_digest(*config_.ring);
  // Every member, and every node of an earlier ring or leaving (set_leaving) too: a node that left
  // may still hold the key until it has handed it over. A leaving node that does not answer ends the
  // reap, as a member does; another former member that does not answer is taken to hold nothing (it
  // was removed, its data with it, or finished leaving); one that is alive answers like a member.
  for (const auto& node : known_nodes_) {
    r.awaiting.insert(node);
    out.sends.push_back(Send{node, ReapQuery{id, std::string(store), std::string(user_key), ring, r.tombstones, false}});
  }
  node.key() = id;
  reaps_.insert(std::move(node));
}

void Node::set_leaving(std::set<std::string> nodes) {
  // Asked by every reap from now on, and their messages (a transfer, a reap answer) accepted.
  known_nodes_.insert(nodes.begin(), nodes.end());
  leaving_ = std::move(nodes);
}

void Node::answer_reap_query(Effects& out, const std::string& from, const ReapQuery& query) {
  const StoreConfig* store = find_store(query.store);
  if (!store) return;
  const std::string key = storage_key(query.store, query.key);
  if (query.reap) {
    // Every counter this actor issued so far stays below its next ones, whatever the reap drops.
    reap_floor_ = std::max(reap_floor_, max_issued_);
    issue(out, ReapKey{key, query.tombstones}, Reaped{key, query.tombstones});
    return;
  }
  // What this node cannot vouch for: another ring (a member the querier does not know may hold the
  // key, or this node is about to hand it over), hints not counted yet, the key in transfer, or a
  // put of it under way here: queued, or sent and still unanswered, since such a put may yet send
  // its version to one more fallback (resend_put) after this node said yes.
  const bool unsure = query.ring != ring_digest(*config_.ring) || !hints_loaded_ || keys_in_transfer_.contains(key) ||
                      put_queues_.contains(key) || put_may_send(key);
  if (unsure) {
    out.sends.push_back(Send{from, ReapReply{query.query, query.store, query.key, false, {}}});
    return;
  }
  issue(out, ReadKey{key, may_hold_hints(key)}, ReapRead{from, query});
}

void Node::on_reap_read(Effects& out, const ReapRead& done, Result<StorageOutcome> outcome) {
  const ReapQuery& q = done.query;
  ReapReply reply{q.query, q.store, q.key, false, {}};
  if (outcome.ok()) {
    const KeyRead& read = std::get<KeyRead>(outcome.value());
    const StoreConfig* store = find_store(q.store);
    bool ok = store != nullptr && !keys_in_transfer_.contains(storage_key(q.store, q.key));
    for (const auto& v : read.state.siblings) {
      ok = ok && covered_by(v, q.tombstones);
      reply.held.push_back(v.dot);
    }
    for (const auto& h : read.hints) {
      ok = ok && covered_by(h.hint.version, q.tombstones);
      reply.held.push_back(h.hint.version.dot);
    }
    // A primary holds exactly the tombstones: then any older copy still on its way to it is
    // superseded on arrival, until the reap.
    if (ok && is_primary(config_.id, q.key, store->quorum.n))
      ok = read.hints.empty() && dots_of(read.state.siblings) == dots_of(q.tombstones);
    std::sort(reply.held.begin(), reply.held.end());
    ok = ok && reply.held.size() <= 2 * limits::kMaxSiblings;
    reply.ok = ok;
    if (!ok) reply.held.clear();
  }
  out.sends.push_back(Send{done.from, std::move(reply)});
}

void Node::on_reap_reply(Effects& out, const std::string& from, const ReapReply& reply) {
  auto it = reaps_.find(reply.query);
  if (it == reaps_.end()) return;  // a late or duplicated answer
  Reaping& r = it->second;
  if (storage_key(reply.store, reply.key) != r.key || !r.awaiting.contains(from)) return;
  if (!reply.ok) {  // someone holds what the tombstones do not cover, or cannot tell: not now
    keys_in_reap_.erase(r.key);
    reaps_.erase(it);
    return;
  }
  r.held[from] = reply.held;
  r.awaiting.erase(from);
  if (r.awaiting.empty()) reap_round_done(out, reply.query);
}

void Node::reap_round_done(Effects& out, std::uint64_t query) {
  auto it = reaps_.find(query);
  if (it == reaps_.end()) return;
  Reaping& r = it->second;
  if (r.round == 1) {
    r.first_held = std::move(r.held);
    r.held.clear();
    r.round = 2;
    r.ask_at = now_ + config_.timing.reap_settle;
    return;
  }
  if (r.held != r.first_held) {  // something moved between the rounds: not now
    keys_in_reap_.erase(r.key);
    reaps_.erase(it);
    return;
  }
  reap_tombstone(out, query);
}

void Node::reap_tombstone(Effects& out, std::uint64_t query) {
  auto it = reaps_.find(query);
  if (it == reaps_.end()) return;
  const Reaping& r = it->second;
  auto [store, user_key] = split_storage_key(r.key);
  for (const auto& [member, held] : r.held)
    if (!held.empty())
      out.sends.push_back(Send{member, ReapQuery{query, std::string(store), std::string(user_key),
                                                 ring_digest(*config_.ring), r.tombstones, true}});
  keys_in_reap_.erase(r.key);
  reaps_.erase(it);
}

void Node::on_reaped(const Reaped& done, Result<StorageOutcome> outcome) {
  if (!outcome.ok()) return;  // kept: a later pass reaps it again
  const KeyState& state = std::get<KeyStored>(outcome.value()).state;
  const std::vector<Dot> reaped = dots_of(done.tombstones);
  const bool gone = std::none_of(state.siblings.begin(), state.siblings.end(), [&](const Version& v) {
    return std::binary_search(reaped.begin(), reaped.end(), v.dot);
  });
  if (gone) ++counters_.tombstones_reaped;
}

void Node::expire_reaps(Effects& out) {
  std::vector<std::uint64_t> ask, done;
  for (auto it = reaps_.begin(); it != reaps_.end();) {
    const Reaping& r = it->second;
    if (r.ask_at != 0) {
      if (r.ask_at <= now_) ask.push_back(it->first);
      ++it;
    } else if (!r.awaiting.empty() && r.deadline <= now_) {
      auto must_answer = [&](const std::string& n) {
        bool leaving = leaving_.contains(n);
#ifdef DYNAMO_MUTANT_REAP_SKIPS_SILENT_LEAVER  // mutant: a silent leaving node counts as gone
        leaving = false;
#endif
        return leaving || config_.ring->index_of(n).has_value();
      };
      const bool members_answered = std::none_of(r.awaiting.begin(), r.awaiting.end(), must_answer);
      if (members_answered) {  // only former members are silent: gone, holding nothing
        done.push_back(it->first);
        ++it;
        continue;
      }
      keys_in_reap_.erase(r.key);  // a member did not answer: not now
      it = reaps_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto id : ask) ask_reap(out, id);
  for (auto id : done) {
    auto it = reaps_.find(id);
    if (it == reaps_.end()) continue;
    for (const auto& n : it->second.awaiting) it->second.held[n] = {};
    it->second.awaiting.clear();
    reap_round_done(out, id);
  }
}

}  // namespace dynamo
