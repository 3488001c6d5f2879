// generators.h: RapidCheck generators for the core's types, and a random execution of puts,
// reads, replication and crashes whose ground truth (what each writer really read) is kept as
// explicit sets of dots, independent of the compact encoding under test.
//
// These functions draw with `*gen` and so may only be called inside a property.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "impl/core/causal_context.h"
#include "impl/core/vector_clock.h"
#include "impl/core/version.h"

namespace dynamo::proptests {

// Small alphabets and counters, so that equal, ordered and concurrent clocks are all common.
inline VectorClock arbitrary_clock(int max_actors = 5, std::uint64_t max_counter = 4) {
  const int size = *rc::gen::inRange(0, max_actors + 1);
  std::vector<ClockEntry> entries;
  for (int i = 0; i < size; ++i) {
    entries.push_back(ClockEntry{std::string(1, static_cast<char>('a' + *rc::gen::inRange(0, max_actors))),
                                 *rc::gen::inRange<std::uint64_t>(0, max_counter + 1),
                                 *rc::gen::inRange<std::uint64_t>(0, 50)});
  }
  return VectorClock::from_entries(std::move(entries));
}

// A clock at or above `base`: base merged with random advances.
inline VectorClock clock_above(const VectorClock& base) { return merge(base, arbitrary_clock()); }

// A uniform draw from [min, max), whatever the size RapidCheck is at: gen::inRange scales with the
// size, which would send every early case's puts to replica 0. Shrinking still applies.
template <class T>
T uniform(T min, T max) {
  return *rc::gen::resize(100, rc::gen::inRange<T>(min, max));
}

// A random permutation (Fisher-Yates, drawn from RapidCheck so it shrinks and replays).
template <class T>
std::vector<T> shuffled(std::vector<T> items) {
  for (std::size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[uniform<std::size_t>(0, i)]);
  }
  return items;
}

using DotSet = std::set<Dot>;

// The explicit set of dots a context encodes (summary entries expanded; contexts here are small).
inline DotSet dots_of(const CausalContext& context) {
  DotSet dots(context.cloud().begin(), context.cloud().end());
  for (const ClockEntry& e : context.summary().entries()) {
    for (std::uint64_t c = 1; c <= e.counter; ++c) dots.insert(Dot{e.actor, c, 0});
  }
  return dots;
}

inline DotSet arbitrary_dot_set(int actors = 3, std::uint64_t max_counter = 6) {
  DotSet dots;
  const int size = *rc::gen::inRange(0, 12);
  for (int i = 0; i < size; ++i) {
    dots.insert(Dot{std::string(1, static_cast<char>('a' + *rc::gen::inRange(0, actors))),
                    *rc::gen::inRange<std::uint64_t>(1, max_counter + 1), *rc::gen::inRange<std::uint64_t>(0, 50)});
  }
  return dots;
}

// Encodes a dot set through a random mix of summary and add(), so every path of the encoding is used.
inline CausalContext encode(const DotSet& dots) {
  std::vector<Dot> loose;
  CausalContext context;
  for (const Dot& dot : dots) {
    if (*rc::gen::arbitrary<bool>()) context.add(dot);
    else loose.push_back(dot);
  }
  return merge(context, CausalContext::from_parts(VectorClock{}, loose));
}

// One write of an execution, with its ground truth.
struct Write {
  Version version;
  DotSet truly_read;  // every dot in the histories of the versions its client read
};

// A random execution on one key: `replicas` nodes, each with a key state; steps are puts (with a
// context read from a random set of replicas, or none), replication of a random earlier write to a
// random replica, and crashes that wipe a replica, which then writes under a new epoch (a new actor),
// as the node runtime does. With `actor_epochs_max` small, no context exceeds the truncation threshold.
struct Execution {
  std::vector<KeyState> replicas;
  std::vector<int> epochs;
  std::vector<Write> writes;

  std::vector<Version> universe() const {
    std::vector<Version> all;
    for (const Write& w : writes) all.push_back(w.version);
    return all;
  }
};

inline DotSet truth_of(const Execution& ex, const Dot& dot) {
  for (const Write& w : ex.writes) {
    if (w.version.dot == dot) {
      DotSet h = w.truly_read;
      h.insert(dot);
      return h;
    }
  }
  return {};
}

// With `eager_readers`, half of the reads see every replica and half of the puts reach every
// replica at once, so causal chains through many actors (and contexts past the truncation
// threshold) are common.
inline Execution random_execution(int replicas, int steps, int crashes_max, bool eager_readers = false) {
  Execution ex;
  ex.replicas.resize(replicas);
  ex.epochs.assign(replicas, 0);
  int crashes = 0;
  for (int step = 0; step < steps; ++step) {
    const int kind = uniform(0, 10);
    const int at = uniform(0, replicas);
    if (kind < 4 || ex.writes.empty()) {  // put, after an optional read
      std::vector<Version> read;
      if (uniform(0, 3) > 0) {
        const bool read_all = eager_readers && *rc::gen::arbitrary<bool>();
        for (int r = 0; r < replicas; ++r) {
          if (read_all || *rc::gen::arbitrary<bool>()) {
            read.insert(read.end(), ex.replicas[r].siblings.begin(), ex.replicas[r].siblings.end());
          }
        }
        read = reconcile(std::move(read));
      }
      Write w;
      for (const Version& v : read) {
        const DotSet h = truth_of(ex, v.dot);
        w.truly_read.insert(h.begin(), h.end());
      }
      const std::string actor = "n" + std::to_string(at) + "#" + std::to_string(ex.epochs[at]);
      const std::uint64_t now = static_cast<std::uint64_t>(step);
      MadeVersion made = make_version(ex.replicas[at], actor, read_context(read), "v" + std::to_string(step), now);
      ex.replicas[at] = std::move(made.state);
      if (eager_readers && *rc::gen::arbitrary<bool>()) {  // and sometimes replicated everywhere at once
        for (KeyState& replica : ex.replicas) replica = store_version(std::move(replica), made.version);
      }
      w.version = std::move(made.version);
      ex.writes.push_back(std::move(w));
    } else if (kind < 9) {  // replicate an earlier write
      const int which = uniform<int>(0, static_cast<int>(ex.writes.size()));
      ex.replicas[at] = store_version(std::move(ex.replicas[at]), ex.writes[which].version);
    } else if (crashes < crashes_max) {  // the replica loses its data and starts a new epoch
      ex.replicas[at] = KeyState{};
      ++ex.epochs[at];
      ++crashes;
    }
  }
  return ex;
}

}  // namespace dynamo::proptests
