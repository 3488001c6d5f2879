#include "impl/sim/sim_network.h"

#include <algorithm>
#include <utility>

namespace dynamo::sim {

void SimNetwork::set_faults(std::uint32_t loss_per_mille, std::uint32_t duplicate_per_mille, std::uint32_t max_delay) {
  loss_ = loss_per_mille;
  duplicate_ = duplicate_per_mille;
  max_delay_ = std::max<std::uint32_t>(1, max_delay);
}

void SimNetwork::send(std::uint64_t now, std::string from, std::string to, Payload payload) {
  Envelope e{now + 1 + random_.below(max_delay_), sequence_++, std::move(from), std::move(to), std::move(payload)};
  // Loss and duplication are the node network's: a client's connection to its coordinator is
  // reliable (a duplicated put would be a second write with the same value, which the history
  // format rules out), though it is cut when the coordinator crashes.
  const bool peer = std::holds_alternative<PeerMessage>(e.payload);
  if (peer && loss_ > 0 && random_.chance(loss_)) {
    ++lost_;
    if (on_fault) on_fault(e, false);
    return;
  }
  if (peer && duplicate_ > 0 && random_.chance(duplicate_)) {
    ++duplicated_;
    Envelope copy = e;
    copy.deliver_at = now + 1 + random_.below(max_delay_);
    copy.sequence = sequence_++;
    if (on_fault) on_fault(copy, true);
    push(std::move(copy));
  }
  push(std::move(e));
}

void SimNetwork::push(Envelope envelope) {
  queue_.push(Due{envelope.deliver_at, envelope.sequence});
  const std::uint64_t sequence = envelope.sequence;
  in_flight_.emplace(sequence, std::move(envelope));
}

bool SimNetwork::next_due(std::uint64_t now, Envelope& out) {
  if (queue_.empty() || queue_.top().deliver_at > now) return false;
  auto it = in_flight_.find(queue_.top().sequence);
  queue_.pop();
  out = std::move(it->second);
  in_flight_.erase(it);
  return true;
}

}  // namespace dynamo::sim
