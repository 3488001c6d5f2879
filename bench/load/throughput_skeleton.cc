// throughput_skeleton: issue 6's throughput run (64 operations in flight, 50/50 gets and puts of
// 1 KiB, N=3 R=2 W=2, three nodes and the client on this machine) on NNG alone, batched as the real
// client and nodes batch, with nothing else: no codec, no core, no storage, no authentication. The
// ops/s it reaches is what NNG and the kernel leave for a node to spend (bench/README.md, "The NNG
// skeleton of a quorum operation").
//
// The client, like impl/client with --concurrency 64: `--batches-per-node` batches in flight to each
// of the three nodes (a thread and a REQ socket each), each of in_flight / (3 x batches) operations,
// a new batch as soon as one is answered (closed loop). A node, one thread polling its sockets: a
// batch from a client (raw REP, so many are in flight) goes on as one PUSH message to each other node
// carrying every operation (a put's value, a get's key); each answers with one message (a get's
// value, a put's ack); at the first answer the batch has its quorum and is answered. With three
// nodes and N=3 every node holds every key, as in `dynamo cluster up`.
// Usage: throughput_skeleton [--seconds 8] [--in-flight 64] [--batches-per-node 4] [--base-port 7400]
#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/load/latencies.h"
#include "bench/load/skeleton_common.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace dynamo::bench::skeleton;

[[noreturn]] void die(const char* what, int rv) { dynamo::bench::skeleton::die("throughput_skeleton", what, rv); }

// A batch's body after the header: the count, one kind byte per operation ('g' or 'p'), then a value
// per put (client to coordinator, coordinator to replicas) or per get (the answers).
std::string batch(char kind, int from, std::uint64_t id, const std::string& kinds, char valued) {
  std::string m = message(kind, from, id, kHeader);
  m.push_back(static_cast<char>(kinds.size()));
  m += kinds;
  for (char k : kinds) m.append(k == valued ? kValue : 0, 'v');
  return m;
}

std::string kinds_of(const char* body, std::size_t size) {
  if (size <= kHeader) return "";
  const std::size_t count = static_cast<unsigned char>(body[kHeader]);
  return std::string(body + kHeader + 1, std::min(count, size - kHeader - 1));
}

[[noreturn]] void run_node(int self, int base_port) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  nng_socket rep, pull, push[kNodes];
  if (int rv = nng_rep0_open_raw(&rep)) die("rep", rv);
  if (int rv = nng_pull0_open(&pull)) die("pull", rv);
  nng_socket_set_int(pull, NNG_OPT_RECVBUF, 1024);
  nng_socket_set_int(rep, NNG_OPT_RECVBUF, 1024);
  if (int rv = nng_listen(rep, url(base_port, self, 0).c_str(), nullptr, 0)) die("listen rep", rv);
  if (int rv = nng_listen(pull, url(base_port, self, 1).c_str(), nullptr, 0)) die("listen pull", rv);
  for (int j = 0; j < kNodes; ++j) {
    if (j == self) continue;
    if (int rv = nng_push0_open(&push[j])) die("push", rv);
    nng_socket_set_int(push[j], NNG_OPT_SENDBUF, 1024);  // never blocks: in-flight work is bounded
    bound_waits("throughput_skeleton", push[j]);
    if (int rv = nng_dial(push[j], url(base_port, j, 1).c_str(), nullptr, NNG_FLAG_NONBLOCK)) die("dial", rv);
  }
  int rep_fd = -1, pull_fd = -1;
  nng_socket_get_int(rep, NNG_OPT_RECVFD, &rep_fd);
  nng_socket_get_int(pull, NNG_OPT_RECVFD, &pull_fd);
  struct Pending {
    nng_msg* request;  // kept for its header: the raw REP socket routes the answer by it
    std::string kinds;
  };
  std::map<std::uint64_t, Pending> pending;
  std::uint64_t next_id = 1;
  for (;;) {
    pollfd fds[2] = {{rep_fd, POLLIN, 0}, {pull_fd, POLLIN, 0}};
    ::poll(fds, 2, -1);
    nng_msg* msg = nullptr;
    while (nng_recvmsg(rep, &msg, NNG_FLAG_NONBLOCK) == 0) {
      std::string kinds = kinds_of(static_cast<const char*>(nng_msg_body(msg)), nng_msg_len(msg));
      const std::uint64_t id = next_id++;
      const std::string ask = batch('B', self, id, kinds, 'p');
      for (int j = 0; j < kNodes; ++j)
        if (j != self) nng_send(push[j], const_cast<char*>(ask.data()), ask.size(), 0);
      pending.emplace(id, Pending{msg, std::move(kinds)});
    }
    char* buf = nullptr;
    std::size_t size = 0;
    while (nng_recv(pull, &buf, &size, NNG_FLAG_ALLOC | NNG_FLAG_NONBLOCK) == 0) {
      char kind = 0;
      int from = 0;
      std::uint64_t id = 0;
      if (size >= kHeader) read_header(buf, &kind, &from, &id);
      const std::string kinds = kinds_of(buf, size);
      nng_free(buf, size);
      if (kind == 'B' && from >= 0 && from < kNodes && from != self) {
        const std::string answer = batch('b', self, id, kinds, 'g');
        nng_send(push[from], const_cast<char*>(answer.data()), answer.size(), 0);
      } else if (auto it = pending.find(id); kind == 'b' && it != pending.end()) {
        nng_msg* reply = it->second.request;
        nng_msg_clear(reply);
        const std::string body = batch('k', self, id, it->second.kinds, 'g');
        nng_msg_append(reply, body.data(), body.size());
        if (nng_sendmsg(rep, reply, 0) != 0) nng_msg_free(reply);
        pending.erase(it);
      }
    }
  }
}

struct Options {
  int seconds = 8;
  std::size_t in_flight = 64;
  std::size_t batches_per_node = 4;
  int base_port = 7400;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--seconds") o.seconds = std::atoi(argv[i + 1]);
    else if (flag == "--in-flight") o.in_flight = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--batches-per-node") o.batches_per_node = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--base-port") o.base_port = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: throughput_skeleton [--seconds S] [--in-flight N] [--batches-per-node B] [--base-port P]\n");
      return 2;
    }
  }
  const std::size_t threads = kNodes * o.batches_per_node;
  if (o.seconds <= 0 || o.batches_per_node == 0 || o.in_flight < threads || o.in_flight / threads > 255 ||
      o.base_port <= 0 || o.base_port > 65000) {
    std::fprintf(stderr, "throughput_skeleton: need --seconds > 0, 3 x batches-per-node <= --in-flight <= 255 x that, "
                         "--base-port in 1..65000\n");
    return 2;
  }
  const std::vector<pid_t> nodes = fork_nodes([&](int i) { run_node(i, o.base_port); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::size_t per_batch = o.in_flight / threads;
  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<std::uint64_t> ops{0};
  std::mutex merge;
  std::vector<std::uint32_t> all_us;
  std::vector<std::thread> clients;
  for (std::size_t t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      nng_socket req;
      if (int rv = nng_req0_open(&req)) die("req", rv);
      nng_socket_set_ms(req, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
      bound_waits("throughput_skeleton", req);
      if (int rv = nng_dial(req, url(o.base_port, static_cast<int>(t % kNodes), 0).c_str(), nullptr, 0)) die("dial", rv);
      std::uint64_t x = 0x9E3779B97F4A7C15ULL * (t + 1);  // xorshift: the 50/50 mix, per thread
      std::vector<std::uint32_t> us;
      while (!stop.load()) {
        std::string kinds;
        for (std::size_t i = 0; i < per_batch; ++i) {
          x ^= x << 13, x ^= x >> 7, x ^= x << 17;
          kinds.push_back(x & 1 ? 'p' : 'g');
        }
        const std::uint32_t round_trip = timed_call("throughput_skeleton", req, batch('c', 9, 0, kinds, 'p'));
        if (measuring.load()) {
          ops += per_batch;
          us.push_back(round_trip);
        }
      }
      nng_close(req);
      std::lock_guard lock(merge);
      all_us.insert(all_us.end(), us.begin(), us.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // warm up
  measuring = true;
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  measuring = false;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const std::uint64_t done = ops.load();
  stop = true;
  for (auto& c : clients) c.join();
  const auto s = dynamo::bench::summarize(std::move(all_us));
  std::printf("throughput skeleton: %zu in flight (%zu batches of %zu), 50/50, 1 KiB: %.0f ops/s; batch p50 %.0f us, "
              "p99 %.0f us, p99.9 %.0f us\n",
              per_batch * threads, threads, per_batch, static_cast<double>(done) / seconds, s.p50_us, s.p99_us, s.p999_us);
  stop_nodes(nodes);
  return 0;
}
