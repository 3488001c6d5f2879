#!/usr/bin/env python3
"""An independent implementation of spec/README.md "Ring" (hashing, ownership, preference lists).

It is written from the text alone, with the standard library only, to show the text is precise
enough for another language to reproduce every ring vector. Usage:

    python3 spec/reference/ring.py spec/vectors/ring.json [more files...]
        checks every ring.* case; exits 1 on any mismatch, printing expected vs computed.
    python3 spec/reference/ring.py --fill FILE
        rewrites the "expect" of every ring.* case in FILE from this implementation (review the
        diff by hand before committing: hand-checked cases must not change).

Cases whose op does not start with "ring." are ignored.
"""

import hashlib
import json
import sys

MAX_MEMBERS = 1024
MAX_ID_BYTES = 64
MAX_WEIGHT = 1000
MAX_Q = 65536
MAX_REPLICAS = 16


class Rejected(Exception):
    """The membership, Q, N or down set is invalid (the spec's "rejected")."""


def md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()


def partition_of(key: bytes, q: int) -> int:
    h = int.from_bytes(md5(key), "big")
    bits = q.bit_length() - 1
    return h >> (128 - bits)


def score(member_id: str, p: int) -> int:
    return int.from_bytes(md5((member_id + "/" + str(p)).encode())[:8], "big")


def quotas(weights, q):
    total = sum(weights)
    base = [q * w // total for w in weights]
    rem = [q * w % total for w in weights]
    left = q - sum(base)
    assert 0 <= left < len(weights)
    # Largest remainder first; ties to the earlier member (sorted() is stable).
    for i in sorted(range(len(weights)), key=lambda i: -rem[i])[:left]:
        base[i] += 1
    return base


def validate(members, q):
    if not 1 <= len(members) <= MAX_MEMBERS:
        raise Rejected("member count")
    seen = set()
    for m in members:
        if not 1 <= len(m["id"].encode()) <= MAX_ID_BYTES or m["id"] in seen:
            raise Rejected("id " + repr(m["id"]))
        seen.add(m["id"])
        if not 1 <= len(m["dc"].encode()) <= MAX_ID_BYTES:
            raise Rejected("dc of " + m["id"])
        if type(m["weight"]) is not int or not 1 <= m["weight"] <= MAX_WEIGHT:
            raise Rejected("weight of " + m["id"])
    if type(q) is not int or not 1 <= q <= MAX_Q or q & (q - 1) != 0 or q < len(members):
        raise Rejected("q")


def owners(members, q):
    """Replays the joins; returns the owner index of every partition."""
    validate(members, q)
    owned = [set(range(q))]  # member index -> partitions it owns
    for k in range(1, len(members)):
        quota = quotas([m["weight"] for m in members[: k + 1]], q)
        excess = [len(owned[i]) - quota[i] for i in range(k)]
        mine = set()
        for _ in range(quota[k]):
            donor = max(range(k), key=lambda i: (excess[i], -i))
            assert excess[donor] > 0
            p = min(owned[donor], key=lambda p: (score(members[k]["id"], p), p))
            owned[donor].remove(p)
            mine.add(p)
            excess[donor] -= 1
        owned.append(mine)
    result = [None] * q
    for i, parts in enumerate(owned):
        if not parts:
            raise Rejected("member " + members[i]["id"] + " owns no partition")
        for p in parts:
            result[p] = i
    return result


def walk(members, own, p, n):
    q = len(own)
    target = min(n, len({m["dc"] for m in members}))
    chosen, skipped = [], []
    for step in range(q):
        if len(chosen) == n:
            break
        node = own[(p + step) % q]
        if node in chosen or node in skipped:
            continue
        dcs = {members[i]["dc"] for i in chosen}
        if len(dcs) >= target:
            chosen.append(node)
        elif members[node]["dc"] in dcs:
            skipped.append(node)
        else:
            chosen.append(node)
            if len(dcs) + 1 == target:
                for s in skipped:
                    if len(chosen) < n:
                        chosen.append(s)
    assert len(chosen) == n
    return chosen


def check_n(members, n):
    if type(n) is not int or not 1 <= n <= min(len(members), MAX_REPLICAS):
        raise Rejected("n")


def sloppy(members, own, p, n, down):
    ids = [m["id"] for m in members]
    for d in down:
        if d not in ids:
            raise Rejected("down " + d)
    full = walk(members, own, p, len(members))
    used, slots = set(), []
    for primary in full[:n]:
        if ids[primary] not in down:
            slots.append({"node": ids[primary], "for": None})
            continue
        healthy = [x for x in full[n:] if ids[x] not in down and x not in used]
        same_dc = [x for x in healthy if members[x]["dc"] == members[primary]["dc"]]
        pick = (same_dc or healthy or [None])[0]
        if pick is not None:
            used.add(pick)
        slots.append({"node": None if pick is None else ids[pick], "for": ids[primary]})
    return slots


def read_members(case):
    return [{"id": m["id"], "dc": m["dc"], "weight": m.get("weight", 1)} for m in case["members"]]


def compute(case):
    """The expectation this implementation computes for a case, or "error" when rejected."""
    members, q = read_members(case), case["q"]
    try:
        own = owners(members, q)
        if case["op"] == "ring.ownership":
            return [members[i]["id"] for i in own]
        check_n(members, case["n"])
        down = case.get("down")
        out = []
        for entry in case["keys"]:
            key = entry["key"].encode()
            p = partition_of(key, q)
            expect = {
                "md5": md5(key).hex(),
                "partition": p,
                "preference_list": [members[i]["id"] for i in walk(members, own, p, case["n"])],
            }
            if down is not None:
                expect["sloppy"] = sloppy(members, own, p, case["n"], set(down))
            out.append(expect)
        return out
    except Rejected:
        return "error"


def expected(case):
    if case.get("expect_error"):
        return "error"
    if case["op"] == "ring.ownership":
        return case["expect"]
    return [entry["expect"] for entry in case["keys"]]


def dump_vectors(doc):
    """The file laid out for review: one line per case field, per member list, per key."""
    d = lambda v: json.dumps(v, ensure_ascii=False)
    cases = []
    for case in doc["cases"]:
        head = ", ".join(d(k) + ": " + d(v) for k, v in case.items() if k not in ("members", "expect", "keys"))
        parts = ["  {" + head, '   "members": ' + d(case["members"])]
        if "expect" in case:
            parts.append('   "expect": ' + d(case["expect"]))
        if "keys" in case:
            keys = ",\n".join("    " + d(entry) for entry in case["keys"])
            parts.append('   "keys": [\n' + keys + "]")
        cases.append(",\n".join(parts) + "}")
    head = ", ".join(d(k) + ": " + d(v) for k, v in doc.items() if k != "cases")
    return "{" + head + ', "cases": [\n' + ",\n".join(cases) + "\n]}\n"


def main(argv):
    if len(argv) == 3 and argv[1] == "--fill":
        with open(argv[2]) as f:
            doc = json.load(f)
        for case in doc["cases"]:
            if case["op"].startswith("ring.") and not case.get("expect_error"):
                got = compute(case)
                if got == "error":
                    sys.exit(case["name"] + ": rejected; mark it expect_error or fix it")
                if case["op"] == "ring.ownership":
                    case["expect"] = got
                else:
                    for entry, e in zip(case["keys"], got):
                        entry["expect"] = e
        with open(argv[2], "w") as f:
            f.write(dump_vectors(doc))
        return 0
    if len(argv) < 2:
        print(__doc__)
        return 2
    failed = passed = 0
    for path in argv[1:]:
        with open(path) as f:
            doc = json.load(f)
        if doc.get("format") != "dynamo-vectors/1":
            print(path + ": not a dynamo-vectors/1 file")
            return 2
        for case in doc["cases"]:
            if not case["op"].startswith("ring."):
                continue
            want, got = expected(case), compute(case)
            if want == got:
                passed += 1
                continue
            failed += 1
            print("FAIL " + path + ": " + case["name"])
            if isinstance(want, list) and isinstance(got, list) and case["op"] == "ring.preference_list":
                for entry, w, g in zip(case["keys"], want, got):
                    if w != g:
                        print("  key %s: expected %s" % (json.dumps(entry["key"]), json.dumps(w)))
                        print("  key %s: computed %s" % (json.dumps(entry["key"]), json.dumps(g)))
            else:
                print("  expected " + json.dumps(want))
                print("  computed " + json.dumps(got))
    print("ring reference: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
