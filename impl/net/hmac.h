// hmac.h: HMAC-SHA256 with one key, through OpenSSL's EVP_MAC (no hand-made cryptography). The key
// is set once; each mac() re-initialises the context with it, which saves OpenSSL's algorithm
// lookup and key schedule per message (docs/security.md has the cost per batch).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "impl/core/result.h"

namespace dynamo::net {

using Mac = std::array<std::uint8_t, 32>;

class Hmac {
 public:
  static Result<std::unique_ptr<Hmac>> create(std::string_view key);
  ~Hmac();
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  // The MAC of the concatenation of `parts`. An OpenSSL failure (never expected) is an error.
  Result<Mac> mac(std::initializer_list<std::string_view> parts);

 private:
  Hmac() = default;
  struct State;
  std::unique_ptr<State> state_;
};

// Compares two MACs in time independent of where they differ (CRYPTO_memcmp).
bool same_mac(const Mac& a, const std::uint8_t* b);

}  // namespace dynamo::net
