// sim_cluster.h: the simulator's state (private to impl/sim). simulation.cc runs the phases;
// sim_nodes.cc drives the node cores and their storage; sim_clients.cc the clients and their
// history; sim_checks.cc the convergence and reconciliation checks; sim_trace.cc the trace.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "impl/check/history.h"
#include "impl/core/node.h"
#include "impl/core/ring.h"
#include "impl/sim/schedule.h"
#include "impl/sim/sim_network.h"
#include "impl/sim/simulation.h"
#include "impl/store/memory_store.h"

namespace dynamo::sim {

struct NodeSlot {
  std::string id;
  std::unique_ptr<store::MemoryStore> storage;
  std::optional<Node> core;  // empty while crashed
  std::uint64_t epoch = 0;
  std::uint32_t side = 0;    // partition side
  std::vector<StorageOp> queued;  // with async_storage: ops issued, not yet completed
  std::shared_ptr<const Ring> ring;  // the ring this node holds (persisted: a restart keeps it)
  std::uint64_t ring_version = 0;    // which change made it (news of an older one is ignored)
  bool joined = false;   // booted at least once (spare nodes are not, until they join)
  bool removed = false;  // gone for good: never restarts
  std::set<std::string> leaving;  // the nodes leaving, as of `ring` (learnt, and persisted, with it)
};

// A ring a node learns by gossip, some ticks after the change (membership.cc).
struct RingNews {
  std::uint64_t due = 0;
  std::size_t node = 0;  // index in nodes_
  std::shared_ptr<const Ring> ring;
  std::uint64_t version = 0;
  std::set<std::string> leaving;  // the nodes that left and are not removed, as of this ring
};

struct ClientOp {
  std::string op;         // the history's op id
  std::uint64_t invoked = 0;
  StepKind kind = StepKind::kGet;
  std::uint32_t key = 0;
  std::uint64_t request_id = 0;
  std::uint64_t deadline = 0;
  bool final = false;
  ClientRequest request;   // as sent, for following a redirect
  std::uint32_t redirects = 0;
};

struct LastRead {
  std::string op;                  // the get
  CausalContext context;
  std::vector<std::string> items;  // cart items in the siblings read
};

struct ClientSlot {
  std::string id;
  std::optional<ClientOp> busy;
  std::map<std::uint32_t, LastRead> last_read;
  std::uint64_t next_request = 1;
  std::uint64_t next_op = 1;
};

class Cluster {
 public:
  Cluster(const Schedule& schedule, SimOptions options);
  // The two phases and the history check, in order.
  SimResult run();

  // Step by step (SimHarness, harness.h): one client operation run to its completion (nullptr when
  // the client is busy); a fault or heal step; then the liveness phase and the verdict.
  const check::Event* run_op(std::uint32_t client, StepKind kind, std::uint32_t key, bool final);
  void apply(const Step& step);
  void liveness_phase();
  SimResult finish();
  bool ok() const { return result_.ok; }
  const std::vector<check::Event>& history() const { return history_; }
  const std::string& failure() const { return result_.failure; }

 private:
  // simulation.cc
  void tick();
  void safety_phase();
  void check_history_verdict();
  bool fail(std::string why);

  // sim_membership.cc
  void change_membership(const Step& step);
  void set_members(std::vector<Member> members);
  void spread_ring(std::size_t except);  // every other node learns ring_ after a gossip delay
  void deliver_ring_news();
  std::optional<std::string> membership_divergence();
  // The storage ops each node has waiting, named (" n2: ReadKey ScanKeys"), for a liveness failure.
  std::string queued_ops() const;

  // sim_nodes.cc
  NodeSlot* node(const std::string& id);
  void boot(NodeSlot& slot, bool restart);
  void crash(NodeSlot& slot);
  void process(NodeSlot& slot, Effects effects);
  Effects execute(NodeSlot& slot, const StorageOp& op);
  void release_storage(NodeSlot& slot);
  void deliver(const Envelope& envelope);
  void record_step(NodeSlot& slot, const SpecStep& step);

  // sim_clients.cc
  void start_op(std::uint32_t client, StepKind kind, std::uint32_t key, bool final);
  void on_reply(const std::string& client, const ClientReply& reply);
  void expire_clients();
  bool clients_idle() const;
  void finish(ClientSlot& client, check::Outcome outcome, std::optional<std::vector<check::WriteId>> siblings);
  std::string key_name(std::uint32_t key) const { return "k" + std::to_string(key); }
  // The preference list of a user key (cached; the ring never changes in a run).
  const std::vector<std::string>& primaries_of(const std::string& key);

  // sim_checks.cc
  void check_overlap(const ClientOp& get, const std::vector<Version>& result);
  void check_reconciled(const NodeSlot& slot, const std::string& key, const std::vector<Version>& siblings);
  std::optional<std::string> divergence();
  // After a key's final read: no value comes back once tombstones supersede every version of it.
  void check_no_resurrection(std::uint32_t key);  // why the cluster has not converged, or nullopt
  // The versions of `made` that some node not removed still holds, or that one it holds supersedes.
  // The versions of `key` the cluster must still hold: every one made, less those that may be gone
  // (a removed node's only copy; a put whose coordinator crashed before its own write) and are.
  std::vector<Version> expected_versions(const std::string& key, const std::vector<Version>& made);
  std::vector<Version> surviving(const std::string& key, const std::vector<Version>& made);

  // sim_trace.cc
  void trace_step(const NodeSlot& slot, const SpecStep& step);
  void trace_fault(const Envelope& envelope, bool duplicated);
  void trace_node_event(const std::string& action, const NodeSlot& slot);
  void trace_header();

  Schedule schedule_;
  SimOptions options_;
  std::shared_ptr<const Ring> ring_;  // the latest ring (an administrator's view)
  std::vector<Member> members_;       // ring_'s members, in join order
  std::uint64_t ring_version_ = 0;    // membership changes so far
  std::set<std::string> leaving_;     // nodes that left (they stay up and hand their keys over)
  std::vector<RingNews> ring_news_;
  SimNetwork network_;
  std::vector<NodeSlot> nodes_;
  std::vector<ClientSlot> clients_;
  std::uint64_t now_ = 0;
  bool faults_on_ = true;
  SimResult result_;
  std::vector<check::Event> history_;
  // Every version made (CoordinatePut), per storage key: their maximal ones must survive.
  std::map<std::string, std::vector<Version>> created_;
  // Versions (storage key, dot) whose coordinator's own write has not completed (no PersistPut yet),
  // per coordinator; and those whose coordinator crashed before it: such a put was never answered,
  // and its version survives only if a replica kept it (expected_versions).
  std::map<std::string, std::set<std::pair<std::string, Dot>>> unpersisted_;
  std::set<std::pair<std::string, Dot>> maybe_gone_;
  // Tombstones (storage key, dot) some node reaped: a reap proves the tombstone was stored, so one
  // in maybe_gone_ that nobody holds at the end was reaped, not lost (expected_versions).
  std::set<std::pair<std::string, Dot>> reaped_;
  // What a version stands for in the history: a put's value, or a delete's op id. Keyed by storage
  // key and dot: a dot names one write of one key (counters are per key).
  std::map<std::pair<std::string, Dot>, check::WriteId> write_of_dot_;
  // (client, request id) -> the history's op id, to name versions by the op that made them.
  std::map<std::pair<std::string, std::uint64_t>, std::string> op_of_request_;
  // Quorum overlap: the acknowledged puts per key (dot, tick acknowledged), and the ops that used a
  // fallback (a hinted target) — those are outside the overlap promise.
  struct AckedPut {
    Dot dot;
    std::uint64_t tick = 0;
    bool fallback = false;
  };
  std::map<std::string, std::vector<AckedPut>> acked_puts_;
  std::map<std::string, Dot> dot_of_op_;
  std::set<std::string> used_fallback_;
  // Spec ids for traces: (node, coordinator's put or get id) -> global id.
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> spec_put_id_, spec_get_id_;
  std::uint64_t next_spec_put_ = 1, next_spec_get_ = 1;
  std::map<std::string, std::vector<std::string>> primaries_cache_;
  // (fallback, hint sequence) -> the key and version it handed off (a HandoffAck names only the hint).
  std::map<std::pair<std::string, std::uint64_t>, std::pair<std::string, Version>> handed_off_;
};

}  // namespace dynamo::sim
