// log.h: the node's log lines, one per event, on stderr: "2026-11-25T22:41:07.123Z n1 WARN text".
// Plain and greppable (the e2e tests and `dynamo cluster up` read them); a mutex keeps lines whole
// when NNG's threads and the event loop log at once.
#pragma once

#include <string>
#include <string_view>

namespace dynamo::node {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// The node id printed on every line, and the lowest level printed (default kInfo).
void set_log_identity(std::string node_id);
void set_log_level(LogLevel level);
void log(LogLevel level, std::string_view text);

inline void log_info(std::string_view text) { log(LogLevel::kInfo, text); }
inline void log_warn(std::string_view text) { log(LogLevel::kWarn, text); }
inline void log_error(std::string_view text) { log(LogLevel::kError, text); }

}  // namespace dynamo::node
