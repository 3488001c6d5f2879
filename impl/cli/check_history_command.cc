// `dynamo check-history FILE [--json]`: reports every acknowledged write a client history shows lost
// (format and definitions in spec/history-format.md). Exit 0 valid, 1 invalid (lost writes or
// phantom reads), 2 malformed or incomplete history, or an unreadable file.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "impl/check/history_checker.h"
#include "impl/cli/commands.h"
#include "impl/cli/read_file.h"

namespace dynamo::cli {
namespace {

std::string show(const check::WriteId& write) {
  return write.deleted ? "tombstone of delete \"" + write.id + "\"" : "\"" + write.id + "\"";
}

void print_text(const std::string& path, const check::CheckReport& report) {
  if (report.error) {
    std::printf("%s: malformed history: %s\n", path.c_str(), report.error->to_string().c_str());
    return;
  }
  std::printf("%s: %zu events, %zu keys\n", path.c_str(), report.events, report.keys);
  std::printf("writes: %zu acknowledged, %zu failed, %zu unknown; reads: %zu\n", report.acknowledged, report.failed,
              report.unknown, report.reads);
  for (const check::LostWrite& lost : report.lost) {
    std::printf("LOST key \"%s\": %s (op \"%s\", process \"%s\"): %s", lost.key.c_str(), show(lost.write).c_str(),
                lost.op.c_str(), lost.process.c_str(), lost.why.c_str());
    if (lost.last_seen_by) std::printf("; last returned by get \"%s\"", lost.last_seen_by->c_str());
    std::printf("\n");
  }
  for (const check::Phantom& phantom : report.phantoms) {
    std::printf("PHANTOM key \"%s\": get \"%s\" returned %s: %s\n", phantom.key.c_str(), phantom.get.c_str(),
                show(phantom.returned).c_str(), phantom.why.c_str());
  }
  std::printf("verdict: %s (%zu lost, %zu phantoms)\n", check::verdict_name(report.verdict), report.lost.size(),
              report.phantoms.size());
}

void run(const std::string& path, bool as_json) {
  Result<std::string> text = read_file(path, check::history_limits::kMaxHistoryBytes);
  if (!text.ok()) throw CLI::RuntimeError(text.error().message, kExitUsage);
  const check::CheckReport report = check::check_history_text(text.value());
  if (as_json) {
    std::printf("%s\n", check::report_to_json(report).dump(2).c_str());
  } else {
    print_text(path, report);
  }
  switch (report.verdict) {
    case check::Verdict::kValid: return;
    case check::Verdict::kInvalid: throw CLI::RuntimeError("", kExitFailed);
    case check::Verdict::kMalformed: throw CLI::RuntimeError("", kExitUsage);
  }
}

}  // namespace

void add_check_history_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "check-history",
      "Check a client history (NDJSON, spec/history-format.md) for lost acknowledged writes and phantom reads. "
      "Exit 0 valid, 1 invalid, 2 malformed or incomplete history.");
  auto file = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  cmd->add_option("file", *file, "history file, one event per line")->required();
  cmd->add_flag("--json", *as_json, "print the verdict as JSON instead of a readable report");
  cmd->callback([file, as_json] { run(*file, *as_json); });
}

}  // namespace dynamo::cli
