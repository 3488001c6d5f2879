// client_server.h: the node's client address (NNG REP over TCP). A pool of NNG contexts each waits
// for one ClientBatch; the bytes go to the inbox with the context's number, and the event loop
// answers through reply(origin, bytes) when every call of the batch is answered. So up to
// `contexts` batches are served at once per node; beyond that NNG queues them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "impl/core/result.h"
#include "impl/node/inbox.h"

namespace dynamo::node {

class ClientServer {
 public:
  static Result<std::unique_ptr<ClientServer>> start(const std::string& listen_address, Inbox& inbox,
                                                     std::size_t contexts = 256);
  ~ClientServer();
  ClientServer(const ClientServer&) = delete;
  ClientServer& operator=(const ClientServer&) = delete;

  // Sends the reply to the batch received on `origin` (once per received batch).
  void reply(std::uint64_t origin, const std::string& bytes);

  struct Impl;

 private:
  ClientServer() = default;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynamo::node
