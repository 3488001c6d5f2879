#include "impl/node/client_server.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include <vector>

#include "impl/net/wire.h"
#include "impl/node/log.h"

namespace dynamo::node {
namespace {

struct Context {
  ClientServer::Impl* owner = nullptr;
  std::uint64_t origin = 0;
  nng_ctx ctx{};
  nng_aio* aio = nullptr;
  bool sending = false;
};

}  // namespace

struct ClientServer::Impl {
  Inbox* inbox = nullptr;
  nng_socket socket = NNG_SOCKET_INITIALIZER;
  std::vector<std::unique_ptr<Context>> contexts;

  ~Impl() {
    for (auto& c : contexts) nng_aio_stop(c->aio);
    for (auto& c : contexts) {
      nng_ctx_close(c->ctx);
      nng_aio_free(c->aio);
    }
    nng_close(socket);
  }

  static void on_aio(void* arg) {
    auto* c = static_cast<Context*>(arg);
    const int rv = nng_aio_result(c->aio);
    if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
      // Stopped while a reply was on its way out: a failed send leaves the message with us.
      if (c->sending && nng_aio_get_msg(c->aio) != nullptr) nng_msg_free(nng_aio_get_msg(c->aio));
      return;
    }
    if (c->sending) {
      // The client went away before its reply: drop it, serve the next batch.
      if (rv != 0) nng_msg_free(nng_aio_get_msg(c->aio));
      c->sending = false;
      nng_ctx_recv(c->ctx, c->aio);
      return;
    }
    if (rv != 0) {
      nng_ctx_recv(c->ctx, c->aio);
      return;
    }
    nng_msg* msg = nng_aio_get_msg(c->aio);
    c->owner->inbox->post(ClientBytes{c->origin, std::string(static_cast<const char*>(nng_msg_body(msg)), nng_msg_len(msg))});
    nng_msg_free(msg);
  }
};

Result<std::unique_ptr<ClientServer>> ClientServer::start(const std::string& listen_address, Inbox& inbox,
                                                         std::size_t contexts) {
  std::unique_ptr<ClientServer> server(new ClientServer());
  server->impl_ = std::make_unique<Impl>();
  Impl& impl = *server->impl_;
  impl.inbox = &inbox;
  if (int rv = nng_rep0_open(&impl.socket); rv != 0)
    return Error{std::string("cannot open the client REP socket: ") + nng_strerror(rv)};
  nng_socket_set_size(impl.socket, NNG_OPT_RECVMAXSZ, net::kReadLimits.max_message_bytes);
  if (int rv = nng_listen(impl.socket, listen_address.c_str(), nullptr, 0); rv != 0)
    return Error{"cannot listen for clients on " + listen_address + ": " + nng_strerror(rv) +
                 (rv == NNG_EADDRINUSE ? " (another process holds the port: is a node already running?)" : "")};
  for (std::size_t i = 0; i < contexts; ++i) {
    auto c = std::make_unique<Context>();
    c->owner = &impl;
    c->origin = i;
    if (int rv = nng_ctx_open(&c->ctx, impl.socket); rv != 0)
      return Error{std::string("cannot open an NNG context: ") + nng_strerror(rv)};
    if (int rv = nng_aio_alloc(&c->aio, &Impl::on_aio, c.get()); rv != 0) {
      nng_ctx_close(c->ctx);
      return Error{std::string("cannot allocate an NNG aio: ") + nng_strerror(rv)};
    }
    impl.contexts.push_back(std::move(c));
  }
  for (auto& c : impl.contexts) nng_ctx_recv(c->ctx, c->aio);
  return server;
}

ClientServer::~ClientServer() = default;

void ClientServer::reply(std::uint64_t origin, const std::string& bytes) {
  if (origin >= impl_->contexts.size()) return;
  Context& c = *impl_->contexts[origin];
  nng_msg* msg = nullptr;
  if (nng_msg_alloc(&msg, 0) != 0 || nng_msg_append(msg, bytes.data(), bytes.size()) != 0) {
    if (msg != nullptr) nng_msg_free(msg);
    log_error("out of memory replying to a client");
    nng_ctx_recv(c.ctx, c.aio);
    return;
  }
  c.sending = true;
  nng_aio_set_msg(c.aio, msg);
  nng_ctx_send(c.ctx, c.aio);
}

}  // namespace dynamo::node
