// nng_patterns: the measurement behind the choice of NNG socket patterns (docs/transport.md).
// Round trips of `payload` bytes over loopback TCP, client and server in this process:
//   reqrep  REQ/REP with one context per request in flight (what clients use)
//   pushpull two PUSH/PULL pairs, one per direction, one-way messages (what nodes use)
// at 1, 8, 64 and 256 in flight. Usage: nng_patterns [--payload 1024] [--rounds 50000]
#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench/load/nng_floor.h"

namespace {

using Clock = std::chrono::steady_clock;

// Echo over PUSH/PULL: the client pushes to the server's PULL, the server pushes back to the
// client's PULL. Each message carries an 8-byte send time; `in_flight` messages circulate.
double push_pull_round_trips_per_second(std::size_t payload, std::size_t in_flight, std::size_t rounds, int port,
                                        double* p50_us) {
  nng_socket server_pull, server_push, client_pull, client_push;
  nng_pull0_open(&server_pull);
  nng_push0_open(&server_push);
  nng_pull0_open(&client_pull);
  nng_push0_open(&client_push);
  const std::string a = "tcp://127.0.0.1:" + std::to_string(port), b = "tcp://127.0.0.1:" + std::to_string(port + 1);
  // A port already taken, or a dial that fails, would leave the loops below waiting: stop instead.
  for (int rv : {nng_listen(server_pull, a.c_str(), nullptr, 0), nng_listen(client_pull, b.c_str(), nullptr, 0),
                 nng_dial(client_push, a.c_str(), nullptr, 0), nng_dial(server_push, b.c_str(), nullptr, 0)}) {
    if (rv != 0) {
      std::fprintf(stderr, "nng_patterns: cannot listen or dial on ports %d-%d: %s\n", port, port + 1, nng_strerror(rv));
      std::exit(1);
    }
  }
  nng_socket_set_ms(client_pull, NNG_OPT_RECVTIMEO, 10'000);  // no echo in 10 s: the loop below ends
  nng_socket_set_ms(server_push, NNG_OPT_SENDTIMEO, 10'000);  // and the echo thread can still stop
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    nng_socket_set_ms(server_pull, NNG_OPT_RECVTIMEO, 200);
    while (!stop.load()) {
      nng_msg* msg = nullptr;
      if (nng_recvmsg(server_pull, &msg, 0) != 0) continue;
      nng_sendmsg(server_push, msg, 0);
    }
  });
  std::vector<std::uint32_t> samples;
  samples.reserve(rounds);
  std::string body(payload, 'x');
  auto send_one = [&] {
    nng_msg* msg = nullptr;
    nng_msg_alloc(&msg, 0);
    const auto now = Clock::now().time_since_epoch().count();
    nng_msg_append(msg, &now, sizeof now);
    nng_msg_append(msg, body.data(), body.size());
    nng_sendmsg(client_push, msg, 0);
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto begin = Clock::now();
  for (std::size_t i = 0; i < in_flight; ++i) send_one();
  std::size_t received = 0, sent = in_flight;
  while (received < rounds) {
    nng_msg* msg = nullptr;
    if (nng_recvmsg(client_pull, &msg, 0) != 0) break;
    Clock::rep then = 0;
    std::memcpy(&then, nng_msg_body(msg), sizeof then);
    nng_msg_free(msg);
    samples.push_back(static_cast<std::uint32_t>((Clock::now().time_since_epoch().count() - then) / 1000));
    ++received;
    if (sent < rounds) {
      send_one();
      ++sent;
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  stop.store(true);
  echo.join();
  for (auto s : {server_pull, server_push, client_pull, client_push}) nng_close(s);
  std::sort(samples.begin(), samples.end());
  *p50_us = samples.empty() ? 0 : samples[samples.size() / 2];
  return static_cast<double>(received) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t payload = 1024, rounds = 50000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--payload") == 0) payload = std::stoul(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::stoul(argv[i + 1]);
  }
  std::printf("payload %zu B, %zu round trips per row, loopback TCP, one process\n", payload, rounds);
  std::printf("%-9s %9s %12s %9s\n", "pattern", "in flight", "round trips/s", "p50 us");
  int port = 7400;
  for (std::size_t in_flight : {1, 8, 64, 256}) {
    auto r = dynamo::bench::measure_nng_floor(payload, in_flight, rounds, port);
    port += 2;
    if (r.ok()) std::printf("%-9s %9zu %12.0f %9.0f\n", "reqrep", in_flight, r.value().per_second, r.value().p50_us);
    double p50 = 0;
    const double rate = push_pull_round_trips_per_second(payload, in_flight, rounds, port, &p50);
    port += 2;
    std::printf("%-9s %9zu %12.0f %9.0f\n", "pushpull", in_flight, rate, p50);
  }
  return 0;
}
