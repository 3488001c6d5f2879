// sim_network.h: the simulated network: every message is delayed 1..max_delay ticks, and may be
// lost, duplicated (a second copy with its own delay, so copies reorder) or cut by a partition.
// Deliveries are ordered by (tick, send order), so a run depends only on the seed and the schedule.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_map>
#include <string>
#include <variant>
#include <vector>

#include "impl/core/messages.h"
#include "impl/sim/sim_random.h"

namespace dynamo::sim {

struct ToNode {  // a client's request
  ClientRequest request;
};
struct ToClient {  // a node's reply
  ClientReply reply;
};
using Payload = std::variant<PeerMessage, ToNode, ToClient>;

struct Envelope {
  std::uint64_t deliver_at = 0;
  std::uint64_t sequence = 0;
  std::string from;
  std::string to;
  Payload payload;
};

class SimNetwork {
 public:
  explicit SimNetwork(std::uint64_t seed) : random_(seed) {}

  void set_faults(std::uint32_t loss_per_mille, std::uint32_t duplicate_per_mille, std::uint32_t max_delay);
  // Called with every message the network loses or duplicates (for traces and counts).
  std::function<void(const Envelope&, bool duplicated)> on_fault;

  void send(std::uint64_t now, std::string from, std::string to, Payload payload);
  // The next envelope due at or before `now`, if any.
  bool next_due(std::uint64_t now, Envelope& out);
  bool empty() const { return queue_.empty(); }
  SimRandom& random() { return random_; }
  std::uint64_t lost() const { return lost_; }
  std::uint64_t duplicated() const { return duplicated_; }
  void count_lost() { ++lost_; }

 private:
  // The heap orders small entries; envelopes stay put in `in_flight_` (moving an envelope through a
  // heap copies its versions at every swap).
  struct Due {
    std::uint64_t deliver_at = 0;
    std::uint64_t sequence = 0;
    bool operator>(const Due& other) const {
      return deliver_at != other.deliver_at ? deliver_at > other.deliver_at : sequence > other.sequence;
    }
  };
  void push(Envelope envelope);
  SimRandom random_;
  std::uint32_t loss_ = 0, duplicate_ = 0, max_delay_ = 1;
  std::uint64_t sequence_ = 0, lost_ = 0, duplicated_ = 0;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> queue_;
  std::unordered_map<std::uint64_t, Envelope> in_flight_;  // by sequence
};

}  // namespace dynamo::sim
