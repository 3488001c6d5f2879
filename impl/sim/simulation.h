// simulation.h: many node cores and clients in one process, over the simulated network and clock,
// all from one Schedule (schedule.h) — the engine's proving ground.
//
// A run has two phases, as TigerBeetle's simulator does:
//   safety    the schedule's client operations and faults (crashes, restarts, partitions, message
//             loss, duplication and reordering) for safety_ticks; every storage result is checked to
//             be reconciled (an antichain) as it happens;
//   liveness  faults stop: partitions heal, crashed nodes restart, the network stops losing. The
//             cluster must converge within liveness_ticks: no hint left anywhere, and every primary
//             of every key holding exactly the maximal versions of all writes made (the spec's
//             Converged). Then a final read of every key, and the history checker (impl/check) must
//             find no lost write and no phantom.
// Storage ops run against a MemoryStore at once (a crash loses exactly what was not synced), so each
// input's effects are applied in one step. The same schedule gives the same run, byte for byte: the
// trace (spec/trace-format.md) is the proof.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "impl/check/history.h"
#include "impl/sim/schedule.h"

namespace dynamo::sim {

struct SimCounts {
  std::uint64_t operations = 0;        // client operations invoked (final reads included)
  std::uint64_t writes_acknowledged = 0;
  std::uint64_t writes_unknown = 0;
  std::uint64_t writes_failed = 0;
  std::uint64_t reads_ok = 0;
  std::uint64_t reads_failed = 0;
  std::uint64_t reads_with_siblings = 0;  // gets that returned two or more versions
  std::uint64_t max_siblings = 0;
  std::uint64_t crashes = 0;
  std::uint64_t partitions = 0;
  std::uint64_t messages_lost = 0;
  std::uint64_t messages_duplicated = 0;
  std::uint64_t hinted_stores = 0;        // versions a fallback kept for a down primary
  std::uint64_t resent_puts = 0;          // versions a coordinator sent to one more fallback (ResendPut)
  std::uint64_t handoffs = 0;             // hints delivered home
  std::uint64_t read_repairs = 0;
  std::uint64_t ticks_to_converge = 0;    // in the liveness phase
  std::uint64_t joins = 0, leaves = 0, removes = 0;  // membership changes
  std::uint64_t keys_transferred = 0;     // TransferKey messages sent (nodes up at the end)
  std::uint64_t keys_released = 0;        // keys a node let go after their primaries confirmed them
  std::uint64_t reap_rounds = 0;          // reaps started (nodes up at the end)
  std::uint64_t tombstones_reaped = 0;    // keys whose tombstones a node dropped (nodes up at the end)
  std::uint64_t deleted_keys_read = 0;    // final reads of a key whose maximal versions are tombstones
  // Quorum overlap in practice: gets that started after a put of the key was acknowledged, both
  // without a fallback and with no crash in the run, and did not return that write or a successor.
  std::uint64_t overlap_checked = 0;
  std::uint64_t stale_reads = 0;
};

// Adds one run's counts to a total (sums; the maxima stay maxima).
void add_counts(SimCounts& total, const SimCounts& run);
// The counts in one line: what a run (or a total of runs) exercised.
std::string describe_counts(const SimCounts& counts);

struct SimOptions {
  bool trace = false;          // keep the NDJSON trace
  bool keep_history = false;   // keep the client history (always checked; kept for printing)
};

struct SimResult {
  bool ok = true;
  std::string failure;                 // what went wrong, when !ok
  SimCounts counts;
  std::vector<check::Event> history;   // when keep_history
  std::vector<std::string> trace;      // when trace: one JSON object per line
};

SimResult simulate(const Schedule& schedule, SimOptions options = {});

// The history as NDJSON (spec/history-format.md), for `dynamo check-history`.
std::string history_to_ndjson(const std::vector<check::Event>& history);

}  // namespace dynamo::sim
