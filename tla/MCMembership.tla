---------------------------- MODULE MCMembership ----------------------------
(***************************************************************************)
(* Finite models of Membership.tla for TLC.  Each MCMembership*.cfg picks  *)
(* the nodes, the ring order and the budgets; README.md lists what each    *)
(* one checks and its figures.                                             *)
(***************************************************************************)
EXTENDS Membership

CONSTANTS n1, n2, n3   \* node names (model values)

(***************************************************************************)
(* The ring order for the key: n3 first, so that n3 joining takes over an  *)
(* owner's place (n2's, with members {n1, n2} and N = 2), and removing or  *)
(* retiring n1 afterwards hands ownership back to n2.  No symmetry: the    *)
(* order makes every node different.                                       *)
(***************************************************************************)
Order3 == <<n3, n1, n2>>
Members12 == {n1, n2}

\* One put, then one delete (a tombstone that supersedes it).
PutDel == <<"put", "del">>

\* The administrator may retire n1 (an owner before and after n3 joins: its
\* departure hands its place back to n2) or n3 (the newcomer: ownership
\* returns to n1, n2).  n2, no longer an owner once n3 joined, is left out
\* to keep the model small.
Retire == {n1, n3}

(***************************************************************************)
(* Reachability probes: FALSE invariants that no .cfg lists.  Checking one *)
(* by hand (add it to INVARIANTS) must make TLC show a behaviour reaching   *)
(* the situation, which shows the passing model is not vacuous (README.md). *)
(***************************************************************************)
\* A node was removed for good.
ProbeNoRemoval == gone = {}
\* A tombstone was reaped.
ProbeNoReap == reaped = 0
\* A transfer completed: a node outside the owners of its view has every
\* owner's confirmation for the data it holds (ReleasePartition is enabled).
ProbeNoTransferDone ==
    ~\E old \in Nodes : /\ Active(old) /\ store[old] # 0 /\ old \notin Owners(view[old])
                        /\ \A o \in Owners(view[old]) : confirmed[old][o] >= store[old]
\* (Action property: add it to PROPERTIES.)  n2 releases the put it held.
ProbeNoRelease == [][~(ReleasePartition(n2) /\ store[n2] = 1)]_vars
\* (Action property.)  n1, having left, releases the put it held.
ProbeNoLeaverRelease == [][~(ReleasePartition(n1) /\ n1 \notin cur.mem /\ store[n1] = 1)]_vars
\* (Action property.)  A stream from a node that left or was displaced.
ProbeNoStream == [][~\E old, new \in Nodes : StreamPartition(old, new)]_vars
\* A removal and a reap in one behaviour, in that order or the other.
ProbeNoRemovalAndReap == ~(gone # {} /\ reaped > 0)
\* A fallback keeps a hint (for a removed owner: the only way a store fails here).
ProbeNoHint == hints = {}
\* (Action property.)  A hint for a node no longer a member handed to a new owner.
ProbeNoHintRedirect ==
    [][~\E f \in Nodes, h \in hints : DeliverHint(f, h) /\ h.for \notin view[f].mem]_vars
=============================================================================
