// Fuzzes the HTTP API rules (impl/net/http_api.h): requests come from anyone who can reach the port,
// so any method, URI, headers and body must give either a well-formed call for the core or a short
// error answer, never a crash, and every reply the core could give must become a well-formed response.
//
// Input, as text (fuzz/corpus/fuzz_http/): a first line "METHOD URI", header lines "Name: value", a
// blank line, then the body (the rest). For a KvCall, a reply is fabricated from the parsed key: its
// first byte picks the status, and for a get its comma-separated pieces become siblings (a piece
// starting with '~' a tombstone) with the piece as the dot's actor; the response is then checked,
// multipart bodies parsed back and contexts decoded back.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "impl/core/limits.h"
#include "impl/net/http_api.h"
#include "impl/net/multipart.h"
#include "impl/net/wire.h"

namespace {

using namespace dynamo;
using namespace dynamo::net;

#define REQUIRE(condition) \
  do {                     \
    if (!(condition)) __builtin_trap(); \
  } while (false)

const HttpApiConfig& config() {
  static const HttpApiConfig c = [] {
    HttpApiConfig config;
    config.stores["default"] = 64;
    config.stores["carts"] = 8;
    config.stores["big"] = 4096;
    return config;
  }();
  return c;
}

std::string_view next_line(std::string_view& text) {
  const auto end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

HttpRequest parse_input(std::string_view text) {
  HttpRequest request;
  const std::string_view first = next_line(text);
  const auto space = first.find(' ');
  request.method = std::string(first.substr(0, space));
  if (space != std::string_view::npos) request.uri = std::string(first.substr(space + 1));
  while (!text.empty()) {
    const std::string_view line = next_line(text);
    if (line.empty()) break;
    const auto colon = line.find(':');
    request.headers.emplace_back(std::string(line.substr(0, colon)),
                                 colon == std::string_view::npos ? std::string() : std::string(line.substr(colon + 1)));
  }
  request.body = std::string(text);
  return request;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

const std::string* find_header(const HttpResponse& response, std::string_view name) {
  const std::string* found = nullptr;
  for (const auto& [n, v] : response.headers) {
    if (!iequals(n, name)) continue;
    REQUIRE(found == nullptr);  // no header twice
    found = &v;
  }
  return found;
}

void check_headers(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    REQUIRE(!name.empty());
    REQUIRE(name.find_first_of("\r\n:") == std::string::npos);
    REQUIRE(value.find_first_of("\r\n") == std::string::npos);
  }
  if (!response.body.empty()) REQUIRE(find_header(response, "Content-Type") != nullptr);
}

void check_error(const HttpResponse& response) {
  check_headers(response);
  const std::string* type = find_header(response, "Content-Type");
  REQUIRE(type != nullptr && type->rfind("text/plain", 0) == 0);
  REQUIRE(!response.body.empty());
}

CausalContext context_header(const HttpResponse& response) {
  const std::string* text = find_header(response, "X-Dynamo-Context");
  REQUIRE(text != nullptr);
  const auto bytes = base64_decode(*text);
  REQUIRE(bytes.has_value());
  auto context = decode_context(*bytes);
  REQUIRE(context.ok());
  return std::move(context).value();
}

// An actor the context codec accepts (1 to kMaxActorBytes bytes), but otherwise any bytes: the
// X-Dynamo-Dot header must stay one line whatever a peer named itself.
std::string actor_of(std::string_view text) {
  if (text.empty()) return "n";
  return std::string(text.substr(0, limits::kMaxActorBytes));
}

ClientReply fabricate(const ClientRequest& request) {
  ClientReply reply;
  const auto pick = static_cast<unsigned char>(request.key.front()) % 8;
  reply.status = pick < 5 ? ReplyStatus::kOk
                          : pick == 5 ? ReplyStatus::kFailed : pick == 6 ? ReplyStatus::kUnknown : ReplyStatus::kRedirect;
  if (reply.status != ReplyStatus::kOk) {
    reply.message = request.key;
    if (reply.status == ReplyStatus::kRedirect) reply.coordinators = {request.key, "node-2"};
    return reply;
  }
  if (request.op != OpKind::kGet) {
    reply.dot = Dot{actor_of(request.key), request.key.size(), 0};
    reply.context = request.context;
    if (reply.context.actors().size() < limits::kMaxClockEntries && reply.context.cloud().size() < limits::kMaxContextDots)
      reply.context.add(*reply.dot);
    return reply;
  }
  std::string_view pieces = request.key;
  std::uint64_t counter = 0;
  while (!pieces.empty() && reply.siblings.size() < limits::kMaxSiblings) {
    const auto comma = pieces.find(',');
    std::string_view piece = pieces.substr(0, comma);
    pieces = comma == std::string_view::npos ? std::string_view{} : pieces.substr(comma + 1);
    Version version;
    version.dot = Dot{actor_of(piece), ++counter, 0};
    if (piece.empty() || piece.front() != '~') version.value = std::string(piece);
    reply.siblings.push_back(std::move(version));
  }
  if (request.key.back() == ',') reply.siblings.clear();  // nothing stored
  reply.context = read_context(reply.siblings);
  return reply;
}

void check_response(const ClientRequest& request, const ClientReply& reply) {
  const HttpResponse response = http_response_for(request.op, reply);
  check_headers(response);
  if (reply.status != ReplyStatus::kOk) {
    REQUIRE(response.status == 503);
    check_error(response);
    return;
  }
  if (request.op != OpKind::kGet) {
    REQUIRE(response.status == 204);
    REQUIRE(response.body.empty());
    REQUIRE(context_header(response) == reply.context);
    return;
  }
  REQUIRE(context_header(response) == reply.context);
  const auto live = std::count_if(reply.siblings.begin(), reply.siblings.end(), [](const Version& v) { return v.value; });
  if (live == 0) {
    REQUIRE(response.status == 404);
    check_error(response);
  } else if (reply.siblings.size() == 1) {
    REQUIRE(response.status == 200);
    REQUIRE(response.body == *reply.siblings.front().value);
  } else {
    REQUIRE(response.status == 300);
    const std::string* type = find_header(response, "Content-Type");
    REQUIRE(type != nullptr);
    const auto boundary = multipart_boundary_of(*type);
    REQUIRE(boundary.has_value());
    const auto parts = parse_multipart(response.body, *boundary);
    REQUIRE(parts.has_value());
    REQUIRE(parts->size() == reply.siblings.size());
    for (std::size_t i = 0; i < parts->size(); ++i) {
      const Version& version = reply.siblings[i];
      REQUIRE((*parts)[i].body == version.value.value_or(""));
      const bool deleted = std::any_of((*parts)[i].headers.begin(), (*parts)[i].headers.end(), [](const auto& h) {
        return h.first == "X-Dynamo-Deleted" && h.second == "true";
      });
      REQUIRE(deleted == version.is_tombstone());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const HttpRequest request = parse_input(text);
  const HttpCall call = parse_http_request(request, config());

  if (const auto* response = std::get_if<HttpResponse>(&call)) {
    const int s = response->status;
    REQUIRE(s == 400 || s == 404 || s == 405 || s == 413);
    check_error(*response);
    REQUIRE(response->body.size() <= 1024);  // short, whatever the request quoted
    if (s == 405) REQUIRE(find_header(*response, "Allow") != nullptr);
  } else if (std::holds_alternative<MetricsCall>(call)) {
    REQUIRE(request.method == "GET");
    REQUIRE(request.uri == "/metrics" || request.uri == "/metrics?");
    REQUIRE(request.body.empty());
  } else {
    const ClientRequest& kv = std::get<KvCall>(call).request;
    REQUIRE(kv.request_id == 0);
    REQUIRE(!kv.key.empty() && kv.key.size() <= limits::kMaxKeyBytes);
    const auto store = config().stores.find(kv.store);
    REQUIRE(store != config().stores.end());
    REQUIRE(kv.value.size() <= store->second);
    REQUIRE(request.uri.rfind("/kv/", 0) == 0 || request.uri.rfind("/stores/", 0) == 0);
    switch (kv.op) {
      case OpKind::kGet:
        REQUIRE(request.method == "GET");
        REQUIRE(kv.value.empty() && kv.context.empty() && !kv.w && request.body.empty());
        break;
      case OpKind::kPut:
        REQUIRE(request.method == "PUT");
        REQUIRE(kv.value == request.body && !kv.r);
        break;
      case OpKind::kDelete:
        REQUIRE(request.method == "DELETE");
        REQUIRE(kv.value.empty() && !kv.r && request.body.empty());
        break;
    }
    if (kv.r) REQUIRE(*kv.r >= 1 && *kv.r <= 16);
    if (kv.w) REQUIRE(*kv.w >= 1 && *kv.w <= 16);
    check_response(kv, fabricate(kv));
  }

  // The codecs on the raw bytes: base64 round-trips, and decoding never accepts a second spelling.
  REQUIRE(base64_decode(base64_encode(request.body)) == request.body);
  if (const auto decoded = base64_decode(request.body)) REQUIRE(base64_encode(*decoded) == request.body);
  if (const auto decoded = percent_decode(request.body)) REQUIRE(decoded->size() <= request.body.size());
  return 0;
}
