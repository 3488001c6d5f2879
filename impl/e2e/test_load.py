"""The load tool against a real 3-node cluster, as issue 6's 64-in-flight run uses it, but short: it
must finish, answer every operation, and print its figures. Speed is never asserted here (figures
belong in bench/README.md); what this checks is that the tool and the client library's batching hold
up with 64 requests in flight (a use-after-return in the tool's prefill crashed it in 2 runs of 6).

Usage: test_load.py DYNAMO DYNAMO_LOAD WORK_DIR"""
import re
import subprocess
import sys
import unittest

from cluster import Cluster, fresh_dir, stop_cleanly

DYNAMO, LOAD, WORK = sys.argv[1:4]


class LoadTool(unittest.TestCase):
    def run_load(self, cluster, *extra):
        command = [LOAD, "--concurrency", "64", "--seconds", "3", "--keys", "2000", "--floor-rounds", "200",
                   "--floor-port", "17199", *extra]
        for node in cluster.nodes:
            command += ["--node", node.client]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        print(done.stdout)
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        return done.stdout

    def test_64_in_flight_answers_every_operation(self):
        c = Cluster(DYNAMO, fresh_dir(WORK, "load"), base_port=18400)
        try:
            c.start()
            for extra in ([], ["--batches-per-node", "1"], ["--direct"]):
                out = self.run_load(c, *extra)
                self.assertRegex(out, r"floor: NNG REQ/REP round trip")
                counts = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(put|get|all) +(\d+) ok", out, re.M)}
                self.assertGreater(counts.get("put", 0), 0, out)
                self.assertGreater(counts.get("get", 0), 0, out)
                self.assertEqual(counts["all"], counts["put"] + counts["get"], out)
                self.assertNotIn("not ok", out)
            stop_cleanly(c)
        finally:
            c.close()


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[4:], verbosity=2)
