// http_server.h: the node's HTTP API endpoint (NNG's HTTP server). It only moves bytes: each request
// becomes an HttpIn event (method, URI, the headers the API reads, body); the event loop answers
// through complete(origin, response). The rules are impl/net/http_api.h's.
//
// Bodies are collected by NNG up to `max_body_bytes` (above it NNG itself answers 400); the node
// sets it above every store's value limit so that an oversized value gets the API's 413.
//
// Destroying the server answers every request still waiting for the loop, and any that arrives
// meanwhile, with net::http_stopping_response() (503): NNG's stop waits for them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "impl/core/result.h"
#include "impl/net/http_api.h"
#include "impl/node/inbox.h"

namespace dynamo::node {

class HttpServer {
 public:
  // `address` is host:port.
  static Result<std::unique_ptr<HttpServer>> start(const std::string& address, std::size_t max_body_bytes,
                                                   Inbox& inbox);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void complete(std::uint64_t origin, const net::HttpResponse& response);

  struct Impl;

 private:
  HttpServer() = default;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynamo::node
