// epoch_file.h: the node's epoch, kept in DATA_DIR/epoch and incremented at every start (durably,
// before the node serves anything), so that dots made after a restart never reuse a counter of the
// node's previous life (spec/README.md "Actors and dots": the actor is "id#epoch").
#pragma once

#include <cstdint>
#include <string>

#include "impl/core/result.h"

namespace dynamo::node {

// Reads DATA_DIR/epoch (0 when absent), writes the next value durably (temporary file, fsync,
// rename, fsync of the directory) and returns it. Errors: I/O, or a file that is not a number.
Result<std::uint64_t> next_epoch(const std::string& data_dir);

}  // namespace dynamo::node
