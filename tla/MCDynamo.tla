------------------------------ MODULE MCDynamo ------------------------------
(***************************************************************************)
(* Finite models of Dynamo for TLC.  Each MCDynamo*.cfg picks a ring, the  *)
(* budgets and the symmetry; README.md lists what each one checks and its  *)
(* figures.                                                                *)
(***************************************************************************)
EXTENDS Dynamo

CONSTANTS n1, n2, n3, n4   \* node names (model values)

\* Rings: one token per node, clockwise.
Ring3 == <<n1, n2, n3>>
Ring4 == <<n1, n2, n3, n4>>

\* Every key's walk starts at the first token, so keys are interchangeable.
HomeFirst == [k \in Keys |-> 1]

(***************************************************************************)
(* Symmetry.  Clients, keys (all with the same home) and values are        *)
(* interchangeable.  Nodes are ordered by the ring, but the order only     *)
(* matters to pick fallbacks for down primaries: with every node a primary *)
(* (3 nodes, N=3) no fallback exists, and with 4 nodes, N=3 and at most    *)
(* one crash, at most one primary is down at once; so the primaries are    *)
(* interchangeable in both (ResendPut picks any down primary but the       *)
(* coordinator, and n4).  The liveness model uses no symmetry.             *)
(***************************************************************************)
Primaries == {n1, n2, n3}
Symmetry == Permutations(Clients) \cup Permutations(Keys) \cup Permutations(Values)
              \cup Permutations(Primaries)

\* BUG (MCDynamo_NoAntiEntropy_bug.cfg): anti-entropy never runs, so a replica
\* that missed a write (lost message, crash) never catches up.
NoAntiEntropy(n, p, k) == FALSE
=============================================================================
