// node_runtime.h: one real Dynamo node: the pure core (impl/core/node.h) driven by an event loop.
//
// Threads: the loop (the caller of run(), the only one touching the core), the storage thread
// (storage_worker.h: RocksDB, group commit) and NNG's threads (sockets, HTTP), which only post to
// the inbox. One turn of the loop: take every event in the inbox, feed each to the core, then
//   - hand the turn's storage ops to the storage thread in one go,
//   - send the turn's peer messages, one NNG message (PeerBatch) per destination,
//   - answer clients as their replies appear.
// Ticks (tick_ms apart) drive the core's timers. A call that reached a node that does not
// coordinate the key (the core's kRedirect) is forwarded to the key's coordinators in order.
#pragma once

#include <atomic>
#include <memory>

#include "impl/core/result.h"
#include "impl/node/config_file.h"

namespace dynamo::node {

class NodeRuntime {
 public:
  // Opens storage, bumps the epoch, binds every address. Errors say which and why.
  static Result<std::unique_ptr<NodeRuntime>> open(NodeFileConfig config);
  ~NodeRuntime();
  // Serves until `stop` becomes true, then stops cleanly (the buffered writes are synced).
  void run(const std::atomic<bool>& stop);

  struct Impl;

 private:
  explicit NodeRuntime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynamo::node
