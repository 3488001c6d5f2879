// http_api.h: the HTTP API of every node (issue 6 §3; documented in spec/README.md "HTTP API"), as
// pure functions: an HTTP request in, either a core ClientRequest to run or an immediate response;
// a core ClientReply in, the HTTP response out. The node's NNG HTTP server (impl/node/) only moves
// bytes; every rule about paths, headers, status codes and bodies is here, where tests and the
// fuzzer reach it without sockets.
//
//   GET    /kv/<key>                  the "default" store
//   GET    /stores/<store>/kv/<key>   a named store; <key> is one percent-decoded path segment
//   PUT    (same paths)               body = value; optional X-Dynamo-Context; answers 204
//   DELETE (same paths)               a tombstone; optional X-Dynamo-Context; answers 204
//   ?r=N / ?w=N                       per-request quorum overrides (1..16)
//   GET    /metrics                   Prometheus text (rendered by the node, not here)
// Statuses: 200 one live version; 300 multipart/mixed siblings; 404 nothing live or unknown store;
// 204 a put/delete; 400 bad request; 405 bad method; 413 key or value too large; 503 quorum not met
// in time (the body says whether the write may have happened).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "impl/core/messages.h"

namespace dynamo::net {

struct HttpRequest {
  std::string method;  // "GET", "PUT", ...
  std::string uri;     // as received: path and optional query, still percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;  // names in any case
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// What the API knows of the node: its stores and their value limits.
struct HttpApiConfig {
  std::map<std::string, std::size_t, std::less<>> stores;  // store name -> max value bytes
};

struct KvCall {
  ClientRequest request;  // op, store, key, value, context, r, w filled; request_id left 0
};
struct MetricsCall {};
// An immediate answer (an error, mostly) is an HttpResponse.
using HttpCall = std::variant<KvCall, MetricsCall, HttpResponse>;

HttpCall parse_http_request(const HttpRequest& request, const HttpApiConfig& config);
// The response to a KvCall of kind `op` that the core answered with `reply`.
HttpResponse http_response_for(OpKind op, const ClientReply& reply);

// RFC 4648 standard base64 (with padding); decode rejects anything else.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
// Percent-decoding of one path segment; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view segment);

}  // namespace dynamo::net
