#!/usr/bin/env python3
"""Format check of Dynamo traces (spec/trace-format.md), written from that document alone.

usage: trace_check.py TRACE...      exit 0 every trace well-formed, 1 some trace malformed, 2 usage

Checks, per trace: every line is a JSON object; the first is the header; every other line names a
known action and has its required fields with the right JSON types; nodes and keys are the header's;
ids are consistent (put and get ids count 1, 2, 3 in order; a completion, repair, timeout or
PersistPut names an operation that was started, by its coordinator; a put has at most one PersistPut,
before its CompletePut, and completes only after it; a ResendPut names an open put, by its
coordinator, to another node); epochs count from 0 and grow by one at each Recover;
every message a line acts on was sent before and is still in flight (a message is sent by the line
that the spec says sends it, and consumed by the line that receives, drops or counts it); a node acts
only while it is up. Whether each step is one the spec allows (counters, siblings, quorums) is TLC's
job (tla/TraceDynamo.tla); this check needs no Java. Standard library only.
"""
import json
import sys
from collections import Counter

FORMAT, VERSION = "dynamo-trace", 1


class Malformed(Exception):
    pass


def fail(msg):
    raise Malformed(msg)


def is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


class Trace:
    def __init__(self, header):
        self.header(header)
        self.puts = {}      # put id -> {"node", "key", "dot", "ver", "persisted", "done"}
        self.gets = {}      # get id -> {"node", "key", "done", "siblings"}
        self.epoch = {n: 0 for n in self.nodes}
        self.up = {n: True for n in self.nodes}
        self.net = Counter()   # canonical message -> copies in flight
        self.hints = {n: Counter() for n in self.nodes}

    # ---- header -------------------------------------------------------------------------------
    def header(self, h):
        if h.get("format") != FORMAT:
            fail(f'header: "format" must be "{FORMAT}"')
        if type(h.get("version")) is not int or h.get("version") != VERSION:  # not true, not 1.0
            fail(f'header: "version" must be {VERSION}')
        nodes = h.get("nodes")
        if not isinstance(nodes, list) or not nodes or not all(isinstance(n, str) and n for n in nodes):
            fail('header: "nodes" must be a non-empty array of non-empty strings')
        if len(set(nodes)) != len(nodes):
            fail('header: "nodes" repeats a node')
        self.nodes = set(nodes)
        for f in ("N", "R", "W"):
            if not is_int(h.get(f)):
                fail(f'header: "{f}" must be an integer')
        n, r, w = h["N"], h["R"], h["W"]
        if not (1 <= n <= len(nodes) and 1 <= r <= n and 1 <= w <= n):
            fail("header: need 1 <= R, W <= N <= number of nodes")
        self.N, self.R, self.W = n, r, w
        keys = h.get("keys")
        if not isinstance(keys, list) or not keys:
            fail('header: "keys" must be a non-empty array')
        self.walk = {}
        for k in keys:
            if not isinstance(k, dict) or not isinstance(k.get("key"), str) or not k["key"]:
                fail('header: each of "keys" must be {"key": string, "walk": [node, ...]}')
            if k["key"] in self.walk:
                fail(f'header: key {k["key"]!r} listed twice')
            walk = k.get("walk")
            if (not isinstance(walk, list) or not all(isinstance(n, str) for n in walk)
                    or sorted(walk) != sorted(nodes)):
                fail(f'header: the walk of {k["key"]!r} must list every node exactly once')
            self.walk[k["key"]] = walk

    # ---- typed fields ---------------------------------------------------------------------------
    def node(self, x, what):
        if not isinstance(x, str) or x not in self.nodes:
            fail(f"{what}: not a node of the header: {x!r}")
        return x

    def key(self, x, what):
        if not isinstance(x, str) or x not in self.walk:
            fail(f"{what}: not a key of the header: {x!r}")
        return x

    def nat(self, x, what, least=0):
        if not is_int(x) or x < least:
            fail(f"{what}: must be an integer >= {least}, got {x!r}")
        return x

    def dot(self, x, what):
        if not isinstance(x, list) or len(x) != 3:
            fail(f"{what}: a dot is [node, epoch, counter], got {x!r}")
        self.node(x[0], what + "[0]")
        self.nat(x[1], what + "[1]")
        self.nat(x[2], what + "[2]", 1)
        return x

    def ctx(self, x, what):
        if not isinstance(x, list):
            fail(f"{what}: a context is an array of dots")
        for i, d in enumerate(x):
            self.dot(d, f"{what}[{i}]")
        if len({tuple(d) for d in x}) != len(x):
            fail(f"{what}: a context lists a dot twice")
        return x

    def value_of(self, x, what):
        """A version's or put's value: exactly one of "val" (string) and "tombstone" (true)."""
        has_val, has_tomb = "val" in x, "tombstone" in x
        if has_val == has_tomb:
            fail(f'{what}: exactly one of "val" and "tombstone"')
        if has_val and not isinstance(x["val"], str):
            fail(f'{what}: "val" must be a string')
        if has_tomb and x["tombstone"] is not True:
            fail(f'{what}: "tombstone" must be true')

    def version(self, x, what):
        if not isinstance(x, dict):
            fail(f"{what}: a version is an object")
        extra = set(x) - {"dot", "ctx", "val", "tombstone"}
        if extra or "dot" not in x or "ctx" not in x:
            fail(f'{what}: a version has exactly "dot", "ctx" and "val" or "tombstone"')
        self.dot(x["dot"], what + ".dot")
        self.ctx(x["ctx"], what + ".ctx")
        self.value_of(x, what)
        return x

    def versions(self, x, what):
        if not isinstance(x, list):
            fail(f"{what}: must be an array of versions")
        for i, v in enumerate(x):
            self.version(v, f"{what}[{i}]")
        if len({tuple(v["dot"]) for v in x}) != len(x):
            fail(f"{what}: two versions with one dot")
        return x

    def targets(self, x, what, coord):
        if not isinstance(x, list) or len(x) != self.N:
            fail(f"{what}: must be an array of N = {self.N} targets")
        for i, t in enumerate(x):
            if not isinstance(t, dict) or "node" not in t or set(t) - {"node", "hint"}:
                fail(f'{what}[{i}]: a target is {{"node": node}} or {{"node": node, "hint": node}}')
            self.node(t["node"], f"{what}[{i}].node")
            if "hint" in t:
                self.node(t["hint"], f"{what}[{i}].hint")
        if len({t["node"] for t in x}) != len(x):
            fail(f"{what}: a node is targeted twice")
        if {"node": coord} not in x:
            fail(f"{what}: the coordinator {coord!r} must be a target (without hint)")
        return x

    MSG_FIELDS = {
        "Store": {"type", "to", "from", "id", "key", "ver"},   # + optional "hint"
        "StoreAck": {"type", "to", "from", "id", "dot", "epoch"},
        "Repair": {"type", "to", "from", "key", "vers"},
        "Handoff": {"type", "to", "from", "key", "ver"},
        "HandoffAck": {"type", "to", "from", "key", "ver"},
        "Read": {"type", "to", "from", "id", "key"},
        "ReadReply": {"type", "to", "from", "id", "vers"},
    }

    def msg(self, x, what, types=None):
        if not isinstance(x, dict) or not isinstance(x.get("type"), str) or x.get("type") not in self.MSG_FIELDS:
            fail(f"{what}: a message is an object whose \"type\" is one of {sorted(self.MSG_FIELDS)}")
        t = x["type"]
        if types and t not in types:
            fail(f"{what}: must be a message of type {' or '.join(types)}, got {t}")
        want = self.MSG_FIELDS[t]
        got = set(x) - ({"hint"} if t == "Store" else set())
        if got != want:
            fail(f"{what}: a {t} message has exactly the fields {sorted(want)}"
                 + (' (and optionally "hint")' if t == "Store" else "") + f", got {sorted(set(x))}")
        self.node(x["to"], what + ".to")
        self.node(x["from"], what + ".from")
        if "hint" in x:
            self.node(x["hint"], what + ".hint")
        if "id" in x:
            self.nat(x["id"], what + ".id", 1)
        if "key" in x:
            self.key(x["key"], what + ".key")
        if "ver" in x:
            self.version(x["ver"], what + ".ver")
        if "vers" in x:
            self.versions(x["vers"], what + ".vers")
        if "dot" in x:
            self.dot(x["dot"], what + ".dot")
        if "epoch" in x:
            self.nat(x["epoch"], what + ".epoch")
        return x

    # ---- the network --------------------------------------------------------------------------
    @staticmethod
    def canon(x):
        """One string per message or version value: the arrays that stand for sets are sorted."""
        def c(v, field=None):
            if isinstance(v, dict):
                return {k: c(v[k], k) for k in sorted(v)}
            if isinstance(v, list):
                items = [c(i) for i in v]
                if field in ("ctx", "vers"):
                    items.sort(key=lambda i: json.dumps(i, sort_keys=True))
                return items
            return v
        return json.dumps(c(x), sort_keys=True, separators=(",", ":"))

    def send(self, m):
        self.net[self.canon(m)] += 1

    def in_flight(self, m, what):
        if self.net[self.canon(m)] == 0:
            fail(f"{what}: this message was never sent, or is no longer in flight: {self.canon(m)}")

    def consume(self, m, what):
        self.in_flight(m, what)
        self.net[self.canon(m)] -= 1

    def running(self, n, what):
        if not self.up[n]:
            fail(f"{what}: node {n!r} is down (crashed, not recovered)")

    # ---- lines --------------------------------------------------------------------------------
    def need(self, e, fields):
        for f in fields:
            if f not in e:
                fail(f'{e["action"]}: missing field "{f}"')

    def line(self, e):
        if not isinstance(e, dict):
            fail("a line is a JSON object")
        a = e.get("action")
        handler = getattr(self, "do_" + a, None) if isinstance(a, str) else None
        if handler is None:
            fail(f"unknown action {a!r}")
        handler(e)

    def do_CoordinatePut(self, e):
        self.need(e, ("client", "key", "node", "epoch", "id", "ctx", "dot", "targets"))
        if not isinstance(e["client"], str) or not e["client"]:
            fail('CoordinatePut: "client" must be a non-empty string')
        k, n = self.key(e["key"], "key"), self.node(e["node"], "node")
        self.running(n, "CoordinatePut")
        if self.nat(e["epoch"], "epoch") != self.epoch[n]:
            fail(f"CoordinatePut: epoch {e['epoch']} but {n} is at epoch {self.epoch[n]}")
        if self.nat(e["id"], "id", 1) != len(self.puts) + 1:
            fail(f"CoordinatePut: put ids count 1, 2, 3...: expected {len(self.puts) + 1}, got {e['id']}")
        self.ctx(e["ctx"], "ctx")
        self.value_of(e, "CoordinatePut")
        d = self.dot(e["dot"], "dot")
        if d[0] != n or d[1] != self.epoch[n]:
            fail(f"CoordinatePut: the new dot's actor must be the coordinator's, [{n!r}, {self.epoch[n]}]")
        self.targets(e["targets"], "targets", n)
        ver = {"dot": d, "ctx": e["ctx"]}
        ver.update({"val": e["val"]} if "val" in e else {"tombstone": True})
        # persisted: its PersistPut came; done: it completed or timed out; ver: for ResendPut.
        self.puts[e["id"]] = {"node": n, "key": k, "dot": d, "ver": ver, "persisted": False, "done": False}
        for t in e["targets"]:
            if t == {"node": n}:
                continue
            m = {"type": "Store", "to": t["node"], "from": n, "id": e["id"], "key": k, "ver": ver}
            if "hint" in t:
                m["hint"] = t["hint"]
            self.send(m)

    def do_StoreVersion(self, e):
        self.need(e, ("node", "msg", "siblings"))
        n = self.node(e["node"], "node")
        m = self.msg(e["msg"], "msg", ("Store", "Repair", "Handoff"))
        self.versions(e["siblings"], "siblings")
        self.receive(n, m, "StoreVersion")
        if m["type"] == "Store":
            if "hint" in m:
                self.hints[n][self.canon({"to": m["hint"], "key": m["key"], "ver": m["ver"]})] += 1
            self.send({"type": "StoreAck", "to": m["from"], "from": n, "id": m["id"],
                       "dot": m["ver"]["dot"], "epoch": self.epoch[n]})
        elif m["type"] == "Handoff":
            self.send({"type": "HandoffAck", "to": m["from"], "from": n, "key": m["key"], "ver": m["ver"]})

    def receive(self, n, m, what):
        if m["to"] != n:
            fail(f"{what}: the message is addressed to {m['to']!r}, not {n!r}")
        self.running(n, what)
        self.consume(m, what)

    def started(self, ops, e, what):
        self.need(e, ("node", "id"))
        i = self.nat(e["id"], "id", 1)
        if i not in ops:
            fail(f"{what}: no operation with id {i} was started")
        if ops[i]["node"] != self.node(e["node"], "node"):
            fail(f"{what}: operation {i} is coordinated by {ops[i]['node']!r}, not {e['node']!r}")
        return i, ops[i]

    def do_CompletePut(self, e):
        self.need(e, ("acks",))
        i, op = self.started(self.puts, e, "CompletePut")
        self.running(op["node"], "CompletePut")
        if op["done"]:
            fail(f"CompletePut: put {i} completed already")
        if not op["persisted"]:
            fail(f"CompletePut: put {i} completes before its PersistPut (the coordinator's own copy must be durable first)")
        if not isinstance(e["acks"], list):
            fail('CompletePut: "acks" must be an array of {"from": node, "epoch": epoch}')
        for j, a in enumerate(e["acks"]):
            if not isinstance(a, dict) or set(a) != {"from", "epoch"}:
                fail(f'CompletePut: acks[{j}] must be {{"from": node, "epoch": epoch}}')
            self.node(a["from"], f"acks[{j}].from")
            self.nat(a["epoch"], f"acks[{j}].epoch")
            self.consume({"type": "StoreAck", "to": op["node"], "from": a["from"], "id": i,
                          "dot": op["dot"], "epoch": a["epoch"]}, f"CompletePut acks[{j}]")
        op["done"] = True

    def do_PersistPut(self, e):
        # The coordinator's own durable write of the put landed: after its CoordinatePut, before its
        # CompletePut (which needs it, so a PersistPut after it is one too many), in any order with the
        # replicas' StoreVersion lines. After a PutTimeout it may still land: the spec's put stays open.
        i, op = self.started(self.puts, e, "PersistPut")
        self.running(op["node"], "PersistPut")
        if op["persisted"]:
            fail(f"PersistPut: put {i} was persisted already")
        op["persisted"] = True

    def do_ResendPut(self, e):
        # The coordinator sends an open put's version once more, to a fallback ("to") hinted for a
        # primary that did not answer ("hint"): the same Store message CoordinatePut sends to a hinted
        # target. Whether "to" is a fallback of the key and "hint" one of its primaries (other than
        # the coordinator), and whether the put asked "to" before (a target or an earlier resend), is TLC's job
        # (ImplResendPut), as for CoordinatePut's targets.
        self.need(e, ("to", "hint"))
        i, op = self.started(self.puts, e, "ResendPut")    # needs "node" and "id"
        self.running(op["node"], "ResendPut")
        if op["done"]:
            fail(f"ResendPut: put {i} completed or timed out already")
        to = self.node(e["to"], "to")
        if to == op["node"]:
            fail(f"ResendPut: the coordinator {to!r} cannot resend to itself")
        hint = self.node(e["hint"], "hint")
        self.send({"type": "Store", "to": to, "from": op["node"], "id": i, "key": op["key"],
                   "ver": op["ver"], "hint": hint})

    def do_ClientGet(self, e):
        self.need(e, ("client", "key", "node", "epoch", "id", "targets", "view"))
        if not isinstance(e["client"], str) or not e["client"]:
            fail('ClientGet: "client" must be a non-empty string')
        k, n = self.key(e["key"], "key"), self.node(e["node"], "node")
        self.running(n, "ClientGet")
        if self.nat(e["epoch"], "epoch") != self.epoch[n]:
            fail(f"ClientGet: epoch {e['epoch']} but {n} is at epoch {self.epoch[n]}")
        if self.nat(e["id"], "id", 1) != len(self.gets) + 1:
            fail(f"ClientGet: get ids count 1, 2, 3...: expected {len(self.gets) + 1}, got {e['id']}")
        self.targets(e["targets"], "targets", n)
        self.versions(e["view"], "view")
        self.gets[e["id"]] = {"node": n, "key": k, "done": False, "siblings": None}
        for t in e["targets"]:
            if t != {"node": n}:
                self.send({"type": "Read", "to": t["node"], "from": n, "id": e["id"], "key": k})

    def do_ReplicaRead(self, e):
        self.need(e, ("node", "msg", "view"))
        n = self.node(e["node"], "node")
        m = self.msg(e["msg"], "msg", ("Read",))
        self.versions(e["view"], "view")
        self.receive(n, m, "ReplicaRead")
        self.send({"type": "ReadReply", "to": m["from"], "from": n, "id": m["id"], "vers": e["view"]})

    def do_CompleteGet(self, e):
        self.need(e, ("replies", "siblings", "ctx"))
        g, op = self.started(self.gets, e, "CompleteGet")
        self.running(op["node"], "CompleteGet")
        if op["done"]:
            fail(f"CompleteGet: get {g} completed already")
        if not isinstance(e["replies"], list):
            fail('CompleteGet: "replies" must be an array of {"from": node, "vers": [version, ...]}')
        for j, r in enumerate(e["replies"]):
            if not isinstance(r, dict) or set(r) != {"from", "vers"}:
                fail(f'CompleteGet: replies[{j}] must be {{"from": node, "vers": [version, ...]}}')
            self.node(r["from"], f"replies[{j}].from")
            self.versions(r["vers"], f"replies[{j}].vers")
            self.consume({"type": "ReadReply", "to": op["node"], "from": r["from"], "id": g,
                          "vers": r["vers"]}, f"CompleteGet replies[{j}]")
        self.versions(e["siblings"], "siblings")
        self.ctx(e["ctx"], "ctx")
        op["done"], op["siblings"] = True, e["siblings"]

    def do_ReadRepair(self, e):
        self.need(e, ("to", "siblings"))
        g, op = self.started(self.gets, e, "ReadRepair")
        self.running(op["node"], "ReadRepair")
        if not op["done"]:
            fail(f"ReadRepair: get {g} has not completed")
        if not isinstance(e["to"], list) or not e["to"]:
            fail('ReadRepair: "to" must be a non-empty array of nodes')
        for j, t in enumerate(e["to"]):
            self.node(t, f"to[{j}]")
        if len(set(e["to"])) != len(e["to"]):
            fail("ReadRepair: a node is listed twice in \"to\"")
        self.versions(e["siblings"], "siblings")
        if self.canon({"vers": e["siblings"]}) != self.canon({"vers": op["siblings"]}):
            fail(f"ReadRepair: the siblings must be those get {g} returned")
        for t in e["to"]:
            self.send({"type": "Repair", "to": t, "from": op["node"], "key": op["key"], "vers": e["siblings"]})

    def do_DeliverHint(self, e):
        self.need(e, ("node", "hint"))
        n = self.node(e["node"], "node")
        h = e["hint"]
        if not isinstance(h, dict) or set(h) != {"to", "key", "ver"}:
            fail('DeliverHint: "hint" must be {"to": node, "key": key, "ver": version}')
        self.node(h["to"], "hint.to")
        self.key(h["key"], "hint.key")
        self.version(h["ver"], "hint.ver")
        self.running(n, "DeliverHint")
        if self.hints[n][self.canon(h)] == 0:
            fail(f"DeliverHint: {n!r} holds no such hint (no Store with this hint reached it)")
        self.send({"type": "Handoff", "to": h["to"], "from": n, "key": h["key"], "ver": h["ver"]})

    def do_DeleteHint(self, e):
        self.need(e, ("node", "msg"))
        n = self.node(e["node"], "node")
        m = self.msg(e["msg"], "msg", ("HandoffAck",))
        self.receive(n, m, "DeleteHint")
        self.hints[n][self.canon({"to": m["from"], "key": m["key"], "ver": m["ver"]})] = 0

    def do_Crash(self, e):
        self.need(e, ("node",))
        n = self.node(e["node"], "node")
        self.running(n, "Crash")
        self.up[n] = False

    def do_Recover(self, e):
        self.need(e, ("node", "epoch"))
        n = self.node(e["node"], "node")
        if self.up[n]:
            fail(f"Recover: node {n!r} is up")
        if self.nat(e["epoch"], "epoch") != self.epoch[n] + 1:
            fail(f"Recover: the new epoch of {n!r} must be {self.epoch[n] + 1}")
        self.epoch[n], self.up[n] = e["epoch"], True

    def do_Flush(self, e):
        self.need(e, ("node",))
        self.running(self.node(e["node"], "node"), "Flush")

    def do_LoseMessage(self, e):
        self.need(e, ("msg",))
        self.consume(self.msg(e["msg"], "msg"), "LoseMessage")

    def do_DuplicateMessage(self, e):
        self.need(e, ("msg",))
        m = self.msg(e["msg"], "msg")
        self.in_flight(m, "DuplicateMessage")
        self.send(m)

    # Lines with no spec effect (stuttering steps).
    def noted(self, e, types, consume):
        self.need(e, ("node", "msg"))
        n = self.node(e["node"], "node")
        m = self.msg(e["msg"], "msg", types)
        if m["to"] != n:
            fail(f"{e['action']}: the message is addressed to {m['to']!r}, not {n!r}")
        self.running(n, e["action"])
        (self.consume if consume else self.in_flight)(m, e["action"])

    def do_AckPut(self, e):
        self.noted(e, ("StoreAck",), consume=False)   # CompletePut consumes it

    def do_ReplyGet(self, e):
        self.noted(e, ("ReadReply",), consume=False)  # CompleteGet consumes it

    def do_Discard(self, e):
        self.noted(e, None, consume=True)

    def do_PutTimeout(self, e):
        i, op = self.started(self.puts, e, "PutTimeout")
        if op["done"]:
            fail(f"PutTimeout: put {i} completed already")
        op["done"] = True

    def do_GetTimeout(self, e):
        g, op = self.started(self.gets, e, "GetTimeout")
        if op["done"]:
            fail(f"GetTimeout: get {g} completed already")
        op["done"] = True


def check(path):
    """Returns (number of action lines, None) or (line number, error message)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError) as err:
        return 0, f"cannot read: {err}"
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return 1, "empty trace: the header line is missing"
    trace = None
    for no, text in enumerate(lines, 1):
        try:
            if text.strip() == "":
                fail("blank line (TLC's NDJSON reader takes none)")
            try:
                e = json.loads(text)
            except ValueError as err:
                fail(f"not JSON: {err}")
            if trace is None:
                if not isinstance(e, dict):
                    fail("the header is a JSON object")
                trace = Trace(e)
            else:
                trace.line(e)
        except Malformed as err:
            return no, str(err)
        except RecursionError:
            return no, "nested too deeply"
    return len(lines) - 1, None


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    bad = 0
    for path in argv:
        n, err = check(path)
        if err is None:
            print(f"trace format ok: {path} ({n} actions)")
        else:
            print(f"trace format MALFORMED: {path}:{n}: {err}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
