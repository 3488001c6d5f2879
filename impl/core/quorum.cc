#include "impl/core/quorum.h"

#include <string>

#include "impl/core/limits.h"

namespace dynamo {

bool QuorumConfig::overlapping() const {
#ifdef DYNAMO_MUTANT_QUORUM_OFF_BY_ONE
  return r + w >= n;  // mutant: R + W = N does not guarantee overlap
#else
  return r + w > n;
#endif
}

Status validate(const QuorumConfig& quorum, std::size_t node_count) {
  const std::string shape = "N=" + std::to_string(quorum.n) + " R=" + std::to_string(quorum.r) +
                            " W=" + std::to_string(quorum.w);
  if (quorum.n < 1 || quorum.n > limits::kMaxReplicas) {
    return Error{shape + ": N must be between 1 and " + std::to_string(limits::kMaxReplicas) +
                 " (the paper uses N=3)"};
  }
  if (static_cast<std::size_t>(quorum.n) > node_count) {
    return Error{shape + ": N exceeds the " + std::to_string(node_count) +
                 " nodes of the cluster; add nodes or lower N, since the N replicas of a key are distinct nodes"};
  }
  if (quorum.r < 1 || quorum.r > quorum.n) {
    return Error{shape + ": R must be between 1 and N"};
  }
  if (quorum.w < 1 || quorum.w > quorum.n) {
    return Error{shape + ": W must be between 1 and N"};
  }
  return Status{};
}

}  // namespace dynamo
