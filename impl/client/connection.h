// connection.h: one client connection to one node's client address (NNG REQ over TCP): sends a
// ClientBatch and hands the node's ReplyBatch to a callback. Many batches may be in flight at once
// (one NNG context each, pooled); each has a deadline.
//
// The node never sees a request twice: the REQ socket's automatic resend is turned off, since a
// resent put would be a second write. A batch that fails is reported as an error, with whether it
// left this process: NNG's REQ socket hands a request to a connection only once one is ready, so a
// batch whose deadline passed first was never sent and nothing it asked for happened (a put may go
// to another node); one that was sent and got no answer may have happened (a get may be retried
// elsewhere, a put's outcome is unknown).
// Callbacks run on NNG's threads: they must be short and must not call back into this connection
// synchronously except through call() (which is safe from any thread).
#pragma once

#include <cstddef>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "impl/core/result.h"
#include "impl/net/wire.h"

namespace dynamo::client {

struct ConnectionOptions {
  std::string address;            // the node's client URL, e.g. tcp://127.0.0.1:7102
  std::uint32_t timeout_ms = 2000;
  std::size_t max_in_flight = 256; // batches at once; call() beyond it fails with "busy"
};

// Whether a call's batch left this process (see the top of this file).
enum class Sent { kNo, kYes };

class Connection {
 public:
  using Done = std::function<void(Result<net::ReplyBatch>, Sent)>;
  // Opens the socket and dials in the background (a node that is down is retried by NNG).
  static Result<std::unique_ptr<Connection>> open(ConnectionOptions options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& address() const;
  // Whether a TCP connection to the node is up now (NNG redials one that drops).
  bool connected() const;
  // Waits until connected() or the deadline; returns connected().
  bool wait_connected(std::chrono::steady_clock::time_point deadline) const;
  // Sends the encoded batch; `done` runs exactly once, with the reply or an error.
  void call(std::string encoded_batch, Done done);
  // Blocking form, for the CLI.
  Result<net::ReplyBatch> call_sync(const net::ClientBatch& batch);
  // Raw bytes in, raw bytes out (the load tool's floor measurement: no codec).
  void call_raw(std::string bytes, std::function<void(Result<std::string>, Sent)> done);

  struct Impl;

 private:
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynamo::client
