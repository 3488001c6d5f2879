// epoch_file.h: the node's epoch, kept in DATA_DIR/epoch and incremented at every start (durably,
// before the node serves anything), so that dots made after a restart never reuse a counter of the
// node's previous life (spec/README.md "Actors and dots": the actor is "id#epoch").
#pragma once

#include <cstdint>
#include <string>

#include "impl/core/result.h"

namespace dynamo::node {

// Reads DATA_DIR/epoch, writes the next value durably (temporary file, fsync, rename, fsync of the
// directory) and returns it. Errors: I/O, or a file that is not a number.
//
// Without the file the epoch is `first_epoch` (the caller passes the wall clock in milliseconds), not
// 1: a data directory without an epoch file may be the wiped directory of a node that lived before,
// whose dots (n#1, n#2, ...) other replicas still hold; restarting at 1 would reissue them for other
// writes, and a replica that holds a dot takes a new version with the same dot for one it already
// has (a lost write). A clock ahead of every earlier epoch of the node is all this needs.
Result<std::uint64_t> next_epoch(const std::string& data_dir, std::uint64_t first_epoch);

}  // namespace dynamo::node
