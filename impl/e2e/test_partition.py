"""A partition between real processes (issue 6, section 5): three nodes, each in its own network
namespace joined by veth pairs to a bridge; one is cut off with iptables under load and healed. The
history checker must find no lost write, and the cut-off node must catch up.

Usage (root): test_partition.py DYNAMO HISTORY_WORKLOAD WORK_DIR. Skips (exit 77) without root or
without `ip netns`. Every namespace, link and process it makes is removed at the end."""
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, alone_holds, final_reads_and_verdict, final_versions, start_workload, wait_for_hints  # noqa: E402

DYNAMO = WORKLOAD = WORK = None
PREFIX = f"dyn{os.getpid() % 10000}"
BRIDGE = f"{PREFIX}br"
SUBNET = "10.77.0"


def sh(*command, check=True):
    return subprocess.run(list(command), capture_output=True, text=True, check=check, timeout=30)


def namespace(i):
    return f"{PREFIX}n{i + 1}"


def set_up_network(count):
    sh("ip", "link", "add", BRIDGE, "type", "bridge")
    sh("ip", "addr", "add", f"{SUBNET}.254/24", "dev", BRIDGE)
    sh("ip", "link", "set", BRIDGE, "up")
    for i in range(count):
        ns, veth = namespace(i), f"{PREFIX}v{i + 1}"
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        sh("ip", "link", "set", veth, "master", BRIDGE, "up")
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{SUBNET}.{i + 1}/24", "dev", "eth0")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")


def tear_down_network(count):
    for i in range(count):
        sh("ip", "netns", "del", namespace(i), check=False)
        sh("ip", "link", "del", f"{PREFIX}v{i + 1}", check=False)
    sh("ip", "link", "del", BRIDGE, check=False)


def cut_off(i):
    """Node i hears nobody and nobody hears it (clients included)."""
    ns = namespace(i)
    sh("ip", "netns", "exec", ns, "iptables", "-A", "INPUT", "-i", "eth0", "-j", "DROP")
    sh("ip", "netns", "exec", ns, "iptables", "-A", "OUTPUT", "-o", "eth0", "-j", "DROP")


def heal(i):
    sh("ip", "netns", "exec", namespace(i), "iptables", "-F")


class Partition(unittest.TestCase):
    def test_cut_off_node_under_load_loses_nothing_and_catches_up(self):
        work = os.path.join(WORK, "partition")
        shutil.rmtree(work, ignore_errors=True)
        set_up_network(3)
        c = Cluster(DYNAMO, work, base_port=17300, n=2, r=2, w=2,
                    hosts=[f"{SUBNET}.{i + 1}" for i in range(3)], netns=[namespace(i) for i in range(3)])
        try:
            c.start()
            history = os.path.join(work, "history.ndjson")
            load = start_workload(WORKLOAD, c, history)
            time.sleep(3)
            cut_off(2)
            time.sleep(6)
            heal(2)
            out, _ = load.communicate(timeout=90)
            print(out.strip())
            self.assertEqual(load.returncode, 0)
            self.assertTrue(c.alive(2))
            wait_for_hints(c)
            final, code, verdict = final_reads_and_verdict(DYNAMO, WORKLOAD, c, history, 30)
            self.assertEqual(final[0], 0, final[1])
            print(verdict)
            self.assertEqual(code, 0, verdict)
            # The cut-off node caught up: alone, it holds every final version of the keys it is a
            # primary of.
            checked, missing = alone_holds(c, 2, final_versions(history))
            print(f"cut-off node checked alone on {checked} keys")
            self.assertGreater(checked, 5)
            self.assertEqual(missing, [])
            self.assertEqual(c.stop(), [0], "the cut-off node stops cleanly")
            self.assertEqual(c.sanitizer_reports(), [])
        finally:
            c.stop()
            c.close()
            tear_down_network(3)


if __name__ == "__main__":
    DYNAMO, WORKLOAD, WORK = sys.argv[1:4]
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("iptables") is None:
        print("partition test skipped: needs root, ip and iptables")
        sys.exit(77)
    os.makedirs(WORK, exist_ok=True)
    result = unittest.main(argv=[sys.argv[0]] + sys.argv[4:], verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
