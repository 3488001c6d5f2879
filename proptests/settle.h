// settle.h: the node checks' storage driver. A check drives one core by hand; its storage ops run
// here against an in-memory store, each completion fed straight back (a put's read issues its
// write), until none is left.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "impl/core/check.h"
#include "impl/core/node.h"
#include "impl/store/memory_store.h"
#include "impl/store/storage_executor.h"

namespace dynamo::testing {

// Runs `effects` and everything they lead to. An op for which `hold` answers true is not run: it is
// appended to `*held`, for the check to complete (or fail) by hand later. Returns every effect
// emitted: the storage ops run or held, the sends, the replies and the spec steps.
inline Effects settle(Node& node, store::MemoryStore& storage, Effects effects,
                      const std::function<bool(const StorageOp&)>& hold = {},
                      std::vector<StorageOp>* held = nullptr) {
  DYNAMO_CHECK(!hold || held != nullptr);  // a held op must go somewhere
  Effects all;
  std::vector<Effects> work{std::move(effects)};
  while (!work.empty()) {
    Effects e = std::move(work.back());
    work.pop_back();
    for (auto& op : e.storage) {
      all.storage.push_back(op);
      if (hold && hold(op)) {
        held->push_back(op);
        continue;
      }
      work.push_back(node.on_storage_done(op.token, store::execute(storage, op.request)));
    }
    for (auto& s : e.sends) all.sends.push_back(std::move(s));
    for (auto& r : e.replies) all.replies.push_back(std::move(r));
    for (auto& step : e.steps) all.steps.push_back(std::move(step));
  }
  return all;
}

// The coordinator's own durable write of a put (PersistPut), which checks of durability hold back.
inline bool is_durable_put(const StorageOp& op) {
  const auto* put = std::get_if<PutState>(&op.request);
  return put != nullptr && put->durability == Durability::kDurable;
}

}  // namespace dynamo::testing
