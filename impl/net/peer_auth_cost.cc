// peer_auth_cost: what sealing and opening cost per peer batch (docs/security.md quotes it).
// Prints ns per MAC, seal and open for 1 KiB and 64 KiB payloads: the thread's CPU time (what a
// node's event loop pays; wall time on a shared machine also counts other processes' turns), best of
// 5 rounds. Run by hand: build/<dir>/impl/net/peer_auth_cost.
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "impl/net/hmac.h"
#include "impl/net/peer_auth.h"

using namespace dynamo::net;

namespace {

double cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

template <class F>
double best_ns_per_op(int ops, F&& f) {
  double best = 1e300;
  for (int round = 0; round < 5; ++round) {
    const double start = cpu_ns();
    for (int i = 0; i < ops; ++i) f();
    const double ns = (cpu_ns() - start) / ops;
    if (ns < best) best = ns;
  }
  return best;
}

}  // namespace

int main() {
  const ClusterKey key{"dynamo", std::string(32, 's')};
  for (std::size_t size : {std::size_t{1024}, std::size_t{64 * 1024}}) {
    const std::string payload(size, 'p');
    const int ops = size <= 1024 ? 100000 : 3000;
    auto hmac = Hmac::create(key.secret);
    const double mac_ns = best_ns_per_op(ops, [&] { (void)hmac.value()->mac({payload}); });
    auto sealer = Sealer::create(key, "n1", 7);
    const double seal_ns = best_ns_per_op(ops, [&] { (void)sealer.value()->seal("n2", payload); });
    // Open needs fresh envelopes (replay protection): seal them all first, then time the opens.
    auto opener = Opener::create(key, "n2", {"n1"}, 64u << 20);
    std::vector<std::string> sealed;
    sealed.reserve(static_cast<std::size_t>(ops) * 5);
    for (int i = 0; i < ops * 5; ++i) sealed.push_back(sealer.value()->seal("n2", payload).value());
    std::size_t next = 0;
    const double open_ns = best_ns_per_op(ops, [&] {
      if (!opener.value()->open(sealed[next++]).ok()) std::abort();
    });
    std::printf("payload %6zu B: HMAC-SHA256 %8.0f ns (%.2f GB/s), seal %8.0f ns, open %8.0f ns\n", size, mac_ns,
                static_cast<double>(size) / mac_ns, seal_ns, open_ns);
  }
  return 0;
}
