// key_hash.h: where a key lands on the ring, and the hash that breaks ties when partitions move.
//
// The ring is the 128-bit MD5 space, read as a big-endian unsigned integer, split into Q equal
// partitions (Q a power of two): partition i covers [i * 2^128 / Q, (i + 1) * 2^128 / Q). So a
// key's partition is the top log2(Q) bits of MD5(key bytes). MD5 is used as the paper uses it: to
// spread keys evenly, not for security.
//
// Invariants:
//   1. md5_of is the RFC 1321 digest of exactly the given bytes (no terminator, no encoding step);
//   2. partition_of_digest(d, q) < q for every valid q, and is monotone in d (the ring is ordered);
//   3. every function here is a pure function of its arguments.
//
// Reference: §4.2 "Partitioning Algorithm" (MD5 onto a 128-bit ring), §6.2 strategy 3 (Q equal
// partitions). The exact rules are spec/README.md, "Hashing".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;  // OpenSSL's type, so this header needs no OpenSSL include

namespace dynamo {

using Md5Digest = std::array<std::uint8_t, 16>;

// MD5 of the bytes. Each call sets up a fresh OpenSSL context (about 0.5 us); loops that hash many
// strings use Md5Hasher instead.
Md5Digest md5_of(std::string_view bytes);

// Lowercase hexadecimal, 32 characters: the form the conformance vectors and the CLI print.
std::string to_hex(const Md5Digest& digest);

// Reuses one OpenSSL context across digests: ring ownership hashes up to Q strings per join.
// Not copyable; not for use from two threads at once.
class Md5Hasher {
 public:
  Md5Hasher();
  ~Md5Hasher();
  Md5Hasher(const Md5Hasher&) = delete;
  Md5Hasher& operator=(const Md5Hasher&) = delete;

  Md5Digest digest(std::string_view bytes);

 private:
  EVP_MD_CTX* context_;
};

// True when q is a power of two in [1, limits::kMaxPartitions].
bool is_valid_partition_count(std::uint32_t q);

// log2(q). REQUIRES: is_valid_partition_count(q).
int partition_bits(std::uint32_t q);

// The partition holding a digest: its top log2(q) bits. REQUIRES: is_valid_partition_count(q).
std::uint32_t partition_of_digest(const Md5Digest& digest, std::uint32_t q);

// partition_of_digest(md5_of(key), q).
std::uint32_t partition_of_key(std::string_view key, std::uint32_t q);

// The first 8 bytes of a digest as a big-endian unsigned integer.
std::uint64_t leading_u64(const Md5Digest& digest);

// The steal score of `partition` for a joining member: leading_u64(MD5("<member_id>/<partition>"))
// with the partition in decimal. A joining member takes, from each donor, the donor's partition
// with the smallest score; hashing makes that choice look random yet identical everywhere.
std::uint64_t steal_score(Md5Hasher& hasher, std::string_view member_id, std::uint32_t partition);

}  // namespace dynamo
