// Anti-entropy costs: a Merkle tree over 1,000,000 keys on two replicas that differ in d keys
// (d = 10 by default), against (1) a naive exchange of every key's digest and (2) set reconciliation
// with invertible Bloom lookup tables (IBLT; Eppstein, Goodrich, Uyeda, Varghese, "What's the
// difference?", SIGCOMM 2011), with and without a strata estimator of d. Also the tree's standing
// costs: build from scratch, one update, memory. A plain program printing tables (not a test).
// Run: build/<preset>/bench/merkle_bench [keys] [differences...]   (figures: docs/anti-entropy.md)
//
// Bytes are counted as the core counts them (merkle_exchange.h encoded_bytes): fixed-width
// integers, u32-length-prefixed keys. Times are this thread's CPU time; exchanges take the median of 5 runs.
#include <algorithm>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include "impl/core/check.h"
#include "impl/core/key_hash.h"
#include "impl/core/merkle_exchange.h"
#include "impl/core/merkle_tree.h"

namespace dynamo {
namespace {

// CPU time of this thread: the machine is shared, so wall time would count other processes' turns.
struct Clock {
  using time_point = double;
  static double now() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
  }
};
double elapsed(double start) { return Clock::now() - start; }

std::uint64_t sink = 0;  // printed at the end, so the timed hashing is not optimised away

double seconds_of(const std::function<void()>& work, int runs = 5) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    work();
    times.push_back(elapsed(start));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::string key_of(std::size_t i) { return "user:" + std::to_string(i * 2654435761u % 1000000007u); }
VersionsDigest digest_of(std::size_t i, int generation) {
  return digest_of_versions("node-" + std::to_string(i % 3) + "#1:" + std::to_string(generation) + ":" + std::to_string(i));
}

// ---------------------------------------------------------------------------------------------
// An IBLT over 64-bit element ids (the low half of the key's entry hash H(key, digest), so a key
// with different digests on the two sides is two elements). k = 3 cells per element, one in each of
// 3 equal sub-tables (so an element never lands twice in one cell). A cell encodes as 20 bytes:
// count i32, id XOR u64, check XOR u64 (a second hash of the id, to tell a pure cell).
std::uint64_t mix(std::uint64_t x, std::uint64_t seed) {  // splitmix64's finaliser, seeded
  x += 0x9E3779B97F4A7C15ull * (seed + 1);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

struct Cell {
  std::int32_t count = 0;
  std::uint64_t id_sum = 0;
  std::uint64_t check_sum = 0;
};
constexpr std::size_t kCellBytes = 4 + 8 + 8;

class Iblt {
 public:
  explicit Iblt(std::size_t cells) : sub_((cells + 2) / 3), cells_(3 * sub_) {}
  void add(std::uint64_t id, int sign) {
    for (std::size_t j = 0; j < 3; ++j) {
      Cell& c = cells_[j * sub_ + mix(id, j) % sub_];
      c.count += sign;
      c.id_sum ^= id;
      c.check_sum ^= mix(id, 99);
    }
  }
  void subtract(const Iblt& other) {
    DYNAMO_CHECK(other.cells_.size() == cells_.size());
    for (std::size_t i = 0; i < cells_.size(); ++i) {
      cells_[i].count -= other.cells_[i].count;
      cells_[i].id_sum ^= other.cells_[i].id_sum;
      cells_[i].check_sum ^= other.cells_[i].check_sum;
    }
  }
  // Peels pure cells; true when the table empties (everything decoded).
  bool decode(std::vector<std::uint64_t>& mine, std::vector<std::uint64_t>& theirs) {
    std::vector<std::size_t> pure;
    for (std::size_t i = 0; i < cells_.size(); ++i) if (is_pure(i)) pure.push_back(i);
    while (!pure.empty()) {
      const std::size_t i = pure.back();
      pure.pop_back();
      if (!is_pure(i)) continue;
      const std::uint64_t id = cells_[i].id_sum;
      const int sign = cells_[i].count;
      (sign > 0 ? mine : theirs).push_back(id);
      add(id, -sign);
      for (std::size_t j = 0; j < 3; ++j) {
        const std::size_t at = j * sub_ + mix(id, j) % sub_;
        if (is_pure(at)) pure.push_back(at);
      }
    }
    for (const Cell& c : cells_) if (c.count != 0 || c.id_sum != 0 || c.check_sum != 0) return false;
    return true;
  }
  std::size_t bytes() const { return 4 + cells_.size() * kCellBytes; }

 private:
  bool is_pure(std::size_t i) const {
    const Cell& c = cells_[i];
    return (c.count == 1 || c.count == -1) && c.check_sum == mix(c.id_sum, 99);
  }
  std::size_t sub_;
  std::vector<Cell> cells_;
};

// The strata estimator: 32 IBLTs of 80 cells; an element goes to stratum = trailing zeros of a hash
// of its id, so stratum i samples 1/2^(i+1) of the elements. Estimate: decode from the top stratum
// down; at the first that fails, scale what was decoded so far by 2^(i+1).
class StrataEstimator {
 public:
  StrataEstimator() : strata_(kStrata, Iblt(kCellsPerStratum)) {}
  void add(std::uint64_t id, int sign) {
    const int stratum = std::min(kStrata - 1, __builtin_ctzll(mix(id, 7) | (1ull << 63)));
    strata_[static_cast<std::size_t>(stratum)].add(id, sign);
  }
  std::size_t estimate(const StrataEstimator& other) const {
    std::size_t count = 0;
    for (int i = kStrata - 1; i >= 0; --i) {
      Iblt diff = strata_[static_cast<std::size_t>(i)];
      diff.subtract(other.strata_[static_cast<std::size_t>(i)]);
      std::vector<std::uint64_t> a, b;
      if (!diff.decode(a, b)) return count << (i + 1);
      count += a.size() + b.size();
    }
    return count;
  }
  std::size_t bytes() const { return 4 + kStrata * strata_[0].bytes(); }

 private:
  static constexpr int kStrata = 32;
  static constexpr std::size_t kCellsPerStratum = 81;  // Eppstein et al.'s 80, rounded to 3 sub-tables
  std::vector<Iblt> strata_;
};

// What one replica keeps for reconciliation besides the tree: each element's id -> its key index.
struct Replica {
  MerkleTree tree;
  std::vector<MerkleEntry> entries;                     // sorted by key: what a store scan yields
  std::unordered_map<std::uint64_t, std::size_t> ids;   // id -> index into entries
};

Replica make_replica(const MerkleTree& tree) {
  Replica r{tree, {}, {}};
  for (std::uint32_t leaf = 0; leaf < tree.shape().leaf_count(); ++leaf) {
    for (const MerkleEntry& e : tree.leaf(leaf)) r.entries.push_back(e);
  }
  std::sort(r.entries.begin(), r.entries.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  Md5Hasher hasher;
  r.ids.reserve(r.entries.size());
  for (std::size_t i = 0; i < r.entries.size(); ++i) r.ids[entry_hash(hasher, r.entries[i].key, r.entries[i].digest).lo] = i;
  return r;
}

struct Row {
  std::string method;
  int rounds;
  std::size_t messages;
  std::size_t bytes;
  double find_ms;     // CPU to find the differences, both sides, per exchange
  std::string note;
};

void print_rows(const std::vector<Row>& rows) {
  std::printf("| method | rounds | messages | bytes | time to find (ms) | note |\n|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    std::printf("| %s | %d | %zu | %zu | %.3f | %s |\n", r.method.c_str(), r.rounds, r.messages, r.bytes, r.find_ms,
                r.note.c_str());
  }
}

std::set<std::string> truth_of(const Replica& a, const Replica& b) {
  std::set<std::string> keys;
  std::size_t i = 0, j = 0;
  while (i < a.entries.size() || j < b.entries.size()) {
    if (j == b.entries.size() || (i < a.entries.size() && a.entries[i].key < b.entries[j].key)) keys.insert(a.entries[i++].key);
    else if (i == a.entries.size() || b.entries[j].key < a.entries[i].key) keys.insert(b.entries[j++].key);
    else { if (a.entries[i].digest != b.entries[j].digest) keys.insert(a.entries[i].key); ++i; ++j; }
  }
  return keys;
}

// IBLT reconciliation of `a` (initiator) and `b`, with `cells` cells; fills the found key set and
// the byte count of the IBLT and the id round. Returns false when decoding fails.
bool iblt_round(const Replica& a, const Replica& b, std::size_t cells, std::set<std::string>& found,
                std::size_t& bytes, int& rounds) {
  Iblt mine(cells), theirs(cells);
  for (const auto& [id, index] : a.ids) mine.add(id, +1);
  for (const auto& [id, index] : b.ids) theirs.add(id, +1);
  bytes += theirs.bytes();  // b -> a
  mine.subtract(theirs);
  std::vector<std::uint64_t> only_a, only_b;
  if (!mine.decode(only_a, only_b)) return false;
  for (std::uint64_t id : only_a) found.insert(a.entries[a.ids.at(id)].key);
  if (only_b.empty()) return true;
  rounds = 2;
  // a names b's ids (8 bytes each); b answers each with its key and digest.
  bytes += 13 + 8 * only_b.size() + 4;
  for (std::uint64_t id : only_b) {
    const MerkleEntry& e = b.entries[b.ids.at(id)];
    bytes += 4 + e.key.size() + 16;
    found.insert(e.key);
  }
  return true;
}

std::vector<Row> compare(const Replica& a, const Replica& b, std::size_t d) {
  const std::set<std::string> truth = truth_of(a, b);
  std::vector<Row> rows;

  // Merkle: the core's exchange.
  Result<ExchangeOutcome> outcome = run_exchange(a.tree, b.tree);
  DYNAMO_CHECK(outcome.ok());
  std::set<std::string> found;
  for (const KeyDifference& k : outcome.value().differences) found.insert(k.key);
  DYNAMO_CHECK(found == truth);
  const double merkle_s = seconds_of([&] { DYNAMO_CHECK(run_exchange(a.tree, b.tree).ok()); });
  const ExchangeStats& s = outcome.value().stats;
  rows.push_back({"Merkle tree (depth " + std::to_string(a.tree.shape().depth) + ")", s.rounds, s.messages, s.bytes,
                  merkle_s * 1e3, "incremental; found all " + std::to_string(truth.size())});

  // Naive: a sends every (key, digest) in 1 MiB messages, b merge-walks against its own scan and
  // answers the differing keys with its digests.
  std::size_t naive_bytes = 4;
  for (const MerkleEntry& e : a.entries) naive_bytes += 4 + e.key.size() + 16;
  std::set<std::string> naive_found;
  const double naive_s = seconds_of([&] { naive_found = truth_of(a, b); });
  std::size_t naive_reply = 4;
  for (const std::string& k : naive_found) naive_reply += 4 + k.size() + 16;
  rows.push_back({"naive: every key's digest", 1, (naive_bytes + (1u << 20) - 1) / (1u << 20) + 1,
                  naive_bytes + naive_reply, naive_s * 1e3, "merge-walk of two sorted scans (scan not timed)"});

  // IBLT with a strata estimator: a sends its estimator; b estimates d, builds an IBLT of 2d + 30
  // cells over all its ids and sends it; a builds its own, subtracts, decodes; a second round names
  // b's ids, if b has any that a lacks. Both estimators are kept up to date by writes (not timed); the sized IBLTs are built at
  // exchange time (timed), since their size depends on d.
  StrataEstimator est_a, est_b;
  for (const auto& [id, index] : a.ids) est_a.add(id, +1);
  for (const auto& [id, index] : b.ids) est_b.add(id, +1);
  std::size_t estimate = 0, strata_bytes = 0;
  int strata_rounds = 1;
  std::set<std::string> iblt_found;
  bool decoded = false;
  const double strata_s = seconds_of([&] {
    estimate = est_a.estimate(est_b);
    iblt_found.clear();
    strata_bytes = est_a.bytes();
    strata_rounds = 1;
    decoded = iblt_round(a, b, 2 * estimate + 30, iblt_found, strata_bytes, strata_rounds);
  });
  rows.push_back({"IBLT + strata estimator", strata_rounds, 2 * static_cast<std::size_t>(strata_rounds), strata_bytes, strata_s * 1e3,
                  "estimated " + std::to_string(estimate) + " ids (true " + std::to_string(d + (d + 2) / 3) +
                      "); " + (decoded && iblt_found == truth ? "found all" : "DECODE FAILED")});

  // Fixed IBLT of 300 cells (6 KB), kept up to date by writes like the tree: good for up to ~240
  // differing ids (c/1.23, k = 3's peeling threshold); past that decoding fails and the exchange
  // falls back to the tree.
  std::size_t fixed_bytes = 13;
  std::set<std::string> fixed_found;
  bool fixed_ok = false;
  int fixed_rounds = 1;
  Iblt fa(300), fb(300);
  for (const auto& [id, index] : a.ids) fa.add(id, +1);
  for (const auto& [id, index] : b.ids) fb.add(id, +1);
  const double fixed_s = seconds_of([&] {
    fixed_found.clear();
    fixed_bytes = 13 + fb.bytes() + 4;
    Iblt diff = fa;
    diff.subtract(fb);
    std::vector<std::uint64_t> only_a, only_b;
    fixed_ok = diff.decode(only_a, only_b);
    fixed_rounds = 1;
    if (!fixed_ok) return;
    for (std::uint64_t id : only_a) fixed_found.insert(a.entries[a.ids.at(id)].key);
    if (only_b.empty()) return;
    fixed_rounds = 2;
    fixed_bytes += 13 + 8 * only_b.size() + 4;
    for (std::uint64_t id : only_b) {
      const MerkleEntry& e = b.entries[b.ids.at(id)];
      fixed_bytes += 4 + e.key.size() + 16;
      fixed_found.insert(e.key);
    }
  });
  rows.push_back({"IBLT, fixed 300 cells", fixed_rounds, 2 * static_cast<std::size_t>(fixed_rounds), fixed_bytes,
                  fixed_s * 1e3,
                  fixed_ok && fixed_found == truth
                      ? "found all"
                      : "decode failed: the tree's exchange follows (its rounds and bytes on top)"});
  return rows;
}

// Makes b differ from a in d keys: a third get a new digest, a third are missing on b, a third are
// extra on b.
MerkleTree diverge(const MerkleTree& a, std::size_t keys, std::size_t d) {
  MerkleTree b = a;
  for (std::size_t i = 0; i < d; ++i) {
    const std::size_t k = (i * 7919 + 13) % keys;
    switch (i % 3) {
      case 0: DYNAMO_CHECK(b.update(key_of(k), digest_of(k, 2)).ok()); break;
      case 1: DYNAMO_CHECK(b.remove(key_of(k))); break;
      default: DYNAMO_CHECK(b.update(key_of(keys + i), digest_of(keys + i, 1)).ok()); break;
    }
  }
  return b;
}

int run(std::size_t keys, const std::vector<std::size_t>& ds) {
  const MerkleShape shape = shape_for(1, 0, keys);
  std::printf("merkle_bench: %zu keys (\"user:<n>\", %zu..%zu bytes), one partition, shape depth %d (%u leaves)\n\n",
              keys, key_of(1).size(), key_of(keys - 1).size(), shape.depth, shape.leaf_count());

  std::vector<MerkleEntry> entries;
  for (std::size_t i = 0; i < keys; ++i) entries.push_back({key_of(i), digest_of(i, 1)});
  const std::size_t rss_before = rss_bytes();
  auto start = Clock::now();
  Result<MerkleTree> built = MerkleTree::build(shape, entries);
  const double build_s = elapsed(start);
  DYNAMO_CHECK(built.ok());
  MerkleTree a = std::move(built).value();
  const std::size_t rss_after = rss_bytes();

  MerkleTree incremental(shape);
  start = Clock::now();
  for (const MerkleEntry& e : entries) DYNAMO_CHECK(incremental.update(e.key, e.digest).ok());
  const double insert_s = elapsed(start);
  DYNAMO_CHECK(incremental == a);
  start = Clock::now();
  for (std::size_t i = 0; i < keys; ++i) DYNAMO_CHECK(incremental.update(entries[i].key, digest_of(i, 5)).ok());
  const double update_s = elapsed(start);
  // The digests alone (what an update costs beyond the tree: the caller's own MD5 of the versions).
  start = Clock::now();
  for (std::size_t i = 0; i < keys; ++i) sink ^= digest_of(i, 6)[0];
  const double digest_s = elapsed(start);
  Md5Hasher hasher;
  start = Clock::now();
  for (std::size_t i = 0; i < keys; ++i) sink ^= entry_hash(hasher, entries[i].key, entries[i].digest).lo;
  const double md5_s = elapsed(start);

  std::printf("| tree cost | value |\n|---|---|\n");
  std::printf("| build from scratch (MerkleTree::build) | %.0f ms |\n", build_s * 1e3);
  std::printf("| insert %zu keys one by one (update) | %.0f ms (%.0f ns/key) |\n", keys, insert_s * 1e3, insert_s * 1e9 / keys);
  std::printf("| one update of an existing key (new digest) | %.0f ns |\n", update_s * 1e9 / keys);
  std::printf("|   of which one entry_hash (MD5, reused context) | %.0f ns |\n", md5_s * 1e9 / keys);
  std::printf("| digest_of_versions of a short encoding (md5_of, caller's) | %.0f ns |\n", digest_s * 1e9 / keys);
  std::printf("| memory (memory_bytes) | %.1f MiB (%.0f B/key) |\n", a.memory_bytes() / 1048576.0,
              static_cast<double>(a.memory_bytes()) / keys);
  std::printf("| memory (RSS growth over the build) | %.1f MiB |\n\n", (rss_after - rss_before) / 1048576.0);

  for (std::size_t d : ds) {
    const MerkleTree b_tree = diverge(a, keys, d);
    const Replica ra = make_replica(a);
    const Replica rb = make_replica(b_tree);
    std::printf("### %zu differing keys (%zu differing ids)\n\n", d, d + (d + 2) / 3);
    print_rows(compare(ra, rb, d));
    std::printf("\n");
  }
  std::printf("(sink %llu)\n", static_cast<unsigned long long>(sink & 1));
  return 0;
}

}  // namespace
}  // namespace dynamo

int main(int argc, char** argv) {
  const std::size_t keys = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000;
  std::vector<std::size_t> ds;
  for (int i = 2; i < argc; ++i) ds.push_back(std::strtoul(argv[i], nullptr, 10));
  if (ds.empty()) ds = {10, 100, 1000};
  return dynamo::run(keys, ds);
}
