// dynamo_load: drives a running cluster and reports throughput and latency, beside the NNG floor
// measured in the same run. Figures and the commands that produced them: bench/README.md.
//
//   dynamo_load --node tcp://127.0.0.1:7102 --concurrency 64 --seconds 20 --get-ratio 0.5 --value-size 1024
//
// Closed loop: `concurrency` operations are always in flight; each completion starts the next.
// Keys: puts go to a key space of --keys keys (each key written once per --keys puts, so siblings
// stay rare and contexts small: a put carries the context of the key's last get or put), gets read
// keys written before (a prefill reads and then writes each key first when gets are asked for).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include <CLI/CLI.hpp>

#include "bench/load/latencies.h"
#include "bench/load/nng_floor.h"
#include "impl/client/client.h"

namespace dynamo::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct LoadOptions {
  std::vector<std::string> nodes{"tcp://127.0.0.1:7102"};
  std::size_t concurrency = 1;
  double seconds = 10;
  double get_ratio = 0.5;
  std::size_t value_size = 1024;
  std::size_t keys = 10000;
  std::string store = "default";
  int r = 0, w = 0;
  bool direct = false;
  std::size_t batches_per_node = client::ClientOptions{}.max_batches_per_node;
  int floor_port = 7099;
  std::size_t floor_rounds = 20000;
  std::uint64_t seed = 0;
};

struct Outcome {
  std::vector<std::uint32_t> put_us, get_us;
  std::map<std::string, std::size_t> errors;  // status: message prefix -> count
};

class Load {
 public:
  Load(client::Client& client, const LoadOptions& o) : client_(client), o_(o), value_(o.value_size, 'v'), rng_(o.seed) {}

  // The prefill and the run are each a set of chains: a chain issues a request, and its callback
  // issues the next. A chain ends (`end_chain`) when it has nothing left to issue, and the caller
  // waits for every chain to end: a callback never runs after the state it touches is gone.
  void prefill() {
    const std::size_t chains = std::min<std::size_t>(64, o_.keys);
    start_chains(chains);
    for (std::size_t i = 0; i < chains; ++i) prefill_next();
    wait_for_chains(std::chrono::seconds(120), "prefill");
  }

  Outcome run() {
    deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.seconds));
    const auto begin = Clock::now();
    start_chains(o_.concurrency);
    for (std::size_t i = 0; i < o_.concurrency; ++i) run_next();
    std::size_t last = 0;
    while (Clock::now() < deadline_) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      const std::size_t now = completed_.load();
      std::fprintf(stderr, "  %5.1f s  %8zu ops/s  (%zu done)\n",
                   std::chrono::duration<double>(Clock::now() - begin).count(), now - last, now);
      last = now;
    }
    wait_for_chains(std::chrono::seconds(30), "run");
    elapsed_ = std::chrono::duration<double>(Clock::now() - begin).count();
    std::lock_guard lock(mutex_);
    return std::move(outcome_);
  }
  double elapsed() const { return elapsed_; }

 private:
  ClientRequest get_request(std::size_t k) const {
    ClientRequest request;
    request.op = OpKind::kGet;
    request.store = o_.store;
    request.key = "load-" + std::to_string(k);
    if (o_.r > 0) request.r = o_.r;
    return request;
  }
  ClientRequest put_request(std::size_t k) {
    ClientRequest request;
    request.op = OpKind::kPut;
    request.store = o_.store;
    request.key = "load-" + std::to_string(k);
    request.value = value_;
    if (o_.w > 0) request.w = o_.w;
    std::lock_guard lock(contexts_mutex_);
    if (auto it = contexts_.find(k); it != contexts_.end()) request.context = it->second;
    return request;
  }
  void remember(std::size_t k, const ClientReply& reply) {
    if (reply.status != ReplyStatus::kOk) return;
    std::lock_guard lock(contexts_mutex_);
    contexts_[k] = reply.context;
  }

  void start_chains(std::size_t n) {
    std::lock_guard lock(mutex_);
    running_ = n;
  }
  // The last touch of this object by a chain: the notify happens under the lock, so the waiter
  // cannot return (and `Load` cannot be destroyed) before the chain has let go of the mutex.
  void end_chain() {
    std::lock_guard lock(mutex_);
    if (--running_ == 0) chains_ended_.notify_all();
  }
  void wait_for_chains(std::chrono::seconds limit, const char* phase) {
    std::unique_lock lock(mutex_);
    if (chains_ended_.wait_for(lock, limit, [&] { return running_ == 0; })) return;
    // Requests carry deadlines, so this means a bug in the client; callbacks still hold `this`, so
    // returning would free what they touch. Stop the process instead.
    std::fprintf(stderr, "dynamo_load: %s: %zu chains still running after %lld s\n", phase, running_,
                 static_cast<long long>(limit.count()));
    std::fflush(stderr);
    std::_Exit(5);
  }

  void prefill_next() {
    const std::size_t k = next_key_.fetch_add(1);
    if (k >= o_.keys) return end_chain();
    // Read, then write with the read's context: the put supersedes whatever an earlier run left,
    // so the key holds one version however many runs came before (a blind put would add a sibling
    // per run, and gets would slow down run after run as their answers grow).
    client_.submit(get_request(k), [this, k](ClientReply read) {
      remember(k, read);
      client_.submit(put_request(k), [this, k](ClientReply reply) {
        remember(k, reply);
        prefill_next();
      });
    });
  }

  void run_next() {
    if (Clock::now() >= deadline_) return end_chain();  // deadline_ is fixed before any chain starts
    bool get = false;
    std::size_t k = 0;
    {
      std::lock_guard lock(mutex_);
      get = std::uniform_real_distribution<double>(0, 1)(rng_) < o_.get_ratio;
      k = std::uniform_int_distribution<std::size_t>(0, o_.keys - 1)(rng_);
    }
    ClientRequest request = get ? get_request(k) : put_request(k);
    const auto t0 = Clock::now();
    client_.submit(std::move(request), [this, t0, get, k](ClientReply reply) {
      const auto us = static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
      remember(k, reply);  // a get's context too: the next put of the key supersedes what it read
      {
        std::lock_guard lock(mutex_);
        if (reply.status == ReplyStatus::kOk) (get ? outcome_.get_us : outcome_.put_us).push_back(us);
        else ++outcome_.errors[std::string(reply_status_name(reply.status)) + ": " + reply.message.substr(0, 60)];
      }
      completed_.fetch_add(1);
      run_next();
    });
  }

  client::Client& client_;
  const LoadOptions& o_;
  std::string value_;
  std::mutex mutex_;
  std::condition_variable chains_ended_;
  std::size_t running_ = 0;  // chains not yet ended
  std::atomic<std::size_t> next_key_{0};  // the prefill's next key
  std::mt19937_64 rng_;
  Clock::time_point deadline_;
  Outcome outcome_;
  std::atomic<std::size_t> completed_{0};
  double elapsed_ = 0;
  std::mutex contexts_mutex_;
  std::map<std::size_t, CausalContext> contexts_;
};

void print_summary(const char* name, const LatencySummary& s, double seconds, double floor_two_hops_us) {
  if (s.count == 0) return;
  std::printf("%-4s %9zu ok  %9.0f ops/s  mean %7.0f us  p50 %7.0f us  p99 %7.0f us  p99.9 %7.0f us  max %7.0f us"
              "  p50/floor %.2f  p99.9/p50 %.2f\n",
              name, s.count, static_cast<double>(s.count) / seconds, s.mean_us, s.p50_us, s.p99_us, s.p999_us, s.max_us,
              floor_two_hops_us > 0 ? s.p50_us / floor_two_hops_us : 0.0, s.p50_us > 0 ? s.p999_us / s.p50_us : 0.0);
}

}  // namespace
}  // namespace dynamo::bench

int main(int argc, char** argv) {
  using namespace dynamo;
  using namespace dynamo::bench;
  LoadOptions o;
  CLI::App app{"dynamo_load: drive a running cluster; report throughput and latency against the NNG floor"};
  app.add_option("--node", o.nodes, "Client address of a node (repeatable)")->capture_default_str();
  app.add_option("--concurrency,-c", o.concurrency, "Operations in flight")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--seconds", o.seconds, "Length of the measured run")->capture_default_str();
  app.add_option("--get-ratio", o.get_ratio, "Fraction of gets (the rest are puts)")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_option("--value-size", o.value_size, "Bytes per value")->capture_default_str();
  app.add_option("--keys", o.keys, "Key space")->capture_default_str()->check(CLI::Range(1, 10'000'000));
  app.add_option("--store", o.store, "Store (its N applies; make one with `dynamo cluster up --n`)")->capture_default_str();
  app.add_option("--r", o.r, "Per-request R (default: the store's)");
  app.add_option("--w", o.w, "Per-request W (default: the store's)");
  app.add_flag("--direct", o.direct, "Send to the given node(s), which forward to coordinators (not partition-aware)");
  app.add_option("--floor-port", o.floor_port, "Loopback port for the NNG floor's echo server")->capture_default_str();
  app.add_option("--floor-rounds", o.floor_rounds, "Round trips in the floor measurement (0: skip)")->capture_default_str();
  app.add_option("--batches-per-node", o.batches_per_node,
                 "Client batches in flight to each node; requests queued meanwhile share the next batch")
      ->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--seed", o.seed, "Seed of the key and operation choice")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  double floor_two_hops = 0;
  if (o.floor_rounds > 0) {
    auto floor = measure_nng_floor(o.value_size, 1, o.floor_rounds, o.floor_port);
    if (!floor.ok()) {
      std::fprintf(stderr, "dynamo_load: floor: %s\n", floor.error().message.c_str());
      return 1;
    }
    floor_two_hops = 2 * floor.value().p50_us;
    std::printf("floor: NNG REQ/REP round trip, %zu B, 1 in flight: p50 %.0f us, p99 %.0f us, %.0f/s; two hops %.0f us\n",
                o.value_size, floor.value().p50_us, floor.value().p99_us, floor.value().per_second, floor_two_hops);
  }
  client::ClientOptions options;
  options.seeds = o.nodes;
  options.partition_aware = !o.direct;
  options.max_batches_per_node = o.batches_per_node;
  auto connected = client::Client::connect(options);
  if (!connected.ok()) {
    std::fprintf(stderr, "dynamo_load: %s\n", connected.error().message.c_str());
    return 4;
  }
  Load load(*connected.value(), o);
  if (o.get_ratio > 0) {
    std::fprintf(stderr, "prefill: %zu keys\n", o.keys);
    load.prefill();
  }
  std::printf("run: %zu in flight, %.0f s, %.0f%% gets, %zu B values, %s, seed %llu\n", o.concurrency, o.seconds,
              100 * o.get_ratio, o.value_size, o.direct ? "through the given node" : "partition-aware",
              static_cast<unsigned long long>(o.seed));
  std::fflush(stdout);
  Outcome outcome = load.run();
  const double seconds = load.elapsed();
  std::vector<std::uint32_t> all = outcome.put_us;
  all.insert(all.end(), outcome.get_us.begin(), outcome.get_us.end());
  print_summary("put", summarize(std::move(outcome.put_us)), seconds, floor_two_hops);
  print_summary("get", summarize(std::move(outcome.get_us)), seconds, floor_two_hops);
  print_summary("all", summarize(std::move(all)), seconds, floor_two_hops);
  for (const auto& [what, count] : outcome.errors) std::printf("not ok: %zu x %s\n", count, what.c_str());
  return 0;
}
