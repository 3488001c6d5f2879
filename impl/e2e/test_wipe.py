"""End-to-end tests of a replica that lost its whole data directory (issue 7, section 7).

Usage: test_wipe.py DYNAMO HISTORY_WORKLOAD WORK_DIR [unittest args]. Each class starts its own
cluster on its own ports and kills every process when it ends."""
import json
import os
import re
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import (Cluster, alone_holds, final_reads_and_verdict, final_versions, fresh_dir,  # noqa: E402
                     monotonic_ms, parse_args, start_workload, wait_for_hints, workload_zero_ms)

DYNAMO = WORKLOAD = WORK = None
KEYS = 30


def epochs_served(node):
    """The epochs a node logged at each start ("serving: epoch E, ...")."""
    with open(node.log, errors="replace") as f:
        return [int(m.group(1)) for m in re.finditer(r"serving: epoch (\d+)", f.read())]


def wipe(node):
    shutil.rmtree(node.data_dir)


class WipedReplica(unittest.TestCase):
    """A replica whose data directory was wiped comes back empty: anti-entropy alone (no reads, no
    writes, no hints after the wipe) refills it, and no acknowledged write is lost."""

    def test_anti_entropy_refills_a_wiped_replica(self):
        work = fresh_dir(WORK, "wiped")
        # Anti-entropy every 20 ticks (0.2 s), so the wait below is short; the page of 64 keys per
        # round covers the workload's 30.
        c = Cluster(DYNAMO, work, base_port=17400, n=3, r=2, w=2, timing={"anti_entropy_every": 20})
        try:
            c.start()
            history = os.path.join(work, "history.ndjson")
            load = start_workload(WORKLOAD, c, history, keys=KEYS, seconds=4, processes=4)
            out, _ = load.communicate(timeout=60)
            print(out.strip())
            self.assertEqual(load.returncode, 0)
            self.assertEqual(wait_for_hints(c), 0)
            # Every key's final versions, read with every node up (the reads repair all three).
            final, code, verdict = final_reads_and_verdict(DYNAMO, WORKLOAD, c, history, KEYS)
            self.assertEqual(final[0], 0, final[1])
            self.assertEqual(code, 0, verdict)
            finals = final_versions(history)
            self.assertEqual(len(finals), KEYS)

            self.assertEqual(c.stop(1), [0])
            wipe(c.nodes[1])
            c.start(1)
            time.sleep(3)  # about 15 anti-entropy rounds of each of the other two nodes
            checked, missing = alone_holds(c, 1, finals)
            print(f"wiped node checked alone on {checked} keys, {len(missing)} missing")
            self.assertEqual(checked, KEYS, "with N = 3 of 3 nodes every key has the wiped node as a primary")
            self.assertEqual(missing, [], "anti-entropy must refill every key of the wiped replica")
            self.assertEqual(c.stop(), [0])
            self.assertEqual(c.sanitizer_reports(), [])
        finally:
            c.stop()
            c.close()


class WipedCoordinator(unittest.TestCase):
    """The smallest case of a reused dot: a blind put coordinated by n2 before and after its wipe."""

    def test_a_blind_put_after_a_wipe_is_not_taken_for_the_old_one(self):
        work = fresh_dir(WORK, "wiped_dot")
        c = Cluster(DYNAMO, work, base_port=17600, n=3, r=2, w=3)
        try:
            c.start()
            # n2 coordinates (--direct; with N = 3 of 3 every node is a primary): dot n2#E1:1.
            c.cli("put", "k", "before", "--direct", node=1, check=True)
            self.assertEqual(c.stop(1), [0])
            wipe(c.nodes[1])
            c.start(1)
            # A blind put (no context) through n2 again. Had n2 restarted at its old epoch, this would
            # be n2#E1:1 once more: n1 and n3 hold that dot already and keep "before", so the
            # acknowledged "after" would be lost.
            c.cli("put", "k", "after", "--direct", node=1, check=True)
            got = c.cli("get", "k", "--json", node=0, check=True)
            values = sorted(s["value"] for s in json.loads(got.stdout)["siblings"])
            print(f"after the wipe, k holds {values}")
            self.assertEqual(values, ["after", "before"], "two concurrent blind puts are two siblings")
        finally:
            c.stop()
            c.close()


class WipedUnderLoad(unittest.TestCase):
    """kill -9 of a node under load, its data directory wiped, restarted while the load goes on. It
    must not restart at epoch 1: its old dots (n2#1, counter c) are still held by the other replicas,
    and a new write under a reused dot would be taken for the old one and lost."""

    def test_wiped_node_takes_a_new_epoch_and_no_write_is_lost(self):
        work = fresh_dir(WORK, "wiped_load")
        c = Cluster(DYNAMO, work, base_port=17500, n=3, r=2, w=2)
        try:
            c.start()
            history = os.path.join(work, "history.ndjson")
            load = start_workload(WORKLOAD, c, history, keys=KEYS, seconds=10, processes=8)
            time.sleep(3)
            c.kill9(1)
            wipe(c.nodes[1])
            time.sleep(1)
            c.start(1)  # n2 coordinates puts again for the remaining ~5 s
            back_at = monotonic_ms()
            out, _ = load.communicate(timeout=60)
            print(out.strip())
            self.assertEqual(load.returncode, 0)
            # Counted before the final reads, which append a second run (its own clock) to the file.
            zero = workload_zero_ms(out)
            with open(history) as f:
                acknowledged_after = sum(1 for line in f if '"outcome":"ok"' in line.replace(" ", "")
                                         and zero + json.loads(line).get("t", 0) > back_at)
            print(f"operations acknowledged after n2 came back: {acknowledged_after}")
            self.assertGreater(acknowledged_after, 10)
            epochs = epochs_served(c.nodes[1])
            print(f"n2 served epochs {epochs}")
            self.assertEqual(len(epochs), 2)
            self.assertGreater(epochs[1], epochs[0], "a wiped node must start a new, larger epoch")
            self.assertEqual(wait_for_hints(c), 0)
            final, code, verdict = final_reads_and_verdict(DYNAMO, WORKLOAD, c, history, KEYS)
            self.assertEqual(final[0], 0, final[1])
            print(verdict)
            self.assertEqual(code, 0, verdict)
            self.assertIn('"lost":[]', verdict.replace(" ", ""))
            self.assertEqual(c.stop(), [0, 0, 0])
            self.assertEqual(c.sanitizer_reports(), [])
        finally:
            c.stop()
            c.close()


if __name__ == "__main__":
    DYNAMO, WORKLOAD, WORK, unittest_argv = parse_args(sys.argv)
    unittest.main(argv=unittest_argv, verbosity=2)
