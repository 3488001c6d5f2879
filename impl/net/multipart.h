// multipart.h: multipart/mixed bodies (RFC 2046 §5.1), the form of a GET answered with siblings
// (300 Multiple Choices, one part per sibling). Writing is what the HTTP API needs; reading is here
// too, for the tests, the fuzzer and HTTP clients (a parsed body gives back the parts it was built from).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dynamo::net {

struct MultipartPart {
  std::vector<std::pair<std::string, std::string>> headers;  // written "Name: value", in order
  std::string body;                                          // any bytes

  friend bool operator==(const MultipartPart&, const MultipartPart&) = default;
};

// A boundary (at most 70 characters of [0-9a-z-], RFC 2046 §5.1.1) that occurs in no part, neither
// in its body nor in its header lines, derived from the parts' bytes: the same parts always get the
// same boundary, and a body cannot contain the delimiter that ends it.
std::string multipart_boundary(const std::vector<MultipartPart>& parts);

// The body: "--B CRLF headers CRLF body" per part, each part's CRLF before the next delimiter, then
// "CRLF --B-- CRLF". No preamble, no epilogue. REQUIRES: `boundary` occurs in no part, and header
// names and values hold no CR or LF.
std::string render_multipart(const std::vector<MultipartPart>& parts, std::string_view boundary);

// The boundary parameter of a Content-Type value ("multipart/mixed; boundary=B", the parameter
// possibly quoted); nullopt when the type is not multipart/mixed or it has no usable boundary.
std::optional<std::string> multipart_boundary_of(std::string_view content_type);

// Reads a body in the form render_multipart writes (lines end with CRLF; a preamble before the first
// delimiter and an epilogue after the close delimiter are skipped, as RFC 2046 asks). nullopt when
// malformed: no first delimiter, no close delimiter, a header line without ':', or a part whose
// headers are not ended by a blank line.
std::optional<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary);

}  // namespace dynamo::net
