// skeleton_common.h: what the two NNG skeletons share (quorum_skeleton.cc: latency at one in flight;
// throughput_skeleton.cc: 64 in flight, batched). Both fork three node processes on loopback that
// pass bytes in a quorum operation's pattern and do nothing else, to measure what NNG alone costs.
#pragma once

#include <nng/nng.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

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

}  // namespace dynamo::bench::skeleton
