// node.h: one Dynamo node as a deterministic state machine (the node core).
//
// Inputs: client requests, peer messages, storage completions, ticks. Outputs: Effects (effects.h:
// storage ops, messages, client replies, spec steps). No clock, no threads, no sockets, no global
// randomness: the same inputs in the same order give the same outputs, so the simulator, the
// property tests and the real node drive this one class, and thousands fit in one process.
//
// The protocol (tla/Dynamo.tla; each handler carries the name of its spec action, docs/spec-map.md):
//   coordinate_put  a put or delete at a primary of the key: read the key, make_version from the
//                   client's context, store the new state durably, then send Store to the other
//                   targets of the sloppy preference list (down primaries replaced by fallbacks,
//                   which keep the version as a hint). Puts of one key are serialised here, so no
//                   two puts read the same issued counter.
//   ack_put, complete_put   count distinct acknowledging targets (the coordinator included); answer
//                   the client at W. A put not acknowledged W times within request_timeout ticks is
//                   answered kUnknown (stored at the coordinator, so it may survive), never kOk.
//   resend_put      a put still short of W resend_after ticks after its Stores went out suspects its
//                   silent targets and sends the version to one more fallback for each, hinted for
//                   its primary (paper §4.6), once per put.
//   client_get, complete_get, read_repair   ask the targets; at R replies answer every causally
//                   maximal version and their context; send the result to every replier that had less.
//   store_version, replica_read   the replica side (a hinted Store goes to the hint store).
//   deliver_hint, delete_hint   every hint_scan_every ticks, hints for targets not suspected are sent
//                   home; a hint is deleted only after its target acknowledged storing it durably.
//   anti_entropy    every anti_entropy_every ticks (node_merkle.cc): for hosted partitions in turn, a
//                   Merkle exchange with another primary (Tree* messages) finds the keys that differ,
//                   whose versions then travel as KeySync (push, or pull with no versions); the peer
//                   answers with what it holds if it differs. The same round scans a page of keys:
//                   the first full sweep fills the trees, and keys not owned are handed over.
//   flush           every flush_every ticks, the buffered writes completed since the last sync are
//                   synced (the write buffer's periodic writer).
//   adopt_ring, stream_partition, confirm_transfer, release_partition   (tla/Membership.tla) a new
//                   ring (a membership change the shell learned by gossip) may take keys away from
//                   this node. The anti-entropy pass meets every key the node holds: a key it is not
//                   a primary of (under its current ring) goes to the key's primaries (TransferKey),
//                   which store it durably through the merge path and confirm (TransferAck); once
//                   every primary confirmed, the key is released (dropped unless a newer version
//                   arrived, which goes in the next pass). Being stateless (the ring and the data
//                   say what to move), a transfer survives crashes and resumes by itself. Hints for a
//                   node that left the ring go to the key's first primary instead.
// Failure detection is local: a node that does not answer a request in time is suspected for
// suspect_for ticks (skipped by the sloppy list, no handoffs to it), and any message from it clears
// the suspicion. Nothing about suspicions is shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "impl/core/effects.h"
#include "impl/core/merkle_exchange.h"
#include "impl/core/messages.h"
#include "impl/core/node_config.h"
#include "impl/core/result.h"

namespace dynamo {

struct NodeStats {
  std::size_t requests_in_flight = 0;
  std::size_t pending_hints = 0;         // hints this node keeps, all targets
  std::size_t handoffs_in_flight = 0;
  std::size_t suspected = 0;
  std::uint64_t dropped_messages = 0;    // peer messages that failed a check or came from a non-member
  std::uint64_t refused_hints = 0;       // hinted stores refused at the pending-hint limit
  std::uint64_t read_repairs = 0;        // Repair messages sent
  std::uint64_t anti_entropy_syncs = 0;  // KeySync messages sent
  std::size_t transfers_in_flight = 0;   // keys sent, not yet confirmed by every primary
  std::uint64_t keys_transferred = 0;    // TransferKey messages sent
  std::uint64_t keys_received = 0;       // TransferKey messages stored and confirmed
  std::uint64_t keys_released = 0;       // keys dropped after their primaries confirmed them
  std::uint64_t keys_not_owned = 0;      // keys the last whole anti-entropy pass found this node
                                         // holding but not owning (being handed over)
  std::uint64_t anti_entropy_passes = 0; // whole passes over the node's keys completed
  // Merkle anti-entropy (node_merkle.cc).
  std::uint64_t merkle_exchanges = 0;      // exchanges this node started (one partition, one peer)
  std::uint64_t merkle_keys_repaired = 0;  // keys found different and sent (KeySync) or pulled
  std::uint64_t merkle_bytes_sent = 0;     // encoded_bytes of the Tree* messages this node sent
  // Tombstone reaping (node_reap.cc, docs/reaping.md).
  std::uint64_t reap_rounds = 0;           // reaps this node started (first round of questions sent)
  std::uint64_t tombstones_reaped = 0;     // keys whose tombstones this node dropped on a reap order
  std::size_t reaps_in_flight = 0;         // reaps this node is asking or settling
};

class Node {
 public:
  // Errors when the configuration is invalid (node_config.h validate).
  static Result<Node> create(NodeConfig config);
  ~Node();
  Node(Node&&) noexcept;
  Node& operator=(Node&&) noexcept;

  const std::string& id() const { return config_.id; }
  std::uint64_t epoch() const { return config_.epoch; }
  const NodeConfig& config() const { return config_; }
  NodeStats stats() const;
  // What this node thinks of each other member (for `dynamo status`; local, never gossiped).
  struct PeerView {
    std::string id;
    bool suspected = false;
    std::size_t hints_pending = 0;  // hints kept here for that member
  };
  std::vector<PeerView> peer_views() const;
  // True when nothing is in flight: no request, handoff, scan or storage op pending.
  bool quiescent() const;

  // The first input after creation: loads the hint counts (hinted stores are refused until then).
  Effects start();
  // A newer ring (spec: the node's view after Gossip); this node need not be a member of it (it left,
  // or was removed, and hands its keys over). Errors, changing nothing: a ring with another number
  // of partitions, or too few members for a store's N.
  Result<Effects> adopt_ring(std::shared_ptr<const Ring> ring);
  // The nodes that left the ring and may still hold keys they have not handed over yet (the
  // membership's "leaving"; a node that finished, or was removed, is not one). A reap must hear
  // from each of them, as from a member (docs/reaping.md): they may hold what a tombstone deleted.
  // The shell sets it from its membership view, after creation and whenever the view changes.
  void set_leaving(std::set<std::string> nodes);
  Effects on_client_request(const std::string& client, const ClientRequest& request);
  Effects on_message(const std::string& from, const PeerMessage& message);
  Effects on_storage_done(std::uint64_t token, Result<StorageOutcome> outcome);
  // One tick of the shell's timer; now_ms is the shell's wall time (it only stamps dots).
  Effects on_tick(std::uint64_t now_ms);

 private:
  struct PutOp;
  struct GetOp;
  // What to do when a storage op completes (one per token).
  struct PutRead { std::uint64_t put_id; };
  struct PutWrite { std::uint64_t put_id; };
  struct GetSelfRead { std::uint64_t get_id; };
  struct ReplicaStore { std::string from; StoreRequest request; };
  struct HintStore { std::string from; StoreRequest request; };
  struct ReplicaView { std::string from; std::uint64_t get_id; std::string key; };
  struct RepairStored { std::string from; std::string key; std::vector<Version> versions; };
  struct HandoffStored { std::string from; Handoff handoff; };
  struct HintDropped { std::string target; std::string key; };
  struct HintScan {};
  struct KeyScan {};
  struct Synced {};
  struct KeySyncStored { std::string from; KeySync sync; };
  struct TransferStored { std::string from; TransferKey transfer; };
  struct Released { std::uint64_t sequence; };
  struct ReapRead { std::string from; ReapQuery query; };             // a member reads to answer
  struct Reaped { std::string key; std::vector<Version> tombstones; };  // a reap order carried out
  struct MerkleRead { std::string peer; std::string store; std::string key; };  // a differing key, to push
  using Pending = std::variant<PutRead, PutWrite, GetSelfRead, ReplicaStore, HintStore, ReplicaView,
                               RepairStored, HandoffStored, HintDropped, HintScan, KeyScan, Synced,
                               KeySyncStored, TransferStored, Released, MerkleRead, ReapRead, Reaped>;
  // A hint being handed off. Kept until its acknowledgement arrives, even after the timeout (which
  // only allows the next scan to send it again), so a late acknowledgement still deletes the hint.
  struct Handoffing {
    std::string target;   // the hint's target
    std::string sent_to;  // the target, or the key's first primary when the target left the ring
    std::string key;
    Version version;
    std::uint64_t deadline = 0;
    bool expired = false;
  };

  explicit Node(NodeConfig config);

  std::uint64_t issue(Effects& out, StorageRequest request, Pending pending);
  const StoreConfig* find_store(std::string_view name) const;
  bool suspected(const std::string& node) const;
  void suspect(const std::string& node);
  std::set<std::string> suspects() const;
  // Suspects every target for which answered(node) is false; returns their names, each after a space.
  std::string suspect_silent(const std::vector<SpecTarget>& targets,
                             const std::function<bool(const std::string&)>& answered);
  std::vector<SpecTarget> targets_for(std::string_view key, int n) const;
  // A new spec step of `action` in `out`, with the fields every action has, for the caller to fill;
  // null when this node records no steps (NodeConfig::record_spec_steps), so that nothing is built.
  // The second form takes the storage key's parts and joins them only when it records.
  SpecStep* record_step(Effects& out, SpecAction action, std::uint64_t op_id, const std::string& key) const;
  SpecStep* record_step(Effects& out, SpecAction action, std::uint64_t op_id, std::string_view store,
                        std::string_view key) const;
  // The key's preference list of n (cached until the ring changes).
  const std::vector<std::string>& preference_list(std::string_view key, int n) const;
  // Whether `node` is in the key's preference list of n (a primary of the key).
  bool is_primary(const std::string& node, std::string_view key, int n) const;
  std::uint32_t partition_of(std::string_view key) const;
  std::size_t in_flight() const { return puts_.size() + gets_.size(); }
  // Whether a read of `key` must include hints: when the key has some, or before the first hint scan
  // after a start has counted them (the spec's View always includes them).
  bool may_hold_hints(const std::string& key) const { return !hints_loaded_ || hinted_keys_.contains(key); }
  // A replica's view of a key: its siblings and the hints it keeps for the key, reconciled.
  static std::vector<Version> view_of(KeyRead read);
  // A buffered write completed: the periodic writer must sync (set on completion, not on issue, since
  // the shell may run a Sync before an earlier write).
  void note_write_completed() { buffered_since_sync_ = true; }
  // Checks a client request; nullopt when it may go on, else the reply refusing it.
  std::optional<ClientReply> admit(const ClientRequest& request, const StoreConfig*& store) const;

  // Coordinator, put (node_put.cc).
  void coordinate_put(Effects& out, const std::string& client, const ClientRequest& request,
                      const StoreConfig& store);
  void start_next_put(Effects& out, const std::string& key);
  void on_put_read(Effects& out, std::uint64_t put_id, Result<StorageOutcome> outcome);
  void persist_put(Effects& out, std::uint64_t put_id, Result<StorageOutcome> outcome);
  void send_put(Effects& out, std::uint64_t put_id, PutOp& op);
  void resend_put(Effects& out, std::uint64_t put_id, PutOp& op);
  // Whether a put of the storage key, not yet answered, may still send its version (resend_put).
  bool put_may_send(const std::string& key) const;
  void ack_put(Effects& out, const std::string& from, const StoreAck& ack);
  void complete_put(Effects& out, std::uint64_t put_id);
  void answer_put(Effects& out, PutOp& op, ReplyStatus status, std::string message);
  void expire_puts(Effects& out);

  // Coordinator, get (node_get.cc).
  void client_get(Effects& out, const std::string& client, const ClientRequest& request,
                  const StoreConfig& store);
  void on_get_self_read(Effects& out, std::uint64_t get_id, Result<StorageOutcome> outcome);
  void on_read_reply(Effects& out, const std::string& from, const ReadReply& reply);
  void complete_get(Effects& out, std::uint64_t get_id);
  void read_repair(Effects& out, std::uint64_t get_id, const GetOp& op, const std::vector<Version>& result);
  void expire_gets(Effects& out);

  // Replica (node_replica.cc).
  void store_version(Effects& out, const std::string& from, const StoreRequest& request);
  void on_replica_stored(Effects& out, const ReplicaStore& done, Result<StorageOutcome> outcome);
  void on_hint_stored(Effects& out, const HintStore& done, Result<StorageOutcome> outcome);
  void replica_read(Effects& out, const std::string& from, const ReadRequest& request);
  void on_store_completed(Effects& out, const std::string& from, const StoreRequest& request,
                          const std::string& hint, Result<StorageOutcome> outcome);
  void on_replica_view(Effects& out, const ReplicaView& done, Result<StorageOutcome> outcome);
  void on_repair(Effects& out, const std::string& from, const RepairRequest& repair);

  // The periodic writer (spec: Flush): syncs the buffered writes completed since the last sync.
  void flush(Effects& out);

  // Hinted handoff and anti-entropy (node_handoff.cc).
  void scan_hints(Effects& out);
  void on_hints_scanned(Effects& out, Result<StorageOutcome> outcome);
  void deliver_hint(Effects& out, const StoredHint& stored, const std::string& destination);
  // Where a hint goes: its target, or the key's first primary other than this node when the target
  // is no longer a member (empty: nowhere now).
  std::string hint_destination(const StoredHint& stored) const;
  void on_handoff(Effects& out, const std::string& from, const Handoff& handoff);
  void on_handoff_stored(Effects& out, const HandoffStored& done, Result<StorageOutcome> outcome);
  void delete_hint(Effects& out, const std::string& from, const HandoffAck& ack);
  void expire_handoffs();
  void anti_entropy(Effects& out);
  void on_keys_scanned(Effects& out, Result<StorageOutcome> outcome);
  void on_key_sync(Effects& out, const std::string& from, const KeySync& sync);
  void on_key_sync_stored(Effects& out, const KeySyncStored& done, Result<StorageOutcome> outcome);

  // Partition transfer (node_transfer.cc).
  bool known_node(const std::string& node) const { return known_nodes_.contains(node); }
  // Sends a key this node is not a primary of to the key's primaries (once at a time per key).
  void stream_partition(Effects& out, const std::string& key, const KeyState& state, const StoreConfig& store);
  void confirm_transfer(Effects& out, const std::string& from, const TransferKey& transfer);
  void on_transfer_stored(Effects& out, const TransferStored& done, Result<StorageOutcome> outcome);
  void release_partition(Effects& out, const std::string& from, const TransferAck& ack);
  void on_released(const Released& done, Result<StorageOutcome> outcome);
  void expire_transfers();

  // Tombstone reaping (node_reap.cc; tla/Membership.tla ReapTombstone).
  // From the anti-entropy pass: starts a reap of a key this node is a primary of when every sibling
  // is a tombstone older than reap_grace_ms, no hint is kept here for it and it is not in transfer.
  void consider_reap(Effects& out, const std::string& key, const KeyState& state, const StoreConfig& store);
  void ask_reap(Effects& out, std::uint64_t query);  // sends one round of questions
  void answer_reap_query(Effects& out, const std::string& from, const ReapQuery& query);
  void on_reap_read(Effects& out, const ReapRead& done, Result<StorageOutcome> outcome);
  void on_reap_reply(Effects& out, const std::string& from, const ReapReply& reply);
  void reap_round_done(Effects& out, std::uint64_t query);  // every asked node answered (or is gone)
  // Every member agreed twice: the order goes to each member that holds some of the tombstones.
  void reap_tombstone(Effects& out, std::uint64_t query);
  void on_reaped(const Reaped& done, Result<StorageOutcome> outcome);
  void expire_reaps(Effects& out);

  // Merkle anti-entropy (node_merkle.cc).
  using TreeId = std::pair<std::string, std::uint32_t>;  // (store, partition)
  // The ring's partitions this node is a primary of, per store.
  std::set<TreeId> hosted_partitions() const;
  // A ring change: trees of partitions no longer hosted go; a newly hosted one needs a full pass.
  void on_hosted_changed(const std::set<TreeId>& before);
  MerkleShape tree_shape(std::uint32_t partition) const;
  // The partition's preference list of n (cached with preference_list's).
  const std::vector<std::string>& partition_primaries(std::uint32_t partition, int n) const;
  // The tree to answer `from` with, or nullptr when this node must answer "no" (unknown store, not
  // filled, another shape, either side not a primary, a broken tree). `empty` holds a partition
  // this node hosts but has no key of.
  const MerkleTree* tree_to_answer(const std::string& from, const std::string& store, const MerkleShape& shape,
                                   std::optional<MerkleTree>& empty) const;
  // A key's state as storage returned it (a write's KeyStored, or the pass's scan): its tree entry.
  void note_key_state(const std::string& storage_key, const KeyState& state, bool from_scan);
  // The pass's page: refreshes tree entries, and marks the trees filled at the end of a full pass.
  void fill_trees(const KeysScanned& page);
  void start_exchanges(Effects& out);
  void send_tree(Effects& out, const std::string& to, PeerMessage message);
  void answer_tree_hashes(Effects& out, const std::string& from, const TreeHashRequest& request);
  void answer_tree_leaves(Effects& out, const std::string& from, const TreeLeafRequest& request);
  void on_tree_hashes(Effects& out, const std::string& from, const TreeHashReply& reply);
  void on_tree_leaves(Effects& out, const std::string& from, const TreeLeafReply& reply);
  void on_merkle_read(Effects& out, const MerkleRead& done, Result<StorageOutcome> outcome);
  void expire_exchanges();

  NodeConfig config_;
  std::string actor_;
  std::uint64_t now_ = 0;     // ticks since start
  std::uint64_t now_ms_ = 0;  // the shell's time at the last tick
  std::uint64_t next_token_ = 1;
  std::uint64_t next_op_id_ = 1;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::map<std::uint64_t, std::unique_ptr<PutOp>> puts_;
  std::map<std::uint64_t, std::unique_ptr<GetOp>> gets_;
  std::map<std::string, std::deque<std::uint64_t>> put_queues_;  // storage key -> puts, head running
  std::map<std::string, std::uint64_t> suspected_until_;
  bool buffered_since_sync_ = false;
  bool sync_in_flight_ = false;
  // Hints.
  bool hints_loaded_ = false;
  bool hint_scan_in_flight_ = false;
  std::map<std::string, std::size_t> pending_hints_;  // target -> hints kept (added or being added)
  std::map<std::string, std::size_t> hinted_keys_;    // storage key -> hints kept for it
  std::map<std::uint64_t, Handoffing> handoffs_;      // hint sequence -> handoff in flight
  // Anti-entropy.
  std::string anti_entropy_cursor_;
  std::uint64_t keys_not_owned_in_pass_ = 0;
  bool key_scan_in_flight_ = false;
  // Partition transfer.
  struct Transferring {
    std::string key;                  // storage key
    std::vector<Version> versions;    // what was sent
    std::vector<std::string> primaries;  // the key's preference list when it was sent
    std::set<std::string> awaiting;   // primaries that have not confirmed yet
    std::uint64_t deadline = 0;       // past it, the entry goes and the next pass sends the key again
    bool releasing = false;           // its ReleaseKey is issued and not yet done
  };
  std::set<std::string> known_nodes_;  // members of every ring this node has held (a node that left
                                       // may still hand its keys over)
  std::map<std::uint64_t, Transferring> transfers_;  // sequence -> key in transfer
  std::map<std::string, std::uint64_t> keys_in_transfer_;  // storage key -> its transfer's sequence
  bool release_in_flight(const std::string& key) const;  // this node's ReleaseKey of the key is in flight
  std::uint64_t next_transfer_ = 1;
  // Merkle anti-entropy (node_merkle.cc). Trees are in memory only: a restarted core refills them
  // from the pass, and none is used (to ask or to answer) before trees_filled_.
  struct TreeSlot {
    MerkleTree tree;
    std::size_t next_peer = 0;  // round robin over the partition's other primaries
    bool broken = false;        // a key did not fit (leaf full): the tree sits out exchanges
  };
  struct Exchange {
    std::string peer;
    TreeId tree;
    std::uint64_t deadline = 0;
    std::map<std::uint64_t, MerkleHashRequest> hash_wave;  // request id -> what was asked
    std::map<std::uint64_t, MerkleLeafRequest> leaf_wave;
    std::vector<MerklePosition> differing;                 // gathered from the current hash wave
  };
  std::map<TreeId, TreeSlot> trees_;
  bool trees_filled_ = false;
  std::uint64_t tree_generation_ = 0;                 // bumped when a newly hosted partition needs filling
  std::optional<std::uint64_t> fill_pass_generation_; // the generation the current pass began in at ""
  std::set<std::string> written_during_scan_;         // the scan's state of these may be older
  std::unordered_map<std::uint64_t, std::string> write_keys_;  // token -> storage key of a data write
  std::map<std::uint64_t, Exchange> exchanges_;       // exchange id -> exchange in flight
  TreeId merkle_cursor_;                              // the last tree an exchange started for
  // Tombstone reaping (node_reap.cc).
  struct Reaping {
    std::string key;                                     // storage key
    std::vector<Version> tombstones;                     // this node's siblings when it began
    int round = 1;                                       // 1, then 2 after reap_settle ticks
    std::set<std::string> awaiting;                      // members that have not answered this round
    std::map<std::string, std::vector<Dot>> held;        // member -> dots it holds (this round)
    std::map<std::string, std::vector<Dot>> first_held;  // the same, from round 1
    std::uint64_t deadline = 0;                          // an unanswered round ends the reap
    std::uint64_t ask_at = 0;                            // round 2: when to ask (0: asked)
  };
  std::map<std::uint64_t, Reaping> reaps_;  // query id -> reap in progress
  std::set<std::string> leaving_;           // set_leaving
  std::set<std::string> keys_in_reap_;
  // Counters of this node's actor never go below this again (raised to the largest counter issued
  // so far whenever a reap order is carried out here): a reaped key loses its issued dot, and a
  // later put of it must not issue a dot this actor issued before (docs/reaping.md).
  std::uint64_t reap_floor_ = 0;
  std::uint64_t max_issued_ = 0;  // the largest counter this actor has issued, any key
  NodeStats counters_;
  // Caches of pure functions of the ring (cleared when adopt_ring changes it) (an MD5 per request was a tenth of the simulator's
  // time): key -> partition (cleared when it reaches kPartitionCacheKeys), (partition, n) -> list.
  static constexpr std::size_t kPartitionCacheKeys = 4096;
  mutable std::unordered_map<std::string, std::uint32_t> partition_cache_;
  mutable std::unordered_map<std::uint64_t, std::vector<std::string>> preference_cache_;
};

}  // namespace dynamo
