#!/usr/bin/env python3
"""An independent implementation of spec/README.md "Vector clocks", "Contexts" and "Versions",
written from the text alone (contexts are plain Python sets of dots here, not the compact encoding).
It checks every clock.*, context.* and version.* case of the vector files given on the command line
and exits non-zero on any mismatch, printing expected and actual. Standard library only.

Usage: python3 spec/reference/versions.py spec/vectors/clocks.json spec/vectors/versions.json
"""
import json
import sys

TRUNCATE_ABOVE = 10


def clock_in(j):
    """{actor: counter | {"counter", "stamp"}} -> {actor: (counter, stamp)} without zero counters."""
    out = {}
    for actor, v in j.items():
        counter, stamp = (v["counter"], v["stamp"]) if isinstance(v, dict) else (v, 0)
        if counter > 0:
            out[actor] = (counter, stamp)
    return out


def clock_out(c):
    return {a: c[a][0] for a in sorted(c)}


def compare(a, b):
    actors = set(a) | set(b)
    a_ahead = any(a.get(x, (0, 0))[0] > b.get(x, (0, 0))[0] for x in actors)
    b_ahead = any(b.get(x, (0, 0))[0] > a.get(x, (0, 0))[0] for x in actors)
    return {(False, False): "equal", (True, False): "after", (False, True): "before"}.get((a_ahead, b_ahead), "concurrent")


def merge(a, b):
    return {x: max(e for e in (a.get(x), b.get(x)) if e is not None) for x in set(a) | set(b)}


def truncate_clock(c, limit):
    by_age = sorted(c, key=lambda x: (c[x][1], x.encode()))
    return {x: c[x] for x in by_age[max(0, len(by_age) - limit):]}


# Contexts as sets of (actor, counter), with a side table of each actor's newest stamp for truncation
# (spec/README.md, "Truncation"): an actor's run of dots 1..s is its summary entry, stamped by its top
# dot s (the "vv" entry's stamp belongs to the entry's counter; a loose dot that extends the run brings
# its own); its dots above the run keep their stamps; the newest stamp is the largest of these.
def context_in(j):
    dots, stamp_of = set(), {}
    for actor, (counter, stamp) in clock_in(j.get("vv", {})).items():
        dots |= {(actor, c) for c in range(1, counter + 1)}
        stamp_of[(actor, counter)] = stamp
    for d in j.get("dots", []):
        if (d[0], d[1]) not in dots:
            stamp_of[(d[0], d[1])] = d[2] if len(d) > 2 else 0
        dots.add((d[0], d[1]))
    stamps = {}
    for actor in {a for a, _ in dots}:
        top = 0
        while (actor, top + 1) in dots:
            top += 1
        above = [stamp_of.get((actor, c), 0) for (a, c) in dots if a == actor and c > top]
        stamps[actor] = max([stamp_of.get((actor, top), 0) if top else 0] + above)
    return dots, stamps


def context_out(dots):
    """The canonical encoding: vv takes each actor's run 1..c; every other dot is loose."""
    vv, loose = {}, []
    for actor in sorted({a for a, _ in dots}, key=str.encode):
        c = 0
        while (actor, c + 1) in dots:
            c += 1
        if c:
            vv[actor] = c
        loose += [[actor, n] for (a, n) in sorted(dots) if a == actor and n > c]
    return {"vv": vv, "dots": loose}


def version_in(j):
    dots, stamps = context_in(j.get("context", {}))
    d = j["dot"]
    return {"dot": (d[0], d[1]), "stamp": d[2] if len(d) > 2 else 0, "ctx": dots, "stamps": stamps,
            "value": None if j.get("deleted") else j["value"]}


def supersedes(v, w):
    return v["dot"] != w["dot"] and w["dot"] in v["ctx"]


def reconcile(versions):
    by_dot = {}
    for v in versions:  # honest vectors never hold two different versions with one dot
        by_dot.setdefault(v["dot"], v)
    unique = list(by_dot.values())
    kept = [v for v in unique if not any(supersedes(w, v) and not supersedes(v, w) for w in unique)]
    return sorted(kept, key=lambda v: (v["dot"][0].encode(), v["dot"][1]))


def dot_list(versions):
    return [[v["dot"][0], v["dot"][1]] for v in versions]


def read_context(siblings):
    out = set()
    for v in siblings:
        out |= v["ctx"] | {v["dot"]}
    return out


def truncate_context(dots, stamps, limit, to_cover=()):
    """Forgets whole actors, first those no dot of to_cover (held by the context) needs, oldest first."""
    covering = {d[0] for d in to_cover if d in dots}
    actors = sorted({a for a, _ in dots}, key=lambda a: (a in covering, stamps.get(a, 0), a.encode()))
    drop = set(actors[:max(0, len(actors) - limit)])
    return {d for d in dots if d[0] not in drop}


def make_version(case):
    state = case["state"]
    siblings = reconcile([version_in(v) for v in state["siblings"]])
    actor = case["actor"]
    ctx, stamps = context_in(case["context"])
    known = [c for (a, c) in ctx if a == actor]
    if "issued" in state and state["issued"][0] == actor:
        known.append(state["issued"][1])
    for v in siblings:
        known += [c for (a, c) in v["ctx"] | {v["dot"]} if a == actor]
    new = {"dot": (actor, max(known, default=0) + 1), "stamp": case.get("now", 0),
           "ctx": truncate_context(ctx, stamps, TRUNCATE_ABOVE, [v["dot"] for v in siblings]), "stamps": stamps,
           "value": case.get("value")}
    return {"dot": list(new["dot"]), "siblings": dot_list(reconcile(siblings + [new]))}


def run(case):
    op = case["op"]
    if op == "clock.compare":
        return compare(clock_in(case["a"]), clock_in(case["b"]))
    if op == "clock.merge":
        return clock_out(merge(clock_in(case["a"]), clock_in(case["b"])))
    if op == "clock.increment":
        c = clock_in(case["clock"])
        c[case["actor"]] = (c.get(case["actor"], (0, 0))[0] + 1, 0)
        return clock_out(c)
    if op == "clock.truncate":
        return clock_out(truncate_clock(clock_in(case["clock"]), case["max_entries"]))
    if op == "context.contains":
        return tuple(case["dot"][:2]) in context_in(case["context"])[0]
    if op == "context.merge":
        return context_out(context_in(case["a"])[0] | context_in(case["b"])[0])
    if op == "version.reconcile":
        s = reconcile([version_in(v) for v in case["versions"]])
        return {"siblings": dot_list(s), "context": context_out(read_context(s))}
    if op == "version.put":
        return make_version(case)
    return None  # not an op this reference covers (ring.* has spec/reference/ring.py)


def main(paths):
    checked = failed = 0
    for path in paths:
        with open(path) as f:
            for case in json.load(f)["cases"]:
                actual = run(case)
                if actual is None:
                    continue
                checked += 1
                if actual != case["expect"]:
                    failed += 1
                    print(f"FAIL {path}: {case['name']}\n  expected {json.dumps(case['expect'])}\n  actual   {json.dumps(actual)}")
    print(f"reference versions.py: {checked} cases checked, {failed} failed")
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
