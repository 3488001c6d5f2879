// Fuzzes the history parser and checker: histories are outside input (other implementations' test
// harnesses feed `dynamo check-history`), so any bytes must give a verdict or a malformed report
// naming a line, never a crash, a hang, or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "impl/check/history_checker.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const dynamo::check::CheckReport report = dynamo::check::check_history_text(text);
  // The report's invariants (history_checker.h).
  const bool malformed = report.verdict == dynamo::check::Verdict::kMalformed;
  if (malformed != report.error.has_value()) __builtin_trap();
  if (malformed && (!report.lost.empty() || !report.phantoms.empty() || report.events != 0)) __builtin_trap();
  const bool problems = !report.lost.empty() || !report.phantoms.empty();
  if (!malformed && problems != (report.verdict == dynamo::check::Verdict::kInvalid)) __builtin_trap();
  if (report.lost.size() > report.acknowledged) __builtin_trap();
  // The verdict always serialises (every string in it came from valid UTF-8).
  if (report_to_json(report).dump().empty()) __builtin_trap();
  return 0;
}
