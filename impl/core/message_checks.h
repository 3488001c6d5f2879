// message_checks.h: the limits every peer message and client context is held to before the node
// core acts on it (limits.h). A message that fails is dropped and counted; a client request that
// fails is refused with the message, which names the limit.
#pragma once

#include "impl/core/causal_context.h"
#include "impl/core/messages.h"
#include "impl/core/result.h"
#include "impl/core/version.h"

namespace dynamo {

// A context from outside: at most kMaxClockEntries actors in its summary and kMaxContextDots loose
// dots, every actor 1..kMaxActorBytes bytes.
Status check_context(const CausalContext& context);
// A version from outside: a real dot, a value within kMaxValueBytes, a context as above.
Status check_version(const Version& version);
// Store name, key (1..kMaxKeyBytes bytes), and every version a peer message carries (at most
// 2 * kMaxSiblings: a replica's siblings and the hints it keeps for the key).
Status check_peer_message(const PeerMessage& message);

}  // namespace dynamo
