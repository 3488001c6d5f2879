// schedule.h: what a simulation run does, as data: the cluster's shape, the network's fault rates
// and a list of timed steps (client operations and faults). A Schedule plus its seed fixes the run
// exactly, so a failing property prints the (shrunk) schedule and the seed, and reruns it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dynamo::sim {

enum class StepKind {
  kGet,        // client a reads key c
  kPut,        // client a writes key c with the context of its last get of c (blind if none)
  kBlindPut,   // client a writes key c with no context
  kDelete,     // client a deletes key c with the context of its last get of c
  kCartAdd,    // client a adds an item to the cart at key c: the union of the siblings it last read
  kCrash,      // node a crashes (loses what it had not synced)
  kRestart,    // node a restarts with a new epoch
  kPartition,  // nodes whose bit is set in a are cut off from the others (the first 32 nodes)
  kHeal,       // every partition heals
  kJoin,       // spare node a joins the ring (an administrator's join; the others learn it by gossip)
  kLeave,      // node a leaves the ring: it hands its keys over and stays up
  kRemove,     // node a is gone for good (its data with it) and is removed from the ring
};
const char* step_kind_name(StepKind kind);

struct Step {
  std::uint32_t tick = 0;
  StepKind kind = StepKind::kGet;
  std::uint32_t a = 0;  // client, node or partition mask
  std::uint32_t c = 0;  // key index
};

struct Schedule {
  std::uint64_t seed = 0;        // message delays, losses, duplicates and coordinator choice
  std::uint32_t nodes = 5;
  std::uint32_t spare_nodes = 0;  // nodes n<nodes+1>.. that are not members until a kJoin
  std::uint32_t data_centres = 2;
  std::uint32_t clients = 3;
  std::uint32_t keys = 4;
  int n = 3, r = 2, w = 2;
  bool durable_replicas = false;  // replicas other than the coordinator sync each write
  bool overlap_writes = false;    // the store's overlap_coordinator_write
  bool async_storage = false;     // storage ops complete later, in random order (not in traced runs)
  std::uint32_t loss_per_mille = 0;
  std::uint32_t duplicate_per_mille = 0;
  std::uint32_t max_delay = 3;    // ticks; each message takes 1..max_delay
  std::uint32_t safety_ticks = 200;
  std::uint32_t liveness_ticks = 2000;  // the bound on convergence once faults stop
  std::vector<Step> steps;        // sorted by tick

  std::string describe() const;  // readable, one step per line: what a failing property prints
};

// A random schedule from a seed, on the cluster shape of `shape` (nodes, clients, keys, N/R/W, delay;
// its steps and seed are replaced). The benchmark and `dynamo simulate` use it; the property tests
// generate schedules with RapidCheck so they shrink.
Schedule random_schedule(std::uint64_t seed, std::uint32_t operations, bool with_faults, Schedule shape = {});

}  // namespace dynamo::sim
