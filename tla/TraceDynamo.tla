---------------------------- MODULE TraceDynamo ----------------------------
(***************************************************************************)
(* Trace validation: TLC checks that a trace an implementation recorded    *)
(* (spec/trace-format.md: NDJSON, a header line, then one line per spec    *)
(* action) is a behaviour of Dynamo.tla.  In the style of etcd-io/raft's   *)
(* tla/Traceetcdraft.tla: the state is Dynamo's plus `l`, the next trace   *)
(* line; TraceNext takes the spec action the line names, with the line's   *)
(* parameters, and checks the results the line reports against the spec's  *)
(* new state; the behaviour must reach the end of the trace.               *)
(*                                                                         *)
(* Acceptance: the POSTCONDITION TraceAccepted holds when the longest      *)
(* behaviour TLC found has one step per trace line (TLC's diameter =       *)
(* lines + 1).  A line that no step can match leaves TLC with no successor *)
(* (deadlock checking is off: a dead end on one branch is not a verdict),  *)
(* and TraceAccepted prints "TRACE REJECTED" with that line.  The lines    *)
(* determine every step, so the search is a single path.                   *)
(*                                                                         *)
(* Where an implementation may differ from the spec's own choices, the     *)
(* trace is checked against the refinements in Dynamo.tla (the models keep *)
(* the spec's choices):                                                    *)
(*  - targets: ImplCoordinatePut / ImplClientGet accept any list in        *)
(*    ValidTargets(k, n), the lists a coordinator with a local failure     *)
(*    detector may build, not only Targets(k) from the true `up`;          *)
(*    ImplResendPut accepts any fallback f and primary p (not the          *)
(*    coordinator), not only a down p and an up f;                         *)
(*  - contexts: ImplCoordinatePut accepts a blind put ({}) besides the     *)
(*    client's last read context clientCtx[c][k];                          *)
(*  - budgets: MaxPuts .. MaxDups are the trace's length;                  *)
(*  - folded steps: AckPut and ReplyGet (one acknowledgement or reply      *)
(*    arriving before the last one needed), PutTimeout, GetTimeout and     *)
(*    Discard (a node ignores a message it received) are stuttering steps; *)
(*    the spec's CompletePut / CompleteGet consume the acks / replies.     *)
(*  - AntiEntropy is not in the trace format yet: a trace with it is       *)
(*    rejected (unknown action).                                           *)
(***************************************************************************)
EXTENDS Dynamo, Json

CONSTANT TraceFile   \* path of the NDJSON trace (relative to where TLC runs, or absolute)

TraceLog == TLCEval(ndJsonDeserialize(TraceFile))
Header == TraceLog[1]
Trace == TLCEval(SubSeq(TraceLog, 2, Len(TraceLog)))   \* the action lines

-----------------------------------------------------------------------------
(***************************************************************************)
(* Dynamo's constants, from the header (TraceDynamo.cfg: Nodes <-          *)
(* TraceNodes, ...).  The ring is every key's walk one after the other,    *)
(* and a key's home is the start of its walk: each walk holds every node,  *)
(* so WalkOf[k] (the walk from Home[k], each node once) is exactly the     *)
(* header's walk for k.                                                    *)
(***************************************************************************)
NodeCount == Len(Header.nodes)
TraceNodes == {Header.nodes[i] : i \in DOMAIN Header.nodes}
TraceKeys == {Header.keys[j].key : j \in DOMAIN Header.keys}
TraceRing == [i \in 1..(Len(Header.keys) * NodeCount) |->
                Header.keys[((i - 1) \div NodeCount) + 1].walk[((i - 1) % NodeCount) + 1]]
TraceHome == [k \in TraceKeys |->
                (CHOOSE j \in DOMAIN Header.keys : Header.keys[j].key = k) * NodeCount - NodeCount + 1]
TraceN == Header.N
TraceR == Header.R
TraceW == Header.W
LinesOf(a) == {i \in DOMAIN Trace : Trace[i].action = a}
TraceClients == {Trace[i].client : i \in LinesOf("CoordinatePut") \cup LinesOf("ClientGet")}
TraceValues == {Trace[i].val : i \in {j \in LinesOf("CoordinatePut") : "val" \in DOMAIN Trace[j]}}
TraceBudget == Len(Trace)

ASSUME /\ Header.format = "dynamo-trace" /\ Header.version = 1
       /\ Cardinality(TraceNodes) = NodeCount
       /\ \A j \in DOMAIN Header.keys :
             Len(Header.keys[j].walk) = NodeCount
             /\ {Header.keys[j].walk[i] : i \in 1..NodeCount} = TraceNodes
       /\ \A k \in Keys : WalkOf[k] = Header.keys[CHOOSE j \in DOMAIN Header.keys :
                                                      Header.keys[j].key = k].walk

-----------------------------------------------------------------------------
(***************************************************************************)
(* From JSON (spec/trace-format.md) to the spec's values.  JSON arrays are *)
(* TLA+ sequences; arrays that stand for sets are read as sets.            *)
(***************************************************************************)
JSet(a) == {a[i] : i \in DOMAIN a}
JDot(d) == <<<<d[1], d[2]>>, d[3]>>                 \* [node, epoch, counter]
JDots(a) == {JDot(a[i]) : i \in DOMAIN a}
JVal(x) == IF "val" \in DOMAIN x THEN x.val ELSE Tombstone   \* "val" or "tombstone": true
JVer(v) == [dot |-> JDot(v.dot), ctx |-> JDots(v.ctx), val |-> JVal(v)]
JVers(a) == {JVer(a[i]) : i \in DOMAIN a}
JHint(x) == IF "hint" \in DOMAIN x THEN x.hint ELSE NoNode
JTargets(a) == {[node |-> a[i].node, hint |-> JHint(a[i])] : i \in DOMAIN a}

JMsg(m) ==
    CASE m.type = "Store" ->
           [type |-> "Store", to |-> m.to, from |-> m.from, id |-> m.id, key |-> m.key,
            ver |-> JVer(m.ver), hint |-> JHint(m)]
      [] m.type = "StoreAck" ->
           [type |-> "StoreAck", to |-> m.to, from |-> m.from, id |-> m.id,
            dot |-> JDot(m.dot), epoch |-> m.epoch]
      [] m.type = "Repair" ->
           [type |-> "Repair", to |-> m.to, from |-> m.from, key |-> m.key, vers |-> JVers(m.vers)]
      [] m.type \in {"Handoff", "HandoffAck"} ->
           [type |-> m.type, to |-> m.to, from |-> m.from, key |-> m.key, ver |-> JVer(m.ver)]
      [] m.type = "Read" ->
           [type |-> "Read", to |-> m.to, from |-> m.from, id |-> m.id, key |-> m.key]
      [] m.type = "ReadReply" ->
           [type |-> "ReadReply", to |-> m.to, from |-> m.from, id |-> m.id, vers |-> JVers(m.vers)]

-----------------------------------------------------------------------------
VARIABLE l   \* the next trace line to match (1 = the first action line)

traceVars == <<vars, l>>

(***************************************************************************)
(* One predicate per action line: the guards on the line's ids first, then *)
(* the spec action with the line's parameters, then the line's reported    *)
(* results against the new state.                                          *)
(***************************************************************************)
IsCoordinatePut(e) ==
    /\ e.id = spent.puts + 1
    /\ ImplCoordinatePut(e.client, e.key, e.node, JVal(e), JDots(e.ctx), JTargets(e.targets))
    /\ e.epoch = epoch[e.node]
    /\ putOps'[e.id].ver.dot = JDot(e.dot)           \* the implementation's counter is MakeVersion's

IsPersistPut(e) ==
    /\ e.id \in DOMAIN putOps /\ e.node = putOps[e.id].coord
    /\ PersistPut(e.id)

\* The coordinator resends put e.id's version to fallback e.to, hinted for e.hint.
IsResendPut(e) ==
    /\ e.id \in DOMAIN putOps /\ e.node = putOps[e.id].coord
    /\ ImplResendPut(e.id, e.to, e.hint)

IsStoreVersion(e) ==
    LET m == JMsg(e.msg) IN
    /\ m \in Msgs
    /\ StoreVersion(e.node, m)
    /\ mem'[e.node][m.key] = JVers(e.siblings)

IsCompletePut(e) ==
    LET i == e.id
        o == putOps[i]
    IN  /\ i \in DOMAIN putOps /\ e.node = o.coord
        /\ CompletePutWith(i, {[type |-> "StoreAck", to |-> o.coord, from |-> a.from, id |-> i,
                                dot |-> o.ver.dot, epoch |-> a.epoch] : a \in JSet(e.acks)})

IsClientGet(e) ==
    /\ e.id = spent.gets + 1
    /\ ImplClientGet(e.client, e.key, e.node, JTargets(e.targets))
    /\ e.epoch = epoch[e.node]
    /\ View(e.node, e.key) = JVers(e.view)

IsReplicaRead(e) ==
    LET m == JMsg(e.msg) IN
    /\ m \in Msgs
    /\ ReplicaRead(e.node, m)
    /\ View(e.node, m.key) = JVers(e.view)

IsCompleteGet(e) ==
    LET g == e.id IN
    /\ g \in DOMAIN getOps /\ e.node = getOps[g].coord
    /\ CompleteGetWith(g, {[type |-> "ReadReply", to |-> e.node, from |-> r.from, id |-> g,
                            vers |-> JVers(r.vers)] : r \in JSet(e.replies)})
    /\ getOps'[g].result = JVers(e.siblings)
    /\ ReadContext(getOps'[g].result) = JDots(e.ctx)

IsReadRepair(e) ==
    LET g == e.id IN
    /\ g \in DOMAIN getOps /\ e.node = getOps[g].coord
    /\ getOps[g].stale = JSet(e.to)
    /\ getOps[g].result = JVers(e.siblings)
    /\ ReadRepair(g)

IsDeliverHint(e) ==
    DeliverHint(e.node, [to |-> e.hint.to, key |-> e.hint.key, ver |-> JVer(e.hint.ver)])

IsDeleteHint(e) ==
    LET m == JMsg(e.msg) IN m \in Msgs /\ DeleteHint(e.node, m)

IsCrash(e) == Crash(e.node)

IsRecover(e) == Recover(e.node) /\ epoch'[e.node] = e.epoch

IsFlush(e) == Flush(e.node)

IsLoseMessage(e) == LET m == JMsg(e.msg) IN m \in Msgs /\ LoseMessage(m)

IsDuplicateMessage(e) == LET m == JMsg(e.msg) IN m \in Msgs /\ DuplicateMessage(m)

(***************************************************************************)
(* Lines with no spec effect (stuttering steps).  What they name must      *)
(* exist: the message is in the network and addressed to the node, the     *)
(* operation was started by that node.                                     *)
(***************************************************************************)
IsReceived(e, type) ==
    LET m == JMsg(e.msg) IN m \in Msgs /\ m.to = e.node /\ (type # "" => m.type = type)

IsStutter(e) ==
    /\ CASE e.action = "AckPut"     -> IsReceived(e, "StoreAck")
         [] e.action = "ReplyGet"   -> IsReceived(e, "ReadReply")
         [] e.action = "Discard"    -> IsReceived(e, "")
         [] e.action = "PutTimeout" -> e.id \in DOMAIN putOps /\ putOps[e.id].coord = e.node
         [] e.action = "GetTimeout" -> e.id \in DOMAIN getOps /\ getOps[e.id].coord = e.node
    /\ UNCHANGED vars

StutterActions == {"AckPut", "ReplyGet", "Discard", "PutTimeout", "GetTimeout"}

TraceInit == Init /\ l = 1

TraceNext ==
    /\ l <= Len(Trace)
    /\ LET e == Trace[l] IN
       CASE e.action = "CoordinatePut"    -> IsCoordinatePut(e)
         [] e.action = "PersistPut"       -> IsPersistPut(e)
         [] e.action = "ResendPut"        -> IsResendPut(e)
         [] e.action = "StoreVersion"     -> IsStoreVersion(e)
         [] e.action = "CompletePut"      -> IsCompletePut(e)
         [] e.action = "ClientGet"        -> IsClientGet(e)
         [] e.action = "ReplicaRead"      -> IsReplicaRead(e)
         [] e.action = "CompleteGet"      -> IsCompleteGet(e)
         [] e.action = "ReadRepair"       -> IsReadRepair(e)
         [] e.action = "DeliverHint"      -> IsDeliverHint(e)
         [] e.action = "DeleteHint"       -> IsDeleteHint(e)
         [] e.action = "Crash"            -> IsCrash(e)
         [] e.action = "Recover"          -> IsRecover(e)
         [] e.action = "Flush"            -> IsFlush(e)
         [] e.action = "LoseMessage"      -> IsLoseMessage(e)
         [] e.action = "DuplicateMessage" -> IsDuplicateMessage(e)
         [] e.action \in StutterActions   -> IsStutter(e)
         [] OTHER                         -> FALSE
    /\ l' = l + 1

TraceSpec == TraceInit /\ [][TraceNext]_traceVars

(***************************************************************************)
(* POSTCONDITION: the trace is a behaviour of the spec when TLC reached    *)
(* the state after its last line (diameter = lines + 1: Init is depth 1).  *)
(***************************************************************************)
TraceAccepted ==
    LET d == TLCGet("stats").diameter IN
    IF d = Len(Trace) + 1
    THEN PrintT("TRACE ACCEPTED: " \o ToString(Len(Trace)) \o " actions")
    ELSE /\ PrintT("TRACE REJECTED at line " \o ToString(d + 1) \o " (header = line 1): "
                   \o "no step of Dynamo matches " \o ToString(Trace[d]))
         /\ FALSE
=============================================================================
