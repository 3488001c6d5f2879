// Model-based test (rc::state) of the whole engine: random sequences of Put, Get, Delete, Crash,
// Restart, Partition and Heal commands run against the simulator (sim::SimHarness), checked against
// a model of what clients were told.
//
// The model of acknowledged writes is built from the answers (the system decides whether a write is
// acknowledged, so the rc::state model, which must be predictable, only tracks which nodes are up
// and whether a partition is on; the rest lives beside the system under test):
//   - every get returns only writes of its key that were invoked before it (no phantom);
//   - once the commands are done, faults stop and the cluster settles, the final read of every key
//     returns every acknowledged write that no acknowledged-or-unknown write's context covered.
// Commands run one at a time (each to its answer); concurrency comes from replication, delays and
// faults underneath, and siblings from blind writes of different clients.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <map>
#include <set>
#include <vector>

#include "impl/sim/harness.h"
#include "proptests/generators.h"

namespace dynamo::proptests {
namespace {

using check::WriteId;

constexpr std::uint32_t kNodes = 5, kClients = 3, kKeys = 3;

struct ClusterModel {
  std::vector<bool> up = std::vector<bool>(kNodes, true);
  bool partitioned = false;
};

struct System {
  explicit System(const sim::Schedule& shape) : harness(shape) {}
  sim::SimHarness harness;
  std::map<std::uint32_t, std::set<WriteId>> written;  // per key: every write invoked
  std::map<std::uint32_t, std::set<WriteId>> acked;    // per key: every write acknowledged
  std::map<WriteId, std::set<WriteId>> history;        // per write: what its writer had read (closure)
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::set<WriteId>> last_read;  // (client, key) -> closure
  std::set<WriteId> covered;        // read by some acknowledged-or-unknown write
  std::set<WriteId> covered_acked;  // read by some acknowledged write
};

using Command = rc::state::Command<ClusterModel, System>;

struct Write : Command {
  std::uint32_t client = uniform<std::uint32_t>(0, kClients);
  std::uint32_t key = uniform<std::uint32_t>(0, kKeys);
  sim::StepKind kind = *rc::gen::element(sim::StepKind::kPut, sim::StepKind::kBlindPut, sim::StepKind::kDelete);

  void run(const ClusterModel&, System& s) const override {
    const check::Event done = s.harness.run(client, kind, key);
    const check::Event& invoke = s.harness.history()[s.harness.history().size() - 2];
    RC_ASSERT(invoke.op == done.op);
    const WriteId id = kind == sim::StepKind::kDelete ? WriteId{true, invoke.op} : WriteId{false, invoke.value};
    std::set<WriteId> read;
    if (invoke.read) read = s.last_read[{client, key}];
    s.history[id] = read;
    s.written[key].insert(id);
    if (done.outcome != check::Outcome::kFail) s.covered.insert(read.begin(), read.end());
    if (done.outcome == check::Outcome::kOk) {
      s.acked[key].insert(id);
      s.covered_acked.insert(read.begin(), read.end());
    }
  }
  void show(std::ostream& os) const override {
    os << sim::step_kind_name(kind) << " c" << client << " k" << key;
  }
};

struct Read : Command {
  std::uint32_t client = uniform<std::uint32_t>(0, kClients);
  std::uint32_t key = uniform<std::uint32_t>(0, kKeys);

  void run(const ClusterModel&, System& s) const override {
    const check::Event done = s.harness.run(client, sim::StepKind::kGet, key);
    if (done.outcome != check::Outcome::kOk) return;
    std::set<WriteId> closure;
    for (const WriteId& sibling : *done.siblings) {
      RC_ASSERT(s.written[key].contains(sibling));  // no phantom: a write of this key, invoked before
      closure.insert(sibling);
      const auto& h = s.history[sibling];
      closure.insert(h.begin(), h.end());
    }
    s.last_read[{client, key}] = std::move(closure);
  }
  void show(std::ostream& os) const override { os << "get c" << client << " k" << key; }
};

struct Crash : Command {
  std::uint32_t node = uniform<std::uint32_t>(0, kNodes);
  void checkPreconditions(const ClusterModel& m) const override { RC_PRE(bool(m.up[node])); }
  void apply(ClusterModel& m) const override { m.up[node] = false; }
  void run(const ClusterModel&, System& s) const override { s.harness.crash(node); }
  void show(std::ostream& os) const override { os << "crash n" << node + 1; }
};

struct Restart : Command {
  std::uint32_t node = uniform<std::uint32_t>(0, kNodes);
  void checkPreconditions(const ClusterModel& m) const override { RC_PRE(!m.up[node]); }
  void apply(ClusterModel& m) const override { m.up[node] = true; }
  void run(const ClusterModel&, System& s) const override { s.harness.restart(node); }
  void show(std::ostream& os) const override { os << "restart n" << node + 1; }
};

struct Partition : Command {
  std::uint32_t mask = uniform<std::uint32_t>(1, (1u << kNodes) - 1);
  void apply(ClusterModel& m) const override { m.partitioned = true; }
  void run(const ClusterModel&, System& s) const override { s.harness.partition(mask); }
  void show(std::ostream& os) const override { os << "partition mask=" << mask; }
};

struct Heal : Command {
  void checkPreconditions(const ClusterModel& m) const override { RC_PRE(m.partitioned); }
  void apply(ClusterModel& m) const override { m.partitioned = false; }
  void run(const ClusterModel&, System& s) const override { s.harness.heal(); }
  void show(std::ostream& os) const override { os << "heal"; }
};

RC_GTEST_PROP(ModelProps, CommandsKeepEveryAcknowledgedWriteTheModelRequires, ()) {
  sim::Schedule shape;
  shape.seed = *rc::gen::arbitrary<std::uint64_t>();
  shape.nodes = kNodes;
  shape.clients = kClients;
  shape.keys = kKeys;
  shape.loss_per_mille = *rc::gen::inRange<std::uint32_t>(0, 100);
  shape.duplicate_per_mille = *rc::gen::inRange<std::uint32_t>(0, 100);
  shape.async_storage = *rc::gen::arbitrary<bool>();
  System system(shape);
  rc::state::check(ClusterModel{}, system,
                   rc::state::gen::execOneOfWithArgs<Write, Write, Read, Crash, Restart, Partition, Heal>());
  const sim::SimResult result = system.harness.settle();
  if (!result.ok) RC_FAIL("after the commands, seed " + std::to_string(shape.seed) + ": " + result.failure);
  // The model's own verdict on the final reads, independent of the history checker.
  std::map<std::string, std::set<WriteId>> final_reads;  // key name -> siblings
  std::map<std::string, std::string> final_key_of_op;
  for (const auto& e : result.history) {
    if (e.kind == check::EventKind::kInvoke && e.final) final_key_of_op[e.op] = e.key;
    if (e.kind == check::EventKind::kComplete && final_key_of_op.contains(e.op) && e.siblings)
      final_reads[final_key_of_op[e.op]] = std::set<WriteId>(e.siblings->begin(), e.siblings->end());
  }
  for (const auto& [key, writes] : system.acked)
    for (const WriteId& w : writes) {
      if (system.covered.contains(w)) continue;
      const auto& final_read = final_reads["k" + std::to_string(key)];
      // A delete's tombstone may be reaped (docs/reaping.md): then no value an acknowledged write
      // covered may be back. (A write whose outcome is unknown may never have happened: a crash of
      // its coordinator before its own durable write loses it, so what it read may stay.)
      if (w.deleted && !final_read.contains(w)) {
        for (const WriteId& s : final_read) RC_ASSERT(s.deleted || !system.covered_acked.contains(s));
        continue;
      }
      RC_ASSERT(final_read.contains(w));
    }
}

}  // namespace
}  // namespace dynamo::proptests
