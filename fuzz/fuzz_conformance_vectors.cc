// Fuzzes the conformance-vector parser and runner: vector files are outside input (users run
// other implementations' files through `dynamo conformance`), so any bytes must give a report or
// an error, never a crash, a hang, or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "impl/conformance/runner.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const dynamo::conformance::FileReport report = dynamo::conformance::run_vector_text("fuzz", text);
  // A report is either an error or a count of cases that adds up.
  if (!report.error.empty() && (report.passed != 0 || report.failed != 0)) __builtin_trap();
  if (report.failed != static_cast<int>(report.failures.size())) __builtin_trap();
  return 0;
}
