// dot.h: the name of one write event.
//
// A dot (actor, counter) is created exactly once, by the coordinator of a put, and names the version
// that put created (spec: a version's `dot`). Actors are "node-id#epoch": a node takes a new epoch
// every time it starts, so a crash that loses buffered writes can never make it issue a dot twice.
// `stamp_ms` is the coordinator's wall time when it issued the dot, passed in by the shell; it only
// orders entries for truncation and is not part of the dot's identity.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <tuple>

namespace dynamo {

struct Dot {
  std::string actor;
  std::uint64_t counter = 0;  // >= 1 for a real dot
  std::uint64_t stamp_ms = 0;

  friend bool operator==(const Dot& a, const Dot& b) {
    return a.counter == b.counter && a.actor == b.actor;
  }
  friend std::strong_ordering operator<=>(const Dot& a, const Dot& b) {
    if (auto order = a.actor <=> b.actor; order != 0) return order;
    return a.counter <=> b.counter;
  }
};

}  // namespace dynamo
