// read_file.h: reading an input file given on the command line, refusing it before loading when it
// is larger than the caller's limit (inputs come from anyone; a huge file must not exhaust memory).
#pragma once

#include <cstdint>
#include <string>

#include "impl/core/result.h"

namespace dynamo::cli {

// The whole file, or an Error that starts with the path and says what failed (unreadable, or larger
// than `max_bytes`, naming the limit).
Result<std::string> read_file(const std::string& path, std::uint64_t max_bytes);

}  // namespace dynamo::cli
