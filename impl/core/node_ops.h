// node_ops.h: the coordinator's records of the puts and gets it runs (private to the node core).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "impl/core/effects.h"
#include "impl/core/messages.h"
#include "impl/core/node.h"
#include "impl/core/node_config.h"

namespace dynamo {

// What every operation a coordinator runs keeps: who asked, what, in which store, until when.
struct CoordinatedOp {
  CoordinatedOp(const std::string& client, const ClientRequest& request, const StoreConfig& store,
                std::uint64_t deadline)
      : client(client), request(request), store(&store), key(storage_key(store.name, request.key)),
        deadline(deadline) {}
  std::string client;
  ClientRequest request;
  const StoreConfig* store;
  std::string key;  // storage key
  std::uint64_t deadline;
};

struct Node::PutOp : CoordinatedOp {
  // kWriting: the version is sent and the coordinator's own durable write is under way;
  // kWaiting: that write is done, acknowledgements still missing.
  enum class Phase { kQueued, kReading, kWriting, kWaiting };
  using CoordinatedOp::CoordinatedOp;
  int w = request.w.value_or(store->quorum.w);
  Phase phase = Phase::kQueued;
  bool answered = false;  // the client has its reply (a timeout while the write was in flight)
  bool persisted = false;  // the coordinator's own durable write completed (spec: PersistPut)
  Version version;
  std::vector<SpecTarget> targets;  // every replica but the coordinator, and the fallbacks resent to
  std::vector<std::pair<std::string, std::uint64_t>> acks;  // node, epoch; the coordinator's once persisted
  std::set<std::string> refused;
  std::optional<std::uint64_t> sent_at;  // the tick the version went to the targets (send_put)
  std::shared_ptr<const Ring> sent_ring;  // the ring the targets were chosen under
  bool resent = false;                   // resend_put ran or was skipped (once per put)

  bool answered_by(const std::string& node) const {
    return refused.contains(node) ||
           std::any_of(acks.begin(), acks.end(), [&](const auto& a) { return a.first == node; });
  }
};

struct Node::GetOp : CoordinatedOp {
  using CoordinatedOp::CoordinatedOp;
  int r = request.r.value_or(store->quorum.r);
  std::vector<SpecTarget> targets;  // every replica but the coordinator
  std::vector<std::pair<std::string, std::vector<Version>>> replies;  // in arrival order
  std::set<std::string> failed;  // targets that answered without a view
};

// A reply refusing or failing a request.
inline ClientReply failed_reply(std::uint64_t request_id, std::string message) {
  ClientReply reply;
  reply.request_id = request_id;
  reply.status = ReplyStatus::kFailed;
  reply.message = std::move(message);
  return reply;
}

}  // namespace dynamo
