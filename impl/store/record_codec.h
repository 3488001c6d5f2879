// record_codec.h: the bytes a storage engine keeps for a key's state and for a hint.
//
// Every record is self-describing and versioned (spec/storage-format.md):
//   format version (1 byte) | kind (1 byte) | body | CRC-32C of everything before it (4 bytes, LE)
// The format version lets a later release read what an earlier one wrote: a decoder accepts every
// version it knows and refuses a newer one with an Error (never guesses). The checksum catches a
// corrupt value byte that would otherwise decode as a valid but different value (silent loss).
//
// Invariants:
//   1. decode(encode(x)) == x for every x that encode accepts (round trip, stamps included);
//   2. decode never crashes and never reads past its input: bad bytes give an Error naming the key
//      and what is wrong; a successful decode yields values that hold the core's invariants
//      (canonical contexts, siblings sorted by dot without repeats, every limit of limits.h);
//   3. encode refuses (Error) a state beyond limits.h rather than write bytes decode would refuse.
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "impl/core/hint.h"
#include "impl/core/result.h"
#include "impl/core/version.h"

namespace dynamo::store {

// The format this release writes. Readers accept 1 .. kFormatVersion.
inline constexpr std::uint8_t kFormatVersion = 1;

// A hint (impl/core/hint.h): a version kept for a node that did not answer.
using dynamo::Hint;

Result<std::string> encode_key_state(std::string_view key, const KeyState& state);
// `key` only names the record in errors; it is not stored in the record.
Result<KeyState> decode_key_state(std::string_view key, std::string_view bytes);

Result<std::string> encode_hint(const Hint& hint);
// `name` names the record in errors (the hint's storage key, printable).
Result<Hint> decode_hint(std::string_view name, std::string_view bytes);

// CRC-32C (Castagnoli), the checksum at the end of every record.
std::uint32_t crc32c(std::string_view bytes);

// Keys are bytes; errors print them escaped, and cut to 80 bytes.
std::string printable_key(std::string_view key);

}  // namespace dynamo::store
