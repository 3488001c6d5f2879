# dynamo.capnp: the bytes Dynamo nodes and clients exchange.
#
# This file is the wire protocol's specification; spec/README.md "Wire protocol" describes the
# transport, the framing and what a receiver does with a malformed message. Every top-level message
# (PeerBatch, ClientBatch, ReplyBatch, ContextToken) is one unpacked Cap'n Proto message, with its
# segment table, and is the whole payload of one NNG message.
#
# Conventions, for every field below:
#   * `version` is the first field of every top-level message and is checked before anything else:
#     a receiver that does not speak exactly that version refuses the whole message (no guessing).
#     A message with an absent/zero version is refused too. The current version is `protocolVersion`.
#   * `kind` comes next and names the top-level message (MessageKind); a receiver refuses a message
#     of another kind. Without it, Cap'n Proto's lenient reading would let one kind parse as another
#     (a PeerBatch read as a ClientBatch is a list of empty calls), e.g. from a client pointed at a
#     node's peer port.
#   * Lengths and counts are bounded (spec/README.md "Wire protocol", Limits); a receiver refuses the
#     whole message when any field exceeds its bound, never truncates it.
#   * Text fields are UTF-8 by convention (receivers compare them bytewise and never validate);
#     Data fields (keys, values) are arbitrary bytes.
#   * A union with a `none`/`storeDefault` arm is how an optional value is written: the other arm
#     holds the value when present.
#   * Ids of requests (putId, getId, requestId, sequence) mean something only to whoever chose them;
#     the receiver echoes them back unchanged.
#   * Enumerations are closed: a receiver refuses a message with an enumerant it does not know.
#
# Field names follow the C++ core (impl/core/messages.h) and the TLA+ specification's messages
# (tla/Dynamo.tla): Store, StoreAck, Read, ReadReply, Repair, Handoff, HandoffAck; plus KeySync and
# the Tree* messages (anti-entropy), TransferKey / TransferAck (partition transfer, tla/Membership.tla),
# and ReapQuery / ReapReply (tombstone reaping).

@0xc17897a2c3c4d901;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("dynamo::schema");

# Bumped on every incompatible change to this file.
const protocolVersion :UInt32 = 1;

# What a top-level message is; its `kind` field, checked right after `version`.
enum MessageKind {
  unset @0;          # never sent: a zeroed field is refused
  peerBatch @1;
  clientBatch @2;
  replyBatch @3;
  contextToken @4;
  membership @5;     # node -> node: gossip and join (MembershipMessage)
}

# ---------------------------------------------------------------------------------------------
# Versions and their causal metadata (spec/README.md "Actors and dots", "Contexts", "Versions").
# ---------------------------------------------------------------------------------------------

# The name of one write event: actor "node-id#epoch", counter >= 1 (and < 2^62).
# stampMs is the issuing coordinator's wall time in milliseconds: metadata used only to choose what
# truncation drops; it is not part of the dot's identity (two dots are equal when actor and counter are).
struct Dot {
  actor @0 :Text;      # 1..128 bytes
  counter @1 :UInt64;  # 1 .. 2^62-1
  stampMs @2 :UInt64;
}

# One entry of a version vector: the actor's dots 1..counter. Counter 0 means nothing (a receiver
# drops such an entry); an actor named twice keeps its largest counter.
struct ClockEntry {
  actor @0 :Text;      # 1..128 bytes
  counter @1 :UInt64;  # 0 .. 2^62-1
  stampMs @2 :UInt64;  # the stamp of the newest dot the entry covers
}

# A causal context: an exact set of dots (spec/README.md "Contexts: exact sets of dots"), written as
# a version vector `summary` plus the `cloud` of loose dots it does not cover. The set is
# summary ∪ cloud; a receiver normalises it (sorts, drops covered dots, folds contiguous dots into
# the summary), so a sender need not send the canonical form, though this implementation does.
struct Context {
  summary @0 :List(ClockEntry);  # at most 64 entries
  cloud @1 :List(Dot);           # at most 128 dots
}

# One write of one key: its dot, the exact context its writer had read, and its value or a
# tombstone (a delete is a versioned write like any other).
struct Version {
  dot @0 :Dot;
  context @1 :Context;
  union {
    value @2 :Data;      # at most 16 MiB
    tombstone @3 :Void;
  }
}

# ---------------------------------------------------------------------------------------------
# Node -> node: PUSH/PULL, one-way. One PeerBatch per NNG message.
# ---------------------------------------------------------------------------------------------

struct PeerBatch {
  version @0 :UInt32;                # protocolVersion; checked first
  kind @4 :MessageKind;              # peerBatch; checked second
  from @1 :Text;                     # the sender's node id, 1..64 bytes
  fromEpoch @2 :UInt64;              # the sender's current epoch (diagnostics)
  messages @3 :List(PeerMessage);    # at most 4096; delivered to the core in this order
}

struct PeerMessage {
  union {
    storeRequest @0 :StoreRequest;
    storeAck @1 :StoreAck;
    readRequest @2 :ReadRequest;
    readReply @3 :ReadReply;
    repairRequest @4 :RepairRequest;
    handoff @5 :Handoff;
    handoffAck @6 :HandoffAck;
    keySync @7 :KeySync;
    transferKey @8 :TransferKey;
    transferAck @9 :TransferAck;
    treeHashRequest @10 :TreeHashRequest;
    treeHashReply @11 :TreeHashReply;
    treeLeafRequest @12 :TreeLeafRequest;
    treeLeafReply @13 :TreeLeafReply;
    reapQuery @14 :ReapQuery;
    reapReply @15 :ReapReply;
  }
}

# Coordinator -> replica: store this version. `hint` names the down primary a fallback stands in
# for; empty: the receiver is a primary and stores the version as its own data.
struct StoreRequest {
  putId @0 :UInt64;
  store @1 :Text;      # store name, 1..64 bytes of [A-Za-z0-9_-]
  key @2 :Data;        # 1..1024 bytes
  version @3 :Version;
  hint @4 :Text;       # 0..64 bytes (a node id)
}

# Replica -> coordinator. stored = false when the replica refused; `refusal` says why.
# `epoch` is the replica's current epoch.
struct StoreAck {
  putId @0 :UInt64;
  dot @1 :Dot;         # the stored version's dot
  epoch @2 :UInt64;
  stored @3 :Bool;
  refusal @4 :Text;    # 0..4096 bytes
}

struct ReadRequest {
  getId @0 :UInt64;
  store @1 :Text;
  key @2 :Data;
}

# Replica -> coordinator: the replica's versions of the key (its siblings and the hints it keeps
# for it), or ok = false when it could not read.
struct ReadReply {
  getId @0 :UInt64;
  store @1 :Text;            # echoed from the ReadRequest
  key @2 :Data;              # echoed from the ReadRequest
  ok @3 :Bool;
  versions @4 :List(Version);  # at most 128
}

# Coordinator -> stale replica after a get (read repair); not acknowledged.
struct RepairRequest {
  store @0 :Text;
  key @1 :Data;
  versions @2 :List(Version);  # at most 128
}

# Fallback -> recovered primary: a hinted version coming home. `sequence` is the fallback's hint id.
struct Handoff {
  sequence @0 :UInt64;
  store @1 :Text;
  key @2 :Data;
  version @3 :Version;
}

# Primary -> fallback: the handed-off version is durable; the hint with this sender, key and dot may go.
struct HandoffAck {
  sequence @0 :UInt64;
  store @1 :Text;
  key @2 :Data;
  dot @3 :Dot;
}

# Anti-entropy between two primaries of a key: the sender's versions. Unless `reply` is set, the
# receiver answers with what it holds when that differs.
struct KeySync {
  store @0 :Text;
  key @1 :Data;
  versions @2 :List(Version);  # at most 128
  reply @3 :Bool;
}

# Partition transfer (tla/Membership.tla): a node that is no longer a primary of the key under its
# ring sends the key's versions to each primary; each stores them durably (merge) and confirms.
struct TransferKey {
  sequence @0 :UInt64;         # the sender's; echoed in the TransferAck
  store @1 :Text;
  key @2 :Data;
  versions @3 :List(Version);  # at most 128
}

# Primary -> old owner: the versions with these dots are durable here; once every primary has
# confirmed, the old owner may release the key.
struct TransferAck {
  sequence @0 :UInt64;
  store @1 :Text;
  key @2 :Data;
  dots @3 :List(Dot);          # at most 128, in the order of the TransferKey's versions
}

# Merkle anti-entropy (docs/anti-entropy.md; spec action AntiEntropy): an initiator asks a fellow
# primary of a partition for node hashes of its tree of one store, level by level where they differ,
# then for the (key, digest) listings of the differing leaves; the differing keys then travel as
# KeySync. `exchange` and `request` are the initiator's, echoed in the reply. ok = false: the
# responder cannot answer (trees not filled since its start, another shape, not a primary).
struct MerkleShape {
  partitions @0 :UInt32;       # Q, a power of two, at most 65536
  partition @1 :UInt32;        # < partitions
  depth @2 :UInt8;             # 1..5 levels below the root (16^depth leaves)
}

struct MerklePosition {
  level @0 :UInt8;             # 0 (the root) .. depth (the leaves)
  index @1 :UInt32;            # < 16^level
}

struct MerkleHash {            # 128 bits: XOR of MD5 entry hashes (merkle_tree.h)
  hi @0 :UInt64;
  lo @1 :UInt64;
}

struct MerkleEntry {
  key @0 :Data;                # 1..1024 bytes
  digest @1 :Data;             # exactly 16 bytes: MD5 of the key's version set
}

struct MerkleLeaf {
  entries @0 :List(MerkleEntry);  # at most 1024, sorted by key, no key twice
}

struct TreeHashRequest {
  exchange @0 :UInt64;
  request @1 :UInt64;
  store @2 :Text;
  shape @3 :MerkleShape;
  positions @4 :List(MerklePosition);  # at most 4096
}

struct TreeHashReply {
  exchange @0 :UInt64;
  request @1 :UInt64;
  store @2 :Text;
  partition @3 :UInt32;
  ok @4 :Bool;
  hashes @5 :List(MerkleHash);  # at most 4096, one per requested position, in order
}

struct TreeLeafRequest {
  exchange @0 :UInt64;
  request @1 :UInt64;
  store @2 :Text;
  shape @3 :MerkleShape;
  leaves @4 :List(UInt32);     # at most 64 leaf indices, each < 16^depth
}

struct TreeLeafReply {
  exchange @0 :UInt64;
  request @1 :UInt64;
  store @2 :Text;
  partition @3 :UInt32;
  ok @4 :Bool;
  leaves @5 :List(MerkleLeaf); # at most 64, one per requested leaf, in order
}

# Tombstone reaping (docs/reaping.md; tla/Membership.tla ReapTombstone). A primary whose siblings
# of a key are all tombstones older than the grace period asks every member of its ring, twice,
# whether it holds anything for the key they do not cover; when all said no both times with the
# same holdings, the same message with `reap` set tells each member holding some of them to drop
# the covered tombstones. `ring` is a digest of the sender's ring (a receiver with another ring
# answers ok = false).
struct ReapQuery {
  query @0 :UInt64;             # the querier's; echoed in the ReapReply
  store @1 :Text;
  key @2 :Data;
  ring @3 :UInt64;
  tombstones @4 :List(Version); # 1..128, tombstones only
  reap @5 :Bool;                # false: a question; true: drop what these cover
}

# Member -> querier: ok when every version it holds for the key (siblings and hints) is a tombstone
# the query's cover (a primary: exactly the query's), the key is not in transfer there, its hints
# are loaded and its ring is the querier's. `held`: the dots it holds, sorted (empty unless ok).
struct ReapReply {
  query @0 :UInt64;
  store @1 :Text;
  key @2 :Data;
  ok @3 :Bool;
  held @4 :List(Dot);           # at most 128
}

# ---------------------------------------------------------------------------------------------
# Client -> node: REQ/REP. One ClientBatch per request, answered by one ReplyBatch.
# ---------------------------------------------------------------------------------------------

struct ClientBatch {
  version @0 :UInt32;             # protocolVersion; checked first
  kind @2 :MessageKind;           # clientBatch; checked second
  calls @1 :List(ClientCall);     # at most 4096
}

struct ClientCall {
  union {
    kv @0 :ClientRequest;   # a get, put or delete
    ring @1 :RingCall;      # "how is the ring laid out?" -> RingInfo
    status @2 :StatusCall;  # "who is up, what is pending?" -> StatusInfo
    admin @3 :AdminCall;    # a membership command -> AdminAnswer
  }
}

enum OpKind {
  get @0;
  put @1;
  delete @2;
}

struct ClientRequest {
  requestId @0 :UInt64;   # the client's own; echoed in the ClientReply
  op @1 :OpKind;
  store @2 :Text;         # 0..64 bytes; empty: the store named "default"
  key @3 :Data;           # 0..1024 bytes (the node refuses an empty key with a reply)
  value @4 :Data;         # puts only; at most 16 MiB
  context @5 :Context;    # puts and deletes: the context of the client's last get; empty = blind
  r :union {              # per-request override of the store's R
    storeDefault @6 :Void;
    count @7 :Int32;      # 1..16
  }
  w :union {              # per-request override of the store's W
    storeDefault @8 :Void;
    count @9 :Int32;      # 1..16
  }
}

struct RingCall {
  requestId @0 :UInt64;
}

struct StatusCall {
  requestId @0 :UInt64;
}

# ---------------------------------------------------------------------------------------------
# Node -> client.
# ---------------------------------------------------------------------------------------------

# One answer per call, in any order (each carries its call's requestId). A batch the node could not
# decode is answered by a ReplyBatch holding exactly one BatchError.
struct ReplyBatch {
  version @0 :UInt32;             # protocolVersion; checked first
  kind @2 :MessageKind;           # replyBatch; checked second
  answers @1 :List(ClientAnswer); # at most 4096
}

struct ClientAnswer {
  union {
    reply @0 :ClientReply;
    ring @1 :RingInfo;
    status @2 :StatusInfo;
    error @3 :BatchError;
    admin @4 :AdminAnswer;
  }
}

enum ReplyStatus {
  ok @0;        # done: a put reached W stores, a get R replies
  failed @1;    # not done, and nothing was stored
  unknown @2;   # a put that may or may not have happened
  redirect @3;  # this node is not a coordinator of the key: ask one of `coordinators`
}

struct ClientReply {
  requestId @0 :UInt64;
  status @1 :ReplyStatus;
  message @2 :Text;              # why, for every status but ok; 0..4096 bytes
  siblings @3 :List(Version);    # a get: every causally-maximal version (tombstones included); at most 128
  context @4 :Context;           # a get: the read context; a put: the new version's history
  dot :union {                   # a put or delete: the new version's dot
    none @5 :Void;
    some @6 :Dot;
  }
  coordinators @7 :List(Text);   # redirect: the key's preference list (at most 16 node ids)
}

struct Member {
  id @0 :Text;                # 1..64 bytes
  dc @1 :Text;                # 1..64 bytes
  weight @2 :UInt32;          # 1..1000
  peerAddress @3 :Text;       # NNG URL for peers, e.g. tcp://127.0.0.1:7101; 0..256 bytes
  clientAddress @4 :Text;     # NNG URL for clients; 0..256 bytes
  httpAddress @5 :Text;       # http://host:port; 0..256 bytes
}

struct StoreInfo {
  name @0 :Text;              # 1..64 bytes
  n @1 :Int32;                # 1..16
  r @2 :Int32;                # 1..16
  w @3 :Int32;                # 1..16
  durableReplicas @4 :Bool;
  maxValueBytes @5 :UInt64;   # at most 16 MiB
}

# Enough to rebuild the node's ring (spec/README.md "Ring": the members in join order and Q) and
# to route keys to their coordinators.
struct RingInfo {
  requestId @0 :UInt64;
  partitions @1 :UInt32;         # Q: 1..65536
  members @2 :List(Member);      # in join order; at most 1024
  stores @3 :List(StoreInfo);    # at most 256
  view @4 :List(MemberEntry);    # the answering node's membership view, removed members included; at most 4096
  transfersPending @5 :UInt64;   # keys the answering node holds but no longer owns, or has sent and
                                 # not yet seen confirmed (its last anti-entropy pass)
}

struct PeerState {
  id @0 :Text;                # 1..64 bytes
  suspected @1 :Bool;
  hintsPending @2 :UInt64;    # hints the answering node keeps for this peer
}

struct StatusInfo {
  requestId @0 :UInt64;
  node @1 :Text;              # the answering node's id
  epoch @2 :UInt64;
  uptimeMs @3 :UInt64;
  peers @4 :List(PeerState);  # at most 1024
  requestsInFlight @5 :UInt64;
  hintsPending @6 :UInt64;
  handoffsInFlight @7 :UInt64;
  readRepairs @8 :UInt64;
  droppedMessages @9 :UInt64;
  merkleExchanges @10 :UInt64;     # Merkle tree exchanges started (docs/anti-entropy.md)
  merkleKeysRepaired @11 :UInt64;  # keys those exchanges found different
  merkleBytesSent @12 :UInt64;     # bytes of Merkle tree messages sent
  tombstonesReaped @13 :UInt64;
  keysNotOwned @14 :UInt64;        # held here, owned by others: still to hand over
}

# The whole batch was refused (malformed, wrong version); requestId is 0.
struct BatchError {
  requestId @0 :UInt64;
  message @1 :Text;           # 0..4096 bytes
}

# ---------------------------------------------------------------------------------------------
# The context a client keeps between a get and a put (HTTP: X-Dynamo-Context is its base64).
# ---------------------------------------------------------------------------------------------

struct ContextToken {
  version @0 :UInt32;         # protocolVersion; checked first
  kind @2 :MessageKind;       # contextToken; checked second
  context @1 :Context;
}

# ---------------------------------------------------------------------------------------------
# Membership (docs/membership.md): gossip of the versioned membership view, joins, admin commands.
# ---------------------------------------------------------------------------------------------

enum MemberStatus {
  joining @0;
  valid @1;
  leaving @2;
  removed @3;
}

# One member as the view holds it (impl/core/membership.h MemberEntry).
struct MemberEntry {
  id @0 :Text;                # 1..64 bytes
  peerAddress @1 :Text;       # 1..256 bytes
  clientAddress @2 :Text;     # 0..256 bytes
  httpAddress @3 :Text;       # 0..256 bytes
  dc @4 :Text;                # 1..64 bytes
  weight @5 :UInt32;          # 1..1000
  status @6 :MemberStatus;
  joinSeq @7 :UInt64;         # >= 1
  version @8 :UInt64;         # >= 1
  changedBy @9 :Text;         # 0..64 bytes
}

struct MembershipView {
  clusterId @0 :Text;               # 1..64 bytes
  members @1 :List(MemberEntry);    # at most 4096 (tombstones of removed members included)
}

enum GossipKind {
  syn @0;    # "my view's digest is this" (view: the cluster id only)
  ack @1;    # "mine differs: here it is"
  ack2 @2;   # "merged; here is what you lacked"
}

struct Gossip {
  kind @0 :GossipKind;
  digest @1 :UInt64;
  view @2 :MembershipView;
}

# What a joining node asks of a seed (`dynamo admin join SEED`, run against the joining node).
struct JoinAsk {
  askId @0 :UInt64;           # the joining node's; echoed in the JoinAnswer
  entry @1 :MemberEntry;      # the joiner's fields (status, joinSeq, version, changedBy ignored)
  clusterId @2 :Text;         # the cluster the joiner was configured for
}

struct JoinAnswer {
  askId @0 :UInt64;
  error @1 :Text;             # empty: admitted; else why not (0..4096 bytes)
  view @2 :MembershipView;    # the seed's view after the join (empty on an error)
}

# Node -> node, one-way like a PeerBatch and sealed the same way when a cluster secret is set.
struct MembershipMessage {
  version @0 :UInt32;         # protocolVersion; checked first
  kind @1 :MessageKind;       # membership; checked second
  from @2 :Text;              # the sender's node id, 1..64 bytes
  fromPeerAddress @3 :Text;   # where to answer it (a joiner is not in the seed's view yet); 0..256 bytes
  union {
    gossip @4 :Gossip;
    joinAsk @5 :JoinAsk;
    joinAnswer @6 :JoinAnswer;
  }
}

# Client -> node: a membership command, applied at the node that receives it.
struct AdminCall {
  requestId @0 :UInt64;
  union {
    join @1 :JoinCommand;     # this node joins the cluster through that seed
    leave @2 :Void;           # this node leaves: hands its keys over, then is removed
    remove @3 :Text;          # the node with this id is gone for good
  }
}

struct JoinCommand {
  seedId @0 :Text;            # the seed's node id (envelopes name their receiver), 1..64 bytes
  seedPeerAddress @1 :Text;   # the seed's peer address, 1..256 bytes
}

struct AdminAnswer {
  requestId @0 :UInt64;
  ok @1 :Bool;
  message @2 :Text;           # what happened, or why not; 0..4096 bytes
}

# A node's persisted membership view (DATA_DIR/membership): read back at start.
struct ViewFile {
  version @0 :UInt32;         # protocolVersion; checked first
  kind @1 :MessageKind;       # membership; checked second
  view @2 :MembershipView;
}
