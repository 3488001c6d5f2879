// connection.h: one client connection to one node's client address (NNG REQ over TCP): sends a
// ClientBatch and hands the node's ReplyBatch to a callback. Many batches may be in flight at once
// (one NNG context each, pooled); each has a deadline.
//
// The node never sees a request twice: the REQ socket's automatic resend is turned off, since a
// resent put would be a second write. A batch that times out is reported as an error (the caller
// decides: a get may be retried elsewhere, a put's outcome is unknown).
// Callbacks run on NNG's threads: they must be short and must not call back into this connection
// synchronously except through call() (which is safe from any thread).
#pragma once

#include <cstddef>
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

class Connection {
 public:
  using Done = std::function<void(Result<net::ReplyBatch>)>;
  // Opens the socket and dials in the background (a node that is down is retried by NNG).
  static Result<std::unique_ptr<Connection>> open(ConnectionOptions options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& address() const;
  // Sends the encoded batch; `done` runs exactly once, with the reply or an error.
  void call(std::string encoded_batch, Done done);
  // Blocking form, for the CLI.
  Result<net::ReplyBatch> call_sync(const net::ClientBatch& batch);
  // Raw bytes in, raw bytes out (the load tool's floor measurement: no codec).
  void call_raw(std::string bytes, std::function<void(Result<std::string>)> done);

  struct Impl;

 private:
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynamo::client
