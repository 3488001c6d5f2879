// peer_transport.h: node-to-node messages over NNG PUSH/PULL (docs/transport.md says why not REQ/REP).
//
// Every node listens on one PULL socket (its peer address); to each other member it holds one PUSH
// socket, dialed in the background and redialed by NNG after a failure. Sends never block: when a
// peer is unreachable or its queue is full the batch is dropped and counted, which the core treats
// like any lost message (timeouts, hints, read repair). Received bytes go to the inbox undecoded;
// the event loop decodes them.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "impl/core/result.h"
#include "impl/net/wire.h"
#include "impl/node/inbox.h"

namespace dynamo::node {

class PeerTransport {
 public:
  // Listens on `listen_address` and dials every peer (id -> peer address; self excluded).
  static Result<std::unique_ptr<PeerTransport>> start(const std::string& listen_address,
                                                      const std::map<std::string, std::string>& peers,
                                                      Inbox& inbox);
  ~PeerTransport();
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Dials `id` at `address` unless it is dialed there already (a member that joined, or a seed);
  // a new address replaces the old socket. Called from the event loop's thread, as send is.
  Status connect(const std::string& id, const std::string& address);
  // Queues `bytes` for peer `id`; false (and counted) when it had to be dropped.
  bool send(const std::string& id, const std::string& bytes);
  std::uint64_t dropped() const { return dropped_.load(); }
  std::uint64_t sent() const { return sent_.load(); }
  std::uint64_t received() const { return received_.load(); }

  struct Impl;

 private:
  PeerTransport() = default;
  std::unique_ptr<Impl> impl_;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> received_{0};
};

}  // namespace dynamo::node
