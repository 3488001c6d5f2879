// durability.h: how durable a write must be before the node acts on it.
#pragma once

namespace dynamo {

enum class Durability {
  kBuffered,  // may be lost by a crash until a later durable write or sync (paper §6.1, Fig. 5)
  kDurable,   // on stable storage before its completion is reported (one fsync, shared by a batch)
};

}  // namespace dynamo
