#include "impl/node/peer_transport.h"

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>

#include "impl/net/peer_auth.h"
#include "impl/node/log.h"

namespace dynamo::node {

struct PeerTransport::Impl {
  PeerTransport* owner = nullptr;
  Inbox* inbox = nullptr;
  nng_socket pull = NNG_SOCKET_INITIALIZER;
  nng_aio* recv_aio = nullptr;
  std::map<std::string, nng_socket> push;
  std::map<std::string, std::string> addresses;  // id -> the address its PUSH socket dials

  Status dial(const std::string& id, const std::string& address) {
    if (auto it = push.find(id); it != push.end()) {
      if (addresses[id] == address) return {};
      nng_close(it->second);
      push.erase(it);
    }
    nng_socket socket = NNG_SOCKET_INITIALIZER;
    if (int rv = nng_push0_open(&socket); rv != 0)
      return Error{std::string("cannot open a PUSH socket: ") + nng_strerror(rv)};
    nng_socket_set_int(socket, NNG_OPT_SENDBUF, 1024);
    nng_socket_set_ms(socket, NNG_OPT_RECONNMINT, 20);
    nng_socket_set_ms(socket, NNG_OPT_RECONNMAXT, 500);
    if (int rv = nng_dial(socket, address.c_str(), nullptr, NNG_FLAG_NONBLOCK); rv != 0) {
      nng_close(socket);
      return Error{"cannot dial peer " + id + " at " + address + ": " + nng_strerror(rv)};
    }
    push[id] = socket;
    addresses[id] = address;
    return {};
  }

  ~Impl() {
    if (recv_aio != nullptr) {
      nng_aio_stop(recv_aio);
      nng_aio_free(recv_aio);
    }
    nng_close(pull);
    for (auto& [id, socket] : push) nng_close(socket);
  }

  static void on_recv(void* arg) {
    auto* impl = static_cast<Impl*>(arg);
    const int rv = nng_aio_result(impl->recv_aio);
    if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) return;
    if (rv == 0) {
      nng_msg* msg = nng_aio_get_msg(impl->recv_aio);
      impl->owner->received_.fetch_add(1);
      impl->inbox->post(PeerBytes{std::string(static_cast<const char*>(nng_msg_body(msg)), nng_msg_len(msg))});
      nng_msg_free(msg);
    }
    nng_recv_aio(impl->pull, impl->recv_aio);
  }
};

Result<std::unique_ptr<PeerTransport>> PeerTransport::start(const std::string& listen_address,
                                                           const std::map<std::string, std::string>& peers,
                                                           Inbox& inbox) {
  std::unique_ptr<PeerTransport> transport(new PeerTransport());
  transport->impl_ = std::make_unique<Impl>();
  Impl& impl = *transport->impl_;
  impl.owner = transport.get();
  impl.inbox = &inbox;
  if (int rv = nng_pull0_open(&impl.pull); rv != 0)
    return Error{std::string("cannot open the peer PULL socket: ") + nng_strerror(rv)};
  // A peer batch is bounded by the wire limits (plus a sealed envelope's header and MAC); NNG drops
  // the connection of a peer sending more.
  nng_socket_set_size(impl.pull, NNG_OPT_RECVMAXSZ, net::kReadLimits.max_message_bytes + net::kMaxSealOverhead);
  nng_socket_set_int(impl.pull, NNG_OPT_RECVBUF, 1024);
  if (int rv = nng_listen(impl.pull, listen_address.c_str(), nullptr, 0); rv != 0)
    return Error{"cannot listen for peers on " + listen_address + ": " + nng_strerror(rv) +
                 (rv == NNG_EADDRINUSE ? " (another process holds the port: is a node already running?)" : "")};
  if (int rv = nng_aio_alloc(&impl.recv_aio, &Impl::on_recv, &impl); rv != 0)
    return Error{std::string("cannot allocate an NNG aio: ") + nng_strerror(rv)};
  for (const auto& [id, address] : peers)
    if (Status s = impl.dial(id, address); !s.ok()) return s.error();
  nng_recv_aio(impl.pull, impl.recv_aio);
  return transport;
}

PeerTransport::~PeerTransport() = default;

Status PeerTransport::connect(const std::string& id, const std::string& address) { return impl_->dial(id, address); }

bool PeerTransport::send(const std::string& id, const std::string& bytes) {
  auto it = impl_->push.find(id);
  if (it == impl_->push.end()) {
    dropped_.fetch_add(1);
    return false;
  }
  nng_msg* msg = nullptr;
  if (nng_msg_alloc(&msg, 0) != 0 || nng_msg_append(msg, bytes.data(), bytes.size()) != 0) {
    if (msg != nullptr) nng_msg_free(msg);
    dropped_.fetch_add(1);
    return false;
  }
  if (nng_sendmsg(it->second, msg, NNG_FLAG_NONBLOCK) != 0) {
    nng_msg_free(msg);
    dropped_.fetch_add(1);
    return false;
  }
  sent_.fetch_add(1);
  return true;
}

}  // namespace dynamo::node
