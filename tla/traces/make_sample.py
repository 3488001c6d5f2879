#!/usr/bin/env python3
"""Writes the sample traces of tla/traces/ (spec/trace-format.md) from a scripted scenario.

usage: python3 tla/traces/make_sample.py [OUT_DIR]     (default: the folder of this script)

A tiny executable copy of the spec's actions (tla/Dynamo.tla) computes what each line reports
(new dots, siblings, views), so the scenarios below read as lists of protocol steps.
sample: 4 nodes n1..n4, keys k1 (walk n1 n2 n3 n4) and k2 (walk n3 n4 n1 n2), N=3 R=2 W=2.
  sample.ndjson              a valid trace: puts, a get returning two siblings, read repair, a crash
                             and recovery, a hint kept by fallback n4, handed off and deleted, a lost
                             and a duplicated message, a tombstone, a timeout, stuttering lines.
                             Every put has its PersistPut (the coordinator's own durable write):
                             mostly just after its CoordinatePut, for put 2 after the replicas'
                             StoreVersion lines (the order is free; only CompletePut must follow it).
  sample_altered_dot.ndjson  the same with put 3's new dot counter 2 changed to 7 everywhere (the
                             coordinator skipped counters): well-formed, but not what MakeVersion
                             gives, so TLC must reject it at that CoordinatePut.
  sample_all_quorum.ndjson   N=R=W=3 on 3 nodes: AckPut and ReplyGet lines (the ack and the reply
                             before the last one needed), then CompletePut / CompleteGet; the put's
                             PersistPut comes last, after both replicas stored the version.
  sample_resend.ndjson       4 nodes, N=3 R=2 W=3: replica n3 crashes before storing put 1, so the
                             coordinator resends the version to fallback n4 hinted for n3
                             (ResendPut); n4 keeps the hint, and CompletePut counts n4's
                             acknowledgement beside n2's. n3 recovers, stores the first Store late
                             (its ack is discarded) and gets the hint handed off.
  sample_resend_altered.ndjson  the same put resent to n2, a primary, not a fallback (n2 stores it
                             as a hint, the put times out): well-formed, but not an ImplResendPut,
                             so TLC must reject it at that ResendPut (line 7).
  sample_resend_twice_altered.ndjson  the same put resent to n4 a second time (line 9): n4 was asked
                             already, so TLC must reject that line.
  sample_resend_to_target_altered.ndjson  n3 down when put 1 is coordinated, so n4 is already its
                             hinted target; resending to n4 (the last line) must be rejected.
Standard library only.
"""
import json
import os
import sys



def ver_json(v):
    dot, ctx, val = v
    out = {"dot": list(dot), "ctx": [list(d) for d in sorted(ctx)]}
    out.update({"val": val} if val is not None else {"tombstone": True})
    return out


def vers_json(vs):
    return [ver_json(v) for v in sorted(vs)]


def reconcile(vs):
    return {v for v in vs if not any(v[0] in w[1] for w in vs)}


def read_context(vs):
    out = set()
    for dot, ctx, _ in vs:
        out |= ctx | {dot}
    return out


class Model:
    """The spec's state, enough to compute what each line reports."""

    def __init__(self, nodes, walk, n, r, w):
        self.walk, self.N = walk, n
        self.up = {x: True for x in nodes}
        self.epoch = {x: 0 for x in nodes}
        self.mem = {x: {k: set() for k in walk} for x in nodes}
        self.disk = {x: {k: set() for k in walk} for x in nodes}
        self.hints = {x: set() for x in nodes}     # (to, key, version)
        self.issued = {x: {k: 0 for k in walk} for x in nodes}
        self.client_ctx = {}
        self.puts, self.gets = {}, {}
        self.lines = [{"format": "dynamo-trace", "version": 1, "nodes": nodes,
                       "keys": [{"key": k, "walk": wk} for k, wk in walk.items()], "N": n, "R": r, "W": w}]

    def emit(self, **line):
        self.lines.append(line)

    def view(self, n, k):
        return reconcile(self.mem[n][k] | {v for (to, key, v) in self.hints[n] if key == k})

    def targets(self, k):
        pref, fb = self.walk[k][:self.N], self.walk[k][self.N:]
        down = [p for p in pref if not self.up[p]]
        spare = [f for f in fb if self.up[f]]
        out = [{"node": p} for p in pref if self.up[p]]
        for i, p in enumerate(down):
            out.append({"node": spare[i], "hint": p} if i < len(spare) else {"node": p})
        return out

    # ---- put ----
    def put(self, client, k, n, val, blind=False):
        """CoordinatePut: the new version goes to the coordinator's live store only; its durable
        write is PersistPut (persist), which must come before CompletePut."""
        ctx = set() if blind else self.client_ctx.get((client, k), set())
        a = (n, self.epoch[n])
        known = read_context(self.mem[n][k]) | ctx
        c = 1 + max([0, self.issued[n][k]] + [d[2] for d in known if (d[0], d[1]) == a])
        v = ((n, self.epoch[n], c), frozenset(ctx), val)
        self.mem[n][k] = reconcile(self.mem[n][k] | {v})
        self.issued[n][k] = c
        i = len(self.puts) + 1
        self.puts[i] = {"node": n, "key": k, "ver": v, "persisted": False}
        line = {"action": "CoordinatePut", "id": i, "client": client, "key": k, "node": n,
                "epoch": self.epoch[n], "ctx": [list(d) for d in sorted(ctx)], "dot": list(v[0]),
                "targets": self.targets(k)}
        line.update({"val": val} if val is not None else {"tombstone": True})
        self.emit(**line)
        return i

    def persist(self, i):
        """PersistPut: the coordinator's own copy of put i reaches its disk."""
        op = self.puts[i]
        n, k = op["node"], op["key"]
        assert self.up[n] and not op["persisted"]
        self.disk[n][k] = reconcile(self.disk[n][k] | {op["ver"]})
        op["persisted"] = True
        self.emit(action="PersistPut", id=i, node=n)

    def store_msg_of(self, i, to):
        """Put i's Store message to node `to`."""
        t = next(t for t in self.lines if t.get("action") == "CoordinatePut" and t["id"] == i)
        tgt = next(x for x in t["targets"] if x["node"] == to)
        op = self.puts[i]
        m = {"type": "Store", "to": to, "from": op["node"], "id": i, "key": op["key"], "ver": ver_json(op["ver"])}
        if "hint" in tgt:
            m["hint"] = tgt["hint"]
        return m

    def resend(self, i, to, hint):
        """ResendPut: put i's coordinator sends the version to `to`, hinted for `hint`."""
        op = self.puts[i]
        assert self.up[op["node"]]
        self.emit(action="ResendPut", node=op["node"], id=i, to=to, hint=hint)
        return {"type": "Store", "to": to, "from": op["node"], "id": i, "key": op["key"],
                "ver": ver_json(op["ver"]), "hint": hint}

    def store(self, i, n, m=None):
        """StoreVersion at n of put i's Store message (m: that message, if a ResendPut sent it)."""
        op = self.puts[i]
        m = m or self.store_msg_of(i, n)
        k, v = op["key"], op["ver"]
        if "hint" in m:
            self.hints[n].add((m["hint"], k, v))
        else:
            self.mem[n][k] = reconcile(self.mem[n][k] | {v})
        self.emit(action="StoreVersion", node=n, msg=m, siblings=vers_json(self.mem[n][k]))
        return self.ack(i, n)

    def ack(self, i, n):
        op = self.puts[i]
        return {"type": "StoreAck", "to": op["node"], "from": n, "id": i,
                "dot": list(op["ver"][0]), "epoch": self.epoch[n]}

    def complete_put(self, i, acks):
        assert self.puts[i]["persisted"], f"put {i} completes before its PersistPut"
        self.emit(action="CompletePut", id=i, node=self.puts[i]["node"],
                  acks=[{"from": n, "epoch": e} for n, e in acks])

    # ---- get ----
    def client_get(self, client, k, n):
        g = len(self.gets) + 1
        self.gets[g] = {"node": n, "key": k, "client": client, "replies": {n: self.view(n, k)}}
        self.emit(action="ClientGet", id=g, client=client, key=k, node=n, epoch=self.epoch[n],
                  targets=self.targets(k), view=vers_json(self.view(n, k)))
        return g

    def replica_read(self, g, n):
        op = self.gets[g]
        vs = self.view(n, op["key"])
        self.emit(action="ReplicaRead", node=n,
                  msg={"type": "Read", "to": n, "from": op["node"], "id": g, "key": op["key"]},
                  view=vers_json(vs))
        return {"type": "ReadReply", "to": op["node"], "from": n, "id": g, "vers": vers_json(vs)}, vs

    def complete_get(self, g, replies):
        op = self.gets[g]
        for n, vs in replies:
            op["replies"][n] = vs
        res = reconcile(set().union(*op["replies"].values()))
        op["result"] = res
        op["stale"] = sorted(n for n, vs in op["replies"].items() if vs != res)
        self.client_ctx[(op["client"], op["key"])] = read_context(res)
        self.emit(action="CompleteGet", id=g, node=op["node"],
                  replies=[{"from": n, "vers": vers_json(vs)} for n, vs in replies],
                  siblings=vers_json(res), ctx=[list(d) for d in sorted(read_context(res))])

    def read_repair(self, g):
        op = self.gets[g]
        self.emit(action="ReadRepair", id=g, node=op["node"], to=op["stale"], siblings=vers_json(op["result"]))
        return [{"type": "Repair", "to": t, "from": op["node"], "key": op["key"],
                 "vers": vers_json(op["result"])} for t in op["stale"]]

    def store_repair(self, m):
        n, k = m["to"], m["key"]
        g = next(g for g, op in self.gets.items() if op["key"] == k and op.get("result") is not None)
        self.mem[n][k] = reconcile(self.mem[n][k] | self.gets[g]["result"])
        self.emit(action="StoreVersion", node=n, msg=m, siblings=vers_json(self.mem[n][k]))

    # ---- hints ----
    def deliver_hint(self, n, to, k, v):
        h = {"to": to, "key": k, "ver": ver_json(v)}
        self.emit(action="DeliverHint", node=n, hint=h)
        return {"type": "Handoff", "to": to, "from": n, "key": k, "ver": ver_json(v)}

    def store_handoff(self, m, v):
        n, k = m["to"], m["key"]
        self.mem[n][k] = reconcile(self.mem[n][k] | {v})
        self.disk[n][k] = reconcile(self.disk[n][k] | {v})
        self.emit(action="StoreVersion", node=n, msg=m, siblings=vers_json(self.mem[n][k]))
        return {"type": "HandoffAck", "to": m["from"], "from": n, "key": k, "ver": m["ver"]}

    def delete_hint(self, ack, v):
        n = ack["to"]
        self.hints[n].discard((ack["from"], ack["key"], v))
        self.emit(action="DeleteHint", node=n, msg=ack)

    # ---- faults ----
    def crash(self, n):
        self.up[n] = False
        for k in self.walk:
            self.mem[n][k] = set(self.disk[n][k])
            self.issued[n][k] = 0
        self.emit(action="Crash", node=n)

    def recover(self, n):
        self.up[n] = True
        self.epoch[n] += 1
        self.emit(action="Recover", node=n, epoch=self.epoch[n])


def scenario():
    s = Model(["n1", "n2", "n3", "n4"], {"k1": ["n1", "n2", "n3", "n4"], "k2": ["n3", "n4", "n1", "n2"]}, 3, 2, 2)
    # put 1: c1 writes "a" to k1 through n1 (blind: c1 never read k1); W=2 after n2's ack.
    p1 = s.put("c1", "k1", "n1", "a")
    s.persist(p1)                                         # n1's own copy is on its disk
    ack_n2 = s.store(p1, "n2")
    s.complete_put(p1, [("n2", 0)])
    late = s.store(p1, "n3")
    s.emit(action="Discard", node="n1", msg=late)          # n1 ignores a late ack
    # n3 crashes: its buffered copy of "a" is lost.
    s.crash("n3")
    # put 2: c2 writes "b" through n2, blind; n3 is down, so fallback n4 keeps it with a hint.
    p2 = s.put("c2", "k1", "n2", "b")
    ack_n4 = s.store(p2, "n4")
    ack_n1 = s.store(p2, "n1")
    s.persist(p2)                                         # n2's own durable write lands last
    s.emit(action="DuplicateMessage", msg=ack_n1)         # the network duplicates n1's ack
    s.complete_put(p2, [("n4", 0)])
    s.emit(action="LoseMessage", msg=ack_n1)              # one copy of the late ack is lost ...
    s.emit(action="Discard", node="n2", msg=ack_n1)       # ... the other one is ignored
    # n3 is back (epoch 1); n4 hands the hint off; n3 stores it durably; n4 deletes the hint.
    s.recover("n3")
    v_b = s.puts[p2]["ver"]
    handoff = s.deliver_hint("n4", "n3", "k1", v_b)
    hack = s.store_handoff(handoff, v_b)
    s.delete_hint(hack, v_b)
    # get 1: c1 reads k1 through n1: siblings "a" and "b" (concurrent blind puts).
    g1 = s.client_get("c1", "k1", "n1")
    reply_n3, vs_n3 = s.replica_read(g1, "n3")
    reply_n2, vs_n2 = s.replica_read(g1, "n2")
    s.complete_get(g1, [("n3", vs_n3)])                  # n3 answered with "b" only: stale
    s.emit(action="Discard", node="n1", msg=reply_n2)    # the late reply is ignored
    (repair,) = s.read_repair(g1)
    s.store_repair(repair)                               # n3 now holds both siblings
    # put 3: c1 writes "c" with the context it read: supersedes "a" and "b". The Store to n3 is lost.
    p3 = s.put("c1", "k1", "n1", "c")
    s.persist(p3)
    s.store(p3, "n2")
    s.emit(action="LoseMessage", msg=s.store_msg_of(p3, "n3"))
    s.complete_put(p3, [("n2", 0)])
    # put 4: c2 deletes k2 through n3 (blind tombstone), n3 in epoch 1.
    p4 = s.put("c2", "k2", "n3", None)
    s.persist(p4)
    s.store(p4, "n4")
    s.store(p4, "n1")
    s.complete_put(p4, [("n1", 0)])
    # put 5: c1 writes "d" to k2 through n4; n1 crashes before storing it; n4's own copy is durable,
    # but no replica acknowledges: the put times out.
    p5 = s.put("c1", "k2", "n4", "d")
    s.crash("n1")
    s.persist(p5)
    s.emit(action="PutTimeout", id=p5, node="n4")
    # get 2: c2 reads k1 through n2; n3's reply is lost; n1 is down; the get times out.
    g2 = s.client_get("c2", "k1", "n2")
    reply, _ = s.replica_read(g2, "n3")
    s.emit(action="LoseMessage", msg=reply)
    s.emit(action="GetTimeout", id=g2, node="n2")
    s.recover("n1")
    return s.lines


def scenario_all():
    """N = R = W = 3 on 3 nodes: the acknowledgement and the reply before the last one needed are
    AckPut and ReplyGet lines (stuttering steps)."""
    s = Model(["n1", "n2", "n3"], {"k1": ["n1", "n2", "n3"]}, 3, 3, 3)
    p = s.put("c1", "k1", "n1", "x")
    s.emit(action="AckPut", node="n1", msg=s.store(p, "n2"))
    s.store(p, "n3")
    s.persist(p)                                          # n1's own write, after both replicas
    s.complete_put(p, [("n2", 0), ("n3", 0)])
    g = s.client_get("c1", "k1", "n2")
    r1, v1 = s.replica_read(g, "n1")
    s.emit(action="ReplyGet", node="n2", msg=r1)
    r3, v3 = s.replica_read(g, "n3")
    s.complete_get(g, [("n1", v1), ("n3", v3)])
    return s.lines


def scenario_resend(to="n4", again=False):
    """ResendPut: n3 does not answer put 1 (it crashed before storing it), so n1 resends the version
    to fallback n4 hinted for n3; W=3 needs n4's acknowledgement beside n2's. to="n2" (a primary)
    gives an altered trace, which TLC must reject at the ResendPut line; again=True another, whose
    second ResendPut goes to n4 once more (asked already), rejected at that line."""
    s = Model(["n1", "n2", "n3", "n4"], {"k1": ["n1", "n2", "n3", "n4"]}, 3, 2, 3)
    p = s.put("c1", "k1", "n1", "a")                     # targets n1, n2, n3: all up
    s.persist(p)
    ack_n2 = s.store(p, "n2")
    s.crash("n3")                                         # n3 never answers; its Store waits
    s.emit(action="AckPut", node="n1", msg=ack_n2)
    m = s.resend(p, to, "n3")
    s.store(p, to, m)                                     # n4 keeps it as a hint for n3
    if to != "n4":                                        # altered: no second distinct ack
        s.emit(action="PutTimeout", id=p, node="n1")
        return s.lines
    if again:                                             # altered: n4 was asked already
        s.resend(p, "n4", "n3")
        return s.lines
    s.complete_put(p, [("n2", 0), ("n4", 0)])
    s.recover("n3")
    late = s.store(p, "n3")                               # the first Store, stored late (epoch 1)
    s.emit(action="Discard", node="n1", msg=late)
    v = s.puts[p]["ver"]
    handoff = s.deliver_hint("n4", "n3", "k1", v)
    hack = s.store_handoff(handoff, v)
    s.delete_hint(hack, v)
    return s.lines


def scenario_resend_to_target():
    """Altered: n3 is down when put 1 is coordinated, so fallback n4 is already one of its targets
    (hinted for n3); n4 stays silent and n1 resends to it anyway. n4 is a fallback of the key and n3
    one of its primaries, so only ResendPut's "not asked before" (the put's asked set starts at its
    fallback targets) rejects the ResendPut line, the last one."""
    s = Model(["n1", "n2", "n3", "n4"], {"k1": ["n1", "n2", "n3", "n4"]}, 3, 2, 3)
    s.crash("n3")
    p = s.put("c1", "k1", "n1", "a")                     # targets n1, n2, n4 (hint n3)
    s.persist(p)
    ack_n2 = s.store(p, "n2")
    s.emit(action="AckPut", node="n1", msg=ack_n2)
    s.resend(p, "n4", "n3")
    return s.lines


def write(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")


def main(argv):
    out = argv[0] if argv else os.path.dirname(os.path.abspath(__file__))
    lines = scenario()
    write(os.path.join(out, "sample.ndjson"), lines)
    write(os.path.join(out, "sample_all_quorum.ndjson"), scenario_all())
    # Altered: put 3's dot ["n1",0,2] becomes ["n1",0,7] on every line (consistently, so the format
    # check still passes); MakeVersion gives counter 2.
    text = json.dumps(lines, separators=(",", ":")).replace('["n1",0,2]', '["n1",0,7]')
    write(os.path.join(out, "sample_altered_dot.ndjson"), json.loads(text))
    write(os.path.join(out, "sample_resend.ndjson"), scenario_resend())
    write(os.path.join(out, "sample_resend_altered.ndjson"), scenario_resend(to="n2"))
    write(os.path.join(out, "sample_resend_twice_altered.ndjson"), scenario_resend(again=True))
    write(os.path.join(out, "sample_resend_to_target_altered.ndjson"), scenario_resend_to_target())
    print(f"wrote sample.ndjson ({len(lines)} lines), sample_altered_dot.ndjson, sample_all_quorum.ndjson,"
          f" sample_resend.ndjson, sample_resend_altered.ndjson, sample_resend_twice_altered.ndjson,"
          f" sample_resend_to_target_altered.ndjson in {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
