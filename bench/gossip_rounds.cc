// gossip_rounds: how many gossip rounds a membership change takes to reach every node, against
// log2(S) (the paper's claim, §4.8.1, that gossip spreads membership in O(log S) periods).
//
// Setup per run: S nodes of one cluster, all valid, the first three are seeds; at a random node an
// administrator lets another random node leave (one change, at one node). Then synchronous rounds:
// every node calls on_gossip_tick once (its messages are built from its view at the start of the
// round), then the exchanges are carried out in a random order, each to its end (syn, ack, ack2)
// before the next. Each message (syn, ack or ack2) is lost with probability --loss. A run ends when every node holds the same view (equal digests), or after 1000 rounds.
//
// Usage: gossip_rounds [--runs 20] [--first-seed 1] [--seed X] [--loss 0.1]
//   prints one table row per S for loss 0 and for the given loss (default 0.1). --seed X runs only
//   seed X and prints the rounds of each S (to rerun one run of the table).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "impl/core/gossip.h"
#include "impl/core/membership.h"

namespace {

using dynamo::Gossiper;
using dynamo::SplitMix64;

constexpr int kMaxRounds = 1000;

std::string node_id(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "n%04d", i);
  return buf;
}

bool all_equal(const std::vector<Gossiper>& nodes) {
  const std::uint64_t first = dynamo::digest(nodes[0].view());
  for (const Gossiper& g : nodes) {
    if (dynamo::digest(g.view()) != first) return false;
  }
  return true;
}

// Rounds until every node holds the same view (kMaxRounds + 1 if never).
int run(int s, std::uint64_t seed, double loss) {
  SplitMix64 rng(seed);
  std::vector<dynamo::JoinRequest> requests;
  std::vector<dynamo::SeedPeer> seeds;
  for (int i = 0; i < s; ++i) {
    const std::string id = node_id(i);
    requests.push_back({"bench", id, {id + ":7000", id + ":7001", ""}, "dc-1", 1});
    if (i < 3) seeds.push_back({id, id + ":7000"});
  }
  const dynamo::MembershipView start = dynamo::bootstrap("bench", requests, node_id(0)).value();
  std::vector<Gossiper> nodes;
  for (int i = 0; i < s; ++i) nodes.emplace_back(dynamo::GossipConfig{node_id(i), seeds}, start, rng.next());

  const int at = static_cast<int>(rng.below(s));
  const int leaver = static_cast<int>((at + 1 + rng.below(s - 1)) % s);
  if (!dynamo::admin_leave(nodes[at].local_view(), node_id(leaver), 3, node_id(at)).ok()) std::abort();

  const auto lost = [&] { return loss > 0 && static_cast<double>(rng.next() >> 11) * 0x1.0p-53 < loss; };
  for (int round = 1; round <= kMaxRounds; ++round) {
    struct Pending { int from; dynamo::GossipOut out; };
    std::vector<Pending> sent;
    for (int i = 0; i < s; ++i) {
      for (dynamo::GossipOut& out : nodes[i].on_gossip_tick()) sent.push_back({i, std::move(out)});
    }
    for (std::size_t i = sent.size(); i > 1; --i) std::swap(sent[i - 1], sent[rng.below(i)]);
    for (const Pending& p : sent) {
      std::optional<dynamo::GossipMessage> next = p.out.message;
      int from = p.from, to = std::atoi(p.out.to.c_str() + 1);
      while (next && !lost()) {  // syn, ack, ack2: each leg may be lost
        auto reply = nodes[to].on_gossip(node_id(from), *next);
        if (!reply.ok()) std::abort();
        next = reply.value();
        std::swap(from, to);
      }
    }
    if (all_equal(nodes)) return round;
  }
  return kMaxRounds + 1;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 20;
  std::uint64_t first_seed = 1;
  double loss = 0.1;
  bool single = false;
  std::uint64_t single_seed = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--first-seed") == 0) first_seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--loss") == 0) loss = std::atof(argv[i + 1]);
    else if (std::strcmp(argv[i], "--seed") == 0) { single = true; single_seed = std::strtoull(argv[i + 1], nullptr, 10); }
    else { std::fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
  }
  if (runs < 1 || loss < 0 || loss >= 1) {
    std::fprintf(stderr, "--runs must be >= 1 and --loss in [0, 1)\n");
    return 2;
  }
  const int sizes[] = {8, 16, 32, 64, 128, 256};
  if (single) {
    for (int s : sizes) {
      std::printf("S=%d seed=%llu rounds(loss 0)=%d rounds(loss %.2f)=%d\n", s, static_cast<unsigned long long>(single_seed),
                  run(s, single_seed, 0), loss, run(s, single_seed, loss));
    }
    return 0;
  }
  std::printf("seeds %llu..%llu (rerun one with --seed X); rounds until every node holds the same view\n\n",
              static_cast<unsigned long long>(first_seed), static_cast<unsigned long long>(first_seed + runs - 1));
  std::printf("| S | log2 S | loss | mean rounds | max rounds | mean / log2 S |\n|---|---|---|---|---|---|\n");
  for (double l : {0.0, loss}) {
    for (int s : sizes) {
      double total = 0;
      int most = 0;
      for (int r = 0; r < runs; ++r) {
        const int rounds = run(s, first_seed + r, l);
        total += rounds;
        most = std::max(most, rounds);
      }
      const double mean = total / runs;
      std::printf("| %d | %.0f | %.0f%% | %.2f | %d | %.2f |\n", s, std::log2(s), l * 100, mean, most, mean / std::log2(s));
      std::fflush(stdout);
    }
  }
  return 0;
}
