#include "impl/node/storage_worker.h"

#include <utility>

#include "impl/node/log.h"
#include "impl/store/storage_executor.h"

namespace dynamo::node {

StorageWorker::StorageWorker(std::unique_ptr<store::Storage> storage, Inbox& inbox, std::size_t max_ops_per_turn)
    : storage_(std::move(storage)), inbox_(inbox), max_ops_per_turn_(max_ops_per_turn),
      thread_([this] { run(); }) {}

StorageWorker::~StorageWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_one();
  thread_.join();
}

void StorageWorker::post(std::vector<StorageOp> ops) {
  if (ops.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (auto& op : ops) queue_.push_back(std::move(op));
  }
  ready_.notify_one();
}

StorageWorkerStats StorageWorker::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void StorageWorker::run() {
  for (;;) {
    std::vector<StorageOp> turn;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {  // stopping, and nothing left: a clean stop loses no buffered write
        lock.unlock();
        if (Status synced = storage_->sync(); !synced.ok())
          log_error("final sync at shutdown failed: " + synced.error().message);
        return;
      }
      while (!queue_.empty() && turn.size() < max_ops_per_turn_) {
        turn.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    StorageDone done;
    done.completions.reserve(turn.size());
    std::vector<bool> needs_sync(turn.size(), false);
    bool any_sync = false;
    for (std::size_t i = 0; i < turn.size(); ++i) {
      auto deferred = store::execute_deferring_sync(*storage_, turn[i].request);
      needs_sync[i] = deferred.needs_sync && deferred.outcome.ok();
      any_sync = any_sync || needs_sync[i];
      done.completions.emplace_back(turn[i].token, std::move(deferred.outcome));
    }
    if (any_sync) {
      if (Status synced = storage_->sync(); !synced.ok()) {
        log_error("storage sync failed, no write of this group is acknowledged: " + synced.error().message);
        for (std::size_t i = 0; i < turn.size(); ++i)
          if (needs_sync[i]) done.completions[i].second = Error{"sync failed: " + synced.error().message};
      }
    }
    {
      std::lock_guard lock(mutex_);
      stats_.ops += turn.size();
      stats_.syncs += any_sync ? 1 : 0;
      stats_.turns += 1;
    }
    inbox_.post(std::move(done));
  }
}

}  // namespace dynamo::node
