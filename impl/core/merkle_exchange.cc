#include "impl/core/merkle_exchange.h"

#include <algorithm>
#include <span>
#include <utility>

#include "impl/core/check.h"
#include "impl/core/limits.h"

namespace dynamo {

namespace {

constexpr std::size_t kShapeBytes = 4 + 4 + 1;
constexpr std::size_t kCountBytes = 4;
constexpr std::size_t kPositionBytes = 1 + 4;
constexpr std::size_t kHashBytes = 16;
constexpr std::size_t kLeafIndexBytes = 4;

Status check_same_shape(const MerkleTree& tree, const MerkleShape& shape) {
  if (Status status = check_shape(shape); !status.ok()) return status;
  if (!(shape == tree.shape())) {
    return Error{"merkle exchange: peer's tree (Q " + std::to_string(shape.partitions) + ", partition " +
                 std::to_string(shape.partition) + ", depth " + std::to_string(shape.depth) +
                 ") does not match ours (depth " + std::to_string(tree.shape().depth) +
                 "): both replicas must size the partition's tree alike"};
  }
  return {};
}

// Checks one leaf listing from a peer: bounded, keys within limits, in this leaf, sorted, unique.
Status check_listing(const MerkleTree& local, std::uint32_t leaf, const std::vector<MerkleEntry>& listing) {
  if (listing.size() > merkle_limits::kMaxLeafKeys) {
    return Error{"merkle exchange: leaf " + std::to_string(leaf) + " listed with " + std::to_string(listing.size()) +
                 " keys, above merkle_limits::kMaxLeafKeys"};
  }
  for (std::size_t i = 0; i < listing.size(); ++i) {
    const std::string& key = listing[i].key;
    if (key.size() > limits::kMaxKeyBytes) return Error{"merkle exchange: a listed key exceeds limits::kMaxKeyBytes"};
    if (i > 0 && !(listing[i - 1].key < key)) {
      return Error{"merkle exchange: leaf " + std::to_string(leaf) + " listing is not sorted or repeats a key"};
    }
    if (local.leaf_of(key) != leaf) {
      return Error{"merkle exchange: key '" + key.substr(0, 64) + "' listed under leaf " + std::to_string(leaf) +
                   " does not belong there"};
    }
  }
  return {};
}

// Merge-walks two sorted listings of one leaf, appending the keys where they differ.
void compare_listings(std::span<const MerkleEntry> mine, const std::vector<MerkleEntry>& theirs,
                      std::vector<KeyDifference>& out) {
  std::size_t i = 0, j = 0;
  while (i < mine.size() || j < theirs.size()) {
    if (j == theirs.size() || (i < mine.size() && mine[i].key < theirs[j].key)) {
      out.push_back({mine[i].key, mine[i].digest, std::nullopt});
      ++i;
    } else if (i == mine.size() || theirs[j].key < mine[i].key) {
      out.push_back({theirs[j].key, std::nullopt, theirs[j].digest});
      ++j;
    } else {
      if (mine[i].digest != theirs[j].digest) out.push_back({mine[i].key, mine[i].digest, theirs[j].digest});
      ++i;
      ++j;
    }
  }
}

}  // namespace

std::size_t encoded_bytes(const MerkleHashRequest& request) {
  return kShapeBytes + kCountBytes + request.positions.size() * kPositionBytes;
}

std::size_t encoded_bytes(const MerkleHashReply& reply) { return kCountBytes + reply.hashes.size() * kHashBytes; }

std::size_t encoded_bytes(const MerkleLeafRequest& request) {
  return kShapeBytes + kCountBytes + request.leaves.size() * kLeafIndexBytes;
}

std::size_t encoded_bytes(const MerkleLeafReply& reply) {
  std::size_t bytes = kCountBytes;
  for (const auto& listing : reply.leaves) {
    bytes += kCountBytes;
    for (const MerkleEntry& entry : listing) bytes += 4 + entry.key.size() + entry.digest.size();
  }
  return bytes;
}

Result<MerkleHashReply> answer_hash_request(const MerkleTree& tree, const MerkleHashRequest& request) {
  if (Status status = check_same_shape(tree, request.shape); !status.ok()) return status.error();
  if (request.positions.size() > merkle_limits::kMaxPositionsPerRequest) {
    return Error{"merkle exchange: " + std::to_string(request.positions.size()) +
                 " positions in one request, above merkle_limits::kMaxPositionsPerRequest"};
  }
  MerkleHashReply reply;
  reply.hashes.reserve(request.positions.size());
  for (const MerklePosition& position : request.positions) {
    if (!tree.is_valid(position)) {
      return Error{"merkle exchange: position (level " + std::to_string(position.level) + ", index " +
                   std::to_string(position.index) + ") is outside the tree"};
    }
    reply.hashes.push_back(tree.node(position));
  }
  return reply;
}

Result<MerkleLeafReply> answer_leaf_request(const MerkleTree& tree, const MerkleLeafRequest& request) {
  if (Status status = check_same_shape(tree, request.shape); !status.ok()) return status.error();
  if (request.leaves.size() > merkle_limits::kMaxLeavesPerRequest) {
    return Error{"merkle exchange: " + std::to_string(request.leaves.size()) +
                 " leaves in one request, above merkle_limits::kMaxLeavesPerRequest"};
  }
  MerkleLeafReply reply;
  reply.leaves.reserve(request.leaves.size());
  for (std::uint32_t leaf : request.leaves) {
    if (leaf >= tree.shape().leaf_count()) {
      return Error{"merkle exchange: leaf " + std::to_string(leaf) + " is outside the tree"};
    }
    const std::span<const MerkleEntry> entries = tree.leaf(leaf);
    reply.leaves.emplace_back(entries.begin(), entries.end());
  }
  return reply;
}

MerkleHashRequest root_request(const MerkleTree& local) { return {local.shape(), {MerklePosition{0, 0}}}; }

Result<std::vector<MerklePosition>> differing_positions(const MerkleTree& local, const MerkleHashRequest& sent,
                                                        const MerkleHashReply& reply) {
  if (reply.hashes.size() != sent.positions.size()) {
    return Error{"merkle exchange: " + std::to_string(reply.hashes.size()) + " hashes in reply to " +
                 std::to_string(sent.positions.size()) + " positions"};
  }
  std::vector<MerklePosition> differing;
  for (std::size_t i = 0; i < sent.positions.size(); ++i) {
    DYNAMO_CHECK(local.is_valid(sent.positions[i]));  // we sent it
    if (!(local.node(sent.positions[i]) == reply.hashes[i])) differing.push_back(sent.positions[i]);
  }
  return differing;
}

std::vector<MerkleHashRequest> child_requests(const MerkleTree& local, const std::vector<MerklePosition>& positions) {
  std::vector<MerkleHashRequest> requests;
  for (const MerklePosition& parent : positions) {
    DYNAMO_CHECK(local.is_valid(parent) && parent.level < local.shape().depth);
    for (std::uint32_t c = 0; c < merkle_limits::kFanout; ++c) {
      if (requests.empty() || requests.back().positions.size() == merkle_limits::kMaxPositionsPerRequest) {
        requests.push_back({local.shape(), {}});
      }
      requests.back().positions.push_back(
          {static_cast<std::uint8_t>(parent.level + 1), (parent.index << merkle_limits::kFanoutBits) | c});
    }
  }
  return requests;
}

std::vector<MerkleLeafRequest> leaf_requests(const MerkleTree& local, const std::vector<MerklePosition>& positions) {
  std::vector<MerkleLeafRequest> requests;
  for (const MerklePosition& position : positions) {
    DYNAMO_CHECK(local.is_valid(position) && position.level == local.shape().depth);
    if (requests.empty() || requests.back().leaves.size() == merkle_limits::kMaxLeavesPerRequest) {
      requests.push_back({local.shape(), {}});
    }
    requests.back().leaves.push_back(position.index);
  }
  return requests;
}

Result<std::vector<KeyDifference>> differing_keys(const MerkleTree& local, const MerkleLeafRequest& sent,
                                                  const MerkleLeafReply& reply) {
  if (reply.leaves.size() != sent.leaves.size()) {
    return Error{"merkle exchange: " + std::to_string(reply.leaves.size()) + " listings in reply to " +
                 std::to_string(sent.leaves.size()) + " leaves"};
  }
  std::vector<KeyDifference> differences;
  for (std::size_t i = 0; i < sent.leaves.size(); ++i) {
    if (Status status = check_listing(local, sent.leaves[i], reply.leaves[i]); !status.ok()) return status.error();
    compare_listings(local.leaf(sent.leaves[i]), reply.leaves[i], differences);
  }
  std::sort(differences.begin(), differences.end(),
            [](const KeyDifference& a, const KeyDifference& b) { return a.key < b.key; });
  return differences;
}

Result<ExchangeOutcome> run_exchange(const MerkleTree& local, const MerkleTree& remote) {
  ExchangeOutcome outcome;
  ExchangeStats& stats = outcome.stats;
  std::vector<MerkleHashRequest> requests{root_request(local)};
  // One round per level: root (level 0) down to the leaves' level, each bounded by the depth.
  for (int level = 0; level <= local.shape().depth && !requests.empty(); ++level) {
    ++stats.rounds;
    std::vector<MerklePosition> differing;
    for (const MerkleHashRequest& request : requests) {
      Result<MerkleHashReply> reply = answer_hash_request(remote, request);
      if (!reply.ok()) return reply.error();
      stats.messages += 2;
      stats.bytes += encoded_bytes(request) + encoded_bytes(reply.value());
      Result<std::vector<MerklePosition>> found = differing_positions(local, request, reply.value());
      if (!found.ok()) return found.error();
      differing.insert(differing.end(), found.value().begin(), found.value().end());
    }
    if (level == local.shape().depth) {
      if (differing.empty()) break;
      ++stats.rounds;
      for (const MerkleLeafRequest& leaf_request : leaf_requests(local, differing)) {
        Result<MerkleLeafReply> reply = answer_leaf_request(remote, leaf_request);
        if (!reply.ok()) return reply.error();
        stats.messages += 2;
        stats.bytes += encoded_bytes(leaf_request) + encoded_bytes(reply.value());
        Result<std::vector<KeyDifference>> keys = differing_keys(local, leaf_request, reply.value());
        if (!keys.ok()) return keys.error();
        outcome.differences.insert(outcome.differences.end(), keys.value().begin(), keys.value().end());
      }
      break;
    }
    requests = child_requests(local, differing);
  }
  std::sort(outcome.differences.begin(), outcome.differences.end(),
            [](const KeyDifference& a, const KeyDifference& b) { return a.key < b.key; });
  return outcome;
}

}  // namespace dynamo
