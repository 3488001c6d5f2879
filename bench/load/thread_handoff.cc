// thread_handoff: what one hand-off of work between two threads costs on this machine, the unit in
// which a node's latency is paid. NNG passes every message through its poller and task threads, and
// a node passes it on to its event loop (docs/transport.md); on a virtual machine, waking a thread
// whose CPU is idle is an inter-processor interrupt and a halted virtual CPU's wake-up.
//
// Two threads play ping-pong, each waiting for the other on a mutex and condition variable (how
// NNG's threads and the node's inbox wait). Reported: the round trip (two hand-offs), p50 and p99,
// with the pair free to run on any CPU, pinned to one CPU, and pinned to two CPUs; and the same
// ping-pong with the waiter spinning instead of sleeping (the cost without a wake-up), and the
// sleeping ping-pong after both threads sat idle a while (the CPU halted meanwhile).
// Usage: thread_handoff [ROUNDS]   (a plain program: not a test, figures in bench/README.md)
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

// One side's turn: whose move it is (0: the pinger's, 1: the ponger's).
struct Sleeping {
  std::mutex mutex;
  std::condition_variable changed;
  int turn = 0;
  void pass(int to) {
    {
      std::lock_guard lock(mutex);
      turn = to;
    }
    changed.notify_one();
  }
  void wait_for(int mine) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return turn == mine; });
  }
};

struct Spinning {
  std::atomic<int> turn{0};
  void pass(int to) { turn.store(to, std::memory_order_release); }
  void wait_for(int mine) {
    while (turn.load(std::memory_order_acquire) != mine) {
    }
  }
};

template <typename Channel>
std::vector<double> ping_pong(int rounds, int cpu_a, int cpu_b, int idle_us = 0) {
  Channel channel;
  std::thread ponger([&] {
    pin(cpu_b);
    for (int i = 0; i < rounds; ++i) {
      channel.wait_for(1);
      channel.pass(0);
    }
  });
  pin(cpu_a);
  std::vector<double> us;
  us.reserve(rounds);
  for (int i = 0; i < rounds; ++i) {
    // The ponger has been asleep this long when it is woken (a node waiting for the network).
    if (idle_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(idle_us));
    const auto start = Clock::now();
    channel.pass(1);
    channel.wait_for(0);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  ponger.join();
  pin(-1);
  return us;
}

void report(const char* what, std::vector<double> us) {
  std::sort(us.begin(), us.end());
  const double p50 = us[us.size() / 2], p99 = us[us.size() * 99 / 100];
  std::printf("%-52s round trip p50 %7.1f us  p99 %7.1f us  (one hand-off ~%.1f us)\n", what, p50, p99, p50 / 2);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(100, std::atoi(argv[1])) : 20000;
  const int cpus = static_cast<int>(std::thread::hardware_concurrency());
  std::printf("thread_handoff: %d round trips each, %d CPUs\n", rounds, cpus);
  report("condition variable, any CPU", ping_pong<Sleeping>(rounds, -1, -1));
  report("condition variable, both on CPU 0", ping_pong<Sleeping>(rounds, 0, 0));
  if (cpus > 1) {
    report("condition variable, CPU 0 and CPU 1", ping_pong<Sleeping>(rounds, 0, 1));
    report("spinning (no sleep, no wake-up), CPU 0 and CPU 1", ping_pong<Spinning>(rounds, 0, 1));
    // Both threads asleep for a while before each round, as between the hops of a request: the
    // wake-up then finds a halted CPU.
    for (int idle : {50, 200, 1000}) {
      char what[80];
      std::snprintf(what, sizeof what, "condition variable, CPU 0 and 1, after %d us idle", idle);
      report(what, ping_pong<Sleeping>(rounds / 4, 0, 1, idle));
    }
  }
  return 0;
}
