// skeleton_common.h: what the two NNG skeletons share (quorum_skeleton.cc: latency at one in flight;
// throughput_skeleton.cc: 64 in flight, batched). Both fork three node processes on loopback that
// pass bytes in a quorum operation's pattern and do nothing else, to measure what NNG alone costs.
#pragma once

#include <nng/nng.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace dynamo::bench::skeleton {

constexpr int kNodes = 3;
constexpr std::size_t kSmall = 40, kValue = 1024;
constexpr std::size_t kHeader = 2 + 8;  // kind, sender, request id

// Node `node`'s sockets: 0 for clients, 1 for its peers.
inline std::string url(int base_port, int node, int socket) {
  return "tcp://127.0.0.1:" + std::to_string(base_port + 10 * node + socket);
}

[[noreturn]] inline void die(const char* tool, const char* what, int rv) {
  std::fprintf(stderr, "%s: %s: %s\n", tool, what, nng_strerror(rv));
  std::exit(1);
}

// A message of `size` bytes (at least the header): kind, sender, id, then filler.
inline std::string message(char kind, int from, std::uint64_t id, std::size_t size) {
  std::string m(std::max(size, kHeader), 'v');
  m[0] = kind;
  m[1] = static_cast<char>(from);
  std::memcpy(&m[2], &id, sizeof id);
  return m;
}

inline void read_header(const char* data, char* kind, int* from, std::uint64_t* id) {
  *kind = data[0];
  *from = data[1];
  std::memcpy(id, data + 2, sizeof *id);
}

// Bounds every blocking send and receive of a socket: a node that died (its process gone) makes the
// tool stop with an error instead of waiting for ever.
inline void bound_waits(const char* tool, nng_socket socket) {
  if (int rv = nng_socket_set_ms(socket, NNG_OPT_SENDTIMEO, 10'000)) die(tool, "set send timeout", rv);
  if (int rv = nng_socket_set_ms(socket, NNG_OPT_RECVTIMEO, 10'000)) die(tool, "set receive timeout", rv);
}

// One request and its reply on a REQ socket; returns the round trip in µs.
inline std::uint32_t timed_call(const char* tool, nng_socket req, const std::string& request) {
  const auto start = std::chrono::steady_clock::now();
  if (int rv = nng_send(req, const_cast<char*>(request.data()), request.size(), 0)) die(tool, "client send", rv);
  char* buf = nullptr;
  std::size_t size = 0;
  if (int rv = nng_recv(req, &buf, &size, NNG_FLAG_ALLOC)) die(tool, "client receive", rv);
  nng_free(buf, size);
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
}

inline void stop_nodes(const std::vector<pid_t>& nodes) {
  for (pid_t pid : nodes) kill(pid, SIGTERM);
  for (pid_t pid : nodes) waitpid(pid, nullptr, 0);
}

// Forks the kNodes node processes, each running run_node(i) (which never returns). Call it before
// this process touches NNG: NNG's threads do not survive a fork.
template <class RunNode>
std::vector<pid_t> fork_nodes(RunNode run_node) {
  std::vector<pid_t> nodes;
  for (int i = 0; i < kNodes; ++i) {
    const pid_t pid = fork();
    if (pid == 0) run_node(i);
    if (pid < 0) {  // never keep -1: kill(-1, ...) would signal every process we may signal
      std::perror("fork");
      stop_nodes(nodes);
      std::exit(1);
    }
    nodes.push_back(pid);
  }
  return nodes;
}

}  // namespace dynamo::bench::skeleton
