// Fuzzes the trace reader: traces are outside input (any implementation writes them, spec/trace-format.md),
// so any bytes must give a typed trace or an error naming a line, never a crash, a hang, or unbounded
// memory. Traps when a result breaks the reader's invariants (impl/check/trace_reader.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "impl/check/trace_reader.h"

namespace {

using dynamo::check::ActionKind;
using dynamo::check::Trace;
using dynamo::check::TraceVersion;

// Lines as the reader counts them: a final '\n' ends the last line rather than starting another.
std::size_t lines_of(std::string_view text) {
  if (text.empty()) return 0;
  if (text.back() == '\n') text.remove_suffix(1);
  std::size_t n = 1;
  for (char c : text) n += c == '\n';
  return n;
}

// The first `count` lines of `text`, each with its '\n'.
std::string_view first_lines(std::string_view text, std::size_t count) {
  std::size_t end = 0;
  for (std::size_t i = 0; i < count; ++i) end = text.find('\n', end) + 1;
  return text.substr(0, end);
}

void check_trace(const Trace& t, std::size_t lines) {
  const auto& h = t.header;
  const std::size_t nodes = h.nodes.size();
  if (nodes == 0 || h.keys.empty() || t.actions.size() + 1 != lines) __builtin_trap();
  if (!(1 <= h.r && h.r <= h.n && 1 <= h.w && h.w <= h.n && static_cast<std::size_t>(h.n) <= nodes)) __builtin_trap();
  for (const auto& k : h.keys) {
    if (k.key.empty() || k.walk.size() != nodes) __builtin_trap();
    std::string seen(nodes, 0);
    for (auto n : k.walk)
      if (n >= nodes || seen[n]++) __builtin_trap();
  }
  auto node_ok = [&](std::uint32_t n) { if (n >= nodes) __builtin_trap(); };
  auto key_ok = [&](std::uint32_t k) { if (k >= h.keys.size()) __builtin_trap(); };
  auto version_ok = [&](const TraceVersion& v) {
    node_ok(v.dot.node);
    if (v.dot.counter < 1) __builtin_trap();
    for (const auto& d : v.ctx) node_ok(d.node);
  };
  std::uint64_t puts = 0, gets = 0;
  for (std::size_t i = 0; i < t.actions.size(); ++i) {
    const auto& a = t.actions[i];
    if (a.line != i + 2) __builtin_trap();
    node_ok(a.node);
    key_ok(a.key);
    if (a.kind == ActionKind::kCoordinatePut) {
      if (a.id != ++puts || a.targets.size() != static_cast<std::size_t>(h.n) || a.dot.node != a.node) __builtin_trap();
      if (a.dot.epoch != a.epoch || a.client.empty()) __builtin_trap();
    }
    if (a.kind == ActionKind::kClientGet && (a.id != ++gets || a.targets.size() != static_cast<std::size_t>(h.n))) __builtin_trap();
    if (a.kind == ActionKind::kResendPut && (a.targets.size() != 1 || !a.targets[0].hint || a.targets[0].node == a.node))
      __builtin_trap();
    if ((a.kind == ActionKind::kCompletePut || a.kind == ActionKind::kPersistPut || a.kind == ActionKind::kPutTimeout ||
         a.kind == ActionKind::kResendPut) &&
        (a.id < 1 || a.id > puts))
      __builtin_trap();
    if ((a.kind == ActionKind::kCompleteGet || a.kind == ActionKind::kReadRepair || a.kind == ActionKind::kGetTimeout) &&
        (a.id < 1 || a.id > gets)) {
      __builtin_trap();
    }
    for (const auto& target : a.targets) {
      node_ok(target.node);
      if (target.hint) node_ok(*target.hint);
    }
    if (a.msg) {
      node_ok(a.msg->to);
      node_ok(a.msg->from);
      key_ok(a.msg->key);
      if (a.msg->ver) version_ok(*a.msg->ver);
      for (const auto& v : a.msg->vers) version_ok(v);
    }
    for (const auto& v : a.siblings) version_ok(v);
    for (const auto& v : a.view) version_ok(v);
    for (const auto& r : a.replies) node_ok(r.from);
    for (auto n : a.to) node_ok(n);
    if (a.hint) {
      node_ok(a.hint->to);
      key_ok(a.hint->key);
      version_ok(a.hint->ver);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t lines = lines_of(text);
  const auto result = dynamo::check::read_trace(text);
  if (result.ok()) {
    check_trace(result.value(), lines);
    return 0;
  }
  // "line N: ...", N a line of the input (line 1 for an empty input), the message short and UTF-8.
  const std::string& message = result.error().message;
  if (message.rfind("line ", 0) != 0 || message.size() > 1024) __builtin_trap();
  std::size_t at = 5, line = 0;
  while (at < message.size() && message[at] >= '0' && message[at] <= '9') line = line * 10 + (message[at++] - '0');
  if (at == 5 || message.compare(at, 2, ": ") != 0 || line < 1 || line > (lines == 0 ? 1 : lines)) __builtin_trap();
  try {
    (void)nlohmann::json(message).dump();  // throws on invalid UTF-8
  } catch (const nlohmann::json::exception&) {
    __builtin_trap();
  }
  // The checks are sequential: the lines before the first bad one are a well-formed trace.
  if (line >= 2) {
    const auto prefix = dynamo::check::read_trace(first_lines(text, line - 1));
    if (!prefix.ok()) __builtin_trap();
    check_trace(prefix.value(), line - 1);
  }
  return 0;
}
