// wire_frame.h: the framing every top-level wire message shares (internal to impl/net/wire*.cc):
// flat bytes out, a size-checked, word-aligned, limit-bounded reader in, the version-then-kind header
// check, and the guard that turns every decoding failure into an Error starting with "wire: ".
#pragma once

#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include "impl/core/result.h"
#include "impl/net/wire.h"
#include "impl/net/wire_convert.h"

namespace dynamo::net::wire_detail {

inline std::string num(std::uint64_t n) { return std::to_string(n); }

// --- framing ---

inline std::string to_bytes(capnp::MessageBuilder& message) {
  const kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  const auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

// One received message: checked for size, copied to word-aligned memory (the input may be
// unaligned) and opened with the limits' ReaderOptions. Throws WireError or kj::Exception.
class Frame {
 public:
  Frame(std::string_view bytes, const WireLimits& limits, const char* kind) {
    if (bytes.empty()) fail(std::string("empty ") + kind + " (0 bytes)");
    if (bytes.size() > limits.max_message_bytes)
      fail(std::string(kind) + " of " + num(bytes.size()) + " bytes, limit " + num(limits.max_message_bytes));
    if (bytes.size() % sizeof(capnp::word) != 0)
      fail(std::string(kind) + " of " + num(bytes.size()) +
           " bytes is truncated or padded: a Cap'n Proto message is a whole number of 8-byte words");
    words_ = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
    std::memcpy(words_.begin(), bytes.data(), bytes.size());
    capnp::ReaderOptions options;
    options.traversalLimitInWords = limits.traversal_limit_words;
    options.nestingLimit = limits.nesting_limit;
    reader_.emplace(kj::ArrayPtr<const capnp::word>(words_.begin(), words_.size()), options);
    if (reader_->getEnd() != words_.end()) {
      const auto extra = static_cast<std::size_t>(words_.end() - reader_->getEnd()) * sizeof(capnp::word);
      fail(std::string(kind) + " has " + num(extra) + " bytes after the end of its Cap'n Proto message");
    }
  }
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;

  template <class T>
  typename T::Reader root() {
    return reader_->getRoot<T>();
  }

 private:
  kj::Array<capnp::word> words_;
  std::optional<capnp::FlatArrayMessageReader> reader_;
};

// Runs a decoder, turning every failure into an Error that starts with "wire: ".
template <class T, class F>
Result<T> guarded(const char* kind, F&& decode) {
  try {
    return decode();
  } catch (const WireError& e) {
    return Error{"wire: " + e.message};
  } catch (const kj::Exception& e) {
    return Error{std::string("wire: malformed ") + kind + ": " + e.getDescription().cStr()};
  }
}

inline const char* kind_name(schema::MessageKind kind) {
  switch (kind) {
    case schema::MessageKind::UNSET: return "message of no kind";
    case schema::MessageKind::PEER_BATCH: return "PeerBatch";
    case schema::MessageKind::CLIENT_BATCH: return "ClientBatch";
    case schema::MessageKind::REPLY_BATCH: return "ReplyBatch";
    case schema::MessageKind::CONTEXT_TOKEN: return "context";
    case schema::MessageKind::MEMBERSHIP: return "MembershipMessage";
  }
  return "message of unknown kind";
}

// The version, then the kind: both before any other field is read.
template <class Reader>
void check_header(Reader root, schema::MessageKind expected) {
  const char* name = kind_name(expected);
  if (root.getVersion() != kProtocolVersion)
    fail(std::string(name) + " version " + num(root.getVersion()) + ", this node speaks " + num(kProtocolVersion));
  if (root.getKind() != expected)
    fail(std::string("expected a ") + name + ", got a " + kind_name(root.getKind()) + " (kind " +
         num(static_cast<unsigned>(root.getKind())) + "; sent to the wrong port?)");
}

}  // namespace dynamo::net::wire_detail
