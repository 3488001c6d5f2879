#include "impl/node/http_server.h"

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include <mutex>
#include <unordered_map>
#include <vector>

#include "impl/node/log.h"

namespace dynamo::node {
namespace {

// The request headers the API reads (NNG's request object looks headers up by name only).
constexpr const char* kHeaders[] = {"X-Dynamo-Context", "Content-Type", "Transfer-Encoding"};

}  // namespace

struct HttpServer::Impl {
  Inbox* inbox = nullptr;
  nng_http_server* server = nullptr;
  nng_http_handler* handler = nullptr;
  std::mutex mutex;
  std::uint64_t next_origin = 1;
  std::unordered_map<std::uint64_t, nng_aio*> waiting;  // origin -> the handler's aio
  bool stopping = false;  // set by the destructor: from then on a request is answered at once

  // NNG's stop waits until every handler's aio has finished, and the event loop that would finish the
  // waiting ones has already stopped. So the stop answers them first, or it never returns (a node
  // stopped while an HTTP request was in flight hung here).
  ~Impl() {
    if (server == nullptr) return;
    std::vector<nng_aio*> unanswered;
    {
      std::lock_guard lock(mutex);
      stopping = true;
      for (const auto& [origin, aio] : waiting) unanswered.push_back(aio);
      waiting.clear();
    }
    const net::HttpResponse response = net::http_stopping_response();
    for (nng_aio* aio : unanswered) finish(aio, response);
    nng_http_server_stop(server);
    nng_http_server_release(server);
  }

  static void finish(nng_aio* aio, const net::HttpResponse& response) {
    nng_http_res* res = nullptr;
    if (nng_http_res_alloc(&res) != 0) {
      nng_aio_finish(aio, NNG_ENOMEM);
      return;
    }
    nng_http_res_set_status(res, static_cast<std::uint16_t>(response.status));
    for (const auto& [name, value] : response.headers) nng_http_res_set_header(res, name.c_str(), value.c_str());
    if (!response.body.empty()) {
      nng_http_res_copy_data(res, response.body.data(), response.body.size());
    } else if (response.status >= 200 && response.status != 204 && response.status != 304) {
      // NNG sets Content-Length only with a body; without it a keep-alive client waits for a body
      // that never comes (an empty value's 200). 204 and 304 carry none by definition.
      nng_http_res_set_header(res, "Content-Length", "0");
    }
    nng_aio_set_output(aio, 0, res);
    nng_aio_finish(aio, 0);
  }

  static void on_request(nng_aio* aio) {
    auto* req = static_cast<nng_http_req*>(nng_aio_get_input(aio, 0));
    auto* handler = static_cast<nng_http_handler*>(nng_aio_get_input(aio, 1));
    auto* impl = static_cast<Impl*>(nng_http_handler_get_data(handler));
    net::HttpRequest request;
    request.method = nng_http_req_get_method(req);
    request.uri = nng_http_req_get_uri(req);
    for (const char* name : kHeaders)
      if (const char* value = nng_http_req_get_header(req, name)) request.headers.emplace_back(name, value);
    void* body = nullptr;
    std::size_t size = 0;
    nng_http_req_get_data(req, &body, &size);
    if (body != nullptr) request.body.assign(static_cast<const char*>(body), size);
    std::uint64_t origin = 0;
    {
      std::lock_guard lock(impl->mutex);
      if (!impl->stopping) {
        origin = impl->next_origin++;
        impl->waiting[origin] = aio;
      }
    }
    if (origin == 0) return finish(aio, net::http_stopping_response());
    impl->inbox->post(HttpIn{origin, std::move(request)});
  }
};

Result<std::unique_ptr<HttpServer>> HttpServer::start(const std::string& address, std::size_t max_body_bytes,
                                                     Inbox& inbox) {
  std::unique_ptr<HttpServer> http(new HttpServer());
  http->impl_ = std::make_unique<Impl>();
  Impl& impl = *http->impl_;
  impl.inbox = &inbox;
  const std::string url_text = "http://" + address;
  nng_url* url = nullptr;
  if (int rv = nng_url_parse(&url, url_text.c_str()); rv != 0)
    return Error{"bad HTTP address " + address + ": " + nng_strerror(rv) + " (expected HOST:PORT)"};
  const int held = nng_http_server_hold(&impl.server, url);
  nng_url_free(url);
  if (held != 0) return Error{"cannot serve HTTP on " + address + ": " + nng_strerror(held)};
  if (int rv = nng_http_handler_alloc(&impl.handler, "/", &Impl::on_request); rv != 0)
    return Error{std::string("cannot allocate the HTTP handler: ") + nng_strerror(rv)};
  nng_http_handler_set_method(impl.handler, nullptr);  // every method: the API answers 405 itself
  nng_http_handler_set_tree(impl.handler);
  nng_http_handler_collect_body(impl.handler, true, max_body_bytes);
  nng_http_handler_set_data(impl.handler, &impl, nullptr);
  if (int rv = nng_http_server_add_handler(impl.server, impl.handler); rv != 0) {
    nng_http_handler_free(impl.handler);
    return Error{std::string("cannot add the HTTP handler: ") + nng_strerror(rv)};
  }
  if (int rv = nng_http_server_start(impl.server); rv != 0)
    return Error{"cannot serve HTTP on " + address + ": " + nng_strerror(rv) +
                 (rv == NNG_EADDRINUSE ? " (another process holds the port: is a node already running?)" : "")};
  return http;
}

HttpServer::~HttpServer() = default;

void HttpServer::complete(std::uint64_t origin, const net::HttpResponse& response) {
  nng_aio* aio = nullptr;
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->waiting.find(origin);
    if (it == impl_->waiting.end()) return;
    aio = it->second;
    impl_->waiting.erase(it);
  }
  Impl::finish(aio, response);
}

}  // namespace dynamo::node
