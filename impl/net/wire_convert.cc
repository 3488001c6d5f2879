#include "impl/net/wire_convert.h"

#include <utility>

#include "impl/core/limits.h"
#include "impl/core/message_checks.h"

namespace dynamo::net::wire_detail {

void fail(std::string message) { throw WireError{std::move(message)}; }

namespace {

void check_size(const char* what, std::size_t size, std::size_t min, std::size_t max) {
  if (size > max) fail(std::string(what) + " of " + std::to_string(size) + " bytes, limit " + std::to_string(max));
  if (size < min) fail(std::string(what) + " of " + std::to_string(size) + " bytes, it must hold at least " + std::to_string(min));
}

void check_counter(const char* what, std::uint64_t counter, bool zero_allowed) {
  if (counter >= limits::kMaxCounter)
    fail(std::string(what) + " counter " + std::to_string(counter) + " is not below 2^62");
  if (counter == 0 && !zero_allowed) fail(std::string(what) + " counter is 0, dots count from 1");
}

}  // namespace

std::string read_text(capnp::Text::Reader text, const char* what, std::size_t max, std::size_t min) {
  check_size(what, text.size(), min, max);
  return std::string(text.begin(), text.size());
}

std::string read_data(capnp::Data::Reader data, const char* what, std::size_t max, std::size_t min) {
  check_size(what, data.size(), min, max);
  return std::string(reinterpret_cast<const char*>(data.begin()), data.size());
}

void check_count(std::size_t count, const char* what, std::size_t max) {
  if (count > max) fail(std::to_string(count) + " " + what + ", limit " + std::to_string(max));
}

capnp::Text::Reader text_of(const std::string& s) { return capnp::Text::Reader(s.c_str(), s.size()); }

capnp::Data::Reader data_of(const std::string& s) {
  return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

void write_dot(schema::Dot::Builder out, const Dot& dot) {
  out.setActor(text_of(dot.actor));
  out.setCounter(dot.counter);
  out.setStampMs(dot.stamp_ms);
}

Dot read_dot(schema::Dot::Reader in, const char* what) {
  Dot dot;
  dot.actor = read_text(in.getActor(), "actor", limits::kMaxActorBytes, 1);
  dot.counter = in.getCounter();
  check_counter(what, dot.counter, false);
  dot.stamp_ms = in.getStampMs();
  return dot;
}

void write_context(schema::Context::Builder out, const CausalContext& context) {
  const auto& entries = context.summary().entries();
  auto summary = out.initSummary(static_cast<unsigned>(entries.size()));
  for (unsigned i = 0; i < entries.size(); ++i) {
    summary[i].setActor(text_of(entries[i].actor));
    summary[i].setCounter(entries[i].counter);
    summary[i].setStampMs(entries[i].stamp_ms);
  }
  const auto& dots = context.cloud();
  auto cloud = out.initCloud(static_cast<unsigned>(dots.size()));
  for (unsigned i = 0; i < dots.size(); ++i) write_dot(cloud[i], dots[i]);
}

CausalContext read_context(schema::Context::Reader in) {
  const auto summary = in.getSummary();
  check_count(summary.size(), "summary entries in a context", limits::kMaxClockEntries);
  std::vector<ClockEntry> entries;
  entries.reserve(summary.size());
  for (const auto entry : summary) {
    ClockEntry e{read_text(entry.getActor(), "actor", limits::kMaxActorBytes, 1), entry.getCounter(),
                 entry.getStampMs()};
    check_counter("a summary entry's", e.counter, true);
    entries.push_back(std::move(e));
  }
  const auto cloud = in.getCloud();
  check_count(cloud.size(), "loose dots in a context", limits::kMaxContextDots);
  std::vector<Dot> dots;
  dots.reserve(cloud.size());
  for (const auto dot : cloud) dots.push_back(read_dot(dot, "a loose dot's"));
  CausalContext context = CausalContext::from_parts(VectorClock::from_entries(std::move(entries)), std::move(dots));
  // Normalising folds loose dots into the summary, which can then name more actors than allowed.
  if (auto status = check_context(context); !status.ok()) fail(status.error().message);
  return context;
}

void write_version(schema::Version::Builder out, const Version& version) {
  write_dot(out.initDot(), version.dot);
  write_context(out.initContext(), version.context);
  if (version.value) {
    out.setValue(data_of(*version.value));
  } else {
    out.setTombstone();
  }
}

Version read_version(schema::Version::Reader in) {
  Version version;
  version.dot = read_dot(in.getDot(), "a version's dot");
  version.context = read_context(in.getContext());
  switch (in.which()) {
    case schema::Version::VALUE:
      version.value = read_data(in.getValue(), "value", limits::kMaxValueBytes);
      break;
    case schema::Version::TOMBSTONE:
      break;
    default:
      fail("version of unknown kind " + std::to_string(static_cast<unsigned>(in.which())));
  }
  return version;
}

void write_versions(capnp::List<schema::Version>::Builder out, const std::vector<Version>& versions) {
  for (unsigned i = 0; i < versions.size(); ++i) write_version(out[i], versions[i]);
}

std::vector<Version> read_versions(capnp::List<schema::Version>::Reader in, const char* what, std::size_t max) {
  check_count(in.size(), what, max);
  std::vector<Version> versions;
  versions.reserve(in.size());
  for (const auto version : in) versions.push_back(read_version(version));
  return versions;
}

}  // namespace dynamo::net::wire_detail
