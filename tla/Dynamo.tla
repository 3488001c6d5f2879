------------------------------- MODULE Dynamo -------------------------------
(***************************************************************************)
(* The key-value store of Amazon's Dynamo (DeCandia et al., SOSP 2007),    *)
(* as built by this project's C++ core (impl/core/).                       *)
(*                                                                         *)
(* Every action below has one twin in impl/core/ with the same name in     *)
(* snake_case (CoordinatePut <-> coordinate_put); the table is             *)
(* docs/spec-map.md.  Operators on versions (Supersedes, Reconcile,        *)
(* ReadContext, MakeVersion) match the C++ functions of the same names.    *)
(*                                                                         *)
(* Versions are dotted: a version is                                       *)
(*     [dot |-> <<actor, counter>>, ctx |-> set of dots, val |-> value]    *)
(* where the dot names the write event that made it and ctx is exactly the *)
(* set of dots its client had read (the put's context).  An actor is       *)
(* <<node, epoch>>; a node's epoch grows each time it recovers from a      *)
(* crash, which keeps dots unique even when a crash loses counters.        *)
(*                                                                         *)
(* Durability (Reference: §6.1, the write buffer of Fig. 5): the           *)
(* coordinator writes its own copy durably (PersistPut, overlapping the    *)
(* replicas' stores; the put waits for it); replicas, read repair and      *)
(* anti-entropy only buffer; hints are durable, and a primary stores a     *)
(* handed-off hint durably before it acknowledges it.  The periodic writer *)
(* (Flush) makes a node's buffer durable at any time (it may never run:    *)
(* the worst case).  A crash keeps the durable store (`disk`) and loses    *)
(* the buffer (`mem` falls back to `disk`).                                *)
(*                                                                         *)
(* Not modelled (see README.md): vector-clock truncation (it only shrinks  *)
(* contexts; models stay far below its threshold), Merkle trees (an        *)
(* anti-entropy step exchanges the whole key), membership and gossip (the  *)
(* ring is a constant), and the failure detector (a coordinator sees the   *)
(* true `up`).                                                             *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets, Sequences, TLC

CONSTANTS
    Nodes,       \* physical nodes
    NoNode,      \* "no node" (a model value outside Nodes)
    Ring,        \* the tokens clockwise: a sequence of nodes (a node may repeat)
    Home,        \* [Keys -> 1..Len(Ring)]: the token where a key's walk starts
    Keys,
    Clients,
    Values,      \* values clients write; a delete writes Tombstone
    Tombstone,
    N, R, W,     \* replicas, read quorum, write quorum
    MaxPuts,     \* client puts, in total
    MaxGets,     \* client gets, in total
    MaxCrashes,  \* node crashes, in total
    MaxLosses,   \* lost messages, in total
    MaxDups,     \* duplicated messages, in total
    FlushAllowed,           \* the periodic writer runs (FALSE: buffers are never flushed, the worst case)
    BlindPutBug,            \* BUG: the new version's ctx also covers every version the coordinator holds
    BufferedCoordinatorBug  \* BUG: the coordinator counts its own copy before it is durable

ASSUME /\ NoNode \notin Nodes
       /\ Ring \in Seq(Nodes) /\ {Ring[i] : i \in 1..Len(Ring)} = Nodes
       /\ Home \in [Keys -> 1..Len(Ring)]
       /\ N \in 1..Cardinality(Nodes) /\ R \in 1..N /\ W \in 1..N
       /\ Tombstone \notin Values
       /\ \A c \in {MaxPuts, MaxGets, MaxCrashes, MaxLosses, MaxDups} : c \in Nat
       /\ BlindPutBug \in BOOLEAN /\ BufferedCoordinatorBug \in BOOLEAN /\ FlushAllowed \in BOOLEAN

-----------------------------------------------------------------------------
(***************************************************************************)
(* The ring and the preference list (Reference: §4.2, §4.3).               *)
(***************************************************************************)
RECURSIVE Dedup(_, _)
Dedup(s, seen) ==
    IF s = <<>> THEN <<>>
    ELSE IF Head(s) \in seen THEN Dedup(Tail(s), seen)
    ELSE <<Head(s)>> \o Dedup(Tail(s), seen \cup {Head(s)})

\* Every physical node, clockwise from the key's token, each once.
WalkOf == [k \in Keys |->
             Dedup([i \in 1..Len(Ring) |-> Ring[((Home[k] + i - 2) % Len(Ring)) + 1]], {})]
\* The preference list: the first N distinct nodes.  The rest are fallbacks.
PrefListOf == [k \in Keys |-> SubSeq(WalkOf[k], 1, N)]
FallbackListOf == [k \in Keys |-> SubSeq(WalkOf[k], N + 1, Len(WalkOf[k]))]
PrefOf == [k \in Keys |-> {PrefListOf[k][i] : i \in 1..N}]
Pref(k) == PrefOf[k]

-----------------------------------------------------------------------------
(***************************************************************************)
(* Versions, dots and contexts (twins of the C++ clock functions).         *)
(***************************************************************************)
Actors == Nodes \X Nat
Dots == Actors \X (Nat \ {0})
Versions == [dot : Dots, ctx : SUBSET Dots, val : Values \cup {Tombstone}]

Max(S) == CHOOSE m \in S : \A x \in S : x <= m

\* v2's writer had read v1.
Supersedes(v2, v1) == v1.dot \in v2.ctx

\* Syntactic reconciliation: the versions no other version supersedes.
Reconcile(S) == {v \in S : \A w \in S : ~Supersedes(w, v)}

\* The context a get returns for the sibling set S: exactly the dots read.
ReadContext(S) == UNION {v.ctx \cup {v.dot} : v \in S}

IsAntichain(S) == \A v, w \in S : ~Supersedes(v, w) /\ (v.dot = w.dot => v = w)

MaxCounter(a, dots) == Max({0} \cup {d[2] : d \in {e \in dots : e[1] = a}})

-----------------------------------------------------------------------------
VARIABLES
    up,         \* [Nodes -> BOOLEAN]: which nodes run
    epoch,      \* [Nodes -> Nat]: bumped by Recover; the node's actor is <<n, epoch[n]>>
    disk,       \* [Nodes -> [Keys -> SUBSET Versions]]: the durable store
    mem,        \* [Nodes -> [Keys -> SUBSET Versions]]: the live store (disk + buffered writes)
    hints,      \* [Nodes -> SUBSET [to, key, ver]]: durable hinted versions a fallback keeps
    issued,     \* [Nodes -> [Keys -> Nat]]: largest counter the current actor issued per key (lost on crash)
    net,        \* the network: a bag (message -> copies); unordered, so messages reorder
    putOps,     \* put id -> the coordinator's state of that put (+ ghost fields held, fb)
    getOps,     \* get id -> the coordinator's state of that get (+ ghost fields mustSee, fb)
    clientCtx,  \* [Clients -> [Keys -> SUBSET Dots]]: the context of each client's last get (history of reads)
    created,    \* history: every version created, with the context its client sent (rctx)
    acked,      \* history: every write acknowledged to its client
    spent       \* how much of each budget (puts, gets, crashes, losses, dups) is used

vars == <<up, epoch, disk, mem, hints, issued, net, putOps, getOps,
          clientCtx, created, acked, spent>>

Actor(n) == <<n, epoch[n]>>

(***************************************************************************)
(* MakeVersion (twin of C++ make_version): the clock part of CoordinatePut *)
(* at node n.  The counter is one past the largest of the current actor    *)
(* that n knows for k (its stored versions, the put's context, and what it *)
(* issued); the ctx is exactly the client's context.                       *)
(***************************************************************************)
MakeVersion(n, k, ctx, val) ==
    LET a == Actor(n)
        c == 1 + Max({MaxCounter(a, ReadContext(mem[n][k]) \cup ctx), issued[n][k]})
    IN  [dot |-> <<a, c>>,
         ctx |-> IF BlindPutBug THEN ctx \cup ReadContext(mem[n][k]) ELSE ctx,
         val |-> val]

\* What node n answers a read of k with: its store and the hints it keeps for k.
View(n, k) == Reconcile(mem[n][k] \cup {h.ver : h \in {x \in hints[n] : x.key = k}})

(***************************************************************************)
(* Sloppy quorum (Reference: §4.6): the first N healthy nodes of the walk. *)
(* Each down primary, in preference order, is replaced by the next healthy *)
(* fallback, which is told the primary's name (the hint).  Without a       *)
(* healthy fallback the message goes to the primary anyway and waits.      *)
(*                                                                         *)
(* SloppyTargets(k, D, H) is that list for a coordinator that believes the *)
(* primaries D are down and the fallbacks H are healthy; Targets(k) is the *)
(* spec's choice, from the true `up` (a perfect failure detector).         *)
(***************************************************************************)
SloppyTargets(k, D, H) ==
    LET down  == SelectSeq(PrefListOf[k], LAMBDA p : p \in D)
        spare == SelectSeq(FallbackListOf[k], LAMBDA f : f \in H)
    IN  {[node |-> p, hint |-> NoNode] : p \in Pref(k) \ D}
        \cup {IF i <= Len(spare) THEN [node |-> spare[i], hint |-> down[i]]
                                 ELSE [node |-> down[i], hint |-> NoNode] : i \in 1..Len(down)}

Targets(k) == SloppyTargets(k, {p \in Pref(k) : ~up[p]}, {f \in Nodes : up[f]})

(***************************************************************************)
(* Refinement for implementations (trace validation, TraceDynamo.tla): a   *)
(* coordinator n with a local failure detector may take any list it could  *)
(* build from what it believes, as long as it does not suspect itself.     *)
(* Every such list has N entries on distinct nodes, and covers every       *)
(* primary: as itself, through a fallback hinting it (fallbacks taken in   *)
(* walk order among those believed healthy), or as the down primary itself *)
(* when no believed-healthy fallback is left.                              *)
(***************************************************************************)
FallbacksOf(k) == {FallbackListOf[k][i] : i \in 1..Len(FallbackListOf[k])}
ValidTargets(k, n) ==
    {SloppyTargets(k, D, H) : D \in SUBSET (Pref(k) \ {n}), H \in SUBSET FallbacksOf(k)}

UsesFallback(T) == \E t \in T : t.hint # NoNode

-----------------------------------------------------------------------------
(***************************************************************************)
(* The network: a bag of messages.                                         *)
(***************************************************************************)
BagAdd(b, m) == IF m \in DOMAIN b THEN [b EXCEPT ![m] = @ + 1] ELSE (m :> 1) @@ b
BagDel(b, m) == IF b[m] = 1 THEN [x \in DOMAIN b \ {m} |-> b[x]] ELSE [b EXCEPT ![m] = @ - 1]
BagAddAll(b, S) == [x \in DOMAIN b \cup S |->
                      (IF x \in DOMAIN b THEN b[x] ELSE 0) + (IF x \in S THEN 1 ELSE 0)]

Msgs == DOMAIN net

-----------------------------------------------------------------------------
Init ==
    /\ up = [n \in Nodes |-> TRUE]
    /\ epoch = [n \in Nodes |-> 0]
    /\ disk = [n \in Nodes |-> [k \in Keys |-> {}]]
    /\ mem = [n \in Nodes |-> [k \in Keys |-> {}]]
    /\ hints = [n \in Nodes |-> {}]
    /\ issued = [n \in Nodes |-> [k \in Keys |-> 0]]
    /\ net = <<>>
    /\ putOps = <<>>
    /\ getOps = <<>>
    /\ clientCtx = [c \in Clients |-> [k \in Keys |-> {}]]
    /\ created = {}
    /\ acked = {}
    /\ spent = [puts |-> 0, gets |-> 0, crashes |-> 0, losses |-> 0, dups |-> 0]

-----------------------------------------------------------------------------
(***************************************************************************)
(* put (Reference: §4.4, §4.5)                                             *)
(***************************************************************************)

(***************************************************************************)
(* CoordinatePut: client c asks node n of k's preference list to write     *)
(* val, with the context of its last get of k (empty if it never read k:   *)
(* a blind put).  The coordinator makes the new version (MakeVersion),     *)
(* stores it, and sends it to the other targets in the same step: its own  *)
(* durable write is under way meanwhile and lands in PersistPut, so the    *)
(* replicas' round trip and the coordinator's disk overlap.  The put is    *)
(* answered only after PersistPut (CompletePut), so an acknowledged write  *)
(* is on the coordinator's disk.                                           *)
(*                                                                         *)
(* ClientPut (the client sending its request) is folded into this step:    *)
(* the request message itself is not modelled.  A lost request is a put    *)
(* that never happened; a duplicated or retried one is a second put with   *)
(* the same context and value, which the client may do anyway.             *)
(***************************************************************************)
CoordinatePutWith(c, k, n, val, ctx, T) ==
    /\ spent.puts < MaxPuts
    /\ n \in Pref(k) /\ up[n]
    /\ LET id == spent.puts + 1
           v == MakeVersion(n, k, ctx, val)
       IN  /\ mem' = [mem EXCEPT ![n][k] = Reconcile(@ \cup {v})]
           /\ issued' = [issued EXCEPT ![n][k] = v.dot[2]]
           /\ net' = BagAddAll(net,
                       {[type |-> "Store", to |-> t.node, from |-> n, id |-> id,
                         key |-> k, ver |-> v, hint |-> t.hint] :
                          t \in T \ {[node |-> n, hint |-> NoNode]}})
           \* own: the coordinator's copy is on its disk (PersistPut); the bug
           \* counts it at once, though it is only buffered.  asked: the
           \* fallbacks the version went to (here, then by ResendPut).
           /\ putOps' = (id :> [st |-> "coord", coord |-> n, key |-> k, ver |-> v,
                                own |-> BufferedCoordinatorBug,
                                held |-> IF BufferedCoordinatorBug THEN {n} ELSE {},
                                fb |-> UsesFallback(T),
                                asked |-> {t.node : t \in {x \in T : x.hint # NoNode}}])
                        @@ putOps
           /\ created' = created \cup {[key |-> k, ver |-> v, rctx |-> ctx]}
    /\ spent' = [spent EXCEPT !.puts = @ + 1]
    /\ UNCHANGED <<up, epoch, disk, hints, getOps, clientCtx, acked>>

\* The spec's put: the client's context, the targets from the true `up`.
CoordinatePut(c, k, n, val) == CoordinatePutWith(c, k, n, val, clientCtx[c][k], Targets(k))

\* Refinement for implementations (TraceDynamo.tla): the client may also
\* write blind after having read, and the coordinator picks its targets
\* from its own failure detector.  The models use CoordinatePut.
ImplCoordinatePut(c, k, n, val, ctx, T) ==
    /\ ctx \in {{}, clientCtx[c][k]}
    /\ T \in ValidTargets(k, n)
    /\ CoordinatePutWith(c, k, n, val, ctx, T)

\* The coordinator's own durable write of put i completes: its copy is on
\* its disk.  It may come before or after the targets store the version; a
\* crash of the coordinator before it loses the put (Crash), whose version
\* may survive on the replicas, unacknowledged.
PersistPut(i) ==
    LET o == putOps[i] IN
    /\ o.st = "coord" /\ ~o.own
    /\ disk' = [disk EXCEPT ![o.coord][o.key] = Reconcile(@ \cup {o.ver})]
    /\ putOps' = [putOps EXCEPT ![i].own = TRUE, ![i].held = {o.coord}]
    /\ UNCHANGED <<up, epoch, mem, hints, issued, net, getOps, clientCtx, created, acked, spent>>

\* Node n stores what it is sent:
\*  - "Store" for itself (a primary): buffered, then acknowledged;
\*  - "Store" with a hint (a fallback): kept durably as a hint, then acknowledged;
\*  - "Repair" (read repair): buffered, not acknowledged;
\*  - "Handoff" (a hint coming home): durably, then acknowledged to the fallback.
StoreVersion(n, m) ==
    /\ m.type \in {"Store", "Repair", "Handoff"} /\ m.to = n /\ up[n]
    /\ CASE m.type = "Store" /\ m.hint = NoNode ->
              /\ mem' = [mem EXCEPT ![n][m.key] = Reconcile(@ \cup {m.ver})]
              /\ UNCHANGED <<disk, hints>>
              /\ net' = BagAdd(BagDel(net, m), [type |-> "StoreAck", to |-> m.from, from |-> n,
                                                id |-> m.id, dot |-> m.ver.dot, epoch |-> epoch[n]])
         [] m.type = "Store" ->
              /\ hints' = [hints EXCEPT ![n] = @ \cup {[to |-> m.hint, key |-> m.key, ver |-> m.ver]}]
              /\ UNCHANGED <<disk, mem>>
              /\ net' = BagAdd(BagDel(net, m), [type |-> "StoreAck", to |-> m.from, from |-> n,
                                                id |-> m.id, dot |-> m.ver.dot, epoch |-> epoch[n]])
         [] m.type = "Repair" ->
              /\ mem' = [mem EXCEPT ![n][m.key] = Reconcile(@ \cup m.vers)]
              /\ UNCHANGED <<disk, hints>>
              /\ net' = BagDel(net, m)
         [] m.type = "Handoff" ->
              /\ mem' = [mem EXCEPT ![n][m.key] = Reconcile(@ \cup {m.ver})]
              /\ disk' = [disk EXCEPT ![n][m.key] = Reconcile(@ \cup {m.ver})]
              /\ UNCHANGED hints
              /\ net' = BagAdd(BagDel(net, m), [type |-> "HandoffAck", to |-> m.from, from |-> n,
                                                key |-> m.key, ver |-> m.ver])
    /\ UNCHANGED <<up, epoch, issued, putOps, getOps, clientCtx, created, acked, spent>>

(***************************************************************************)
(* The coordinator answers the client once W replicas, itself included,    *)
(* stored the version, its own copy durably (PersistPut).  AckPut          *)
(* (receiving one acknowledgement) is folded into this step: CompletePut   *)
(* consumes W-1 acknowledgements from distinct nodes at once.  Receiving   *)
(* an acknowledgement changes nothing but the coordinator's count, so the  *)
(* intermediate counts are invisible to every other node; the C++ core     *)
(* counts them one by one in ack_put and calls complete_put at W.          *)
(* Acknowledgements arriving later stay unread.                            *)
(***************************************************************************)
AckFor(m, i) ==
    /\ m.type = "StoreAck" /\ m.to = putOps[i].coord
    /\ m.id = i /\ m.dot = putOps[i].ver.dot

\* CompletePut with the acknowledgements it consumes named (TraceDynamo.tla).
CompletePutWith(i, acks) ==
    /\ putOps[i].st = "coord" /\ putOps[i].own
    /\ acks \subseteq {m \in Msgs : AckFor(m, i)}
    /\ LET from == {m.from : m \in acks} \ {putOps[i].coord}
           \* ghost: the acknowledging nodes that have not crashed since
           kept == {m.from : m \in {x \in acks : up[x.from] /\ epoch[x.from] = x.epoch}}
       IN
       /\ Cardinality(acks) = W - 1 /\ Cardinality(from) = W - 1
       /\ net' = [x \in DOMAIN net \ {m \in acks : net[m] = 1} |->
                    IF x \in acks THEN net[x] - 1 ELSE net[x]]
       /\ putOps' = [putOps EXCEPT ![i].st = "done", ![i].held = @ \cup kept]
    /\ acked' = acked \cup {[key |-> putOps[i].key, ver |-> putOps[i].ver]}
    /\ UNCHANGED <<up, epoch, disk, mem, hints, issued, getOps, clientCtx, created, spent>>

CompletePut(i) ==
    /\ putOps[i].st = "coord"
    /\ \E acks \in SUBSET {m \in Msgs : AckFor(m, i)} : CompletePutWith(i, acks)

(***************************************************************************)
(* ResendPut (Reference: §4.6): put i still lacks acknowledgements some    *)
(* time after it was sent, so its coordinator sends the version once more, *)
(* to a fallback f, hinted for a primary p that did not answer.  f keeps   *)
(* it as a hint and acknowledges it (StoreVersion); CompletePut counts     *)
(* that acknowledgement like any other (distinct `from`).  The put now     *)
(* counts as one that used a fallback (fb), so QuorumOverlap no longer     *)
(* promises it (conservative: its W acknowledgements may not all come from *)
(* primaries).  f was not asked before (asked: neither a target of the    *)
(* put nor resent to), as in the C++; this also keeps the state space      *)
(* finite.  No fairness: a coordinator need never resend.  The Store sent  *)
(* at CoordinatePut stays in the network; p may still store it.            *)
(***************************************************************************)
ResendPutWith(i, f, p) ==
    LET o == putOps[i] IN
    /\ o.st = "coord" /\ up[o.coord]
    /\ p \in Pref(o.key) \ {o.coord}
    /\ f \in FallbacksOf(o.key) \ o.asked
    /\ net' = BagAdd(net, [type |-> "Store", to |-> f, from |-> o.coord, id |-> i,
                           key |-> o.key, ver |-> o.ver, hint |-> p])
    /\ putOps' = [putOps EXCEPT ![i].fb = TRUE, ![i].asked = @ \cup {f}]
    /\ UNCHANGED <<up, epoch, disk, mem, hints, issued, getOps, clientCtx, created, acked, spent>>

\* The spec's coordinator sees the true `up`: p is down, f is up.
ResendPut(i, f, p) == ~up[p] /\ up[f] /\ ResendPutWith(i, f, p)

\* Refinement for implementations (TraceDynamo.tla): the coordinator's
\* failure detector chooses p and f.  The models use ResendPut.
ImplResendPut(i, f, p) == ResendPutWith(i, f, p)

-----------------------------------------------------------------------------
(***************************************************************************)
(* get (Reference: §4.5): R replies, every causally-maximal version, one   *)
(* context; then read repair of stale replicas.                            *)
(***************************************************************************)

\* Ghost: the puts a get of k must see under quorum overlap: completed
\* before the get started, without a fallback.  (QuorumOverlap also asks
\* that W of their holders did not crash since.)
MustSee(k) ==
    {i \in DOMAIN putOps : putOps[i].st = "done" /\ putOps[i].key = k /\ ~putOps[i].fb}

\* Client c asks node n of k's preference list; n reads itself at once.
ClientGetWith(c, k, n, T) ==
    /\ spent.gets < MaxGets
    /\ n \in Pref(k) /\ up[n]
    /\ LET id == spent.gets + 1
       IN  /\ getOps' = (id :> [st |-> "reading", client |-> c, key |-> k, coord |-> n,
                                epoch |-> epoch[n], replies |-> {[node |-> n, vers |-> View(n, k)]},
                                result |-> {}, stale |-> {},
                                mustSee |-> MustSee(k), fb |-> UsesFallback(T)])
                        @@ getOps
           /\ net' = BagAddAll(net, {[type |-> "Read", to |-> t.node, from |-> n, id |-> id, key |-> k] :
                                        t \in T \ {[node |-> n, hint |-> NoNode]}})
    /\ spent' = [spent EXCEPT !.gets = @ + 1]
    /\ UNCHANGED <<up, epoch, disk, mem, hints, issued, putOps, clientCtx, created, acked>>

ClientGet(c, k, n) == ClientGetWith(c, k, n, Targets(k))

\* Refinement for implementations (TraceDynamo.tla): targets from the
\* coordinator's own failure detector, as for ImplCoordinatePut.
ImplClientGet(c, k, n, T) == T \in ValidTargets(k, n) /\ ClientGetWith(c, k, n, T)

\* A replica (or fallback) answers a read.
ReplicaRead(n, m) ==
    /\ m.type = "Read" /\ m.to = n /\ up[n]
    /\ net' = BagAdd(BagDel(net, m), [type |-> "ReadReply", to |-> m.from, from |-> n,
                                      id |-> m.id, vers |-> View(n, m.key)])
    /\ UNCHANGED <<up, epoch, disk, mem, hints, issued, putOps, getOps, clientCtx, created, acked, spent>>

(***************************************************************************)
(* At R replying nodes (itself included) the coordinator answers the       *)
(* client with the siblings and their context.  As for puts, receiving     *)
(* one reply is folded into this step: CompleteGet consumes R-1 replies    *)
(* from distinct nodes at once; later replies stay unread.                 *)
(***************************************************************************)
ReplyFor(m, g) == m.type = "ReadReply" /\ m.to = getOps[g].coord /\ m.id = g

\* CompleteGet with the replies it consumes named (TraceDynamo.tla).
CompleteGetWith(g, rs) ==
    /\ getOps[g].st = "reading"
    /\ rs \subseteq {m \in Msgs : ReplyFor(m, g)}
    /\ LET replies == getOps[g].replies \cup {[node |-> m.from, vers |-> m.vers] : m \in rs}
           res == Reconcile(UNION {r.vers : r \in replies})
       IN  /\ Cardinality(rs) = R - 1
           /\ Cardinality({m.from : m \in rs} \ {getOps[g].coord}) = R - 1
           /\ net' = [x \in DOMAIN net \ {m \in rs : net[m] = 1} |->
                        IF x \in rs THEN net[x] - 1 ELSE net[x]]
           /\ getOps' = [getOps EXCEPT ![g].st = "done", ![g].result = res,
                                       ![g].replies = {}, \* only the stale ones are kept:
                                       ![g].stale = {r.node : r \in {x \in replies : x.vers # res}}]
           /\ clientCtx' = [clientCtx EXCEPT ![getOps[g].client][getOps[g].key] = ReadContext(res)]
    /\ UNCHANGED <<up, epoch, disk, mem, hints, issued, putOps, created, acked, spent>>

CompleteGet(g) ==
    /\ getOps[g].st = "reading"
    /\ \E rs \in SUBSET {m \in Msgs : ReplyFor(m, g)} : CompleteGetWith(g, rs)

\* After a get, its coordinator sends the result to every replica that
\* replied with less (Reference: §5, read repair).
ReadRepair(g) ==
    LET o == getOps[g] IN
    /\ o.st = "done" /\ o.stale # {}
    /\ up[o.coord] /\ epoch[o.coord] = o.epoch
    /\ net' = BagAddAll(net, {[type |-> "Repair", to |-> t, from |-> o.coord, key |-> o.key,
                               vers |-> o.result] : t \in o.stale})
    /\ getOps' = [getOps EXCEPT ![g].stale = {}]
    /\ UNCHANGED <<up, epoch, disk, mem, hints, issued, putOps, clientCtx, created, acked, spent>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* Hinted handoff (Reference: §4.6) and anti-entropy (§4.7).               *)
(***************************************************************************)

HandoffInFlight(n, h) ==
    \E m \in Msgs : m.type \in {"Handoff", "HandoffAck"} /\ m.key = h.key /\ m.ver = h.ver
                    /\ {m.from, m.to} = {n, h.to}

\* Fallback n sends a hinted version to its primary.  The fallback cannot
\* know whether the primary is up (its failure detector only guesses): a
\* Handoff to a down node waits in the network or is lost.
DeliverHint(n, h) ==
    /\ h \in hints[n] /\ up[n]
    /\ ~HandoffInFlight(n, h)
    /\ net' = BagAdd(net, [type |-> "Handoff", to |-> h.to, from |-> n, key |-> h.key, ver |-> h.ver])
    /\ UNCHANGED <<up, epoch, disk, mem, hints, issued, putOps, getOps, clientCtx, created, acked, spent>>

\* The primary stored it: the fallback drops the hint.
DeleteHint(n, m) ==
    /\ m.type = "HandoffAck" /\ m.to = n /\ up[n]
    /\ hints' = [hints EXCEPT ![n] = @ \ {[to |-> m.from, key |-> m.key, ver |-> m.ver]}]
    /\ net' = BagDel(net, m)
    /\ UNCHANGED <<up, epoch, disk, mem, issued, putOps, getOps, clientCtx, created, acked, spent>>

\* Two primaries of k exchange what differs (Merkle trees abstracted away).
AntiEntropy(n, p, k) ==
    /\ n # p /\ {n, p} \subseteq Pref(k) /\ up[n] /\ up[p]
    /\ mem[n][k] # mem[p][k]
    /\ LET merged == Reconcile(mem[n][k] \cup mem[p][k])
       IN  mem' = [mem EXCEPT ![n][k] = merged, ![p][k] = merged]
    /\ UNCHANGED <<up, epoch, disk, hints, issued, net, putOps, getOps, clientCtx, created, acked, spent>>

(***************************************************************************)
(* The periodic writer (Reference: §6.1, the write buffer of Fig. 5):      *)
(* node n's durable store catches up with its live store.  A durable       *)
(* write does this first (one sync covers every earlier write), so an      *)
(* implementation's trace shows a Flush before each durable write that     *)
(* found buffered writes.  Flushing only adds durability: the models may   *)
(* leave it out to check the worst case (FlushAllowed).                    *)
(***************************************************************************)
Flush(n) ==
    /\ FlushAllowed /\ up[n]
    /\ disk' = [disk EXCEPT ![n] = mem[n]]
    /\ UNCHANGED <<up, epoch, mem, hints, issued, net, putOps, getOps, clientCtx, created, acked, spent>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* Faults.                                                                 *)
(***************************************************************************)

\* Node n stops: it keeps its durable store and hints, and loses its
\* buffer, its issued counters and every coordination in progress.
Crash(n) ==
    /\ up[n] /\ spent.crashes < MaxCrashes
    /\ up' = [up EXCEPT ![n] = FALSE]
    /\ mem' = [mem EXCEPT ![n] = disk[n]]
    /\ issued' = [issued EXCEPT ![n] = [k \in Keys |-> 0]]
    /\ putOps' = [i \in DOMAIN putOps |->
                    [putOps[i] EXCEPT
                       !.st = IF putOps[i].coord = n /\ @ = "coord" THEN "lost" ELSE @,
                       !.held = IF putOps[i].coord = n THEN @ ELSE @ \ {n}]]
    /\ getOps' = [g \in DOMAIN getOps |->
                    IF getOps[g].coord = n /\ getOps[g].st = "reading"
                      THEN [getOps[g] EXCEPT !.st = "lost"] ELSE getOps[g]]
    /\ spent' = [spent EXCEPT !.crashes = @ + 1]
    /\ UNCHANGED <<epoch, disk, hints, net, clientCtx, created, acked>>

\* Node n restarts as a new actor.
Recover(n) ==
    /\ ~up[n]
    /\ up' = [up EXCEPT ![n] = TRUE]
    /\ epoch' = [epoch EXCEPT ![n] = @ + 1]
    /\ UNCHANGED <<disk, mem, hints, issued, net, putOps, getOps, clientCtx, created, acked, spent>>

LoseMessage(m) ==
    /\ spent.losses < MaxLosses
    /\ net' = BagDel(net, m)
    /\ spent' = [spent EXCEPT !.losses = @ + 1]
    /\ UNCHANGED <<up, epoch, disk, mem, hints, issued, putOps, getOps, clientCtx, created, acked>>

DuplicateMessage(m) ==
    /\ spent.dups < MaxDups
    /\ net' = BagAdd(net, m)
    /\ spent' = [spent EXCEPT !.dups = @ + 1]
    /\ UNCHANGED <<up, epoch, disk, mem, hints, issued, putOps, getOps, clientCtx, created, acked>>

-----------------------------------------------------------------------------
Next ==
    \/ \E c \in Clients, k \in Keys, val \in Values :
          \E n \in Pref(k) : CoordinatePut(c, k, n, val)
    \/ \E c \in Clients, k \in Keys : \E n \in Pref(k) : ClientGet(c, k, n)
    \/ \E i \in DOMAIN putOps : PersistPut(i) \/ CompletePut(i)
                                \/ \E f, p \in Nodes : ResendPut(i, f, p)
    \/ \E g \in DOMAIN getOps : CompleteGet(g) \/ ReadRepair(g)
    \/ \E m \in Msgs :
          LET n == m.to IN
          \/ StoreVersion(n, m)
          \/ ReplicaRead(n, m) \/ DeleteHint(n, m)
          \/ LoseMessage(m) \/ DuplicateMessage(m)
    \/ \E n \in Nodes : \E h \in hints[n] : DeliverHint(n, h)
    \/ \E n, p \in Nodes, k \in Keys : AntiEntropy(n, p, k)
    \/ \E n \in Nodes : Crash(n) \/ Recover(n) \/ Flush(n)

Spec == Init /\ [][Next]_vars

(***************************************************************************)
(* Fairness for the liveness model: failed nodes come back, Store          *)
(* messages that are not lost are delivered, hints are delivered and       *)
(* deleted, and anti-entropy runs.  Puts, gets, crashes, losses and        *)
(* duplicates are bounded, so they stop.  ResendPut has no fairness: a     *)
(* coordinator need never resend (each resend is bounded by `asked`).      *)
(*                                                                         *)
(* Store delivery: a coordinator that crashes before PersistPut loses its  *)
(* copy of the (unacknowledged) version, and the Store messages to the     *)
(* replicas may then be its only copies; if they could wait forever,       *)
(* Converged (the maximal versions of every created write on every         *)
(* primary) could never hold.                                              *)
(***************************************************************************)
Fairness ==
    /\ \A n \in Nodes : WF_vars(Recover(n))
    /\ WF_vars(\E n, p \in Nodes, k \in Keys : AntiEntropy(n, p, k))
    /\ \A n \in Nodes : WF_vars(\E m \in Msgs : m.type = "Store" /\ StoreVersion(n, m))
    /\ \A n \in Nodes : WF_vars(\E h \in hints[n] : DeliverHint(n, h))
    /\ \A n \in Nodes : WF_vars(\E m \in Msgs : m.type = "Handoff" /\ StoreVersion(n, m))
    /\ \A n \in Nodes : WF_vars(\E m \in Msgs : DeleteHint(n, m))

LiveSpec == Spec /\ Fairness

-----------------------------------------------------------------------------
(***************************************************************************)
(* Properties.                                                             *)
(***************************************************************************)
Hint == [to : Nodes, key : Keys, ver : Versions]

TypeOK ==
    /\ up \in [Nodes -> BOOLEAN]
    /\ epoch \in [Nodes -> Nat]
    /\ disk \in [Nodes -> [Keys -> SUBSET Versions]]
    /\ mem \in [Nodes -> [Keys -> SUBSET Versions]]
    /\ hints \in [Nodes -> SUBSET Hint]
    /\ issued \in [Nodes -> [Keys -> Nat]]
    /\ \A m \in Msgs : net[m] \in Nat \ {0} /\ m.to \in Nodes
    /\ \A i \in DOMAIN putOps :
          /\ putOps[i].st \in {"coord", "done", "lost"}
          /\ putOps[i].ver \in Versions
          /\ putOps[i].held \subseteq Nodes
          /\ putOps[i].own \in BOOLEAN
          /\ putOps[i].fb \in BOOLEAN
          /\ putOps[i].asked \subseteq FallbacksOf(putOps[i].key)
    /\ \A g \in DOMAIN getOps :
          /\ getOps[g].st \in {"reading", "done", "lost"}
          /\ getOps[g].result \subseteq Versions
    /\ clientCtx \in [Clients -> [Keys -> SUBSET Dots]]
    /\ created \subseteq [key : Keys, ver : Versions, rctx : SUBSET Dots]
    /\ acked \subseteq [key : Keys, ver : Versions]
    /\ spent.puts <= MaxPuts /\ spent.gets <= MaxGets /\ spent.crashes <= MaxCrashes
    /\ spent.losses <= MaxLosses /\ spent.dups <= MaxDups

\* Every store holds an antichain: no version supersedes another.
StoresAreAntichains ==
    \A n \in Nodes, k \in Keys : IsAntichain(mem[n][k]) /\ IsAntichain(disk[n][k])

\* A dot names one write event of its key: no two created versions of a key share one.
\* Counters are per key (MakeVersion counts the key's dots), so a dot names one write of one key:
\* the same dot may name writes of two different keys.  (Every CI model has one key; the first
\* simulator trace with two keys showed the earlier, global form of this invariant was too strong.)
DotsUnique == \A x, y \in created : x.key = y.key /\ x.ver.dot = y.ver.dot => x = y

\* k's version with dot d is held durably: on some disk, or as some hint.
DurablyHeld(k, d) ==
    \E n \in Nodes : \E v \in disk[n][k] \cup {h.ver : h \in {x \in hints[n] : x.key = k}} :
        v.dot = d

\* Some write's client had read d (d is in the context the client sent).
ReadBySomeWriter(k, d) == \E x \in created : x.key = k /\ d \in x.rctx

(***************************************************************************)
(* No lost writes, against the clients' history: an acknowledged write is  *)
(* held durably (on a disk or as a hint, as itself or as one sibling of a  *)
(* set) unless a write whose client had read it superseded it.  Durably    *)
(* held means that even if every node crashed now, it would survive.       *)
(***************************************************************************)
NoLostWrites ==
    \A a \in acked : DurablyHeld(a.key, a.ver.dot) \/ ReadBySomeWriter(a.key, a.ver.dot)

(***************************************************************************)
(* Quorum overlap (holds when R + W > N): a get that used no fallback and  *)
(* started after a put completed without fallback returns that write or a  *)
(* successor of it, as long as W of the nodes that stored the write have   *)
(* not crashed since (a replica only buffers, so a crash may lose it; the  *)
(* ghost `held` drops crashed replicas and only ever shrinks after the     *)
(* put completed, so checking it when the get completes is enough).        *)
(***************************************************************************)
QuorumOverlap ==
    \A g \in DOMAIN getOps :
        (getOps[g].st = "done" /\ ~getOps[g].fb) =>
            \A i \in getOps[g].mustSee :
                Cardinality(putOps[i].held) >= W =>
                    \E v \in getOps[g].result : v.dot = putOps[i].ver.dot \/ putOps[i].ver.dot \in v.ctx

\* The maximal versions of every write ever created for k.
Maximal(k) == Reconcile({x.ver : x \in {y \in created : y.key = k}})

\* Every primary of every key holds exactly the maximal versions: every
\* acknowledged write or a successor its writer had read.
Converged == \A k \in Keys : \A p \in Pref(k) : mem[p][k] = Maximal(k)

Convergence == <>[]Converged

HintsDrained == <>[](\A n \in Nodes : hints[n] = {})

=============================================================================
