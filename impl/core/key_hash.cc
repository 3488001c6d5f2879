#include "impl/core/key_hash.h"

#include <charconv>

#include <openssl/evp.h>

#include "impl/core/check.h"
#include "impl/core/limits.h"

namespace dynamo {

namespace {

// OpenSSL 3 looks the algorithm up by name on every EVP_md5() use unless it is fetched once; the
// fetched object is immutable and thread-safe, so it is kept for the life of the process (a
// constant table, not state: the core stays a pure function of its inputs).
const EVP_MD* md5_algorithm() {
  static const EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "MD5", nullptr);
  DYNAMO_CHECK(algorithm != nullptr);  // MD5 is in OpenSSL's default provider; absent = broken install
  return algorithm;
}

}  // namespace

Md5Digest md5_of(std::string_view bytes) {
  Md5Digest digest{};
  unsigned int length = 0;
  const int ok = EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, md5_algorithm(), nullptr);
  DYNAMO_CHECK(ok == 1);
  DYNAMO_CHECK(length == digest.size());
  return digest;
}

std::string to_hex(const Md5Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * digest.size());
  for (std::uint8_t byte : digest) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xF]);
  }
  return hex;
}

Md5Hasher::Md5Hasher() : context_(EVP_MD_CTX_new()) { DYNAMO_CHECK(context_ != nullptr); }

Md5Hasher::~Md5Hasher() { EVP_MD_CTX_free(context_); }

Md5Digest Md5Hasher::digest(std::string_view bytes) {
  Md5Digest digest{};
  unsigned int length = 0;
  DYNAMO_CHECK(EVP_DigestInit_ex2(context_, md5_algorithm(), nullptr) == 1);
  DYNAMO_CHECK(EVP_DigestUpdate(context_, bytes.data(), bytes.size()) == 1);
  DYNAMO_CHECK(EVP_DigestFinal_ex(context_, digest.data(), &length) == 1);
  DYNAMO_CHECK(length == digest.size());
  return digest;
}

bool is_valid_partition_count(std::uint32_t q) {
  return q >= 1 && q <= limits::kMaxPartitions && (q & (q - 1)) == 0;
}

int partition_bits(std::uint32_t q) {
  DYNAMO_CHECK(is_valid_partition_count(q));
  int bits = 0;
  while ((std::uint32_t{1} << bits) < q) ++bits;
  DYNAMO_CHECK((std::uint32_t{1} << bits) == q);
  return bits;
}

std::uint32_t partition_of_digest(const Md5Digest& digest, std::uint32_t q) {
  const int bits = partition_bits(q);
  // Q <= 2^16, so the top log2(Q) bits of the 128-bit value all lie in its first 4 bytes.
  static_assert(limits::kMaxPartitions <= (std::uint64_t{1} << 32));
  const std::uint32_t top = (std::uint32_t{digest[0]} << 24) | (std::uint32_t{digest[1]} << 16) |
                            (std::uint32_t{digest[2]} << 8) | std::uint32_t{digest[3]};
  const std::uint32_t partition = bits == 0 ? 0 : top >> (32 - bits);  // a shift by 32 is undefined
  DYNAMO_CHECK(partition < q);
  return partition;
}

std::uint32_t partition_of_key(std::string_view key, std::uint32_t q) {
  return partition_of_digest(md5_of(key), q);
}

std::uint64_t leading_u64(const Md5Digest& digest) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | digest[i];
  return value;
}

std::uint64_t steal_score(Md5Hasher& hasher, std::string_view member_id, std::uint32_t partition) {
  DYNAMO_CHECK(member_id.size() <= limits::kMaxNodeIdBytes);
  // "<id>/<partition>" in a stack buffer: this runs up to Q times per join.
  char buffer[limits::kMaxNodeIdBytes + 1 + 10];
  std::size_t length = member_id.copy(buffer, member_id.size());
  buffer[length++] = '/';
  const auto [end, error] = std::to_chars(buffer + length, buffer + sizeof(buffer), partition);
  DYNAMO_CHECK(error == std::errc());
  return leading_u64(hasher.digest(std::string_view(buffer, static_cast<std::size_t>(end - buffer))));
}

}  // namespace dynamo
