// cluster_secret.h: the cluster secret on disk (docs/security.md). A secret lives in a file of its
// own (or inline in the node's configuration file), never on the command line, where `ps` and shell
// histories show it to everyone on the machine.
#pragma once

#include <string>

#include "impl/core/result.h"

namespace dynamo::node {

// Refuses a file that group or others may read or write (mode & 077), as ssh does for private keys:
// "PATH is accessible by group or others (mode 0644); run chmod 600 PATH".
Status check_private(const std::string& path);

// The secret in `path`: a regular private file (check_private) of at most 4 KiB, trailing spaces,
// tabs and line ends dropped (so `openssl rand -hex 32 > FILE` works), then 16..1024 bytes.
Result<std::string> read_secret_file(const std::string& path);

// Writes a new random secret (32 bytes from OpenSSL's RAND_bytes, as 64 hex digits) to `path`,
// created with mode 0600; an existing file is kept as it is (a restarted cluster keeps its secret).
Status ensure_secret_file(const std::string& path);

}  // namespace dynamo::node
