#include "bench/load/nng_floor.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>

#include "bench/load/latencies.h"
#include "impl/client/connection.h"

namespace dynamo::bench {
namespace {

// An echo server: REP contexts that send back what they receive.
class EchoServer {
 public:
  ~EchoServer() {
    for (auto& s : slots_) nng_aio_stop(s->aio);
    for (auto& s : slots_) {
      nng_ctx_close(s->ctx);
      nng_aio_free(s->aio);
    }
    nng_close(socket_);
  }
  Status start(const std::string& url, std::size_t contexts) {
    if (int rv = nng_rep0_open(&socket_); rv != 0) return Error{nng_strerror(rv)};
    if (int rv = nng_listen(socket_, url.c_str(), nullptr, 0); rv != 0)
      return Error{"cannot listen on " + url + ": " + nng_strerror(rv)};
    for (std::size_t i = 0; i < contexts; ++i) {
      auto s = std::make_unique<Slot>();
      nng_ctx_open(&s->ctx, socket_);
      nng_aio_alloc(&s->aio, &EchoServer::on_aio, s.get());
      slots_.push_back(std::move(s));
    }
    for (auto& s : slots_) nng_ctx_recv(s->ctx, s->aio);
    return {};
  }

 private:
  struct Slot {
    nng_ctx ctx{};
    nng_aio* aio = nullptr;
    bool sending = false;
  };
  static void on_aio(void* arg) {
    auto* s = static_cast<Slot*>(arg);
    const int rv = nng_aio_result(s->aio);
    if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
      if (s->sending && nng_aio_get_msg(s->aio) != nullptr) nng_msg_free(nng_aio_get_msg(s->aio));
      return;
    }
    if (s->sending || rv != 0) {
      if (s->sending && rv != 0) nng_msg_free(nng_aio_get_msg(s->aio));
      s->sending = false;
      nng_ctx_recv(s->ctx, s->aio);
      return;
    }
    s->sending = true;  // the received message goes straight back
    nng_ctx_send(s->ctx, s->aio);
  }
  nng_socket socket_ = NNG_SOCKET_INITIALIZER;
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace

Result<FloorResult> measure_nng_floor(std::size_t payload, std::size_t in_flight, std::size_t rounds, int port) {
  const std::string url = "tcp://127.0.0.1:" + std::to_string(port);
  EchoServer server;
  if (Status s = server.start(url, in_flight + 4); !s.ok()) return s.error();
  auto connection = client::Connection::open({url, 5000, in_flight + 4});
  if (!connection.ok()) return connection.error();
  const std::string message(payload, 'x');
  // Warm up (connection set-up, first allocations).
  for (int i = 0; i < 100; ++i) {
    std::promise<void> done;
    connection.value()->call_raw(message, [&](Result<std::string>, client::Sent) { done.set_value(); });
    done.get_future().wait();
  }
  std::mutex mutex;
  std::condition_variable finished;
  std::vector<std::uint32_t> samples;
  samples.reserve(rounds);
  std::size_t started = 0, completed = 0;
  std::string failure;
  using Clock = std::chrono::steady_clock;
  std::function<void()> launch;
  launch = [&] {
    const auto t0 = Clock::now();
    connection.value()->call_raw(message, [&, t0](Result<std::string> reply, client::Sent) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
      bool again = false;
      {
        std::lock_guard lock(mutex);
        if (!reply.ok() && failure.empty()) failure = reply.error().message;
        samples.push_back(static_cast<std::uint32_t>(us));
        ++completed;
        if (started < rounds && failure.empty()) {
          ++started;
          again = true;
        } else {
          // Under the lock: once the waiter can see the last completion, it may return and free
          // `finished`, so nothing of this frame may be touched after the lock is released.
          finished.notify_one();
        }
      }
      if (again) launch();
    });
  };
  const auto begin = Clock::now();
  {
    std::lock_guard lock(mutex);
    started = std::min(in_flight, rounds);
  }
  for (std::size_t i = 0; i < std::min(in_flight, rounds); ++i) launch();
  std::unique_lock lock(mutex);
  finished.wait(lock, [&] { return completed >= started && (started >= rounds || !failure.empty()); });
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  if (!failure.empty()) return Error{"echo round trip failed: " + failure};
  const LatencySummary summary = summarize(samples);
  return FloorResult{summary.count, summary.p50_us, summary.p99_us, summary.mean_us,
                     static_cast<double>(summary.count) / seconds};
}

}  // namespace dynamo::bench
