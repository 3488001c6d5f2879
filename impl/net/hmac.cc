#include "impl/net/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <string>

namespace dynamo::net {
namespace {

std::string openssl_error(const char* what) {
  char text[256] = "unknown error";
  if (unsigned long code = ERR_get_error(); code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return std::string("hmac: ") + what + ": " + text;
}

}  // namespace

struct Hmac::State {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  ~State() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
};

Result<std::unique_ptr<Hmac>> Hmac::create(std::string_view key) {
  std::unique_ptr<Hmac> hmac(new Hmac());
  hmac->state_ = std::make_unique<State>();
  State& s = *hmac->state_;
  s.mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (s.mac == nullptr) return Error{openssl_error("OpenSSL has no HMAC")};
  s.ctx = EVP_MAC_CTX_new(s.mac);
  if (s.ctx == nullptr) return Error{openssl_error("cannot allocate a MAC context")};
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  // An empty key is valid HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const auto* k = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(s.ctx, k, key.size(), params) != 1) return Error{openssl_error("cannot set the HMAC key")};
  return hmac;
}

Hmac::~Hmac() = default;

Result<Mac> Hmac::mac(std::initializer_list<std::string_view> parts) {
  State& s = *state_;
  // A null key re-initialises with the key already set (EVP_MAC_init(3)).
  if (EVP_MAC_init(s.ctx, nullptr, 0, nullptr) != 1) return Error{openssl_error("cannot restart the MAC")};
  for (std::string_view part : parts)
    if (!part.empty() &&
        EVP_MAC_update(s.ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size()) != 1)
      return Error{openssl_error("cannot compute the MAC")};
  Mac out{};
  std::size_t length = 0;
  if (EVP_MAC_final(s.ctx, out.data(), &length, out.size()) != 1 || length != out.size())
    return Error{openssl_error("cannot finish the MAC")};
  return out;
}

bool same_mac(const Mac& a, const std::uint8_t* b) { return CRYPTO_memcmp(a.data(), b, a.size()) == 0; }

}  // namespace dynamo::net
