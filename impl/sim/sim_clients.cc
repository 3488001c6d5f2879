// The simulator's clients: each runs one operation at a time, sends it to a coordinator of the key
// (partition-aware, as the paper's Table 2 clients), and records the history the checker reads.
#include <algorithm>
#include <set>
#include <utility>

#include "impl/core/check.h"
#include "impl/sim/sim_cluster.h"

namespace dynamo::sim {
namespace {

check::OpType op_type(StepKind kind) {
  switch (kind) {
    case StepKind::kGet: return check::OpType::kGet;
    case StepKind::kDelete: return check::OpType::kDelete;
    default: return check::OpType::kPut;
  }
}

// Cart values are "<op id>:<item>,<item>..."; the op id keeps every value unique.
std::vector<std::string> cart_items(const std::string& value) {
  std::vector<std::string> items;
  auto colon = value.find(':');
  if (colon == std::string::npos) return items;
  std::string rest = value.substr(colon + 1);
  std::size_t start = 0;
  while (start < rest.size()) {
    auto comma = rest.find(',', start);
    if (comma == std::string::npos) comma = rest.size();
    if (comma > start) items.push_back(rest.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

}  // namespace

const std::vector<std::string>& Cluster::primaries_of(const std::string& key) {
  auto it = primaries_cache_.find(key);
  if (it == primaries_cache_.end()) {
    auto list = ring_->preference_list(ring_->partition_of_key(key), schedule_.n);
    DYNAMO_CHECK(list.ok());
    it = primaries_cache_.emplace(key, std::move(list).value()).first;
  }
  return it->second;
}

void Cluster::start_op(std::uint32_t index, StepKind kind, std::uint32_t key, bool final) {
  ClientSlot& client = clients_[index];
  if (client.busy) return;  // one operation at a time: this step is skipped
  ClientOp op;
  op.op = client.id + "-" + std::to_string(client.next_op++);
  op.kind = kind;
  op.key = key;
  op.request_id = client.next_request++;
  op.final = final;
  op.invoked = now_;
  // A client gives up after the coordinator's own timeout plus the round trip.
  op.deadline = now_ + 8 * schedule_.max_delay + 8 + 2 * schedule_.max_delay + 2;

  ClientRequest request;
  request.request_id = op.request_id;
  request.key = key_name(key);
  check::Event invoke;
  invoke.kind = check::EventKind::kInvoke;
  invoke.process = client.id;
  invoke.op = op.op;
  invoke.type = op_type(kind);
  invoke.key = request.key;
  invoke.final = final;
  const LastRead* last = nullptr;
  if (auto it = client.last_read.find(key); it != client.last_read.end()) last = &it->second;
  switch (kind) {
    case StepKind::kGet:
      request.op = OpKind::kGet;
      break;
    case StepKind::kDelete:
      request.op = OpKind::kDelete;
      break;
    case StepKind::kPut:
    case StepKind::kBlindPut:
      request.op = OpKind::kPut;
      request.value = op.op;
      break;
    case StepKind::kCartAdd: {
      // The shopping cart (paper §4.4): add an item to the union of every sibling read.
      request.op = OpKind::kPut;
      std::set<std::string> items;
      if (last) items.insert(last->items.begin(), last->items.end());
      items.insert("i" + op.op);
      request.value = op.op + ":";
      for (const auto& item : items) request.value += (request.value.back() == ':' ? "" : ",") + item;
      break;
    }
    default:
      DYNAMO_CHECK(false);
  }
  if (request.op == OpKind::kPut) invoke.value = request.value;
  if (request.op != OpKind::kGet) {
    if (last && kind != StepKind::kBlindPut) {
      request.context = last->context;
      invoke.read = last->op;
    } else {
      invoke.read = std::nullopt;
    }
  }
  invoke.line = history_.size() + 1;
  history_.push_back(std::move(invoke));
  ++result_.counts.operations;
  op_of_request_[{client.id, op.request_id}] = op.op;
  // Partition-aware: straight to a primary of the key, chosen at random.
  const auto& list = primaries_of(request.key);
  const std::string coordinator = list[network_.random().below(list.size())];
  op.request = request;
  client.busy = std::move(op);
  network_.send(now_, client.id, coordinator, ToNode{std::move(request)});
}

void Cluster::finish(ClientSlot& client, check::Outcome outcome, std::optional<std::vector<check::WriteId>> siblings) {
  const ClientOp& op = *client.busy;
  const bool write = op.kind != StepKind::kGet;
  if (write) {
    if (outcome == check::Outcome::kOk) ++result_.counts.writes_acknowledged;
    else if (outcome == check::Outcome::kUnknown) ++result_.counts.writes_unknown;
    else ++result_.counts.writes_failed;
  } else if (outcome == check::Outcome::kOk) {
    ++result_.counts.reads_ok;
  } else {
    ++result_.counts.reads_failed;
  }
  check::Event complete;
  complete.kind = check::EventKind::kComplete;
  complete.process = client.id;
  complete.op = op.op;
  complete.outcome = outcome;
  complete.siblings = std::move(siblings);
  complete.line = history_.size() + 1;
  history_.push_back(std::move(complete));
  client.busy.reset();
}

void Cluster::on_reply(const std::string& client_id, const ClientReply& reply) {
  auto it = std::find_if(clients_.begin(), clients_.end(), [&](const ClientSlot& c) { return c.id == client_id; });
  DYNAMO_CHECK(it != clients_.end());
  ClientSlot& client = *it;
  if (!client.busy || client.busy->request_id != reply.request_id) return;  // late: already given up
  const bool get = client.busy->kind == StepKind::kGet;
  switch (reply.status) {
    case ReplyStatus::kOk: {
      if (!get) {
        const ClientOp& op = *client.busy;
        if (auto dot = dot_of_op_.find(op.op); dot != dot_of_op_.end())
          acked_puts_[key_name(op.key)].push_back(AckedPut{dot->second, now_, used_fallback_.contains(op.op)});
        return finish(client, check::Outcome::kOk, std::nullopt);
      }
      check_overlap(*client.busy, reply.siblings);
      std::vector<check::WriteId> siblings;
      LastRead read{client.busy->op, reply.context, {}};
      const std::string key = storage_key(kDefaultStore, key_name(client.busy->key));
      for (const auto& v : reply.siblings) {
        auto w = write_of_dot_.find({key, v.dot});
        if (w == write_of_dot_.end()) {  // no CoordinatePut of this key made it: a phantom, or another key's
          fail("get " + client.busy->op + " of " + key + " returned a version no put of the key made: " + v.dot.actor +
               ":" + std::to_string(v.dot.counter));
          return finish(client, check::Outcome::kFail, std::nullopt);
        }
        siblings.push_back(w->second);
        if (v.value)
          for (auto& item : cart_items(*v.value)) read.items.push_back(std::move(item));
      }
      result_.counts.max_siblings = std::max<std::uint64_t>(result_.counts.max_siblings, siblings.size());
      if (siblings.size() > 1) ++result_.counts.reads_with_siblings;
      client.last_read[client.busy->key] = std::move(read);
      return finish(client, check::Outcome::kOk, std::move(siblings));
    }
    case ReplyStatus::kFailed:
      return finish(client, check::Outcome::kFail, std::nullopt);
    case ReplyStatus::kUnknown:
      return finish(client, get ? check::Outcome::kFail : check::Outcome::kUnknown, std::nullopt);
    case ReplyStatus::kRedirect:
      // After a membership change, the client's ring and the coordinator's may differ for a while:
      // follow the redirect (as impl/client does), a few times at most.
      if (ring_version_ > 0) {
        if (client.busy->redirects >= 3 || reply.coordinators.empty())
          return finish(client, check::Outcome::kFail, std::nullopt);  // not done: nothing was stored
        ++client.busy->redirects;
        const std::string& next = reply.coordinators[network_.random().below(reply.coordinators.size())];
        network_.send(now_, client.id, next, ToNode{client.busy->request});
        return;
      }
      // With a fixed membership clients send to primaries, so a redirect is a bug in the ring or the client.
      fail("unexpected redirect for " + key_name(client.busy->key) + ": " + reply.message);
      return finish(client, check::Outcome::kFail, std::nullopt);
  }
}

void Cluster::expire_clients() {
  for (auto& client : clients_)
    if (client.busy && client.busy->deadline <= now_) {
      const bool get = client.busy->kind == StepKind::kGet;
      finish(client, get ? check::Outcome::kFail : check::Outcome::kUnknown, std::nullopt);
    }
}

bool Cluster::clients_idle() const {
  return std::none_of(clients_.begin(), clients_.end(), [](const ClientSlot& c) { return c.busy.has_value(); });
}

}  // namespace dynamo::sim
