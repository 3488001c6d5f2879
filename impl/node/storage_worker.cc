#include "impl/node/storage_worker.h"

#include "impl/node/log.h"
#include "impl/store/storage_executor.h"

namespace dynamo::node {

StorageWorker::StorageWorker(std::unique_ptr<store::Storage> storage, Inbox& inbox)
    : storage_(std::move(storage)), inbox_(inbox), thread_([this] { sync_loop(); }) {}

StorageWorker::~StorageWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_one();
  thread_.join();
}

std::vector<StorageWorker::Completion> StorageWorker::run(std::vector<StorageOp> ops) {
  std::vector<Completion> now;
  std::size_t deferred = 0;
  for (auto& op : ops) {
    auto done = store::execute_deferring_sync(*storage_, op.request);
    if (done.needs_sync && done.outcome.ok()) {
      std::lock_guard lock(mutex_);
      waiting_.emplace_back(op.token, std::move(done.outcome));
      ++deferred;
    } else {
      now.emplace_back(op.token, std::move(done.outcome));
    }
  }
  {
    std::lock_guard lock(mutex_);
    stats_.ops += ops.size();
  }
  if (deferred > 0) ready_.notify_one();
  return now;
}

StorageStats StorageWorker::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void StorageWorker::sync_loop() {
  for (;;) {
    std::vector<Completion> group;
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
      group.swap(waiting_);
      stopping = stopping_;
    }
    // Writes the loop makes during this sync wait for the next one (they are in `waiting_` then).
    const Status synced = storage_->sync();
    if (!synced.ok()) {
      log_error("storage sync failed, no write of this group is acknowledged: " + synced.error().message);
      for (auto& [token, outcome] : group) outcome = Error{"sync failed: " + synced.error().message};
    }
    {
      std::lock_guard lock(mutex_);
      stats_.syncs += 1;
      stats_.synced_ops += group.size();
    }
    if (!group.empty()) inbox_.post(StorageDone{std::move(group)});
    if (stopping) {
      std::lock_guard lock(mutex_);
      if (waiting_.empty()) return;  // a clean stop loses no buffered write: the sync above covered them
    }
  }
}

}  // namespace dynamo::node
