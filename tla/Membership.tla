----------------------------- MODULE Membership -----------------------------
(***************************************************************************)
(* Membership change, partition transfer, anti-entropy and tombstone       *)
(* reaping in Dynamo (DeCandia et al., SOSP 2007, §4.8, §4.9, §4.7), as    *)
(* the C++ core is to build them (issue 7).  A companion of Dynamo.tla,    *)
(* which takes the ring as a constant: here the ring changes.              *)
(*                                                                         *)
(* Every action has one twin in impl/core/ with the same name in           *)
(* snake_case (AdminJoin <-> admin_join, StreamPartition <->               *)
(* stream_partition, ...; AntiEntropy is the Merkle-tree exchange); the    *)
(* table is docs/spec-map.md.                                              *)
(*                                                                         *)
(* What is abstracted, and why it is enough here:                          *)
(*  - One key in one partition.  Its owners (the preference list) are the  *)
(*    first N members of a membership view in the fixed ring order         *)
(*    `Order`.  Other partitions behave the same, independently.           *)
(*  - Versions are abstract: write i (1, 2, ...) supersedes every earlier  *)
(*    write, so a replica is just the number of the newest write it holds  *)
(*    (0: nothing).  No vector clocks, no siblings: Dynamo.tla checks      *)
(*    those; what matters here is whether a copy of a version (or of one   *)
(*    superseding it) survives ownership changes, and whether a reaped     *)
(*    tombstone lets an older value come back.  A delete is a write whose  *)
(*    number is in `dels` (a tombstone).                                   *)
(*  - A stream is one step: the old owner sends what it holds and the new  *)
(*    owner merges it (a merge of versions is idempotent, so a repeated or *)
(*    partial stream is harmless); the confirmation travels back in a      *)
(*    separate step.                                                       *)
(*  - No crashes and no message loss: the only fault is AdminRemove, a     *)
(*    node gone for good with its data.  A coordinator knows which nodes   *)
(*    are gone (as Dynamo.tla's Targets reads the true `up`).              *)
(*  - Merkle trees: AntiEntropy merges the two replicas' versions.         *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets, Sequences

CONSTANTS
    Nodes,          \* physical nodes
    NoNode,         \* "no node" (a model value outside Nodes)
    Order,          \* the ring order of the nodes for the key: a sequence of Nodes, each once
    InitMembers,    \* the members at the start; the other nodes may join (once)
    N,              \* replicas: the owners of the key are the first N members in Order
    W,              \* write quorum: stores before a write is acknowledged
    Kinds,          \* the client writes, in order: a sequence of "put" and "del"
    Retirable,      \* the nodes the administrator may make leave or remove
    MaxAdmin,       \* membership changes (joins, leaves, removes), in total
    MaxRemoves,     \* of which removals (nodes gone for good)
    EarlyReleaseBug,\* BUG: the old owner releases without the new owners' confirmation
    EarlyReapBug    \* BUG: a node reaps a tombstone it holds without checking anyone else

ASSUME /\ NoNode \notin Nodes
       /\ Order \in Seq(Nodes) /\ Len(Order) = Cardinality(Nodes)
       /\ {Order[i] : i \in 1..Len(Order)} = Nodes
       /\ InitMembers \subseteq Nodes /\ Cardinality(InitMembers) >= N
       /\ N \in 1..Cardinality(Nodes) /\ W \in 1..N
       /\ Kinds \in Seq({"put", "del"}) /\ Retirable \subseteq Nodes
       /\ \A c \in {MaxAdmin, MaxRemoves} : c \in Nat
       /\ EarlyReleaseBug \in BOOLEAN /\ EarlyReapBug \in BOOLEAN

Max(a, b) == IF a >= b THEN a ELSE b

\* Writes are numbered 1..MaxWrites; the models fix which are deletes (Kinds)
\* rather than let every write be either: fewer states, same behaviours of
\* interest (a put, then a delete that supersedes it).
MaxWrites == Len(Kinds)

-----------------------------------------------------------------------------
(***************************************************************************)
(* Membership views and ownership (Reference: §4.8.1, §4.9).               *)
(* A view is [ver |-> version, mem |-> members]; ver 0 is "never joined".  *)
(***************************************************************************)
Views == [ver : Nat, mem : SUBSET Nodes]
NoView == [ver |-> 0, mem |-> {}]

\* The position of node n in the ring order.
Pos(n) == CHOOSE i \in 1..Len(Order) : Order[i] = n

\* The owners of the key in view v: the first N members clockwise.
Owners(v) == {m \in v.mem : Cardinality({x \in v.mem : Pos(x) <= Pos(m)}) <= N}

-----------------------------------------------------------------------------
VARIABLES
    cur,        \* the administrator's membership: the newest view (admin changes are serialised)
    view,       \* [Nodes -> Views]: each node's view; nodes act on it, stale or not
    gone,       \* nodes removed for good (AdminRemove): they never act again, their data is lost
    store,      \* [Nodes -> 0..MaxWrites]: the newest write a node holds for the key (0: none)
    hints,      \* set of [at, for, ver]: a fallback `at` keeps write `ver` for node `for`
    pend,       \* replica stores in flight: set of [w, to, hint] (hint: the node it stands in for)
    confirmed,  \* [Nodes -> [Nodes -> Nat]]: confirmed[old][new]: newest write new confirmed holding to old
    writes,     \* writes created so far; write i is the i-th
    dels,       \* the writes that are deletes (tombstones)
    storedBy,   \* ghost: [1..MaxWrites -> SUBSET Nodes]: the nodes that stored write i for its coordinator
    acked,      \* history: writes acknowledged to their client
    reaped      \* ghost: the newest tombstone ever reaped (0: none)

vars == <<cur, view, gone, store, hints, pend, confirmed, writes, dels, storedBy, acked, reaped>>

\* A node takes part: it has joined once and is not gone (a node that left
\* still runs: it must hand its data over).
Active(n) == view[n].ver > 0 /\ n \notin gone

\* The first member of view v (in ring order) outside its owners and not
\* gone: the fallback that keeps a hint for a gone owner (sloppy quorum, §4.6).
FallbackIn(v, owners) ==
    LET fs == {f \in v.mem \ owners : f \notin gone}
    IN  IF fs = {} THEN NoNode ELSE CHOOSE f \in fs : \A g \in fs : Pos(f) <= Pos(g)

-----------------------------------------------------------------------------
Init ==
    /\ cur = [ver |-> 1, mem |-> InitMembers]
    /\ view = [n \in Nodes |-> IF n \in InitMembers THEN [ver |-> 1, mem |-> InitMembers] ELSE NoView]
    /\ gone = {}
    /\ store = [n \in Nodes |-> 0]
    /\ hints = {}
    /\ pend = {}
    /\ confirmed = [o \in Nodes |-> [n \in Nodes |-> 0]]
    /\ writes = 0
    /\ dels = {}
    /\ storedBy = [i \in 1..MaxWrites |-> {}]
    /\ acked = {}
    /\ reaped = 0

-----------------------------------------------------------------------------
(***************************************************************************)
(* Administrator actions (Reference: §4.8.1: an administrator adds or      *)
(* removes nodes explicitly; the change is persisted by the node it is     *)
(* issued to and spreads by gossip).  Membership never drops below N.      *)
(***************************************************************************)
NewView(mem) == [ver |-> cur.ver + 1, mem |-> mem]

\* Node n (never a member before) joins; it alone knows the new view.
AdminJoin(n) ==
    /\ cur.ver - 1 < MaxAdmin
    /\ view[n].ver = 0 /\ n \notin gone
    /\ cur' = NewView(cur.mem \cup {n})
    /\ view' = [view EXCEPT ![n] = NewView(cur.mem \cup {n})]
    /\ UNCHANGED <<gone, store, hints, pend, confirmed, writes, dels, storedBy, acked, reaped>>

\* Member n leaves gracefully: it keeps running, and must hand its data to
\* the owners of its (new) view before it may release it.
AdminLeave(n) ==
    /\ cur.ver - 1 < MaxAdmin
    /\ n \in cur.mem \cap Retirable /\ Cardinality(cur.mem) > N
    /\ cur' = NewView(cur.mem \ {n})
    /\ view' = [view EXCEPT ![n] = NewView(cur.mem \ {n})]
    /\ UNCHANGED <<gone, store, hints, pend, confirmed, writes, dels, storedBy, acked, reaped>>

\* Member n is gone for good (a dead disk): its data and hints are lost.
\* The administrator tells member m, which gossips it.
AdminRemove(n, m) ==
    /\ cur.ver - 1 < MaxAdmin /\ Cardinality(gone) < MaxRemoves
    /\ n \in cur.mem \cap Retirable /\ Cardinality(cur.mem) > N
    /\ m \in cur.mem \ {n} /\ m \notin gone
    /\ cur' = NewView(cur.mem \ {n})
    /\ view' = [view EXCEPT ![m] = NewView(cur.mem \ {n}), ![n] = NoView]
    /\ gone' = gone \cup {n}
    /\ store' = [store EXCEPT ![n] = 0]
    /\ hints' = {h \in hints : h.at # n}
    /\ pend' = {p \in pend : p.to # n}   \* a store sent to n is never answered
    /\ confirmed' = [confirmed EXCEPT ![n] = [x \in Nodes |-> 0]]
    /\ UNCHANGED <<writes, dels, storedBy, acked, reaped>>

\* Node n adopts m's view when it is newer (Reference: §4.8.1, gossip).
Gossip(m, n) ==
    /\ m # n /\ Active(m) /\ Active(n)
    /\ view[m].ver > view[n].ver
    /\ view' = [view EXCEPT ![n] = view[m]]
    /\ UNCHANGED <<cur, gone, store, hints, pend, confirmed, writes, dels, storedBy, acked, reaped>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* Writes.  The coordinator is an owner in its own view; it stores the new *)
(* write and sends it to the other owners of its view, a gone owner being  *)
(* replaced by a fallback that keeps a hint (a gone owner with no fallback *)
(* gets the store anyway, which never arrives).  The write is acknowledged *)
(* once W nodes stored it (the coordinator included).                      *)
(***************************************************************************)
Write(n, isDel) ==
    /\ writes < MaxWrites
    /\ Active(n) /\ n \in Owners(view[n])
    /\ LET w == writes + 1
           own == Owners(view[n])
           fb == FallbackIn(view[n], own)
       IN  /\ writes' = w
           /\ dels' = IF isDel THEN dels \cup {w} ELSE dels
           /\ store' = [store EXCEPT ![n] = w]        \* w is newer than anything held
           /\ storedBy' = [storedBy EXCEPT ![w] = IF W = 1 THEN {} ELSE {n}]
           /\ acked' = IF W = 1 THEN acked \cup {w} ELSE acked
           /\ pend' = pend \cup
                {IF o \notin gone \/ fb = NoNode THEN [w |-> w, to |-> o, hint |-> NoNode]
                                                 ELSE [w |-> w, to |-> fb, hint |-> o] :
                   o \in own \ {n}}
    /\ UNCHANGED <<cur, view, gone, hints, confirmed, reaped>>

ClientPut(n) == /\ writes < MaxWrites /\ Kinds[writes + 1] = "put"
                 /\ Write(n, FALSE)

\* A delete writes a tombstone: a version like any other (Reference: §4.4).
ClientDelete(n) == /\ writes < MaxWrites /\ Kinds[writes + 1] = "del"
                    /\ Write(n, TRUE)

\* Node t stores a write sent to it (a fallback keeps it as a hint); the
\* coordinator counts the acknowledgement (folded into this step).
StoreVersion(t, p) ==
    /\ p \in pend /\ p.to = t /\ t \notin gone
    /\ store' = IF p.hint = NoNode THEN [store EXCEPT ![t] = Max(@, p.w)] ELSE store
    /\ hints' = IF p.hint = NoNode THEN hints
                ELSE hints \cup {[at |-> t, for |-> p.hint, ver |-> p.w]}
    /\ pend' = pend \ {p}
    \* Once acknowledged, who stored it no longer matters (cleared: fewer states).
    /\ LET done == p.w \in acked \/ Cardinality(storedBy[p.w] \cup {t}) >= W
       IN  /\ acked' = IF done THEN acked \cup {p.w} ELSE acked
           /\ storedBy' = [storedBy EXCEPT ![p.w] = IF done THEN {} ELSE @ \cup {t}]
    /\ UNCHANGED <<cur, view, gone, confirmed, writes, dels, reaped>>

(***************************************************************************)
(* Hinted handoff (Reference: §4.6).  The fallback f hands the hint to the *)
(* node it stands in for while that node is a member of f's view; once it  *)
(* is not (it left or was removed), to an owner of the key in f's view     *)
(* other than f (the partition's new owner; the C++ takes the first).      *)
(* Handing to a gone node waits for f's view to learn of the removal.  The *)
(* hint is dropped after the handoff (the acknowledgement is folded in).   *)
(***************************************************************************)
HintDestinations(f, h) ==
    IF h.for \in view[f].mem THEN {h.for} ELSE Owners(view[f]) \ {f}

DeliverHint(f, h) ==
    /\ h \in hints /\ h.at = f /\ Active(f)
    /\ \E to \in HintDestinations(f, h) :
          /\ to \notin gone
          /\ store' = [store EXCEPT ![to] = Max(@, h.ver)]
    /\ hints' = hints \ {h}
    /\ UNCHANGED <<cur, view, gone, pend, confirmed, writes, dels, storedBy, acked, reaped>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* Partition transfer (Reference: §4.9: when a node joins or leaves, the   *)
(* nodes that lose a key range hand it to the nodes that gain it, and      *)
(* drop it only after the receiver confirms).                              *)
(***************************************************************************)

\* Node old is not an owner in its view but holds data: it streams what it
\* holds to an owner `new` of its view, which merges it (idempotent; a
\* stream that brings new nothing changes nothing, so it is not a step).
StreamPartition(old, new) ==
    /\ Active(old) /\ new \notin gone /\ old # new
    /\ old \notin Owners(view[old]) /\ new \in Owners(view[old])
    /\ store[new] < store[old]
    /\ store' = [store EXCEPT ![new] = store[old]]
    /\ UNCHANGED <<cur, view, gone, hints, pend, confirmed, writes, dels, storedBy, acked, reaped>>

(***************************************************************************)
(* The new owner confirms to old that it holds everything old holds (what  *)
(* old sent it, or a successor).  The confirmation answers old's stream,   *)
(* so it is for an owner of old's view; and new confirms only if it is an  *)
(* owner in its own view too: a confirmation promises to keep the data.    *)
(* Without that check, two nodes with different stale views (n1 thinks   *)
(* n2 owns the key, n2 thinks n1 does) confirm to each other and both      *)
(* release: one copy is left where W are due.  TLC found that behaviour    *)
(* (12 steps, README.md) against the count in NoLostWrites.                *)
(***************************************************************************)
ConfirmTransfer(new, old) ==
    /\ Active(new) /\ Active(old) /\ old # new
    /\ old \notin Owners(view[old]) /\ new \in Owners(view[old])
    /\ new \in Owners(view[new])
    /\ confirmed[old][new] < store[old] /\ store[old] <= store[new]
    /\ confirmed' = [confirmed EXCEPT ![old][new] = store[old]]
    /\ UNCHANGED <<cur, view, gone, store, hints, pend, writes, dels, storedBy, acked, reaped>>

\* Old drops its copy: only once every owner of its view confirmed a
\* version at least as new as the one it holds (data received after the
\* stream, e.g. as a replica of a stale coordinator, must be streamed again).
ReleasePartition(old) ==
    /\ Active(old) /\ store[old] # 0
    /\ old \notin Owners(view[old])
    /\ EarlyReleaseBug \/ \A o \in Owners(view[old]) : confirmed[old][o] >= store[old]
    /\ store' = [store EXCEPT ![old] = 0]
    /\ confirmed' = [confirmed EXCEPT ![old] = [n \in Nodes |-> 0]]   \* this transfer is over
    /\ UNCHANGED <<cur, view, gone, hints, pend, writes, dels, storedBy, acked, reaped>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* Anti-entropy (Reference: §4.7).  Node m and another owner n of m's view *)
(* reconcile the key: both end with the newer version.  The C++ finds the  *)
(* difference with Merkle trees; the spec merges the two replicas.         *)
(***************************************************************************)
AntiEntropy(m, n) ==
    /\ m # n /\ Active(m) /\ Active(n)
    /\ {m, n} \subseteq Owners(view[m])
    /\ store[m] # store[n]
    /\ store' = [store EXCEPT ![m] = Max(store[m], store[n]), ![n] = Max(store[m], store[n])]
    /\ UNCHANGED <<cur, view, gone, hints, pend, confirmed, writes, dels, storedBy, acked, reaped>>

(***************************************************************************)
(* Tombstone reaping (the C++ reap_tombstone, node_reap.cc; the rule and   *)
(* its reasons: docs/reaping.md).  Node n, an owner in its view holding    *)
(* the tombstone d and no hint, asks every member of its view; the reap    *)
(* happens when every member answers yes:                                  *)
(*  - it is not gone (a gone member never answers) and has n's view (a     *)
(*    member with another view may know of a node n does not, or be about  *)
(*    to hand its data over);                                              *)
(*  - all it holds (store and hints) is nothing or a tombstone d covers    *)
(*    (a delete no newer than d): holding nothing is a yes, so copies      *)
(*    reaped earlier do not block the rest;                                *)
(*  - an owner of the view holds exactly d (then an older copy still on   *)
(*    its way to an owner is superseded on arrival).                       *)
(* Nodes outside n's view are not asked.  No store of an older write is in *)
(* flight: the C++'s grace period (a tombstone older than any message) and *)
(* its two rounds of questions, reap_settle apart.  The reap orders go to  *)
(* the members holding such tombstones; some may be lost (S): those       *)
(* members keep their copies (anti-entropy spreads them again, and a later *)
(* reap takes them).                                                       *)
(***************************************************************************)
Reapable(x, d) == x = 0 \/ (x \in dels /\ x <= d)

ReapAgreed(n, d) ==
    LET v == view[n]
        own == Owners(v)
    IN  /\ n \in own
        /\ ~\E h \in hints : h.at = n
        /\ \A m \in v.mem :
              /\ m \notin gone /\ view[m] = v
              /\ Reapable(store[m], d)
              /\ \A h \in hints : h.at = m => Reapable(h.ver, d)
              /\ m \in own => store[m] = d
        /\ \A p \in pend : p.w >= d
        \* The grace period's other half, assumed, not asked: a node outside n's view (one that
        \* joined and coordinated a write before n's view learned of it) holds nothing older.
        \* TLC finds the resurrection without it (docs/reaping.md); the C++ narrows it (a node
        \* drops messages from nodes no ring it held names, members must share n's ring) and
        \* relies on membership changes reaching every member well within reap_grace_ms.
        /\ \A x \in Nodes \ (v.mem \cup gone) :
              Reapable(store[x], d) /\ \A h \in hints : h.at = x => Reapable(h.ver, d)

ReapTombstone(n) ==
    /\ Active(n) /\ store[n] \in dels
    /\ LET d == store[n]
       IN  \/ /\ EarlyReapBug
              /\ store' = [store EXCEPT ![n] = 0]
           \/ /\ ReapAgreed(n, d)
              /\ \E S \in SUBSET view[n].mem :
                    /\ n \in S
                    /\ store' = [x \in Nodes |-> IF x \in S /\ store[x] # 0 THEN 0 ELSE store[x]]
    /\ reaped' = Max(reaped, store[n])
    /\ UNCHANGED <<cur, view, gone, hints, pend, confirmed, writes, dels, storedBy, acked>>

-----------------------------------------------------------------------------
Next ==
    \/ \E n \in Nodes : AdminJoin(n) \/ AdminLeave(n)
    \/ \E n, m \in Nodes : AdminRemove(n, m)
    \/ \E m, n \in Nodes : Gossip(m, n)
    \/ \E n \in Nodes : ClientPut(n) \/ ClientDelete(n)
    \/ \E t \in Nodes, p \in pend : StoreVersion(t, p)
    \/ \E f \in Nodes, h \in hints : DeliverHint(f, h)
    \/ \E old, new \in Nodes : StreamPartition(old, new) \/ ConfirmTransfer(new, old)
    \/ \E n \in Nodes : ReleasePartition(n) \/ ReapTombstone(n)
    \/ \E m, n \in Nodes : AntiEntropy(m, n)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(***************************************************************************)
(* Properties.                                                             *)
(***************************************************************************)
Vers == 0..MaxWrites

TypeOK ==
    /\ cur \in Views /\ view \in [Nodes -> Views]
    /\ gone \subseteq Nodes
    /\ store \in [Nodes -> Vers]
    /\ hints \subseteq [at : Nodes, for : Nodes, ver : 1..MaxWrites]
    /\ pend \subseteq [w : 1..MaxWrites, to : Nodes, hint : Nodes \cup {NoNode}]
    /\ confirmed \in [Nodes -> [Nodes -> Vers]]
    /\ writes \in Vers /\ dels \subseteq 1..writes
    /\ storedBy \in [1..MaxWrites -> SUBSET Nodes]
    /\ acked \subseteq 1..writes /\ reaped \in Vers

\* The copies a live node keeps: its store and its hints.
Holds(n) == {store[n]} \cup {h.ver : h \in {x \in hints : x.at = n}}
LiveCopies == UNION {Holds(n) : n \in Nodes \ gone}

\* Nodes that hold write w or a write superseding it.
HoldersOf(w) == {n \in Nodes \ gone : \E v \in Holds(n) : v >= w}

\* Quiescent: every transfer and handoff done, every view current: only the
\* owners of the current membership hold data.
Quiescent ==
    /\ hints = {} /\ pend = {}
    /\ \A n \in Nodes : Active(n) => view[n] = cur
    /\ \A n \in Nodes \ Owners(cur) : store[n] = 0

(***************************************************************************)
(* No lost writes: every acknowledged write, or a write superseding it, is *)
(* held by live nodes (in their stores or as hints), unless a tombstone    *)
(* superseding it was reaped (the write was deleted, not lost); and by W   *)
(* of them, less one for each node removed since (a removal takes its      *)
(* copies with it; nothing else may lower the count: a release hands the   *)
(* data to owners first).  When the cluster is quiescent, by an owner of  *)
(* the current membership (this follows from the rest, since then only    *)
(* owners hold data; it is the form a simulator can check at rest).        *)
(***************************************************************************)
NoLostWrites ==
    \A w \in acked :
        \/ w <= reaped
        \/ /\ HoldersOf(w) # {}
           /\ Cardinality(HoldersOf(w)) + Cardinality(gone) >= W
           /\ Quiescent => HoldersOf(w) \cap Owners(cur) # {}

(***************************************************************************)
(* No resurrection: after a delete d is acknowledged, a live value that d  *)
(* superseded (a write older than d, not itself a delete) may exist on a   *)
(* node, as a hint, or in flight only while a copy of d or of a successor  *)
(* exists too, so that every read, read repair and anti-entropy exchange  *)
(* that meets both returns the successor.  Once the last copy of the       *)
(* tombstone is reaped, nothing it superseded is left to come back, so no  *)
(* owner can ever again return a value the delete superseded.              *)
(***************************************************************************)
Exists == LiveCopies \cup {p.w : p \in {q \in pend : q.to \notin gone}}

NoResurrection ==
    \A d \in acked \cap dels :
        (\E v \in Exists : 0 < v /\ v < d /\ v \notin dels) => \E u \in Exists : u >= d
=============================================================================
