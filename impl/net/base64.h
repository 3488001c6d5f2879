// base64.h: RFC 4648 standard base64 (section 4: alphabet A-Z a-z 0-9 + /, '=' padding), the text
// form of a causal context in HTTP's X-Dynamo-Context header and in the CLI. Included by http_api.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dynamo::net {

// Always padded to a multiple of four characters; no line breaks.
std::string base64_encode(std::string_view bytes);
// The inverse of base64_encode, and nothing else: nullopt for a length that is not a multiple of
// four, a character outside the alphabet (whitespace and the URL-safe '-' '_' included), padding
// anywhere but the last one or two places, or non-zero pad bits (a non-canonical encoding), so each
// byte string has exactly one accepted text.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace dynamo::net
