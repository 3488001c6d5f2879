#include "impl/client/connection.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <vector>

namespace dynamo::client {

// One request slot: an NNG context and its aio, reused from a free list.
struct Slot {
  Connection::Impl* owner = nullptr;
  nng_ctx ctx{};
  nng_aio* aio = nullptr;
  bool sending = false;
  std::function<void(Result<std::string>, Sent)> done;
};

struct Connection::Impl {
  ConnectionOptions options;
  nng_socket socket = NNG_SOCKET_INITIALIZER;
  std::mutex mutex;
  std::vector<std::unique_ptr<Slot>> slots;
  std::vector<Slot*> free_slots;
  // Live TCP connections to the node (0 or 1: one dialer), kept by NNG's pipe callbacks. Read
  // without the lock on every request's routing; the lock is for wait_connected's condition.
  mutable std::mutex pipes_mutex;
  mutable std::condition_variable pipes_changed;
  std::set<std::uint32_t> live_pipes;  // by pipe id: NNG also reports the removal of a pipe it
                                       // refused before adding it (a peer that is not REP)
  std::atomic<int> pipes{0};

  ~Impl() {
    // Stop every aio first (waits for running callbacks), then close.
    for (auto& slot : slots) nng_aio_stop(slot->aio);
    // A callback that was running when its aio stopped may have begun the receive after a send,
    // which NNG then refuses without calling back: that caller still waits for `done`, once.
    for (auto& slot : slots) {
      if (!slot->done) continue;
      auto done = std::move(slot->done);
      slot->done = nullptr;
      done(Error{"the connection to " + options.address + " closed before an answer"},
           slot->sending ? Sent::kNo : Sent::kYes);
    }
    for (auto& slot : slots) {
      nng_ctx_close(slot->ctx);
      nng_aio_free(slot->aio);
    }
    nng_close(socket);
  }

  static void on_pipe(nng_pipe pipe, nng_pipe_ev event, void* arg) {
    auto* impl = static_cast<Impl*>(arg);
    {
      std::lock_guard lock(impl->pipes_mutex);
      const std::uint32_t id = nng_pipe_id(pipe);
      if (event == NNG_PIPE_EV_ADD_POST) impl->live_pipes.insert(id);
      else impl->live_pipes.erase(id);
      impl->pipes = static_cast<int>(impl->live_pipes.size());
    }
    impl->pipes_changed.notify_all();
  }

  static void on_aio(void* arg) {
    auto* slot = static_cast<Slot*>(arg);
    slot->owner->step(*slot);
  }

  void step(Slot& slot) {
    const int rv = nng_aio_result(slot.aio);
    if (slot.sending) {
      if (rv != 0) {  // the send never completed: no connection took the batch (req0_run_send_queue)
        nng_msg_free(nng_aio_get_msg(slot.aio));
        finish(slot, Error{"not sent to " + options.address + " (no connection within " +
                           std::to_string(options.timeout_ms) + " ms): " + nng_strerror(rv)},
               Sent::kNo);
        return;
      }
      slot.sending = false;
      nng_ctx_recv(slot.ctx, slot.aio);
      return;
    }
    if (rv != 0) {
      finish(slot, Error{"no answer from " + options.address + " within " +
                         std::to_string(options.timeout_ms) + " ms: " + nng_strerror(rv)},
             Sent::kYes);
      return;
    }
    nng_msg* msg = nng_aio_get_msg(slot.aio);
    std::string bytes(static_cast<const char*>(nng_msg_body(msg)), nng_msg_len(msg));
    nng_msg_free(msg);
    finish(slot, std::move(bytes), Sent::kYes);
  }

  void finish(Slot& slot, Result<std::string> result, Sent sent) {
    auto done = std::move(slot.done);
    slot.done = nullptr;
    {
      std::lock_guard lock(mutex);
      free_slots.push_back(&slot);
    }
    done(std::move(result), sent);
  }

  Slot* take_slot() {
    std::lock_guard lock(mutex);
    if (!free_slots.empty()) {
      Slot* slot = free_slots.back();
      free_slots.pop_back();
      return slot;
    }
    if (slots.size() >= options.max_in_flight) return nullptr;
    auto slot = std::make_unique<Slot>();
    slot->owner = this;
    if (nng_ctx_open(&slot->ctx, socket) != 0) return nullptr;
    if (nng_aio_alloc(&slot->aio, &Impl::on_aio, slot.get()) != 0) {
      nng_ctx_close(slot->ctx);
      return nullptr;
    }
    nng_aio_set_timeout(slot->aio, static_cast<nng_duration>(options.timeout_ms));
    slots.push_back(std::move(slot));
    return slots.back().get();
  }

  void send(std::string bytes, std::function<void(Result<std::string>, Sent)> done) {
    Slot* slot = take_slot();
    if (slot == nullptr) {
      done(Error{"busy: " + std::to_string(options.max_in_flight) + " batches already in flight to " +
                 options.address},
           Sent::kNo);
      return;
    }
    nng_msg* msg = nullptr;
    if (int rv = nng_msg_alloc(&msg, 0); rv != 0 || nng_msg_append(msg, bytes.data(), bytes.size()) != 0) {
      if (msg != nullptr) nng_msg_free(msg);
      slot->done = std::move(done);
      finish(*slot, Error{"out of memory"}, Sent::kNo);
      return;
    }
    slot->done = std::move(done);
    slot->sending = true;
    nng_aio_set_msg(slot->aio, msg);
    nng_ctx_send(slot->ctx, slot->aio);
  }
};

Result<std::unique_ptr<Connection>> Connection::open(ConnectionOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  if (int rv = nng_req0_open(&impl->socket); rv != 0)
    return Error{std::string("cannot open an NNG REQ socket: ") + nng_strerror(rv)};
  // Never resend: a resent put would be a second write (see the header).
  nng_socket_set_ms(impl->socket, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
  nng_socket_set_ms(impl->socket, NNG_OPT_RECONNMINT, 20);
  nng_socket_set_ms(impl->socket, NNG_OPT_RECONNMAXT, 500);
  nng_socket_set_size(impl->socket, NNG_OPT_RECVMAXSZ, net::kReadLimits.max_message_bytes);
  for (nng_pipe_ev event : {NNG_PIPE_EV_ADD_POST, NNG_PIPE_EV_REM_POST})
    if (int rv = nng_pipe_notify(impl->socket, event, &Impl::on_pipe, impl.get()); rv != 0)
      return Error{std::string("cannot watch connections: ") + nng_strerror(rv)};
  if (int rv = nng_dial(impl->socket, impl->options.address.c_str(), nullptr, NNG_FLAG_NONBLOCK); rv != 0)
    return Error{"cannot dial " + impl->options.address + ": " + nng_strerror(rv) +
                 " (expected tcp://HOST:PORT or ipc:///path)"};
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;

const std::string& Connection::address() const { return impl_->options.address; }

bool Connection::connected() const { return impl_->pipes.load() > 0; }

bool Connection::wait_connected(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(impl_->pipes_mutex);
  return impl_->pipes_changed.wait_until(lock, deadline, [&] { return impl_->pipes > 0; });
}

void Connection::call_raw(std::string bytes, std::function<void(Result<std::string>, Sent)> done) {
  impl_->send(std::move(bytes), std::move(done));
}

void Connection::call(std::string encoded_batch, Done done) {
  impl_->send(std::move(encoded_batch), [done = std::move(done)](Result<std::string> bytes, Sent sent) {
    if (!bytes.ok()) {
      done(bytes.error(), sent);
      return;
    }
    done(net::decode_reply_batch(bytes.value()), sent);
  });
}

Result<net::ReplyBatch> Connection::call_sync(const net::ClientBatch& batch) {
  std::promise<Result<net::ReplyBatch>> promise;
  auto future = promise.get_future();
  call(net::encode_client_batch(batch), [&promise](Result<net::ReplyBatch> reply, Sent) {
    promise.set_value(std::move(reply));
  });
  return future.get();
}

}  // namespace dynamo::client
