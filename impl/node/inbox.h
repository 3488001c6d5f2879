// inbox.h: everything that reaches a node's event loop, from any thread: peer batches and client
// batches off the sockets, HTTP requests, storage completions, answers to forwarded requests. The
// loop is the only consumer; producers never touch the core.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "impl/core/effects.h"
#include "impl/core/result.h"
#include "impl/net/http_api.h"
#include "impl/net/wire.h"

namespace dynamo::node {

struct PeerBytes { std::string bytes; };
// A client batch received on NNG context `origin` (the reply goes back on it).
struct ClientBytes { std::uint64_t origin = 0; std::string bytes; };
struct HttpIn { std::uint64_t origin = 0; net::HttpRequest request; };
struct StorageDone { std::vector<std::pair<std::uint64_t, Result<StorageOutcome>>> completions; };
// The answer to a call this node forwarded to a coordinator (its call number `call`). `not_sent`:
// it failed before the batch left this node, so the coordinator never saw it.
struct ForwardDone { std::uint64_t call = 0; Result<ClientReply> reply; bool not_sent = false; };
using Event = std::variant<PeerBytes, ClientBytes, HttpIn, StorageDone, ForwardDone>;

class Inbox {
 public:
  void post(Event event) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
    }
    ready_.notify_one();
  }
  // Every event posted so far, waiting at most until `deadline` for the first one.
  std::deque<Event> take(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    ready_.wait_until(lock, deadline, [&] { return !events_.empty(); });
    return std::exchange(events_, {});
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Event> events_;
};

}  // namespace dynamo::node
