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

}  // namespace dynamo::store
