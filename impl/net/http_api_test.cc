// Tests of the HTTP API rules (http_api.h), base64 (base64.h) and multipart bodies (multipart.h).
#include "impl/net/http_api.h"

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <string>
#include <vector>

#include "impl/core/limits.h"
#include "impl/net/multipart.h"
#include "impl/net/wire.h"

namespace dynamo::net {
namespace {

HttpApiConfig config() {
  HttpApiConfig c;
  c.stores["default"] = 100;
  c.stores["carts"] = 10;
  c.stores["a/b"] = 10;
  c.replicas["default"] = 3;
  return c;
}

HttpRequest req(std::string method, std::string uri, std::vector<std::pair<std::string, std::string>> headers = {},
                std::string body = "") {
  return HttpRequest{std::move(method), std::move(uri), std::move(headers), std::move(body)};
}

std::optional<std::string> header(const std::vector<std::pair<std::string, std::string>>& headers,
                                  std::string_view name) {
  std::optional<std::string> found;
  for (const auto& [n, v] : headers) {
    if (n.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < n.size(); ++i) same = same && std::tolower(static_cast<unsigned char>(n[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    if (!same) continue;
    EXPECT_FALSE(found) << "header " << name << " twice";
    found = v;
  }
  return found;
}
std::optional<std::string> header(const HttpResponse& r, std::string_view name) { return header(r.headers, name); }

ClientRequest kv(const HttpCall& call) {
  if (const auto* response = std::get_if<HttpResponse>(&call)) {
    ADD_FAILURE() << "expected a KvCall, got " << response->status << ": " << response->body;
    return {};
  }
  EXPECT_TRUE(std::holds_alternative<KvCall>(call));
  return std::holds_alternative<KvCall>(call) ? std::get<KvCall>(call).request : ClientRequest{};
}

// The immediate answer; checks what every error answer has.
HttpResponse refused(const HttpCall& call) {
  const auto* response = std::get_if<HttpResponse>(&call);
  if (!response) {
    ADD_FAILURE() << "expected an immediate response";
    return {};
  }
  EXPECT_EQ(header(*response, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_FALSE(response->body.empty());
  EXPECT_EQ(response->body.back(), '\n');
  return *response;
}

int status_of(const HttpRequest& request) {
  const HttpCall call = parse_http_request(request, config());
  if (std::holds_alternative<HttpResponse>(call)) return refused(call).status;
  return 0;  // reached the core (or /metrics)
}

CausalContext sample_context() {
  return CausalContext::from_parts(VectorClock::from_entries({{"n1#1", 3, 100}, {"n2#4", 1, 200}}),
                                   {Dot{"n3#2", 5, 300}});
}

std::string context_header(const CausalContext& c) { return base64_encode(encode_context(c)); }

Version live(std::string actor, std::uint64_t counter, std::string value) {
  return Version{Dot{std::move(actor), counter, 0}, CausalContext{}, std::move(value)};
}
Version tombstone(std::string actor, std::uint64_t counter) {
  return Version{Dot{std::move(actor), counter, 0}, CausalContext{}, std::nullopt};
}

ClientReply get_reply(std::vector<Version> siblings) {
  ClientReply reply;
  reply.status = ReplyStatus::kOk;
  reply.context = read_context(siblings);
  reply.siblings = std::move(siblings);
  return reply;
}

CausalContext context_of(const HttpResponse& response) {
  const auto text = header(response, "X-Dynamo-Context");
  EXPECT_TRUE(text.has_value()) << "no X-Dynamo-Context";
  if (!text) return {};
  const auto bytes = base64_decode(*text);
  EXPECT_TRUE(bytes.has_value()) << "X-Dynamo-Context not base64: " << *text;
  if (!bytes) return {};
  auto context = decode_context(*bytes);
  EXPECT_TRUE(context.ok());
  return context.ok() ? context.value() : CausalContext{};
}

std::vector<MultipartPart> parts_of(const HttpResponse& response) {
  const auto type = header(response, "Content-Type");
  EXPECT_TRUE(type.has_value());
  const auto boundary = multipart_boundary_of(type.value_or(""));
  EXPECT_TRUE(boundary.has_value()) << type.value_or("");
  if (!boundary) return {};
  const auto parts = parse_multipart(response.body, *boundary);
  EXPECT_TRUE(parts.has_value()) << response.body;
  return parts.value_or(std::vector<MultipartPart>{});
}

// --- base64 ---

TEST(Base64, Rfc4648Section10Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},        {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), std::optional<std::string>(plain)) << encoded;
  }
}

TEST(Base64, EveryByteAndLengthRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
  std::mt19937 random(7);
  for (std::size_t length = 0; length < 200; ++length) {
    std::string bytes(length, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    const std::string text = base64_encode(bytes);
    EXPECT_EQ(text.size() % 4, 0u);
    EXPECT_EQ(base64_decode(text), bytes);
  }
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");  // the standard alphabet, not the URL-safe one
}

TEST(Base64, RejectsEverythingButCanonicalStandardBase64) {
  for (const char* bad : {"Zg", "Zg=", "Zg===", "Z", "Zm9vY", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", " Zm9v", "-_8=",
                          "=Zg=", "Zg==Zg==", "====", "A===", "AB=C", "Zm9v====", "Zm9vYg=\x01", "Zm\x80v"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

// --- percent-decoding ---

TEST(PercentDecode, DecodesEscapesOfEitherCase) {
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("cart:42"), "cart:42");
  EXPECT_EQ(percent_decode("a%2Fb"), "a/b");
  EXPECT_EQ(percent_decode("a%2fb"), "a/b");
  EXPECT_EQ(percent_decode("%25"), "%");
  EXPECT_EQ(percent_decode("%2525"), "%25");  // decoded once only
  EXPECT_EQ(percent_decode("a+b"), "a+b");    // '+' is a plus in a path, not a space
  EXPECT_EQ(percent_decode("%20%e2%82%AC"), " \xe2\x82\xac");
  EXPECT_EQ(percent_decode("%00%FF"), std::string("\0\xff", 2));
}

TEST(PercentDecode, RejectsMalformedEscapes) {
  for (const char* bad : {"%", "%2", "a%", "ab%f", "%G0", "%0G", "%%", "%-1", "% 2", "%2 ", "%x41", "a%2Fb%"}) {
    EXPECT_FALSE(percent_decode(bad).has_value()) << bad;
  }
}

// --- requests ---

TEST(ParseRequest, GetOfTheDefaultStore) {
  const ClientRequest r = kv(parse_http_request(req("GET", "/kv/hello"), config()));
  EXPECT_EQ(r.op, OpKind::kGet);
  EXPECT_EQ(r.store, "default");
  EXPECT_EQ(r.key, "hello");
  EXPECT_EQ(r.value, "");
  EXPECT_TRUE(r.context.empty());
  EXPECT_FALSE(r.r.has_value());
  EXPECT_FALSE(r.w.has_value());
  EXPECT_EQ(r.request_id, 0u);
}

TEST(ParseRequest, NamedStoreAndPercentDecodedKey) {
  const ClientRequest r = kv(parse_http_request(req("GET", "/stores/carts/kv/user%2F42%20x"), config()));
  EXPECT_EQ(r.store, "carts");
  EXPECT_EQ(r.key, "user/42 x");
  // The store segment is percent-decoded too.
  EXPECT_EQ(kv(parse_http_request(req("GET", "/stores/a%2Fb/kv/k"), config())).store, "a/b");
  EXPECT_EQ(kv(parse_http_request(req("GET", "/stores/default/kv/k"), config())).store, "default");
}

TEST(ParseRequest, PutIsBlindWithoutContext) {
  const ClientRequest r = kv(parse_http_request(req("PUT", "/kv/k", {}, "value bytes"), config()));
  EXPECT_EQ(r.op, OpKind::kPut);
  EXPECT_EQ(r.value, "value bytes");
  EXPECT_TRUE(r.context.empty());
  // An empty header (after trimming) is no context either.
  EXPECT_TRUE(kv(parse_http_request(req("PUT", "/kv/k", {{"X-Dynamo-Context", "  "}}, "v"), config())).context.empty());
  // A zero-byte value is a value, not a delete.
  const ClientRequest empty = kv(parse_http_request(req("PUT", "/kv/k"), config()));
  EXPECT_EQ(empty.op, OpKind::kPut);
  EXPECT_EQ(empty.value, "");
}

TEST(ParseRequest, PutAndDeleteCarryTheContext) {
  const CausalContext context = sample_context();
  for (const char* name : {"X-Dynamo-Context", "x-dynamo-context", "X-DYNAMO-CONTEXT"}) {
    const ClientRequest put =
        kv(parse_http_request(req("PUT", "/kv/k", {{"Accept", "*/*"}, {name, " " + context_header(context) + "\t"}}, "v"),
                              config()));
    EXPECT_EQ(put.context, context);
    const ClientRequest del = kv(parse_http_request(req("DELETE", "/kv/k", {{name, context_header(context)}}), config()));
    EXPECT_EQ(del.op, OpKind::kDelete);
    EXPECT_EQ(del.value, "");
    EXPECT_EQ(del.context, context);
  }
}

TEST(ParseRequest, BadContextIs400) {
  EXPECT_EQ(status_of(req("PUT", "/kv/k", {{"X-Dynamo-Context", "not base64!"}}, "v")), 400);
  EXPECT_EQ(status_of(req("PUT", "/kv/k", {{"X-Dynamo-Context", "Zg"}}, "v")), 400);          // unpadded
  EXPECT_EQ(status_of(req("PUT", "/kv/k", {{"X-Dynamo-Context", "-_8="}}, "v")), 400);        // URL-safe alphabet
  EXPECT_EQ(status_of(req("DELETE", "/kv/k", {{"X-Dynamo-Context", base64_encode("not a context")}})), 400);
  const std::string good = context_header(sample_context());
  EXPECT_EQ(status_of(req("PUT", "/kv/k", {{"X-Dynamo-Context", good}, {"x-dynamo-context", good}}, "v")), 400);
  // NNG hands a repeated header over as one value joined by ", ".
  const HttpResponse joined =
      refused(parse_http_request(req("PUT", "/kv/k", {{"X-Dynamo-Context", good + ", " + good}}, "v"), config()));
  EXPECT_EQ(joined.status, 400);
  EXPECT_NE(joined.body.find("given twice"), std::string::npos) << joined.body;
}

TEST(ParseRequest, GetIgnoresAContextHeader) {
  EXPECT_EQ(status_of(req("GET", "/kv/k", {{"X-Dynamo-Context", "garbage"}})), 0);
}

TEST(ParseRequest, KeyLimitsAfterPercentDecoding) {
  const std::string max(limits::kMaxKeyBytes, 'k');
  EXPECT_EQ(kv(parse_http_request(req("GET", "/kv/" + max), config())).key, max);
  EXPECT_EQ(status_of(req("GET", "/kv/" + max + "k")), 413);
  EXPECT_EQ(status_of(req("PUT", "/stores/carts/kv/" + max + "k", {}, "v")), 413);
  // 1,024 escaped bytes is 3,072 characters of path, and still fits.
  std::string escaped;
  for (std::size_t i = 0; i < limits::kMaxKeyBytes; ++i) escaped += "%2F";
  EXPECT_EQ(kv(parse_http_request(req("GET", "/kv/" + escaped), config())).key, std::string(limits::kMaxKeyBytes, '/'));
  EXPECT_EQ(status_of(req("GET", "/kv/" + escaped + "%2F")), 413);
  EXPECT_EQ(kv(parse_http_request(req("GET", "/kv/x"), config())).key, "x");  // one byte is a key
}

TEST(ParseRequest, EmptyOrMissingKeyIs400) {
  EXPECT_EQ(status_of(req("GET", "/kv/")), 400);
  EXPECT_EQ(status_of(req("GET", "/kv")), 400);
  EXPECT_EQ(status_of(req("PUT", "/stores/carts/kv/", {}, "v")), 400);
  EXPECT_EQ(status_of(req("GET", "/stores/carts/kv")), 400);
  EXPECT_EQ(status_of(req("GET", "/kv/?r=1")), 400);
}

TEST(ParseRequest, KeyIsOneSegment) {
  EXPECT_EQ(status_of(req("GET", "/kv/a/b")), 400);
  EXPECT_EQ(status_of(req("GET", "/kv/a/")), 400);
  EXPECT_EQ(status_of(req("GET", "/stores/carts/kv/a/b")), 400);
  const HttpResponse r = refused(parse_http_request(req("GET", "/kv/a/b"), config()));
  EXPECT_NE(r.body.find("%2F"), std::string::npos) << "the answer says how to write a slash";
}

TEST(ParseRequest, BadEscapesAre400) {
  EXPECT_EQ(status_of(req("GET", "/kv/a%2")), 400);
  EXPECT_EQ(status_of(req("GET", "/kv/a%zz")), 400);
  EXPECT_EQ(status_of(req("PUT", "/kv/%", {}, "v")), 400);
  EXPECT_EQ(status_of(req("GET", "/stores/ca%G1/kv/k")), 400);
}

TEST(ParseRequest, UnknownStoreIs404) {
  EXPECT_EQ(status_of(req("GET", "/stores/nope/kv/k")), 404);
  EXPECT_EQ(status_of(req("PUT", "/stores/nope/kv/k", {}, "v")), 404);
  EXPECT_EQ(status_of(req("GET", "/stores//kv/k")), 404);
  HttpApiConfig no_default;
  no_default.stores["carts"] = 10;
  const HttpCall call = parse_http_request(req("GET", "/kv/k"), no_default);
  EXPECT_EQ(refused(call).status, 404);
}

TEST(ParseRequest, UnknownPathIs404AndNonPathIs400) {
  for (const char* uri : {"/", "/foo", "/kv2/k", "/KV/k", "/stores", "/stores/carts", "/stores/carts/k/x",
                          "/stores/carts/kv2/k", "//kv/k", "/metrics/", "/metrics/x"}) {
    EXPECT_EQ(status_of(req("GET", uri)), 404) << uri;
  }
  EXPECT_EQ(status_of(req("GET", "kv/k")), 400);
  EXPECT_EQ(status_of(req("GET", "")), 400);
  EXPECT_EQ(status_of(req("GET", "http://host/kv/k")), 400);
  EXPECT_EQ(status_of(req("GET", "*")), 400);
}

TEST(ParseRequest, OtherMethodsAre405WithAllow) {
  for (const char* method : {"POST", "HEAD", "PATCH", "OPTIONS", "get", "Put", ""}) {
    const HttpResponse r = refused(parse_http_request(req(method, "/kv/k"), config()));
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(header(r, "Allow"), "GET, PUT, DELETE");
  }
  const HttpResponse r = refused(parse_http_request(req("PUT", "/metrics"), config()));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "GET");
}

TEST(ParseRequest, ErrorsQuoteLittleOfTheRequest) {
  const std::string long_text(5000, 'x');
  for (const HttpRequest& r : {req(long_text, "/kv/k"), req("GET", "/stores/" + long_text + "/kv/k"),
                               req("GET", "/kv/k?" + long_text + "=1"), req("GET", "/kv/k?r=" + long_text)}) {
    const HttpResponse response = refused(parse_http_request(r, config()));
    EXPECT_LT(response.body.size(), 300u) << response.body;
  }
  const HttpResponse r = refused(parse_http_request(req("GET", "/stores/a%0D%0Ab/kv/k"), config()));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("a%0D%0Ab"), std::string::npos) << r.body;
}

TEST(ParseRequest, Metrics) {
  EXPECT_TRUE(std::holds_alternative<MetricsCall>(parse_http_request(req("GET", "/metrics"), config())));
  EXPECT_EQ(status_of(req("GET", "/metrics?r=1")), 400);
  EXPECT_EQ(status_of(req("GET", "/metrics", {}, "x")), 400);
}

TEST(ParseRequest, PerRequestQuorum) {
  EXPECT_EQ(kv(parse_http_request(req("GET", "/kv/k?r=1"), config())).r, 1);
  EXPECT_EQ(kv(parse_http_request(req("GET", "/stores/carts/kv/k?r=16"), config())).r, 16);  // no N known: up to the limit
  EXPECT_EQ(kv(parse_http_request(req("GET", "/kv/k?r=02"), config())).r, 2);
  EXPECT_EQ(kv(parse_http_request(req("PUT", "/kv/k?w=3", {}, "v"), config())).w, 3);
  EXPECT_EQ(kv(parse_http_request(req("DELETE", "/stores/carts/kv/k?w=1"), config())).w, 1);
  EXPECT_FALSE(kv(parse_http_request(req("GET", "/kv/k?"), config())).r.has_value());
  EXPECT_EQ(kv(parse_http_request(req("GET", "/kv/k?&r=2&"), config())).r, 2);
  const ClientRequest put = kv(parse_http_request(req("PUT", "/kv/k?w=2", {}, "v"), config()));
  EXPECT_FALSE(put.r.has_value());
}

TEST(ParseRequest, BadQuorumIs400) {
  for (const char* query : {"r=0", "r=17", "r=-1", "r=+2", "r=", "r", "r=2x", "r=1.5", "r=%32", "r=99999999999999999999",
                            "r= 2", "r=2&r=3", "R=2", "x=1", "r=2&x", "w=2", "r=2&w=2"}) {
    EXPECT_EQ(status_of(req("GET", std::string("/kv/k?") + query)), 400) << query;
  }
  for (const char* query : {"w=0", "w=17", "r=2", "w=1&w=1", "w=two", "n=3"}) {
    EXPECT_EQ(status_of(req("PUT", std::string("/kv/k?") + query, {}, "v")), 400) << query;
    EXPECT_EQ(status_of(req("DELETE", std::string("/kv/k?") + query)), 400) << query;
  }
}

TEST(ParseRequest, AQuorumAboveTheStoresNIs400) {
  EXPECT_EQ(status_of(req("GET", "/kv/k?r=3")), 0);
  EXPECT_EQ(status_of(req("GET", "/kv/k?r=4")), 400);
  EXPECT_EQ(status_of(req("PUT", "/kv/k?w=16", {}, "v")), 400);
  EXPECT_NE(refused(parse_http_request(req("DELETE", "/kv/k?w=4"), config())).body.find("N=3"), std::string::npos);
  EXPECT_EQ(status_of(req("GET", "/stores/carts/kv/k?r=16")), 0);  // no N known here: the core decides
}

// NNG reads a body by Content-Length only, so a chunked one is refused and the connection closed.
TEST(ParseRequest, ATransferCodingIs411AndClosesTheConnection) {
  const HttpResponse r =
      refused(parse_http_request(req("PUT", "/kv/k", {{"transfer-encoding", "chunked"}}, ""), config()));
  EXPECT_EQ(r.status, 411);
  EXPECT_EQ(header(r, "Connection"), "close");
  EXPECT_NE(r.body.find("Content-Length"), std::string::npos);
}

TEST(ParseRequest, BodyOnGetOrDeleteIs400) {
  EXPECT_EQ(status_of(req("GET", "/kv/k", {}, "x")), 400);
  EXPECT_EQ(status_of(req("DELETE", "/kv/k", {}, "x")), 400);
}

TEST(ParseRequest, ValueLimitIsTheStores) {
  EXPECT_EQ(kv(parse_http_request(req("PUT", "/stores/carts/kv/k", {}, std::string(10, 'v')), config())).value.size(), 10u);
  EXPECT_EQ(status_of(req("PUT", "/stores/carts/kv/k", {}, std::string(11, 'v'))), 413);
  EXPECT_EQ(kv(parse_http_request(req("PUT", "/kv/k", {}, std::string(100, 'v')), config())).value.size(), 100u);
  EXPECT_EQ(status_of(req("PUT", "/kv/k", {}, std::string(101, 'v'))), 413);
}

// --- responses ---

TEST(Response, OneLiveVersionIs200WithTheValue) {
  const ClientReply reply = get_reply({live("n1#1", 3, std::string("v\0al", 4))});
  const HttpResponse r = http_response_for(OpKind::kGet, reply);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, std::string("v\0al", 4));
  EXPECT_EQ(header(r, "Content-Type"), "application/octet-stream");
  EXPECT_EQ(header(r, "X-Dynamo-Dot"), "n1#1:3");
  EXPECT_EQ(context_of(r), reply.context);
  EXPECT_FALSE(reply.context.empty());
}

TEST(Response, NothingOrOnlyTombstonesIs404WithContext) {
  const HttpResponse none = http_response_for(OpKind::kGet, get_reply({}));
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(header(none, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_TRUE(context_of(none).empty());
  EXPECT_FALSE(header(none, "X-Dynamo-Deleted").has_value());

  for (auto siblings : {std::vector<Version>{tombstone("n1#1", 2)},
                        std::vector<Version>{tombstone("n1#1", 2), tombstone("n2#1", 1)}}) {
    const ClientReply reply = get_reply(siblings);
    const HttpResponse r = http_response_for(OpKind::kGet, reply);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(header(r, "X-Dynamo-Deleted"), "true");
    EXPECT_EQ(context_of(r), reply.context);  // a write with it supersedes the tombstones
  }
}

TEST(Response, SiblingsAre300MultipartOnePartEach) {
  const ClientReply reply = get_reply({live("n1#1", 3, "apple"), live("n2#1", 7, "banana")});
  const HttpResponse r = http_response_for(OpKind::kGet, reply);
  EXPECT_EQ(r.status, 300);
  EXPECT_EQ(header(r, "Content-Type").value_or("").rfind("multipart/mixed; boundary=", 0), 0u);
  EXPECT_EQ(context_of(r), reply.context);
  const auto parts = parts_of(r);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].body, "apple");
  EXPECT_EQ(header(parts[0].headers, "X-Dynamo-Dot"), "n1#1:3");
  EXPECT_EQ(header(parts[0].headers, "Content-Type"), "application/octet-stream");
  EXPECT_FALSE(header(parts[0].headers, "X-Dynamo-Deleted").has_value());
  EXPECT_EQ(parts[1].body, "banana");
  EXPECT_EQ(header(parts[1].headers, "X-Dynamo-Dot"), "n2#1:7");
}

TEST(Response, ValueBesideTombstoneIsTwoSiblings) {
  const ClientReply reply = get_reply({live("n1#1", 3, "kept"), tombstone("n2#1", 1)});
  const HttpResponse r = http_response_for(OpKind::kGet, reply);
  EXPECT_EQ(r.status, 300);
  const auto parts = parts_of(r);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].body, "kept");
  EXPECT_EQ(parts[1].body, "");
  EXPECT_EQ(header(parts[1].headers, "X-Dynamo-Deleted"), "true");
  EXPECT_EQ(header(parts[1].headers, "X-Dynamo-Dot"), "n2#1:1");
  EXPECT_FALSE(header(parts[1].headers, "Content-Type").has_value());
}

TEST(Response, MultipartSurvivesHostileValues) {
  // Values full of delimiter-like text, CRLFs, the boundary's own prefix, and binary bytes.
  std::vector<Version> siblings;
  siblings.push_back(live("a#1", 1, "\r\n--dynamo-siblings-0123456789abcdef--\r\n"));
  siblings.push_back(live("a#1", 2, "--"));
  siblings.push_back(live("a#1", 3, "\r\n\r\n"));
  siblings.push_back(live("a#1", 4, ""));
  siblings.push_back(tombstone("a#1", 5));
  std::string binary;
  for (int b = 0; b < 256; ++b) binary += static_cast<char>(b);
  siblings.push_back(live("a#1", 6, binary + "dynamo-siblings-"));
  const HttpResponse r = http_response_for(OpKind::kGet, get_reply(siblings));
  ASSERT_EQ(r.status, 300);
  const auto boundary = multipart_boundary_of(header(r, "Content-Type").value_or(""));
  ASSERT_TRUE(boundary);
  EXPECT_LE(boundary->size(), 70u);
  for (const auto& v : siblings) {
    if (v.value) {
      EXPECT_EQ(v.value->find(*boundary), std::string::npos);
    }
  }
  const auto parts = parts_of(r);
  ASSERT_EQ(parts.size(), siblings.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(parts[i].body, siblings[i].value.value_or("")) << i;
    EXPECT_EQ(header(parts[i].headers, "X-Dynamo-Deleted").has_value(), siblings[i].is_tombstone()) << i;
  }
}

TEST(Response, ManySiblingsRoundTrip) {
  std::vector<Version> siblings;
  std::mt19937 random(3);
  for (std::uint64_t i = 1; i <= limits::kMaxSiblings; ++i) {
    std::string value(random() % 300, '\0');
    for (auto& c : value) c = static_cast<char>(random() % 4 == 0 ? '-' : random() % 4 == 0 ? '\r' : random());
    siblings.push_back(i % 9 == 0 ? tombstone("n#1", i) : live("n#1", i, value));
  }
  const auto parts = parts_of(http_response_for(OpKind::kGet, get_reply(siblings)));
  ASSERT_EQ(parts.size(), siblings.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(parts[i].body, siblings[i].value.value_or(""));
    EXPECT_EQ(header(parts[i].headers, "X-Dynamo-Dot"), "n#1:" + std::to_string(i + 1));
  }
}

TEST(Response, DotHeaderIsOneSafeLine) {
  const HttpResponse r = http_response_for(OpKind::kGet, get_reply({live("evil\r\nSet-Cookie: x%", 1, "v")}));
  EXPECT_EQ(header(r, "X-Dynamo-Dot"), "evil%0D%0ASet-Cookie:%20x%25:1");
}

TEST(Response, PutAndDeleteAre204WithTheNewContext) {
  for (OpKind op : {OpKind::kPut, OpKind::kDelete}) {
    ClientReply reply;
    reply.status = ReplyStatus::kOk;
    reply.context = sample_context();
    reply.dot = Dot{"n3#2", 5, 0};
    const HttpResponse r = http_response_for(op, reply);
    EXPECT_EQ(r.status, 204);
    EXPECT_TRUE(r.body.empty());
    EXPECT_FALSE(header(r, "Content-Type").has_value());
    EXPECT_EQ(context_of(r), reply.context);
    EXPECT_EQ(header(r, "X-Dynamo-Dot"), "n3#2:5");
  }
}

TEST(Response, UnknownPutIs503MayHaveHappened) {
  ClientReply reply;
  reply.status = ReplyStatus::kUnknown;
  reply.message = "timed out after 2 of 3 acks";
  reply.dot = Dot{"n1#1", 9, 0};
  for (OpKind op : {OpKind::kPut, OpKind::kDelete}) {
    const HttpResponse r = http_response_for(op, reply);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(header(r, "Content-Type"), "text/plain; charset=utf-8");
    EXPECT_NE(r.body.find("may or may not have happened"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(reply.message), std::string::npos);
    EXPECT_EQ(header(r, "X-Dynamo-Dot"), "n1#1:9");
  }
}

TEST(Response, FailedIs503WithTheMessage) {
  ClientReply reply;
  reply.status = ReplyStatus::kFailed;
  reply.message = "only 1 of W=2 replicas reachable";
  const HttpResponse put = http_response_for(OpKind::kPut, reply);
  EXPECT_EQ(put.status, 503);
  EXPECT_NE(put.body.find("nothing was stored"), std::string::npos);
  EXPECT_NE(put.body.find(reply.message), std::string::npos);
  const HttpResponse get = http_response_for(OpKind::kGet, reply);
  EXPECT_EQ(get.status, 503);
  EXPECT_NE(get.body.find("the read failed"), std::string::npos);
  EXPECT_NE(get.body.find(reply.message), std::string::npos);
  EXPECT_FALSE(header(get, "X-Dynamo-Context").has_value());
  reply.status = ReplyStatus::kUnknown;  // a get that timed out is kFailed, but kUnknown must not lie either
  EXPECT_NE(http_response_for(OpKind::kGet, reply).body.find("the read failed"), std::string::npos);
}

TEST(Response, AStoppingNodeAnswers503AndAWriteMayHaveHappened) {
  const HttpResponse r = http_stopping_response();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(header(r, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_NE(r.body.find("stopping"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("may or may not have happened"), std::string::npos) << r.body;
  EXPECT_FALSE(header(r, "X-Dynamo-Context").has_value());
}

TEST(Response, RedirectIs503) {
  ClientReply reply;
  reply.status = ReplyStatus::kRedirect;
  reply.coordinators = {"node-1", "node-2"};
  for (OpKind op : {OpKind::kGet, OpKind::kPut}) {
    const HttpResponse r = http_response_for(op, reply);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(header(r, "Content-Type"), "text/plain; charset=utf-8");
    EXPECT_NE(r.body.find("node-1, node-2"), std::string::npos) << r.body;
  }
}

TEST(Response, ContextFromAGetFeedsTheNextPut) {
  const ClientReply reply = get_reply({live("n1#1", 3, "a"), live("n2#1", 1, "b")});
  const HttpResponse got = http_response_for(OpKind::kGet, reply);
  const auto text = header(got, "X-Dynamo-Context");
  ASSERT_TRUE(text);
  const ClientRequest put = kv(parse_http_request(req("PUT", "/kv/k", {{"X-Dynamo-Context", *text}}, "merged"), config()));
  EXPECT_EQ(put.context, reply.context);
}

// --- multipart ---

TEST(Multipart, RendersTheRfc2046Form) {
  const std::vector<MultipartPart> parts{{{{"A", "1"}}, "x"}, {{}, ""}};
  EXPECT_EQ(render_multipart(parts, "B"), "--B\r\nA: 1\r\n\r\nx\r\n--B\r\n\r\n\r\n--B--\r\n");
  EXPECT_EQ(parse_multipart(render_multipart(parts, "B"), "B"), parts);
}

TEST(Multipart, BoundaryIsDeterministicAndAbsent) {
  const std::vector<MultipartPart> parts{{{}, "abc"}, {{{"X", "dynamo-siblings-"}}, "dynamo-siblings-"}};
  const std::string b = multipart_boundary(parts);
  EXPECT_EQ(b, multipart_boundary(parts));
  EXPECT_LE(b.size(), 70u);
  for (char c : b) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-') << b;
  EXPECT_NE(b, multipart_boundary({{{}, "abd"}}));
}

TEST(Multipart, ReadsPreambleAndEpilogueAndRejectsMalformed) {
  EXPECT_EQ(parse_multipart("preamble\r\n--B\r\n\r\nx\r\n--B--\r\nepilogue", "B"),
            (std::vector<MultipartPart>{{{}, "x"}}));
  EXPECT_FALSE(parse_multipart("", "B"));
  EXPECT_FALSE(parse_multipart("--B\r\n\r\nx", "B"));                      // no close delimiter
  EXPECT_FALSE(parse_multipart("--B\r\nno colon\r\n\r\nx\r\n--B--", "B"));  // bad header line
  EXPECT_FALSE(parse_multipart("--B\r\nA: 1\r\nx\r\n--B--", "B"));          // headers not ended
  EXPECT_FALSE(parse_multipart("--Bx\r\n--B--", "B"));
  EXPECT_FALSE(parse_multipart("--B\r\n\r\nx\r\n--B--", ""));
}

TEST(Multipart, BoundaryOfContentType) {
  EXPECT_EQ(multipart_boundary_of("multipart/mixed; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary_of("Multipart/Mixed;charset=x; BOUNDARY=\"a b\""), "a b");
  EXPECT_FALSE(multipart_boundary_of("text/plain; boundary=abc"));
  EXPECT_FALSE(multipart_boundary_of("multipart/mixed"));
  EXPECT_FALSE(multipart_boundary_of("multipart/mixed; boundary="));
  EXPECT_FALSE(multipart_boundary_of("multipart/mixed; boundary=" + std::string(71, 'a')));
}

}  // namespace
}  // namespace dynamo::net
