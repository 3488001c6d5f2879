// SimCounts: adding runs up, and one readable line for the CLI and the property tests.
#include <algorithm>
#include <cstdio>

#include "impl/sim/simulation.h"

namespace dynamo::sim {

void add_counts(SimCounts& total, const SimCounts& run) {
  total.operations += run.operations;
  total.writes_acknowledged += run.writes_acknowledged;
  total.writes_unknown += run.writes_unknown;
  total.writes_failed += run.writes_failed;
  total.reads_ok += run.reads_ok;
  total.reads_failed += run.reads_failed;
  total.reads_with_siblings += run.reads_with_siblings;
  total.max_siblings = std::max(total.max_siblings, run.max_siblings);
  total.crashes += run.crashes;
  total.partitions += run.partitions;
  total.messages_lost += run.messages_lost;
  total.messages_duplicated += run.messages_duplicated;
  total.hinted_stores += run.hinted_stores;
  total.resent_puts += run.resent_puts;
  total.handoffs += run.handoffs;
  total.read_repairs += run.read_repairs;
  total.ticks_to_converge = std::max(total.ticks_to_converge, run.ticks_to_converge);
  total.overlap_checked += run.overlap_checked;
  total.stale_reads += run.stale_reads;
  total.joins += run.joins;
  total.leaves += run.leaves;
  total.removes += run.removes;
  total.keys_transferred += run.keys_transferred;
  total.keys_released += run.keys_released;
  total.reap_rounds += run.reap_rounds;
  total.tombstones_reaped += run.tombstones_reaped;
  total.deleted_keys_read += run.deleted_keys_read;
}

std::string describe_counts(const SimCounts& c) {
  char line[768];
  std::snprintf(line, sizeof line,
                "%llu operations: %llu writes acknowledged, %llu unknown, %llu failed; %llu reads ok (%llu with "
                "siblings, at most %llu); faults: %llu crashes, %llu partitions, %llu messages lost, %llu duplicated; "
                "%llu hinted stores (%llu resent), %llu handoffs, %llu read repairs; slowest convergence %llu ticks; quorum "
                "overlap: %llu checks, %llu stale reads",
                (unsigned long long)c.operations, (unsigned long long)c.writes_acknowledged,
                (unsigned long long)c.writes_unknown, (unsigned long long)c.writes_failed,
                (unsigned long long)c.reads_ok, (unsigned long long)c.reads_with_siblings,
                (unsigned long long)c.max_siblings, (unsigned long long)c.crashes, (unsigned long long)c.partitions,
                (unsigned long long)c.messages_lost, (unsigned long long)c.messages_duplicated,
                (unsigned long long)c.hinted_stores, (unsigned long long)c.resent_puts, (unsigned long long)c.handoffs,
                (unsigned long long)c.read_repairs, (unsigned long long)c.ticks_to_converge,
                (unsigned long long)c.overlap_checked, (unsigned long long)c.stale_reads);
  std::string out = line;
  if (c.reap_rounds > 0) {
    std::snprintf(line, sizeof line, "; reaping: %llu reaps started, %llu keys' tombstones reaped, %llu deleted keys read back",
                  (unsigned long long)c.reap_rounds, (unsigned long long)c.tombstones_reaped,
                  (unsigned long long)c.deleted_keys_read);
    out += line;
  }
  if (c.joins + c.leaves + c.removes > 0) {  // only runs with membership changes say so
    std::snprintf(line, sizeof line, "; membership: %llu joins, %llu leaves, %llu removes, %llu keys transferred, %llu released",
                  (unsigned long long)c.joins, (unsigned long long)c.leaves, (unsigned long long)c.removes,
                  (unsigned long long)c.keys_transferred, (unsigned long long)c.keys_released);
    out += line;
  }
  return out;
}

}  // namespace dynamo::sim
