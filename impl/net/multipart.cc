// multipart.cc: see multipart.h.
#include "impl/net/multipart.h"

#include <algorithm>
#include <cstdint>
#include <functional>

namespace dynamo::net {
namespace {

constexpr std::string_view kCrlf = "\r\n";

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

bool contains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  return std::search(haystack.begin(), haystack.end(),
                     std::boyer_moore_horspool_searcher(needle.begin(), needle.end())) != haystack.end();
}

bool occurs_in(const MultipartPart& part, std::string_view boundary) {
  if (contains(part.body, boundary)) return true;
  for (const auto& [name, value] : part.headers)
    if (contains(name, boundary) || contains(value, boundary)) return true;
  return false;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x) == (y >= 'A' && y <= 'Z' ? y - 'A' + 'a' : y);
         });
}

// Skips transport padding (spaces, tabs) after a delimiter.
std::string_view skip_padding(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  return text;
}

}  // namespace

std::string multipart_boundary(const std::vector<MultipartPart>& parts) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const auto& part : parts) {
    for (const auto& [name, value] : part.headers) hash = fnv1a(fnv1a(hash, name), value);
    hash = fnv1a(hash, part.body);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::uint64_t salt = 0;; ++salt) {
    std::uint64_t h = salt == 0 ? hash : fnv1a(hash, std::string_view(reinterpret_cast<const char*>(&salt), sizeof salt));
    std::string boundary = "dynamo-siblings-";
    for (int i = 0; i < 16; ++i, h >>= 4) boundary += kHex[h & 15];
    if (std::none_of(parts.begin(), parts.end(), [&](const MultipartPart& p) { return occurs_in(p, boundary); }))
      return boundary;
  }
}

std::string render_multipart(const std::vector<MultipartPart>& parts, std::string_view boundary) {
  std::size_t size = boundary.size() + 8;
  for (const auto& part : parts) {
    size += boundary.size() + 8 + part.body.size();
    for (const auto& [name, value] : part.headers) size += name.size() + value.size() + 4;
  }
  std::string out;
  out.reserve(size);
  for (const auto& part : parts) {
    out.append("--").append(boundary).append(kCrlf);
    for (const auto& [name, value] : part.headers) out.append(name).append(": ").append(value).append(kCrlf);
    out.append(kCrlf).append(part.body).append(kCrlf);
  }
  out.append("--").append(boundary).append("--").append(kCrlf);
  return out;
}

std::optional<std::string> multipart_boundary_of(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  if (!iequals(trim(content_type.substr(0, semicolon)), "multipart/mixed")) return std::nullopt;
  std::string_view params = semicolon == std::string_view::npos ? std::string_view{} : content_type.substr(semicolon + 1);
  while (!params.empty()) {
    const auto end = params.find(';');
    const std::string_view param = trim(params.substr(0, end));
    params = end == std::string_view::npos ? std::string_view{} : params.substr(end + 1);
    const auto eq = param.find('=');
    if (eq == std::string_view::npos || !iequals(trim(param.substr(0, eq)), "boundary")) continue;
    std::string_view value = trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (value.empty() || value.size() > 70) return std::nullopt;
    return std::string(value);
  }
  return std::nullopt;
}

std::optional<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary) {
  if (boundary.empty()) return std::nullopt;
  const std::string dash_boundary = "--" + std::string(boundary);
  const std::string delimiter = "\r\n" + dash_boundary;
  // The first delimiter: at the very start, or after the preamble's last CRLF.
  std::size_t at = 0;
  if (body.substr(0, dash_boundary.size()) == dash_boundary) {
    at = dash_boundary.size();
  } else {
    const auto found = body.find(delimiter);
    if (found == std::string_view::npos) return std::nullopt;
    at = found + delimiter.size();
  }
  std::vector<MultipartPart> parts;
  std::string_view rest = body.substr(at);
  while (true) {
    if (rest.substr(0, 2) == "--") return parts;  // the close delimiter; the epilogue is ignored
    rest = skip_padding(rest);
    if (rest.substr(0, 2) != kCrlf) return std::nullopt;
    rest.remove_prefix(2);
    const auto end = rest.find(delimiter);
    if (end == std::string_view::npos) return std::nullopt;  // no delimiter ends this part
    std::string_view content = rest.substr(0, end);
    rest.remove_prefix(end + delimiter.size());

    MultipartPart part;
    if (content.substr(0, 2) == kCrlf) {
      content.remove_prefix(2);  // no header lines
    } else {
      const auto blank = content.find("\r\n\r\n");
      if (blank == std::string_view::npos) return std::nullopt;
      std::string_view lines = content.substr(0, blank);
      content.remove_prefix(blank + 4);
      while (true) {
        const auto eol = lines.find(kCrlf);
        const std::string_view line = lines.substr(0, eol);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return std::nullopt;
        part.headers.emplace_back(std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
        if (eol == std::string_view::npos) break;
        lines.remove_prefix(eol + 2);
      }
    }
    part.body = std::string(content);
    parts.push_back(std::move(part));
  }
}

}  // namespace dynamo::net
