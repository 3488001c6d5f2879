#include "impl/node/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace dynamo::node {
namespace {

std::mutex log_mutex;
std::string identity = "-";
LogLevel threshold = LogLevel::kInfo;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}

}  // namespace

void set_log_identity(std::string node_id) {
  std::lock_guard lock(log_mutex);
  identity = std::move(node_id);
}

void set_log_level(LogLevel level) {
  std::lock_guard lock(log_mutex);
  threshold = level;
}

void log(LogLevel level, std::string_view text) {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = ms / 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::lock_guard lock(log_mutex);
  if (level < threshold) return;
  std::fprintf(stderr, "%s.%03dZ %s %s %.*s\n", stamp, static_cast<int>(ms % 1000), identity.c_str(),
               level_name(level), static_cast<int>(text.size()), text.data());
  std::fflush(stderr);
}

}  // namespace dynamo::node
