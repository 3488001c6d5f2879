#include "impl/core/merkle_tree.h"

#include <algorithm>
#include <utility>

#include "impl/core/check.h"
#include "impl/core/limits.h"

namespace dynamo {

namespace {

MerkleHash hash_of(const Md5Digest& digest) {
  MerkleHash hash;
  for (int i = 0; i < 8; ++i) hash.hi = (hash.hi << 8) | digest[i];
  for (int i = 8; i < 16; ++i) hash.lo = (hash.lo << 8) | digest[i];
  return hash;
}

void append_be(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

bool entry_before(const MerkleEntry& entry, std::string_view key) { return entry.key < key; }

}  // namespace

VersionsDigest digest_of_versions(std::string_view canonical_bytes) { return md5_of(canonical_bytes); }

VersionsDigest digest_of_siblings(const std::vector<Version>& siblings) {
  std::string encoding;
  for (std::size_t i = 0; i < siblings.size(); ++i) {
    const Dot& dot = siblings[i].dot;
    DYNAMO_CHECK(i == 0 || siblings[i - 1].dot < dot);  // reconciled: sorted, one per dot
    append_be(encoding, dot.actor.size(), 4);
    encoding += dot.actor;
    append_be(encoding, dot.counter, 8);
  }
  return md5_of(encoding);
}

MerkleHash entry_hash(Md5Hasher& hasher, std::string_view key, const VersionsDigest& digest) {
  // The length prefix keeps (key, digest) pairs unambiguous: "ab"+d and "a"+("b"+d') never meet.
  DYNAMO_CHECK(key.size() <= limits::kMaxKeyBytes);
  char buffer[4 + limits::kMaxKeyBytes + sizeof(VersionsDigest)];
  for (int i = 0; i < 4; ++i) buffer[i] = static_cast<char>((key.size() >> (8 * (3 - i))) & 0xFF);
  std::size_t length = 4 + key.copy(buffer + 4, key.size());
  std::copy(digest.begin(), digest.end(), buffer + length);
  length += digest.size();
  return hash_of(hasher.digest(std::string_view(buffer, length)));
}

Status check_shape(const MerkleShape& shape) {
  if (!is_valid_partition_count(shape.partitions)) {
    return Error{"merkle shape: partitions " + std::to_string(shape.partitions) +
                 " is not a power of two in [1, " + std::to_string(limits::kMaxPartitions) + "]"};
  }
  if (shape.partition >= shape.partitions) {
    return Error{"merkle shape: partition " + std::to_string(shape.partition) + " is not below Q = " +
                 std::to_string(shape.partitions)};
  }
  if (shape.depth < 1 || shape.depth > merkle_limits::kMaxDepth) {
    return Error{"merkle shape: depth " + std::to_string(shape.depth) + " is outside [1, " +
                 std::to_string(merkle_limits::kMaxDepth) + "]"};
  }
  return {};
}

MerkleShape shape_for(std::uint32_t partitions, std::uint32_t partition, std::size_t expected_keys) {
  MerkleShape shape{partitions, partition, 1};
  while (shape.depth < merkle_limits::kMaxDepth &&
         std::size_t{shape.leaf_count()} * merkle_limits::kTargetLeafKeys < expected_keys) {
    ++shape.depth;
  }
  DYNAMO_CHECK(check_shape(shape).ok());
  return shape;
}

MerkleTree::MerkleTree(MerkleShape shape) : shape_(shape), hasher_(std::make_unique<Md5Hasher>()) {
  DYNAMO_CHECK(check_shape(shape).ok());
  for (int level = 0; level <= shape.depth; ++level) {
    levels_.emplace_back(std::size_t{1} << (merkle_limits::kFanoutBits * level));
  }
  leaves_.resize(shape.leaf_count());
}

MerkleTree::MerkleTree(const MerkleTree& other)
    : shape_(other.shape_), levels_(other.levels_), leaves_(other.leaves_), size_(other.size_),
      hasher_(std::make_unique<Md5Hasher>()) {}

MerkleTree& MerkleTree::operator=(const MerkleTree& other) {
  if (this != &other) {
    shape_ = other.shape_;
    levels_ = other.levels_;
    leaves_ = other.leaves_;
    size_ = other.size_;
    if (!hasher_) hasher_ = std::make_unique<Md5Hasher>();
  }
  return *this;
}

MerkleTree::~MerkleTree() = default;

Status MerkleTree::check_key(std::string_view key, std::uint32_t* leaf) const {
  if (key.size() > limits::kMaxKeyBytes) {
    return Error{"merkle: key of " + std::to_string(key.size()) + " bytes exceeds limits::kMaxKeyBytes"};
  }
  const std::optional<std::uint32_t> index = leaf_of(key);
  if (!index) {
    return Error{"merkle: key '" + std::string(key.substr(0, 64)) + "' is not in partition " +
                 std::to_string(shape_.partition) + ": update the tree of the key's own partition"};
  }
  *leaf = *index;
  return {};
}

std::optional<std::uint32_t> MerkleTree::leaf_of(std::string_view key) const {
  const Md5Digest digest = hasher_->digest(key);
  if (partition_of_digest(digest, shape_.partitions) != shape_.partition) return std::nullopt;
  // The bits after the partition's: the key's place within the partition's arc.
  const std::uint64_t within = leading_u64(digest) << partition_bits(shape_.partitions);
  const std::uint32_t leaf =
      static_cast<std::uint32_t>(within >> (64 - merkle_limits::kFanoutBits * shape_.depth));
  DYNAMO_CHECK(leaf < shape_.leaf_count());
  return leaf;
}

Result<MerkleTree> MerkleTree::build(MerkleShape shape, std::vector<MerkleEntry> entries) {
  if (Status status = check_shape(shape); !status.ok()) return status.error();
  MerkleTree tree(shape);
  for (MerkleEntry& entry : entries) {
    std::uint32_t leaf = 0;
    if (Status status = tree.check_key(entry.key, &leaf); !status.ok()) return status.error();
    tree.leaves_[leaf].push_back(std::move(entry));
  }
  std::vector<MerkleHash>& bottom = tree.levels_[static_cast<std::size_t>(shape.depth)];
  for (std::uint32_t leaf = 0; leaf < shape.leaf_count(); ++leaf) {
    std::vector<MerkleEntry>& keys = tree.leaves_[leaf];
    if (keys.size() > merkle_limits::kMaxLeafKeys) {
      return Error{"merkle build: leaf " + std::to_string(leaf) + " would hold " + std::to_string(keys.size()) +
                   " keys (limit " + std::to_string(merkle_limits::kMaxLeafKeys) + "): build a deeper tree"};
    }
    std::sort(keys.begin(), keys.end(), [](const MerkleEntry& a, const MerkleEntry& b) { return a.key < b.key; });
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i > 0 && keys[i - 1].key == keys[i].key) {
        return Error{"merkle build: key '" + keys[i].key.substr(0, 64) + "' given twice"};
      }
      bottom[leaf] ^= entry_hash(*tree.hasher_, keys[i].key, keys[i].digest);
    }
    tree.size_ += keys.size();
  }
  // Each level from the one below: node i is the XOR of children 16i .. 16i + 15.
  for (int level = shape.depth - 1; level >= 0; --level) {
    const std::vector<MerkleHash>& below = tree.levels_[static_cast<std::size_t>(level + 1)];
    std::vector<MerkleHash>& here = tree.levels_[static_cast<std::size_t>(level)];
    for (std::size_t child = 0; child < below.size(); ++child) {
      here[child >> merkle_limits::kFanoutBits] ^= below[child];
    }
  }
  return tree;
}

Status MerkleTree::update(std::string_view key, const VersionsDigest& digest) {
  std::uint32_t leaf = 0;
  if (Status status = check_key(key, &leaf); !status.ok()) return status;
  std::vector<MerkleEntry>& keys = leaves_[leaf];
  auto at = std::lower_bound(keys.begin(), keys.end(), key, entry_before);
  MerkleHash delta = entry_hash(*hasher_, key, digest);
  if (at != keys.end() && at->key == key) {
    if (at->digest == digest) return {};
    delta ^= entry_hash(*hasher_, key, at->digest);  // out with the old, in with the new
    at->digest = digest;
  } else {
    if (keys.size() >= merkle_limits::kMaxLeafKeys) {
      return Error{"merkle: leaf " + std::to_string(leaf) + " already holds " +
                   std::to_string(merkle_limits::kMaxLeafKeys) + " keys: rebuild the partition's tree deeper"};
    }
    keys.insert(at, MerkleEntry{std::string(key), digest});
    ++size_;
  }
  apply_along_path(leaf, delta);
  return {};
}

bool MerkleTree::remove(std::string_view key) {
  std::uint32_t leaf = 0;
  if (!check_key(key, &leaf).ok()) return false;  // a key this tree cannot hold is not in it
  std::vector<MerkleEntry>& keys = leaves_[leaf];
  auto at = std::lower_bound(keys.begin(), keys.end(), key, entry_before);
  if (at == keys.end() || at->key != key) return false;
  const MerkleHash delta = entry_hash(*hasher_, key, at->digest);
  keys.erase(at);
  --size_;
  apply_along_path(leaf, delta);
  return true;
}

void MerkleTree::apply_along_path(std::uint32_t leaf, const MerkleHash& delta) {
  std::uint32_t index = leaf;
  for (int level = shape_.depth; level >= 0; --level) {
#ifdef DYNAMO_MUTANT_MERKLE_SKIPS_PATH_UPDATE
    // Mutant: the leaves' parents go stale, so a difference below them can hide from a descent.
    if (level == shape_.depth - 1 && level > 0) {
      index >>= merkle_limits::kFanoutBits;
      continue;
    }
#endif
    levels_[static_cast<std::size_t>(level)][index] ^= delta;
    index >>= merkle_limits::kFanoutBits;
  }
  DYNAMO_CHECK(index == 0);
}

bool MerkleTree::is_valid(MerklePosition position) const {
  return position.level <= shape_.depth &&
         position.index < levels_[position.level].size();
}

MerkleHash MerkleTree::node(MerklePosition position) const {
  DYNAMO_CHECK(is_valid(position));
  return levels_[position.level][position.index];
}

std::span<const MerkleEntry> MerkleTree::leaf(std::uint32_t index) const {
  DYNAMO_CHECK(index < leaves_.size());
  return leaves_[index];
}

std::optional<VersionsDigest> MerkleTree::find(std::string_view key) const {
  const std::optional<std::uint32_t> leaf = key.size() <= limits::kMaxKeyBytes ? leaf_of(key) : std::nullopt;
  if (!leaf) return std::nullopt;
  const std::vector<MerkleEntry>& keys = leaves_[*leaf];
  auto at = std::lower_bound(keys.begin(), keys.end(), key, entry_before);
  if (at == keys.end() || at->key != key) return std::nullopt;
  return at->digest;
}

std::size_t MerkleTree::memory_bytes() const {
  constexpr std::size_t kInlineKeyBytes = 15;  // libstdc++'s short-string buffer
  std::size_t bytes = sizeof(*this) + levels_.capacity() * sizeof(levels_[0]);
  for (const auto& level : levels_) bytes += level.capacity() * sizeof(MerkleHash);
  bytes += leaves_.capacity() * sizeof(leaves_[0]);
  for (const auto& keys : leaves_) {
    bytes += keys.capacity() * sizeof(MerkleEntry);
    for (const MerkleEntry& entry : keys) {
      if (entry.key.capacity() > kInlineKeyBytes) bytes += entry.key.capacity() + 1;
    }
  }
  return bytes;
}

bool operator==(const MerkleTree& a, const MerkleTree& b) {
  return a.shape_ == b.shape_ && a.size_ == b.size_ && a.leaves_ == b.leaves_ && a.levels_ == b.levels_;
}

}  // namespace dynamo
