// `dynamo simulate`: one run of the deterministic simulator (impl/sim/) from a seed: a random
// workload with or without faults, then the liveness phase and the history check. Prints what the
// run did; writes its trace (spec/trace-format.md) and client history (spec/history-format.md) on
// request. Exit 0 when every check held, 1 when one failed (the message says which), 2 bad usage.
#include <cstdio>
#include <fstream>
#include <string>

#include "impl/cli/commands.h"
#include "impl/sim/simulation.h"

namespace dynamo::cli {
namespace {

struct SimulateOptions {
  std::uint64_t seed = 1;
  std::uint32_t operations = 200;
  bool faults = false;
  sim::Schedule shape;
  std::string trace_path;
  std::string history_path;
  bool show_schedule = false;
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.good()) throw CLI::RuntimeError("cannot write " + path, kExitUsage);
}

void run(const SimulateOptions& o) {
  sim::Schedule s = sim::random_schedule(o.seed, o.operations, o.faults, o.shape);
  if (o.show_schedule) std::printf("%s", s.describe().c_str());
  sim::SimResult r = sim::simulate(s, sim::SimOptions{.trace = !o.trace_path.empty(), .keep_history = true});
  std::printf("seed %llu: %s\n", (unsigned long long)o.seed, sim::describe_counts(r.counts).c_str());
  if (!o.trace_path.empty()) {
    std::string text;
    for (const auto& line : r.trace) text += line + "\n";
    write_file(o.trace_path, text);
    std::printf("trace: %zu lines in %s (anti-entropy off and the history unchecked in traced runs)\n",
                r.trace.size(), o.trace_path.c_str());
  }
  if (!o.history_path.empty()) write_file(o.history_path, sim::history_to_ndjson(r.history));
  if (!r.ok) throw CLI::RuntimeError("FAILED: " + r.failure + "\nrerun: dynamo simulate --seed " + std::to_string(o.seed), kExitFailed);
  std::printf("ok: no lost write, no phantom, converged\n");
}

}  // namespace

void add_simulate_command(CLI::App& app) {
  auto options = std::make_shared<SimulateOptions>();
  CLI::App* cmd = app.add_subcommand("simulate", "Run the deterministic simulator from a seed and check the run");
  cmd->footer(
      "A run: random client operations (gets, puts, blind puts, deletes, shopping-cart adds) for the\n"
      "safety phase, with --faults also crashes, restarts, partitions, message loss and duplication;\n"
      "then faults stop and the cluster must converge; then a final read of every key and the history\n"
      "check (spec/history-format.md). The same seed gives the same run, byte for byte.\n"
      "Example: dynamo simulate --seed 7 --faults --nodes 4 --keys 2 --trace run.ndjson");
  cmd->add_option("--seed", options->seed, "the run's seed")->capture_default_str();
  cmd->add_option("--ops", options->operations, "client operations in the safety phase")
      ->check(CLI::Range(1u, 1'000'000u))->capture_default_str();
  cmd->add_flag("--faults", options->faults, "inject crashes, partitions, loss and duplication");
  cmd->add_option("--nodes", options->shape.nodes, "nodes")->check(CLI::Range(1u, 32u))->capture_default_str();
  cmd->add_option("--dcs", options->shape.data_centres, "data centres")->check(CLI::Range(1u, 8u))->capture_default_str();
  cmd->add_option("--clients", options->shape.clients, "clients")->check(CLI::Range(1u, 64u))->capture_default_str();
  cmd->add_option("--keys", options->shape.keys, "keys")->check(CLI::Range(1u, 10'000u))->capture_default_str();
  cmd->add_option("--n", options->shape.n, "replicas N")->check(CLI::Range(1, 16))->capture_default_str();
  cmd->add_option("--r", options->shape.r, "read quorum R")->check(CLI::Range(1, 16))->capture_default_str();
  cmd->add_option("--w", options->shape.w, "write quorum W")->check(CLI::Range(1, 16))->capture_default_str();
  cmd->add_flag("--durable-replicas", options->shape.durable_replicas, "replicas sync every write (default: buffered)");
  cmd->add_flag("--overlap-writes", options->shape.overlap_writes,
                "send each put to the replicas beside the coordinator's own durable write (default: after it)");
  cmd->add_option("--trace", options->trace_path, "write the NDJSON trace here (spec/trace-format.md)");
  cmd->add_option("--history", options->history_path, "write the client history here (spec/history-format.md)");
  cmd->add_flag("--show-schedule", options->show_schedule, "print the schedule first");
  cmd->callback([options] {
    const auto& s = options->shape;
    if (s.n > static_cast<int>(s.nodes) || s.r > s.n || s.w > s.n)
      throw CLI::RuntimeError("need R <= N, W <= N and N <= --nodes", kExitUsage);
    run(*options);
  });
}

}  // namespace dynamo::cli
