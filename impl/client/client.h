// client.h: the partition-aware client library (the paper's client-driven coordination, Table 2).
//
// It learns the ring from any node (a RingCall), then sends each request straight to a coordinator
// of its key: the first node of the key's preference list that has not failed it lately, else any
// node (which forwards to a coordinator). So a request costs one hop to a coordinator instead of
// two (client -> any node -> coordinator).
//
// Many requests in flight to the same node share NNG messages: each node has a queue, at most
// `max_batches_per_node` batches are in flight to it, and everything queued meanwhile leaves as one
// batch. At one request in flight this is one call per message; at 64 it is several.
// A node with no connection up (down, or not reached) goes last, as does one that did not answer in
// time (for `avoid_ms`). A request whose batch was never sent (no connection to the node before the
// deadline) is sent to the next candidate, a write too: no node saw it. A get that was sent and got
// no answer is retried at the next candidate; a put or delete that was sent is answered kUnknown (it
// may have happened), never retried, since a retry would be a second write.
// Thread-safe; callbacks run on NNG's threads and may submit more requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "impl/core/messages.h"
#include "impl/core/result.h"
#include "impl/net/wire.h"

namespace dynamo::client {

struct ClientOptions {
  std::vector<std::string> seeds;   // client addresses of any nodes (tcp://host:port)
  std::uint32_t timeout_ms = 2000;
  bool partition_aware = true;      // false: every request goes to the seeds, round robin
  std::size_t max_batches_per_node = 4;
  std::size_t max_calls_per_batch = 64;
  std::uint32_t avoid_ms = 1000;
  // How long connect() waits for the dials to every member (at most timeout_ms): a member not
  // reached by then is taken as down until its connection comes up.
  std::uint32_t settle_ms = 250;
};

class Client {
 public:
  using Done = std::function<void(ClientReply)>;
  // Connects to the first seed that answers a RingCall. Errors: no seed answered (each one's reason).
  static Result<std::unique_ptr<Client>> connect(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends the request (its request_id is replaced by the client's own); `done` runs exactly once,
  // also when the client is destroyed first (kFailed: it was never sent, or kUnknown for a write in
  // flight). Once the destructor has begun, submit fails at once.
  void submit(ClientRequest request, Done done);
  ClientReply call(ClientRequest request);  // blocking form
  const net::RingInfo& ring() const;
  // The node a request for `key` in `store` would go to now.
  std::string route(const std::string& store, const std::string& key) const;
  // Asks one node (by id) for its status.
  Result<net::StatusInfo> status(const std::string& node_id);

  struct Impl;

 private:
  explicit Client(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// Where a request goes next: the first of `candidates` (best first, re-ranked at every try) that is
// not in `tried`; none when every candidate was tried.
std::optional<std::string> next_target(const std::vector<std::string>& candidates, const std::vector<std::string>& tried);

}  // namespace dynamo::client
