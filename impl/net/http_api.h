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
//
// The details, where the rules above leave a choice:
//   * Keys and store names are percent-decoded (%XX, either case; '+' stays '+'); the key is 1 to
//     limits::kMaxKeyBytes bytes after decoding (0: 400, more: 413). A second '/' after the key
//     ("/kv/a/b", "/kv/a/") is 400 (write it as %2F); any other path is 404; a target that does not
//     start with '/' is 400. Checks run in order: path, method (405, with Allow), store (404), key,
//     query, body, context; the first failure answers.
//   * Query: only r (GET) and w (PUT, DELETE), each an integer 1..16 in decimal digits (leading
//     zeros allowed), at most once; the other one, any other parameter or value is 400 (never
//     silently ignored). Empty pieces ("?", "&&") are ignored. /metrics takes no query parameter.
//   * A body on GET or DELETE is 400. A PUT's body of up to the store's limit is the value (0 bytes
//     is a value, not a delete); one byte more is 413.
//   * X-Dynamo-Context (name in any case, value trimmed): absent or empty is a blind write; twice,
//     not canonical standard base64, or not decoding (decode_context) is 400. GET ignores it.
//   * GET answers (200, 300, 404 of a successful read) carry X-Dynamo-Context, the base64 of
//     encode_context(reply.context) (404 too: writing with it supersedes the tombstones); 200 and each
//     300 part carry X-Dynamo-Dot "actor:counter" (actor bytes outside visible ASCII, and '%',
//     percent-escaped); a 404 of tombstones only has X-Dynamo-Deleted: true. A 300 part is
//     Content-Type application/octet-stream + the value, or X-Dynamo-Deleted: true + an empty body
//     for a tombstone, in the reply's sibling order (multipart.h has the boundary rule and a reader).
//   * 204 carries the new version's context (and X-Dynamo-Dot when reply.dot is set); a 503 for a
//     kUnknown put keeps X-Dynamo-Dot when set. 503 answers carry no context. kRedirect (the node
//     should have forwarded) is 503 naming the coordinators.
//   * Errors are text/plain; charset=utf-8: a short text ending in '\n' that says what to do (with
//     reply.message for a 503); values are application/octet-stream.
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
#include "impl/net/base64.h"

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
  std::map<std::string, int, std::less<>> replicas;        // store name -> N: ?r= and ?w= above it are 400
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

// The answer to a request the node can no longer run or finish because it is stopping: 503. A put or
// delete that was already under way may or may not have happened, so the body says so.
HttpResponse http_stopping_response();

// base64_encode / base64_decode (RFC 4648 standard base64, with padding; decode rejects anything
// else) are declared in base64.h, included above.
// Percent-decoding of one path segment; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view segment);

}  // namespace dynamo::net
