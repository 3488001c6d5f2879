// http_api.cc: the HTTP API rules (http_api.h). Paths, queries and headers in; a core request or an
// immediate answer out; a core reply in, the HTTP response out.
#include "impl/net/http_api.h"

#include <algorithm>
#include <string>

#include "impl/core/limits.h"
#include "impl/net/multipart.h"
#include "impl/net/wire.h"

namespace dynamo::net {
namespace {

constexpr std::string_view kDefaultStore = "default";
constexpr std::string_view kContextHeader = "X-Dynamo-Context";
constexpr std::string_view kDotHeader = "X-Dynamo-Dot";
constexpr std::string_view kDeletedHeader = "X-Dynamo-Deleted";
constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
constexpr std::string_view kOctetStream = "application/octet-stream";
constexpr std::string_view kKvMethods = "GET, PUT, DELETE";
constexpr std::string_view kPaths = "/kv/<key>, /stores/<store>/kv/<key> or /metrics";

HttpResponse text_response(int status, std::string message) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", kTextPlain);
  response.body = std::move(message);
  response.body += '\n';
  return response;
}

HttpResponse bad_request(std::string message) { return text_response(400, std::move(message)); }

std::string shown(std::string_view text);

HttpResponse bad_method(std::string_view method, std::string_view allow) {
  HttpResponse response =
      text_response(405, "method " + shown(method) + " is not allowed here: use " + std::string(allow));
  response.headers.emplace_back("Allow", allow);
  return response;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x) == (y >= 'A' && y <= 'Z' ? y - 'A' + 'a' : y);
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  while (true) {
    const auto at = text.find(separator);
    pieces.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return pieces;
    text.remove_prefix(at + 1);
  }
}

// A header value safe to write on one line: bytes outside visible ASCII, and '%', percent-escaped.
std::string header_safe(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte > 0x7e || c == '%') {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

// Outside text quoted in an error answer: header-safe, and at most 64 bytes of it.
std::string shown(std::string_view text) {
  constexpr std::size_t kShown = 64;
  return header_safe(text.substr(0, kShown)) + (text.size() > kShown ? "..." : "");
}

std::string dot_text(const Dot& dot) { return header_safe(dot.actor) + ":" + std::to_string(dot.counter); }

std::string context_text(const CausalContext& context) { return base64_encode(encode_context(context)); }

// The query: name=value pairs joined by '&' (empty pieces ignored). Only r (GET) and w (PUT, DELETE).
std::optional<HttpResponse> apply_query(std::string_view query, ClientRequest& request) {
  for (const std::string_view piece : split(query, '&')) {
    if (piece.empty()) continue;
    const auto eq = piece.find('=');
    const std::string_view name = piece.substr(0, eq);
    if (name != "r" && name != "w")
      return bad_request("unknown query parameter \"" + shown(name) + "\": only r (GET) and w (PUT, DELETE)");
    const bool is_r = name == "r";
    if (is_r && request.op != OpKind::kGet)
      return bad_request("r applies to GET only: a write takes w");
    if (!is_r && request.op == OpKind::kGet)
      return bad_request("w applies to PUT and DELETE only: a read takes r");
    std::optional<int>& slot = is_r ? request.r : request.w;
    if (slot) return bad_request("query parameter " + std::string(name) + " given twice");
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);
    int number = 0;
    bool digits = !value.empty();
    for (const char c : value) {
      if (c < '0' || c > '9') { digits = false; break; }
      number = std::min(number * 10 + (c - '0'), 1000);  // saturates: anything that large is refused
    }
    if (!digits || number < 1 || number > limits::kMaxReplicas)
      return bad_request(std::string(name) + " must be an integer from 1 to " + std::to_string(limits::kMaxReplicas));
    slot = number;
  }
  return std::nullopt;
}

// The client's context: absent (or empty) is a blind write; otherwise base64 of the wire encoding.
std::optional<HttpResponse> apply_context(const HttpRequest& http, ClientRequest& request) {
  const std::string_view* found = nullptr;
  std::string_view value;
  for (const auto& [name, header_value] : http.headers) {
    if (!iequals(name, kContextHeader)) continue;
    if (found) return bad_request("X-Dynamo-Context given twice: send the context of your last GET once");
    value = trim(header_value);
    found = &value;
  }
  if (!found || value.empty()) return std::nullopt;
  // NNG joins a repeated header's values with ", " (RFC 9110 5.3); base64 has no comma.
  if (value.find(',') != std::string_view::npos)
    return bad_request("X-Dynamo-Context given twice: send the context of your last GET once");
  const std::optional<std::string> bytes = base64_decode(value);
  if (!bytes)
    return bad_request("X-Dynamo-Context is not standard base64: send it exactly as a GET answered it");
  Result<CausalContext> context = decode_context(*bytes);
  if (!context.ok())
    return bad_request("X-Dynamo-Context does not decode (" + context.error().message +
                       "): send it exactly as a GET answered it, or none for a blind write");
  request.context = std::move(context).value();
  return std::nullopt;
}

HttpCall parse_kv(const HttpRequest& http, std::string_view store_segment, std::string_view key_segment,
                  std::string_view query, const HttpApiConfig& config) {
  ClientRequest request;
  if (http.method == "GET") {
    request.op = OpKind::kGet;
  } else if (http.method == "PUT") {
    request.op = OpKind::kPut;
  } else if (http.method == "DELETE") {
    request.op = OpKind::kDelete;
  } else {
    return bad_method(http.method, kKvMethods);
  }

  std::optional<std::string> store = percent_decode(store_segment);
  if (!store) return bad_request("malformed percent-escape in the store name: write % as %25");
  const auto limit = config.stores.find(*store);
  if (limit == config.stores.end())
    return text_response(404, "no store \"" + shown(*store) + "\" on this node: check the store name");
  std::optional<std::string> key = percent_decode(key_segment);
  if (!key) return bad_request("malformed percent-escape in the key: write % as %25 and / as %2F");
  if (key->empty()) return bad_request("empty key: a key is 1 to " + std::to_string(limits::kMaxKeyBytes) + " bytes");
  if (key->size() > limits::kMaxKeyBytes)
    return text_response(413, "key of " + std::to_string(key->size()) + " bytes: a key is at most " +
                                   std::to_string(limits::kMaxKeyBytes) + " bytes (after percent-decoding)");

  if (auto refused = apply_query(query, request)) return std::move(*refused);
  // A quorum above N can never be met: a bad request, not a quorum that failed in time (503).
  if (const auto n = config.replicas.find(*store); n != config.replicas.end()) {
    const std::optional<int>& quorum = request.op == OpKind::kGet ? request.r : request.w;
    if (quorum && *quorum > n->second)
      return bad_request(std::string(request.op == OpKind::kGet ? "r" : "w") + "=" + std::to_string(*quorum) +
                         " is more than store \"" + shown(*store) + "\"'s N=" + std::to_string(n->second) +
                         ": a quorum is 1 to N");
  }
  if (request.op != OpKind::kPut && !http.body.empty())
    return bad_request(std::string(request.op == OpKind::kGet ? "GET" : "DELETE") +
                       " takes no body: PUT stores a value, DELETE writes a tombstone");
  if (request.op == OpKind::kPut && http.body.size() > limit->second)
    return text_response(413, "value of " + std::to_string(http.body.size()) + " bytes: store \"" +
                                  shown(*store) + "\" takes values up to " +
                                  std::to_string(limit->second) + " bytes");
  if (request.op != OpKind::kGet) {
    if (auto refused = apply_context(http, request)) return std::move(*refused);
  }

  request.store = std::move(*store);
  request.key = std::move(*key);
  if (request.op == OpKind::kPut) request.value = http.body;
  return KvCall{std::move(request)};
}

HttpResponse get_response(const ClientReply& reply) {
  const auto live = std::count_if(reply.siblings.begin(), reply.siblings.end(),
                                  [](const Version& v) { return !v.is_tombstone(); });
  HttpResponse response;
  if (live == 0) {
    response = text_response(404, reply.siblings.empty()
                                      ? "not found: the key has no version"
                                      : "not found: the key is deleted (write with this context to supersede the delete)");
    if (!reply.siblings.empty()) response.headers.emplace_back(kDeletedHeader, "true");
  } else if (reply.siblings.size() == 1) {
    const Version& version = reply.siblings.front();
    response.status = 200;
    response.headers.emplace_back("Content-Type", kOctetStream);
    response.headers.emplace_back(kDotHeader, dot_text(version.dot));
    response.body = *version.value;
  } else {
    std::vector<MultipartPart> parts;
    parts.reserve(reply.siblings.size());
    for (const Version& version : reply.siblings) {
      MultipartPart part;
      if (version.is_tombstone()) {
        part.headers.emplace_back(kDeletedHeader, "true");
      } else {
        part.headers.emplace_back("Content-Type", kOctetStream);
        part.body = *version.value;
      }
      part.headers.emplace_back(kDotHeader, dot_text(version.dot));
      parts.push_back(std::move(part));
    }
    const std::string boundary = multipart_boundary(parts);
    response.status = 300;
    response.headers.emplace_back("Content-Type", "multipart/mixed; boundary=" + boundary);
    response.body = render_multipart(parts, boundary);
  }
  response.headers.emplace_back(kContextHeader, context_text(reply.context));
  return response;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out += segment[i];
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;  // '%' needs two hex digits after it
    const int high = hex_value(segment[i + 1]);
    const int low = hex_value(segment[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

HttpCall parse_http_request(const HttpRequest& request, const HttpApiConfig& config) {
  // NNG 1.5.2's server reads a request body by Content-Length only: a chunked body would be taken
  // as empty and its bytes as the next request. So a transfer coding is refused (RFC 9112 6.1: a
  // server that cannot handle it answers 4xx or 501, and must close the connection after a request
  // whose body it did not read).
  for (const auto& [name, value] : request.headers)
    if (iequals(name, "Transfer-Encoding")) {
      HttpResponse refused = text_response(
          411, "Transfer-Encoding (" + shown(value) + ") is not supported: send the body with a Content-Length");
      refused.headers.emplace_back("Connection", "close");
      return refused;
    }
  const std::string_view uri = request.uri;
  const auto question = uri.find('?');
  const std::string_view path = uri.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? std::string_view{} : uri.substr(question + 1);
  if (path.empty() || path.front() != '/')
    return bad_request("the request target must be a path: " + std::string(kPaths));
  const std::vector<std::string_view> segments = split(path.substr(1), '/');

  if (segments.size() == 1 && segments[0] == "metrics") {
    if (request.method != "GET") return bad_method(request.method, "GET");
    if (!query.empty()) return bad_request("/metrics takes no query parameters");
    if (!request.body.empty()) return bad_request("GET takes no body");
    return MetricsCall{};
  }
  if (segments[0] == "kv") {
    if (segments.size() == 1) return bad_request("no key: use /kv/<key>");
    if (segments.size() > 2) return bad_request("a key is one path segment: write / in a key as %2F");
    return parse_kv(request, kDefaultStore, segments[1], query, config);
  }
  if (segments[0] == "stores" && segments.size() >= 3 && segments[2] == "kv") {
    if (segments.size() == 3) return bad_request("no key: use /stores/<store>/kv/<key>");
    if (segments.size() > 4) return bad_request("a key is one path segment: write / in a key as %2F");
    return parse_kv(request, segments[1], segments[3], query, config);
  }
  return text_response(404, "no such resource: use " + std::string(kPaths));
}

HttpResponse http_response_for(OpKind op, const ClientReply& reply) {
  const bool write = op != OpKind::kGet;
  switch (reply.status) {
    case ReplyStatus::kOk: {
      if (!write) return get_response(reply);
      HttpResponse response;
      response.status = 204;
      response.headers.emplace_back(kContextHeader, context_text(reply.context));
      if (reply.dot) response.headers.emplace_back(kDotHeader, dot_text(*reply.dot));
      return response;
    }
    case ReplyStatus::kUnknown:
      if (write) {
        HttpResponse response = text_response(
            503, "the write may or may not have happened (" + reply.message +
                     "): GET the key, then repeat the write with the context it answers");
        if (reply.dot) response.headers.emplace_back(kDotHeader, dot_text(*reply.dot));
        return response;
      }
      return text_response(503, "the read failed (" + reply.message + "): retry later");
    case ReplyStatus::kFailed:
      return text_response(503, std::string(write ? "nothing was stored" : "the read failed") + " (" +
                                    reply.message + "): retry later");
    case ReplyStatus::kRedirect: {
      std::string coordinators;
      for (const auto& c : reply.coordinators) coordinators += (coordinators.empty() ? "" : ", ") + header_safe(c);
      return text_response(503, "this node does not coordinate the key and could not forward the request" +
                                    (coordinators.empty() ? std::string() : " (coordinators: " + coordinators + ")") +
                                    ": retry, or ask a coordinator" + (write ? "; nothing was stored" : ""));
    }
  }
  return text_response(503, "unknown reply status: retry later");
}

HttpResponse http_stopping_response() {
  return text_response(503, "this node is stopping: a put or delete already under way may or may not have happened; "
                            "retry against another node (GET the key first to learn its context)");
}

}  // namespace dynamo::net
