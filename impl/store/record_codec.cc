// record_codec.cc: see record_codec.h and spec/storage-format.md.
#include "impl/store/record_codec.h"

#include <array>
#include <cstring>
#include <utility>

#include "impl/core/check.h"
#include "impl/core/limits.h"

namespace dynamo::store {
namespace {

enum class Kind : std::uint8_t { kKeyState = 1, kHint = 2 };
constexpr std::size_t kHeaderBytes = 2;  // format version, kind
constexpr std::size_t kCrcBytes = 4;
constexpr std::uint8_t kTombstone = 0;
constexpr std::uint8_t kValue = 1;

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0u);
    table[i] = crc;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> kCrcTable = make_crc_table();

// ---- writing -------------------------------------------------------------------------------

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_bytes(std::string& out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out.append(bytes);
}
void put_dot(std::string& out, const Dot& dot) {
  put_bytes(out, dot.actor);
  put_varint(out, dot.counter);
  put_varint(out, dot.stamp_ms);
}

Status check_dot_limits(const Dot& dot, std::string_view what) {
  if (dot.actor.size() > limits::kMaxActorBytes)
    return Error{std::string(what) + ": actor of " + std::to_string(dot.actor.size()) +
                 " bytes exceeds kMaxActorBytes=" + std::to_string(limits::kMaxActorBytes)};
  return {};
}

Status put_version(std::string& out, const Version& v, std::string_view what) {
  DYNAMO_CHECK(v.dot.counter >= 1);
  if (auto s = check_dot_limits(v.dot, what); !s.ok()) return s;
  const auto& entries = v.context.summary().entries();
  const auto& cloud = v.context.cloud();
  if (entries.size() > limits::kMaxClockEntries || cloud.size() > limits::kMaxContextDots)
    return Error{std::string(what) + ": context of " + std::to_string(entries.size()) +
                 " entries and " + std::to_string(cloud.size()) +
                 " loose dots exceeds kMaxClockEntries/kMaxContextDots"};
  if (v.value && v.value->size() > limits::kMaxValueBytes)
    return Error{std::string(what) + ": value of " + std::to_string(v.value->size()) +
                 " bytes exceeds kMaxValueBytes=" + std::to_string(limits::kMaxValueBytes)};
  put_dot(out, v.dot);
  put_varint(out, entries.size());
  for (const auto& e : entries) {
    if (auto s = check_dot_limits(Dot{e.actor, e.counter, 0}, what); !s.ok()) return s;
    put_dot(out, Dot{e.actor, e.counter, e.stamp_ms});
  }
  put_varint(out, cloud.size());
  for (const auto& d : cloud) {
    if (auto s = check_dot_limits(d, what); !s.ok()) return s;
    put_dot(out, d);
  }
  out.push_back(static_cast<char>(v.value ? kValue : kTombstone));
  if (v.value) put_bytes(out, *v.value);
  return {};
}

std::string start_record(Kind kind) {
  std::string out;
  out.push_back(static_cast<char>(kFormatVersion));
  out.push_back(static_cast<char>(kind));
  return out;
}
void finish_record(std::string& out) {
  std::uint32_t crc = crc32c(out);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
}

// ---- reading -------------------------------------------------------------------------------

// Reads a record's body; the first failure is kept and every later read fails, so decoders can
// read a whole structure and test once.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  bool failed() const { return !problem_.empty(); }
  const std::string& problem() const { return problem_; }
  bool at_end() const { return rest_.empty(); }
  void fail(std::string problem) {
    if (problem_.empty()) problem_ = std::move(problem);
    rest_ = {};
  }

  std::uint64_t varint(std::string_view what) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (rest_.empty()) { fail("truncated " + std::string(what)); return 0; }
      auto byte = static_cast<std::uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      if (shift == 63 && byte > 1) { fail("overlong varint in " + std::string(what)); return 0; }
      v |= std::uint64_t{byte & 0x7Fu} << shift;
      if ((byte & 0x80) == 0) return v;
    }
    fail("overlong varint in " + std::string(what));
    return 0;
  }
  std::uint8_t byte(std::string_view what) {
    if (rest_.empty()) { fail("truncated " + std::string(what)); return 0; }
    auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  std::string bytes(std::string_view what, std::size_t max) {
    std::uint64_t n = varint(what);
    if (failed()) return {};
    if (n > max) { fail(std::string(what) + " of " + std::to_string(n) + " bytes exceeds limit " + std::to_string(max)); return {}; }
    if (n > rest_.size()) { fail("truncated " + std::string(what)); return {}; }
    std::string out(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return out;
  }
  Dot dot(std::string_view what) {
    Dot d;
    d.actor = bytes(what, limits::kMaxActorBytes);
    d.counter = varint(what);
    d.stamp_ms = varint(what);
    return d;
  }
  Dot real_dot(std::string_view what) {
    Dot d = dot(what);
    if (!failed() && d.counter == 0) fail(std::string(what) + " has counter 0");
    return d;
  }

  std::optional<Version> version() {
    Version v;
    v.dot = real_dot("version dot");
    std::uint64_t n_entries = varint("context entry count");
    if (n_entries > limits::kMaxClockEntries) fail("context holds " + std::to_string(n_entries) + " entries, over kMaxClockEntries");
    std::vector<ClockEntry> entries;
    for (std::uint64_t i = 0; i < n_entries && !failed(); ++i) {
      Dot d = real_dot("context entry");
      if (!entries.empty() && !(entries.back().actor < d.actor)) fail("context entries not sorted by actor");
      entries.push_back(ClockEntry{std::move(d.actor), d.counter, d.stamp_ms});
    }
    std::uint64_t n_cloud = varint("context dot count");
    if (n_cloud > limits::kMaxContextDots) fail("context holds " + std::to_string(n_cloud) + " loose dots, over kMaxContextDots");
    std::vector<Dot> cloud;
    for (std::uint64_t i = 0; i < n_cloud && !failed(); ++i) cloud.push_back(real_dot("context dot"));
    std::uint8_t tag = byte("value tag");
    if (tag == kValue) {
      v.value = bytes("value", limits::kMaxValueBytes);
    } else if (tag != kTombstone) {
      fail("unknown value tag " + std::to_string(tag));
    }
    if (failed()) return std::nullopt;
    // Only a canonical encoding is accepted, so that equal contexts have equal bytes.
    VectorClock summary = VectorClock::from_entries(entries);
    v.context = CausalContext::from_parts(summary, cloud);
    if (v.context.summary().entries() != entries || v.context.cloud() != cloud) {
      fail("context is not in canonical form");
      return std::nullopt;
    }
    return v;
  }

 private:
  std::string_view rest_;
  std::string problem_;
};

Error corrupt(std::string_view name, const std::string& problem) {
  return Error{"corrupt stored record for key '" + printable_key(name) + "': " + problem +
               " (restore the key from another replica, e.g. by anti-entropy)"};
}

// Checks header and checksum; on success returns the body.
Result<std::string_view> open_record(std::string_view name, std::string_view bytes, Kind kind) {
  auto error = [&](const std::string& what) { return corrupt(name, what); };
  if (bytes.size() < kHeaderBytes + kCrcBytes) return error("record of " + std::to_string(bytes.size()) + " bytes is too short");
  auto version = static_cast<std::uint8_t>(bytes[0]);
  if (version == 0 || version > kFormatVersion)
    return error("format version " + std::to_string(version) + " is not one this release reads (1.." +
                 std::to_string(kFormatVersion) + "); upgrade before opening this database");
  std::string_view covered = bytes.substr(0, bytes.size() - kCrcBytes);
  std::uint32_t stored = 0;
  for (std::size_t i = 0; i < kCrcBytes; ++i)
    stored |= std::uint32_t{static_cast<std::uint8_t>(bytes[covered.size() + i])} << (8 * i);
  if (stored != crc32c(covered)) return error("checksum mismatch");
  if (static_cast<std::uint8_t>(bytes[1]) != static_cast<std::uint8_t>(kind))
    return error("record kind " + std::to_string(static_cast<std::uint8_t>(bytes[1])) + " where " +
                 std::to_string(static_cast<int>(kind)) + " was expected");
  return covered.substr(kHeaderBytes);
}

}  // namespace

namespace {

std::uint32_t crc32c_table(std::uint32_t crc, std::string_view bytes) {
  for (char c : bytes) crc = kCrcTable[(crc ^ static_cast<std::uint8_t>(c)) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
// The SSE4.2 crc32 instruction computes the same CRC-32C (Castagnoli, reflected), 8 bytes at a time:
// the table version was a tenth of a node's CPU time under load (every read and write checks one).
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::uint32_t crc, std::string_view bytes) {
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  std::uint64_t c = crc;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c = __builtin_ia32_crc32di(c, word);
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = __builtin_ia32_crc32qi(c32, static_cast<unsigned char>(*p));
  return c32;
}
const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

std::uint32_t crc32c(std::string_view bytes) {
#if defined(__x86_64__)
  if (kHaveSse42) return crc32c_sse42(0xFFFFFFFFu, bytes) ^ 0xFFFFFFFFu;
#endif
  return crc32c_table(0xFFFFFFFFu, bytes) ^ 0xFFFFFFFFu;
}

std::string printable_key(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < key.size() && i < 80; ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  if (key.size() > 80) out += "...";
  return out;
}

Result<std::string> encode_key_state(std::string_view key, const KeyState& state) {
  const std::string what = "key '" + printable_key(key) + "'";
  if (key.size() > limits::kMaxStorageKeyBytes) return Error{what + ": key exceeds kMaxStorageKeyBytes"};
  if (state.siblings.size() > limits::kMaxSiblings)
    return Error{what + ": " + std::to_string(state.siblings.size()) + " siblings exceed kMaxSiblings=" +
                 std::to_string(limits::kMaxSiblings) + "; the client must reconcile them with a put"};
  if (auto s = check_dot_limits(state.issued, what); !s.ok()) return s.error();
  std::string out = start_record(Kind::kKeyState);
  put_dot(out, state.issued);
  put_varint(out, state.siblings.size());
  for (std::size_t i = 0; i < state.siblings.size(); ++i) {
    DYNAMO_CHECK(i == 0 || state.siblings[i - 1].dot < state.siblings[i].dot);  // reconciled
    if (auto s = put_version(out, state.siblings[i], what); !s.ok()) return s.error();
  }
  finish_record(out);
  return out;
}

Result<KeyState> decode_key_state(std::string_view key, std::string_view bytes) {
  auto body = open_record(key, bytes, Kind::kKeyState);
  if (!body.ok()) return body.error();
  Reader in(body.value());
  KeyState state;
  state.issued = in.dot("issued dot");
  std::uint64_t n = in.varint("sibling count");
  if (n > limits::kMaxSiblings) in.fail(std::to_string(n) + " siblings exceed kMaxSiblings");
  for (std::uint64_t i = 0; i < n && !in.failed(); ++i) {
    auto v = in.version();
    if (!v) break;
    if (!state.siblings.empty() && !(state.siblings.back().dot < v->dot)) in.fail("siblings not sorted by dot");
    state.siblings.push_back(std::move(*v));
  }
  if (!in.failed() && !in.at_end()) in.fail("trailing bytes after the siblings");
  if (in.failed()) return corrupt(key, in.problem());
  // A stored state is reconciled: an antichain (version.h). Anything else is a bug or corruption.
  if (reconcile(state.siblings).size() != state.siblings.size())
    return corrupt(key, "siblings are not reconciled (one supersedes another)");
  return state;
}

Result<std::string> encode_hint(const Hint& hint) {
  const std::string what = "hint for key '" + printable_key(hint.key) + "'";
  if (hint.key.size() > limits::kMaxStorageKeyBytes) return Error{what + ": key exceeds kMaxStorageKeyBytes"};
  if (hint.target.empty() || hint.target.size() > limits::kMaxNodeIdBytes)
    return Error{what + ": target node id must be 1.." + std::to_string(limits::kMaxNodeIdBytes) + " bytes"};
  std::string out = start_record(Kind::kHint);
  put_bytes(out, hint.target);
  put_bytes(out, hint.key);
  if (auto s = put_version(out, hint.version, what); !s.ok()) return s.error();
  finish_record(out);
  return out;
}

Result<Hint> decode_hint(std::string_view name, std::string_view bytes) {
  auto body = open_record(name, bytes, Kind::kHint);
  if (!body.ok()) return body.error();
  Reader in(body.value());
  Hint hint;
  hint.target = in.bytes("hint target", limits::kMaxNodeIdBytes);
  hint.key = in.bytes("hint key", limits::kMaxStorageKeyBytes);
  if (!in.failed() && hint.target.empty()) in.fail("empty hint target");
  if (auto v = in.version()) hint.version = std::move(*v);
  if (!in.failed() && !in.at_end()) in.fail("trailing bytes after the hint");
  if (in.failed()) return corrupt(name, in.problem());
  return hint;
}

}  // namespace dynamo::store
