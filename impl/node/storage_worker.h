// storage_worker.h: the node's storage, split so that the event loop never waits for the disk.
//
// The loop runs every storage op itself, at once (store::execute_deferring_sync): reads, and writes
// made buffered, which touch only RocksDB's memtable and its WAL buffer (no system call). An op that needed
// durability (a durable write, a delete of a hint, a Sync) is not complete yet: it goes to the sync
// thread, which takes every op waiting, calls sync() once for all of them (group commit: N durable
// writes arriving together cost one fsync), and only then posts their completions to the inbox. So
// no completion of a durable write is reported before it is on disk (effects.h, rule 1). A failed
// sync turns the completion of every op waiting on it into an error (the core then acknowledges none
// of them).
//
// Why not a storage thread for everything: on this 2-core machine every thread hop (a condition
// variable wake-up) costs more than the memtable operation it carries; the first version did that
// and spent its time switching threads (bench/README.md, "Where the time goes").
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "impl/core/effects.h"
#include "impl/node/inbox.h"
#include "impl/store/storage.h"

namespace dynamo::node {

struct StorageStats {
  std::uint64_t ops = 0;
  std::uint64_t syncs = 0;
  std::uint64_t synced_ops = 0;  // ops whose completion waited for a sync
};

class StorageWorker {
 public:
  using Completion = std::pair<std::uint64_t, Result<StorageOutcome>>;
  StorageWorker(std::unique_ptr<store::Storage> storage, Inbox& inbox);
  ~StorageWorker();  // syncs what is waiting (and every buffered write), then stops
  StorageWorker(const StorageWorker&) = delete;
  StorageWorker& operator=(const StorageWorker&) = delete;

  // Runs the ops (on the caller's thread, the loop); returns the completions available now. The
  // others arrive later as a StorageDone in the inbox, after their sync.
  std::vector<Completion> run(std::vector<StorageOp> ops);
  StorageStats stats() const;

 private:
  void sync_loop();

  std::unique_ptr<store::Storage> storage_;
  Inbox& inbox_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<Completion> waiting_;  // ran, waiting for a sync
  bool stopping_ = false;
  StorageStats stats_;
  std::thread thread_;
};

}  // namespace dynamo::node
