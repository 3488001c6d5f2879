// durable_file.h: small files a node keeps beside its storage (the epoch, the membership view),
// replaced atomically and durably: a crash leaves the old content or the new, never a mix.
#pragma once

#include <optional>
#include <string>

#include "impl/core/result.h"

namespace dynamo::node {

// Writes path.tmp, fsyncs it, renames it over path and fsyncs the directory.
Status replace_file_durably(const std::string& dir, const std::string& path, const std::string& bytes);
// The file's bytes; nullopt when it does not exist; an Error when it exists but cannot be read.
Result<std::optional<std::string>> read_whole_file(const std::string& path);

}  // namespace dynamo::node
