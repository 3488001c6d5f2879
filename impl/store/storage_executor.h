// storage_executor.h: carries out one of the node core's storage requests (impl/core/effects.h)
// against a Storage engine. The simulator and the real node share it, so both give the core the
// same answers for the same storage.
//
// Durability is the engine's (storage.h invariant 4): when execute returns for a kDurable request
// or a Sync, the write is durable, so the shell may report the completion at once. (A shell doing
// group commit runs durable requests as kBuffered, then one sync(), then reports them all.)
#pragma once

#include "impl/core/effects.h"
#include "impl/core/result.h"
#include "impl/store/storage.h"

namespace dynamo::store {

Result<StorageOutcome> execute(Storage& storage, const StorageRequest& request);

// Group commit (the real node's storage thread): every write is made kBuffered; the result says
// whether the request needed durability, in which case the caller must sync() before reporting
// the completion (and must report an error instead if that sync fails). A Sync request is not
// run at all (it always needs the caller's sync).
struct Deferred {
  Result<StorageOutcome> outcome;
  bool needs_sync = false;
};
Deferred execute_deferring_sync(Storage& storage, const StorageRequest& request);

}  // namespace dynamo::store
