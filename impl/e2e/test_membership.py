"""End-to-end test of membership changes under load (issue 7, section 7; docs/membership.md).

A 3-node cluster with a cluster secret grows to 5 (`dynamo admin join`) and shrinks back to 3 (n4
leaves and removes itself once it has handed every key over; n5 is killed with -9 and removed with
`dynamo admin remove`), all while a recorded load runs. Afterwards the history checker finds no lost
write, every one of the three members alone holds every key's final versions (with N = 3 of 3, each
is a primary of every key), and `dynamo ring` shows the three sharing the ring evenly.

Usage: test_membership.py DYNAMO HISTORY_WORKLOAD WORK_DIR [unittest args]."""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import (Cluster, alone_holds, final_reads_and_verdict, final_versions, fresh_dir,  # noqa: E402
                     parse_args, start_workload, stop_cleanly, wait_for_hints)

DYNAMO = WORKLOAD = WORK = None
KEYS = 30


def write_secret(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(os.urandom(32).hex() + "\n")


def wait_until(what, predicate, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"not within {seconds} s: {what}")


def log_of(node):
    with open(node.log, errors="replace") as f:
        return f.read()


class GrowAndShrink(unittest.TestCase):
    def ring(self, c, index):
        return c.cli("ring", node=index, timeout=10).stdout

    def ring_members(self, c, index):
        m = re.search(r"Live ring: (\d+) nodes", self.ring(c, index))
        return int(m.group(1)) if m else None

    def test_three_to_five_and_back_to_three_under_load(self):
        work = fresh_dir(WORK, "membership")
        os.makedirs(work)
        write_secret(os.path.join(work, "cluster.secret"))
        c = Cluster(DYNAMO, work, nodes=5, initial=3, base_port=17900, n=3, r=2, w=2,
                    timing={"anti_entropy_every": 20},
                    cluster_lines=['cluster_id = "e2e-grow"', 'secret_file = "cluster.secret"', "gossip_ms = 200"])
        try:
            for i in range(5):
                c.start(i)
            history = os.path.join(work, "history.ndjson")
            load = start_workload(WORKLOAD, c, history, keys=KEYS, seconds=30, processes=4)

            # Grow: n4 and n5 join through n1 while the load runs.
            time.sleep(3)
            for joiner in (3, 4):
                joined = c.cli("admin", "join", c.nodes[0].client, node=joiner, timeout=20)
                self.assertEqual(joined.returncode, 0, joined.stdout + joined.stderr)
                print(joined.stdout.strip())
            for i in range(5):
                wait_until(f"n{i + 1} serves the 5-node ring", lambda i=i: self.ring_members(c, i) == 5, 20)
            # A second join of the same node is refused, with a reason.
            again = c.cli("admin", "join", c.nodes[0].client, node=3, timeout=20)
            self.assertEqual(again.returncode, 1, again.stdout + again.stderr)
            self.assertIn("already a member", again.stderr)
            time.sleep(5)  # the joiners take over their partitions under load

            # Shrink: n4 leaves (hands everything over, then removes itself); n5 dies and is removed.
            left = c.cli("admin", "leave", node=3, timeout=20)
            self.assertEqual(left.returncode, 0, left.stdout + left.stderr)
            wait_until("n4 has handed every key over", lambda: "left the cluster" in log_of(c.nodes[3]), 90)
            wait_until("n1 knows n4 left", lambda: "n4: removed" in self.ring(c, 0), 20)
            self.assertEqual(c.stop(3), [0])
            c.kill9(4)
            removed = c.cli("admin", "remove", "n5", node=0, timeout=20)
            self.assertEqual(removed.returncode, 0, removed.stdout + removed.stderr)
            # Removing the last holders of a key's replicas is refused (N = 3 needs 3 valid members).
            too_few = c.cli("admin", "remove", "n3", node=0, timeout=20)
            self.assertEqual(too_few.returncode, 1, too_few.stdout + too_few.stderr)
            for i in range(3):
                wait_until(f"n{i + 1} serves the 3-node ring", lambda i=i: self.ring_members(c, i) == 3, 20)

            out, _ = load.communicate(timeout=120)
            print(out.strip())
            self.assertEqual(load.returncode, 0)
            acknowledged = int(re.search(r"writes: (\d+) ok", out).group(1))
            self.assertGreater(acknowledged, 100)
            self.assertEqual(wait_for_hints(c, 60), 0, "hints for the removed n5 must reach the new owners")
            for i in range(3):
                wait_until(f"n{i + 1} has nothing left to hand over",
                           lambda i=i: "Pending transfers at this node: 0 " in self.ring(c, i), 60)
            time.sleep(3)  # a few Merkle rounds: the replicas n5 held are refilled

            final, code, verdict = final_reads_and_verdict(DYNAMO, WORKLOAD, c, history, KEYS)
            print(verdict.strip())
            self.assertEqual(final[0], 0, final[1])
            self.assertEqual(code, 0, verdict)
            self.assertIn('"verdict": "valid"', verdict)
            finals = final_versions(history)

            # The ring: three members, each with a third of the partitions (strategy 3 splits evenly).
            ring = self.ring(c, 0)
            print(ring)
            counts = [int(m.group(1)) for m in re.finditer(r"^\s+n\d\s+dc1\s+1\s+(\d+)", ring, re.M)]
            self.assertEqual(len(counts), 3, ring)
            self.assertLessEqual(max(counts) - min(counts), 1, ring)
            self.assertIn("n4: removed", ring)
            self.assertIn("n5: removed", ring)

            # Every acknowledged write is on every primary: each member alone holds every key's finals.
            for i in range(3):
                for j in range(3):
                    if not c.alive(j):
                        c.start(j)
                checked, missing = alone_holds(c, i, finals)
                print(f"n{i + 1} checked alone on {checked} keys, {len(missing)} missing")
                self.assertEqual(checked, len(finals))
                self.assertEqual(missing, [], f"n{i + 1} must hold every key's final versions")
            c.nodes = c.nodes[:3]  # n4 stopped cleanly above; n5 was killed
            stop_cleanly(c)
        finally:
            c.stop()
            c.close()


class JoinWithoutTheSecret(unittest.TestCase):
    """A node configured with another secret cannot join: the seed refuses its sealed ask (and logs
    why), the command fails with a reason, and the node stays out of every view."""

    def test_a_node_without_the_secret_cannot_join(self):
        work = fresh_dir(WORK, "stranger")
        os.makedirs(work)
        write_secret(os.path.join(work, "cluster.secret"))
        write_secret(os.path.join(work, "other.secret"))
        lines = ['cluster_id = "e2e-grow"', 'secret_file = "cluster.secret"', "gossip_ms = 200"]
        c = Cluster(DYNAMO, work, nodes=4, initial=3, base_port=18000, cluster_lines=lines)
        c.write_config(3, ['cluster_id = "e2e-grow"', 'secret_file = "other.secret"', "gossip_ms = 200"])
        try:
            for i in range(4):
                c.start(i)
            refused = c.cli("admin", "join", c.nodes[0].client, node=3, timeout=30)
            self.assertEqual(refused.returncode, 1, refused.stdout + refused.stderr)
            self.assertIn("did not answer", refused.stderr)
            self.assertIn("bad MAC from n4", log_of(c.nodes[0]))
            time.sleep(1)  # a few gossip periods
            ring = c.cli("ring", node=0).stdout
            self.assertNotIn("n4:", ring)
            stop_cleanly(c)
        finally:
            c.stop()
            c.close()


if __name__ == "__main__":
    DYNAMO, WORKLOAD, WORK, argv = parse_args(sys.argv)
    unittest.main(argv=argv, verbosity=2)
