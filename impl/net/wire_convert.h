// wire_convert.h: the codec's shared pieces (internal to impl/net/wire*.cc): bounded reads of text,
// data and lists, and the conversions of dots, contexts and versions between the core's types and
// the generated Cap'n Proto types of spec/dynamo.capnp.
//
// Readers never trust a length or a count: each is checked against its limit before anything is
// copied. A failed check throws WireError (caught at the codec's edge, wire.cc, and returned as an
// Error); capnp's own checks throw kj::Exception, caught at the same place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <capnp/blob.h>
#include <capnp/list.h>

#include "impl/core/causal_context.h"
#include "impl/core/dot.h"
#include "impl/core/version.h"
#include "spec/dynamo.capnp.h"

namespace dynamo::net::wire_detail {

// A malformed field; `message` names it and what is wrong, without the "wire: " prefix.
struct WireError {
  std::string message;
};
[[noreturn]] void fail(std::string message);

// Text and Data, checked to hold min..max bytes; `what` names the field ("key", "actor").
std::string read_text(capnp::Text::Reader text, const char* what, std::size_t max, std::size_t min = 0);
std::string read_data(capnp::Data::Reader data, const char* what, std::size_t max, std::size_t min = 0);
// A list's length, checked to be at most max.
void check_count(std::size_t count, const char* what, std::size_t max);
// The value as capnp wants it (no copy; the string must outlive the call that copies it).
capnp::Text::Reader text_of(const std::string& s);
capnp::Data::Reader data_of(const std::string& s);

// Every dot on the wire: an actor of 1..kMaxActorBytes bytes and a counter of 1..kMaxCounter-1.
void write_dot(schema::Dot::Builder out, const Dot& dot);
Dot read_dot(schema::Dot::Reader in, const char* what);

// Summary entries of 1..kMaxActorBytes-byte actors and counters below kMaxCounter (0 is dropped),
// at most kMaxClockEntries of them; at most kMaxContextDots loose dots. Normalised on reading
// (CausalContext::from_parts), so any set of dots round-trips to its canonical encoding.
void write_context(schema::Context::Builder out, const CausalContext& context);
CausalContext read_context(schema::Context::Reader in);

// A value of at most kMaxValueBytes bytes, or a tombstone.
void write_version(schema::Version::Builder out, const Version& version);
Version read_version(schema::Version::Reader in);
void write_versions(capnp::List<schema::Version>::Builder out, const std::vector<Version>& versions);
std::vector<Version> read_versions(capnp::List<schema::Version>::Reader in, const char* what, std::size_t max);

}  // namespace dynamo::net::wire_detail
