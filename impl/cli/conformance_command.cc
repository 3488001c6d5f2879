// `dynamo conformance FILE...`: checks this implementation against conformance vector files.
#include <cstdio>
#include <string>
#include <vector>

#include "impl/cli/commands.h"
#include "impl/cli/read_file.h"
#include "impl/conformance/runner.h"

namespace dynamo::cli {
namespace {

void run(const std::vector<std::string>& files, bool quiet) {
  int passed = 0, failed = 0, unreadable = 0;
  for (const std::string& path : files) {
    const Result<std::string> text = read_file(path, conformance::kMaxVectorFileBytes);
    if (!text.ok()) {
      std::fprintf(stderr, "%s\n", text.error().message.c_str());
      ++unreadable;
      continue;
    }
    const conformance::FileReport report = conformance::run_vector_text(path, text.value());
    if (!report.error.empty()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), report.error.c_str());
      ++unreadable;
      continue;
    }
    for (const std::string& failure : report.failures) std::printf("FAIL %s: %s\n", path.c_str(), failure.c_str());
    if (!quiet) std::printf("%s: %d passed, %d failed\n", path.c_str(), report.passed, report.failed);
    passed += report.passed;
    failed += report.failed;
  }
  std::printf("conformance: %d cases passed, %d failed, %d files unreadable\n", passed, failed, unreadable);
  if (unreadable > 0) throw CLI::RuntimeError("", kExitUsage);
  if (failed > 0) throw CLI::RuntimeError("", kExitFailed);
}

}  // namespace

void add_conformance_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "conformance",
      "Check this implementation against conformance vector files (spec/vectors/*.json; format in "
      "spec/README.md). Prints a diff per mismatching case; exit 1 on any mismatch, 2 on an unreadable file.");
  auto files = std::make_shared<std::vector<std::string>>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("files", *files, "vector files to check")->required();
  cmd->add_flag("-q,--quiet", *quiet, "print only failures and the total");
  cmd->callback([files, quiet] { run(*files, *quiet); });
}

}  // namespace dynamo::cli
