// record_codec_test.cc: stored records round-trip, carry a format version, and bad bytes are an
// Error naming the key (never a crash, never a silently different value).
#include "impl/store/record_codec.h"

#include <gtest/gtest.h>

#include "impl/core/limits.h"
#include "impl/store/storage.h"

namespace dynamo::store {
namespace {

// A key state with two concurrent siblings, a superseding write and a tombstone among them.
KeyState sample_state() {
  KeyState state;
  auto a = make_version(state, "node-a#1", CausalContext{}, std::string("cart:milk"), 1000);
  state = a.state;
  auto b = make_version(state, "node-b#7", CausalContext{}, std::string("cart:eggs\0\xff", 11), 1001);
  state = store_version(state, b.version);
  state.issued = a.state.issued;
  auto c = make_version(state, "node-a#1", a.version.history(), std::nullopt, 1002);  // delete of a
  return c.state;
}

void set_crc(std::string& bytes) {
  std::uint32_t crc = crc32c(std::string_view(bytes).substr(0, bytes.size() - 4));
  for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
}

TEST(RecordCodec, KeyStateRoundTrips) {
  KeyState state = sample_state();
  ASSERT_EQ(state.siblings.size(), 2u);
  auto bytes = encode_key_state("k", state);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  EXPECT_EQ(static_cast<std::uint8_t>(bytes.value()[0]), kFormatVersion);
  auto back = decode_key_state("k", bytes.value());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(same_state(back.value(), state));
}

TEST(RecordCodec, EmptyStateRoundTrips) {
  auto bytes = encode_key_state("k", KeyState{});
  ASSERT_TRUE(bytes.ok());
  auto back = decode_key_state("k", bytes.value());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(same_state(back.value(), KeyState{}));
}

// spec/storage-format.md "Example": the empty state's exact bytes.
TEST(RecordCodec, EmptyStateBytesMatchTheSpecExample) {
  auto bytes = encode_key_state("k", KeyState{}).value();
  ASSERT_EQ(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 6), std::string("\x01\x01\x00\x00\x00\x00", 6));
  std::uint32_t crc = crc32c(bytes.substr(0, 6));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(static_cast<std::uint8_t>(bytes[6 + i]), (crc >> (8 * i)) & 0xFF);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the CRC-32C check value
}

// RFC 3720 (iSCSI) test vectors: long enough for the 8-bytes-at-a-time path and its tail.
TEST(RecordCodec, Crc32cMatchesTheIscsiVectors) {
  EXPECT_EQ(crc32c(std::string(32, '\x00')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc32c(ascending.substr(0, 31) + ""), crc32c(ascending.substr(0, 31)));
}

TEST(RecordCodec, HintRoundTrips) {
  KeyState state = sample_state();
  Hint hint{"node-c", "cart/42", state.siblings.back()};
  auto bytes = encode_hint(hint);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  auto back = decode_hint("h", bytes.value());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value().target, "node-c");
  EXPECT_EQ(back.value().key, "cart/42");
  EXPECT_EQ(back.value().version.dot, hint.version.dot);
  EXPECT_EQ(back.value().version.context, hint.version.context);
  EXPECT_EQ(back.value().version.value, hint.version.value);
}

TEST(RecordCodec, KindsAreNotConfused) {
  KeyState state = sample_state();
  auto hint = encode_hint(Hint{"node-c", "k", state.siblings.front()});
  ASSERT_TRUE(hint.ok());
  auto as_state = decode_key_state("k", hint.value());
  ASSERT_FALSE(as_state.ok());
  EXPECT_NE(as_state.error().message.find("kind"), std::string::npos);
}

// A later release may write format 2; this release must refuse it by name rather than misread it.
TEST(RecordCodec, UnknownFormatVersionIsAnErrorNamingTheKey) {
  auto bytes = encode_key_state("cart/42", sample_state()).value();
  for (std::uint8_t version : {std::uint8_t{0}, std::uint8_t{kFormatVersion + 1}, std::uint8_t{255}}) {
    std::string changed = bytes;
    changed[0] = static_cast<char>(version);
    set_crc(changed);
    auto back = decode_key_state("cart/42", changed);
    ASSERT_FALSE(back.ok());
    EXPECT_NE(back.error().message.find("cart/42"), std::string::npos) << back.error().message;
    EXPECT_NE(back.error().message.find("format version"), std::string::npos) << back.error().message;
  }
}

TEST(RecordCodec, EveryTruncationIsAnError) {
  auto bytes = encode_key_state("k", sample_state()).value();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto back = decode_key_state("k", std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(back.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_NE(back.error().message.find("'k'"), std::string::npos);
  }
}

// The checksum turns every single bit flip into an Error: no corrupt value is served as valid.
TEST(RecordCodec, EveryBitFlipIsAnError) {
  auto bytes = encode_key_state("k", sample_state()).value();
  for (std::size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string flipped = bytes;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(decode_key_state("k", flipped).ok()) << "bit " << bit;
  }
}

// Past the checksum (a flip the CRC cannot see, or a buggy writer): the body parser itself must
// give an Error or a valid state, never crash or read out of bounds. Each flip with a fixed CRC.
TEST(RecordCodec, BodyBitFlipsPastTheChecksumNeverCrash) {
  for (const std::string& bytes : {encode_key_state("k", sample_state()).value(),
                                   encode_hint(Hint{"n", "k", sample_state().siblings[0]}).value()}) {
    int errors = 0, decoded = 0;
    for (std::size_t bit = 16; bit < (bytes.size() - 4) * 8; ++bit) {
      std::string flipped = bytes;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
      set_crc(flipped);
      bool ok = bytes[1] == 1 ? decode_key_state("k", flipped).ok() : decode_hint("k", flipped).ok();
      (ok ? decoded : errors)++;
    }
    EXPECT_GT(errors, 0);
    EXPECT_EQ(errors + decoded, static_cast<int>((bytes.size() - 6) * 8));
  }
}

TEST(RecordCodec, TrailingBytesAreAnError) {
  auto bytes = encode_key_state("k", sample_state()).value();
  bytes.insert(bytes.size() - 4, "x");
  set_crc(bytes);
  auto back = decode_key_state("k", bytes);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("trailing"), std::string::npos);
}

TEST(RecordCodec, LimitsAreRefusedWhenWriting) {
  KeyState state;
  for (std::size_t i = 0; i <= limits::kMaxSiblings; ++i)
    state = store_version(state, make_version(KeyState{}, "n" + std::to_string(i), {}, "v", 1).version);
  ASSERT_EQ(state.siblings.size(), limits::kMaxSiblings + 1);
  auto over = encode_key_state("k", state);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("kMaxSiblings"), std::string::npos);

  KeyState big = make_version(KeyState{}, "n", {}, std::string(limits::kMaxValueBytes + 1, 'x'), 1).state;
  auto too_big = encode_key_state("k", big);
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.error().message.find("kMaxValueBytes"), std::string::npos);
  EXPECT_FALSE(encode_key_state(std::string(limits::kMaxStorageKeyBytes + 1, 'k'), KeyState{}).ok());
}

TEST(RecordCodec, ErrorsPrintKeysSafely) {
  EXPECT_EQ(printable_key(std::string("a\0'b", 4)), "a\\x00\\x27b");
  EXPECT_EQ(printable_key(std::string(100, 'k')).size(), 83u);
}

}  // namespace
}  // namespace dynamo::store
