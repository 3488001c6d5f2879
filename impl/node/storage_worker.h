// storage_worker.h: the node's storage thread, so that the event loop never waits on the disk.
//
// Group commit: the thread takes every op queued since its last turn, runs them in order with
// durable writes made buffered (store::execute_deferring_sync), then calls sync() once if any of
// them needed durability, and only then posts all their completions to the inbox. So N durable
// writes arriving together cost one fsync, and no completion of a durable write is reported before
// it is on disk (effects.h, rule 1). A failed sync turns the completion of every op that needed it
// into an error (the core then acknowledges none of them).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "impl/core/effects.h"
#include "impl/node/inbox.h"
#include "impl/store/storage.h"

namespace dynamo::node {

struct StorageWorkerStats {
  std::uint64_t ops = 0;
  std::uint64_t syncs = 0;
  std::uint64_t turns = 0;
};

class StorageWorker {
 public:
  StorageWorker(std::unique_ptr<store::Storage> storage, Inbox& inbox, std::size_t max_ops_per_turn = 1024);
  ~StorageWorker();  // finishes the queued ops (and their sync), then stops
  StorageWorker(const StorageWorker&) = delete;
  StorageWorker& operator=(const StorageWorker&) = delete;

  void post(std::vector<StorageOp> ops);
  StorageWorkerStats stats() const;

 private:
  void run();

  std::unique_ptr<store::Storage> storage_;
  Inbox& inbox_;
  std::size_t max_ops_per_turn_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<StorageOp> queue_;
  bool stopping_ = false;
  StorageWorkerStats stats_;
  std::thread thread_;
};

}  // namespace dynamo::node
