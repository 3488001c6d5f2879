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
//   client_get, complete_get, read_repair   ask the targets; at R replies answer every causally
//                   maximal version and their context; send the result to every replier that had less.
//   store_version, replica_read   the replica side (a hinted Store goes to the hint store).
//   deliver_hint, delete_hint   every hint_scan_every ticks, hints for targets not suspected are sent
//                   home; a hint is deleted only after its target acknowledged storing it durably.
//   anti_entropy    every anti_entropy_every ticks, a page of keys is pushed to the key's other
//                   primaries (KeySync), which answer with what they hold if it differs.
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
  using Pending = std::variant<PutRead, PutWrite, GetSelfRead, ReplicaStore, HintStore, ReplicaView,
                               RepairStored, HandoffStored, HintDropped, HintScan, KeyScan, Synced,
                               KeySyncStored, TransferStored, Released>;
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
  void on_put_written(Effects& out, std::uint64_t put_id, Result<StorageOutcome> outcome);
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
  bool key_scan_in_flight_ = false;
  // Partition transfer.
  struct Transferring {
    std::string key;                  // storage key
    std::vector<Version> versions;    // what was sent
    std::set<std::string> awaiting;   // primaries that have not confirmed yet
    std::uint64_t deadline = 0;       // past it, the entry goes and the next pass sends the key again
    bool releasing = false;
  };
  std::set<std::string> known_nodes_;  // members of every ring this node has held (a node that left
                                       // may still hand its keys over)
  std::map<std::uint64_t, Transferring> transfers_;  // sequence -> key in transfer
  std::set<std::string> keys_in_transfer_;
  std::uint64_t next_transfer_ = 1;
  NodeStats counters_;
  // Caches of pure functions of the ring (cleared when adopt_ring changes it) (an MD5 per request was a tenth of the simulator's
  // time): key -> partition (cleared when it reaches kPartitionCacheKeys), (partition, n) -> list.
  static constexpr std::size_t kPartitionCacheKeys = 4096;
  mutable std::unordered_map<std::string, std::uint32_t> partition_cache_;
  mutable std::unordered_map<std::uint64_t, std::vector<std::string>> preference_cache_;
};

}  // namespace dynamo
