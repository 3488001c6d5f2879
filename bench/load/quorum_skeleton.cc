// quorum_skeleton: the message pattern of a quorum get and put on NNG alone, with nothing of ours in
// the path: three node processes on loopback that only pass bytes along. Whatever it measures, a
// node built on NNG 1.5.2 cannot beat on this machine for the same pattern, so it splits the gap
// between dynamo_load's figures and the two-hop floor into NNG's share and ours (bench/README.md,
// "The NNG skeleton of a quorum operation").
//
//   get: client -REQ-> coordinator (40 B); coordinator -PUSH-> both other nodes (40 B); each -PUSH->
//        back 1 KiB; at the first reply (R=2 counts the coordinator) -REP-> client 1 KiB
//   put: client -REQ-> coordinator (1 KiB); the coordinator appends 1 KiB to a file and fdatasyncs
//        it (its durable write, in the default order), then -PUSH-> 1 KiB to both others; each acks
//        (40 B); at the first ack (W=2) -REP-> client (40 B)
//
// Each node is one thread polling its two sockets (NNG_OPT_RECVFD): no thread of ours between NNG
// and the node's logic, no codec, no storage but the put's one fdatasync. The client is a REQ
// socket with one request in flight, as dynamo_load --concurrency 1. Printed beside them: the
// two-hop floor exactly as dynamo_load measures it (nng_floor.h), and the fdatasync alone.
// Usage: quorum_skeleton [--rounds 5000] [--base-port 7300] [--dir /tmp]
#include <fcntl.h>
#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench/load/latencies.h"
#include "bench/load/nng_floor.h"
#include "bench/load/skeleton_common.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace dynamo::bench::skeleton;

[[noreturn]] void die(const char* what, int rv) { dynamo::bench::skeleton::die("quorum_skeleton", what, rv); }

// One node: a REP socket for the client, a PULL socket for its peers, a PUSH socket to each peer.
[[noreturn]] void run_node(int self, int base_port, const std::string& dir) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  nng_socket rep, pull, push[kNodes];
  if (int rv = nng_rep0_open(&rep)) die("rep", rv);
  if (int rv = nng_pull0_open(&pull)) die("pull", rv);
  if (int rv = nng_listen(rep, url(base_port, self, 0).c_str(), nullptr, 0)) die("listen rep", rv);
  if (int rv = nng_listen(pull, url(base_port, self, 1).c_str(), nullptr, 0)) die("listen pull", rv);
  for (int j = 0; j < kNodes; ++j) {
    if (j == self) continue;
    if (int rv = nng_push0_open(&push[j])) die("push", rv);
    bound_waits("quorum_skeleton", push[j]);
    if (int rv = nng_dial(push[j], url(base_port, j, 1).c_str(), nullptr, NNG_FLAG_NONBLOCK)) die("dial", rv);
  }
  const std::string wal = dir + "/quorum-skeleton-n" + std::to_string(self) + ".log";
  const int file = ::open(wal.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_APPEND, 0600);
  if (file < 0) die("open the log file", NNG_EINVAL);
  const std::string record(kValue, 'r');
  int rep_fd = -1, pull_fd = -1;
  nng_socket_get_int(rep, NNG_OPT_RECVFD, &rep_fd);
  nng_socket_get_int(pull, NNG_OPT_RECVFD, &pull_fd);
  std::uint64_t next_id = 1, pending = 0;
  char pending_kind = 0;
  for (;;) {
    pollfd fds[2] = {{rep_fd, POLLIN, 0}, {pull_fd, POLLIN, 0}};
    ::poll(fds, 2, -1);
    char* buf = nullptr;
    std::size_t size = 0;
    while (pending == 0 && nng_recv(rep, &buf, &size, NNG_FLAG_ALLOC | NNG_FLAG_NONBLOCK) == 0) {
      const char kind = buf[0];
      nng_free(buf, size);
      if (kind == 'p' && (::write(file, record.data(), record.size()) < 0 || ::fdatasync(file) != 0))
        die("write the log file", NNG_EINVAL);
      pending = next_id++;
      pending_kind = kind;
      const std::string ask = message(kind == 'p' ? 'S' : 'R', self, pending, kind == 'p' ? kValue : kSmall);
      for (int j = 0; j < kNodes; ++j)
        if (j != self) nng_send(push[j], const_cast<char*>(ask.data()), ask.size(), 0);
    }
    while (nng_recv(pull, &buf, &size, NNG_FLAG_ALLOC | NNG_FLAG_NONBLOCK) == 0) {
      char kind = 0;
      int from = 0;
      std::uint64_t id = 0;
      read_header(buf, &kind, &from, &id);
      nng_free(buf, size);
      if (kind == 'R' || kind == 'S') {  // a replica's part: answer at once
        const std::string answer = message(kind == 'R' ? 'r' : 'a', self, id, kind == 'R' ? kValue : kSmall);
        if (from >= 0 && from < kNodes && from != self) nng_send(push[from], const_cast<char*>(answer.data()), answer.size(), 0);
      } else if (id == pending) {  // the first answer completes the quorum (the coordinator is the other)
        const std::string reply = message('k', self, id, pending_kind == 'p' ? kSmall : kValue);
        nng_send(rep, const_cast<char*>(reply.data()), reply.size(), 0);
        pending = 0;
      }  // a later answer to an answered request: dropped, as a node ignores late replies
    }
  }
}

struct Options {
  std::size_t rounds = 5000;
  int base_port = 7300;
  std::string dir = "/tmp";
};

std::vector<std::uint32_t> drive(nng_socket req, char kind, std::size_t rounds) {
  const std::string request = message(kind, 9, 0, kind == 'p' ? kValue : kSmall);
  std::vector<std::uint32_t> us;
  us.reserve(rounds);
  for (std::size_t i = 0; i < rounds; ++i) us.push_back(timed_call("quorum_skeleton", req, request));
  return us;
}

std::vector<std::uint32_t> fdatasync_alone(const std::string& dir, std::size_t rounds) {
  const std::string path = dir + "/quorum-skeleton-sync.log";
  const int file = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_APPEND, 0600);
  if (file < 0) die("open the sync file", NNG_EINVAL);
  const std::string record(kValue, 's');
  std::vector<std::uint32_t> us;
  for (std::size_t i = 0; i < rounds; ++i) {
    const auto start = Clock::now();
    if (::write(file, record.data(), record.size()) < 0 || ::fdatasync(file) != 0) die("fdatasync", NNG_EINVAL);
    us.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count()));
  }
  ::close(file);
  ::unlink(path.c_str());
  return us;
}

void print(const char* name, const dynamo::bench::LatencySummary& s, double two_hops_us) {
  std::printf("%-28s p50 %5.0f us  p99 %5.0f us  p99.9 %5.0f us  p50/floor %.2f\n", name, s.p50_us, s.p99_us, s.p999_us,
              two_hops_us > 0 ? s.p50_us / two_hops_us : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rounds") o.rounds = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--base-port") o.base_port = std::atoi(argv[i + 1]);
    else if (flag == "--dir") o.dir = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: quorum_skeleton [--rounds N] [--base-port P] [--dir D]\n");
      return 2;
    }
  }
  if (o.rounds == 0 || o.base_port <= 0 || o.base_port > 65000) {
    std::fprintf(stderr, "quorum_skeleton: --rounds must be positive and --base-port in 1..65000\n");
    return 2;
  }
  const std::vector<pid_t> nodes = fork_nodes([&](int i) { run_node(i, o.base_port, o.dir); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // listeners up, peers dialled
  const auto floor = dynamo::bench::measure_nng_floor(kValue, 1, o.rounds, o.base_port + 90);
  if (!floor.ok()) die(floor.error().message.c_str(), NNG_EINVAL);
  const double two_hops = 2 * floor.value().p50_us;
  nng_socket req;
  if (int rv = nng_req0_open(&req)) die("req", rv);
  nng_socket_set_ms(req, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
  bound_waits("quorum_skeleton", req);
  if (int rv = nng_dial(req, url(o.base_port, 0, 0).c_str(), nullptr, 0)) die("dial node 0", rv);
  drive(req, 'g', 200);  // warm up: connections made, pages touched
  std::printf("floor: NNG REQ/REP round trip, 1 KiB, 1 in flight: p50 %.0f us; two hops %.0f us\n", floor.value().p50_us,
              two_hops);
  print("skeleton get (R=2 of N=3)", dynamo::bench::summarize(drive(req, 'g', o.rounds)), two_hops);
  print("skeleton put (W=2 of N=3)", dynamo::bench::summarize(drive(req, 'p', o.rounds)), two_hops);
  print("fdatasync of a 1 KiB append", dynamo::bench::summarize(fdatasync_alone(o.dir, o.rounds)), two_hops);
  nng_close(req);
  stop_nodes(nodes);
  for (int i = 0; i < kNodes; ++i) ::unlink((o.dir + "/quorum-skeleton-n" + std::to_string(i) + ".log").c_str());
  return 0;
}
