"""End-to-end tests of the cluster secret (issue 7, section 5; docs/security.md): a 3-node cluster
whose peer messages are sealed; strangers (another secret, another cluster, no envelope) are refused
and logged while the cluster keeps serving; a captured message sent again is refused as a replay;
a node configured with another secret takes no part until it has the right one.

Usage: test_security.py DYNAMO HISTORY_WORKLOAD WORK_DIR [unittest args]. The stranger is this
script: it seals with impl/e2e/peer_seal.py (the spec's layout, written in Python) and speaks NNG's
PUSH handshake on a node's peer port."""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, fresh_dir, parse_args, raw_sp_connect, sp_frame, stop_cleanly  # noqa: E402
from peer_seal import seal  # noqa: E402

DYNAMO = WORKLOAD = WORK = None
CLUSTER_ID = "e2e-sec"


def write_secret(path, secret):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    os.chmod(path, 0o600)


def log_text(node):
    with open(node.log, errors="replace") as f:
        return f.read()


def wait_for_log(node, pattern, seconds=10, after=0):
    """Waits (bounded) until `pattern` (a regex) appears in the node's log past offset `after`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        match = re.search(pattern, log_text(node)[after:])
        if match:
            return match
        time.sleep(0.1)
    raise AssertionError(f"{node.id}'s log never showed /{pattern}/; its tail:\n{log_text(node)[-3000:]}")


def send_to_peer_port(node, *payloads):
    """Sends each payload as one NNG message to the node's PULL socket, as a PUSH peer would."""
    host, port = node.peer[len("tcp://"):].rsplit(":", 1)
    s = raw_sp_connect(host, int(port), 0x50)
    for payload in payloads:
        s.sendall(sp_frame(payload))
    time.sleep(0.3)  # let NNG read them before the connection goes
    s.close()


def dropped_unauthenticated(cluster, node):
    _, _, body = cluster.http_request(node, "GET", "/metrics", timeout=5)
    for line in body.decode().splitlines():
        if line.startswith('dynamo_messages_dropped_total{reason="unauthenticated"}'):
            return int(float(line.split()[-1]))
    return 0


class SecretCluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = fresh_dir(WORK, "secret")
        os.makedirs(cls.work)
        cls.secret = os.urandom(32).hex()
        write_secret(os.path.join(cls.work, "cluster.secret"), cls.secret)
        # A relative secret_file is relative to the configuration file's directory.
        cls.cluster = Cluster(DYNAMO, cls.work, base_port=17700,
                              cluster_lines=[f'cluster_id = "{CLUSTER_ID}"', 'secret_file = "cluster.secret"'])
        cls.cluster.start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.cluster)

    def put_w(self, key, value, w, node=0):
        return self.cluster.http_request(self.cluster.nodes[node], "PUT", f"/kv/{key}?w={w}", value.encode())[0]

    def test_1_sealed_cluster_serves(self):
        c = self.cluster
        for node in c.nodes:
            self.assertIn(f'peer messages are sealed with HMAC-SHA256 (cluster "{CLUSTER_ID}")', log_text(node))
        # W = 3: every node's store acknowledgement, sealed, reached the coordinator.
        self.assertEqual(self.put_w("sealed", "v1", 3), 204)
        self.assertEqual(c.cli("get", "sealed", "--value-only", node=2, check=True).stdout, "v1")
        self.assertEqual([dropped_unauthenticated(c, n) for n in c.nodes], [0, 0, 0])

    def test_2_strangers_are_refused_and_the_node_stays_up(self):
        c = self.cluster
        n1 = c.nodes[0]
        start = len(log_text(n1))
        before = dropped_unauthenticated(c, n1)
        send_to_peer_port(
            n1,
            seal("a different secret of the same length!", CLUSTER_ID, "n2", "n1", 1 << 62, 1, b"forged"),
            seal(self.secret, "another-cluster", "n2", "n1", 1 << 62, 1, b"forged"),
            seal(self.secret, CLUSTER_ID, "n2", "n3", 1 << 62, 1, b"forged"),
            b"\x00\x00\x00\x00\x01\x00\x00\x00" + b"\x00" * 8)
        wait_for_log(n1, r"bad MAC from n2 \(is its cluster secret the same\?\)", after=start)
        wait_for_log(n1, r'message for cluster "another-cluster", this is cluster "e2e-sec"', after=start)
        wait_for_log(n1, r"message from n2 for n3, this is n1", after=start)
        wait_for_log(n1, r"is not sealed \(is the sender configured without a cluster secret\?\)", after=start)
        self.assertEqual(dropped_unauthenticated(c, n1), before + 4)
        self.assertTrue(c.alive(0))
        # The forged epoch 2^62 was not recorded (the MAC failed first): n2 still gets through.
        self.assertEqual(self.put_w("after-strangers", "still-up", 3, node=1), 204)
        self.assertEqual(c.cli("get", "after-strangers", "--value-only", check=True).stdout, "still-up")

    def test_3_a_captured_message_sent_again_is_a_replay(self):
        # With n3 stopped, this script holds the secret and plays n3 in its last epoch (as a captured
        # message would be: sealed by n3, in an epoch n1 has seen), with a counter past n3's last.
        c = self.cluster
        n1, n3 = c.nodes[0], c.nodes[2]
        self.assertEqual(c.stop(2), [0])
        with open(os.path.join(n3.data_dir, "epoch")) as f:
            epoch = int(f.read())
        message = seal(self.secret, CLUSTER_ID, "n3", "n1", epoch, 1 << 40, b"")
        start = len(log_text(n1))
        send_to_peer_port(n1, message)
        # It passed the envelope (authentic, fresh): the wire decoder is what refuses its empty payload.
        wait_for_log(n1, r"dropped a malformed peer batch", after=start)
        send_to_peer_port(n1, message)
        wait_for_log(n1, rf"replayed or reordered message from n3 \(epoch {epoch} counter {1 << 40} <= "
                         rf"{epoch}/{1 << 40}\)", after=start)
        # n3 restarts in a new epoch: its counter starts at 1 again and is accepted.
        c.start(2)
        deadline = time.time() + 15
        while self.put_w("after-replay", "v", 3) != 204:
            self.assertLess(time.time(), deadline, "n3 (new epoch) is never heard again after the replay test")
            time.sleep(0.5)
        self.assertTrue(c.alive(0))

    def test_4_a_node_with_another_secret_takes_no_part(self):
        c = self.cluster
        n1, n3 = c.nodes[0], c.nodes[2]
        self.assertEqual(c.stop(2), [0])
        write_secret(os.path.join(self.work, "wrong.secret"), os.urandom(32).hex())
        c.write_config(2, [f'cluster_id = "{CLUSTER_ID}"', 'secret_file = "wrong.secret"'])
        start = len(log_text(n1))
        try:
            c.start(2)
            # n3 sends (anti-entropy, or its replies); n1 refuses every one of them, and n3 refuses n1's.
            self.assertEqual(self.put_w("wrong-secret", "v", 3), 503)  # n3's acknowledgement never counts
            wait_for_log(n1, r"bad MAC from n3 \(is its cluster secret the same\?\)", after=start)
            wait_for_log(n3, r"bad MAC from n1 \(is its cluster secret the same\?\)")
            self.assertEqual(self.put_w("wrong-secret", "v", 2), 204)  # the others keep serving
            self.assertTrue(c.alive(2))
        finally:
            self.assertEqual(c.stop(2), [0])
            c.write_config(2)
        c.start(2)
        deadline = time.time() + 15
        while self.put_w("right-secret-again", "v", 3) != 204:
            self.assertLess(time.time(), deadline, "n3 is never heard again with the right secret")
            time.sleep(0.5)

    def test_5_a_group_readable_secret_file_stops_the_node(self):
        import subprocess
        bad = os.path.join(self.work, "open.secret")
        write_secret(bad, os.urandom(32).hex())
        os.chmod(bad, 0o644)
        config = os.path.join(self.work, "open.toml")
        with open(config, "w") as f:
            f.write(self.cluster.config_text(self.cluster.nodes[2],
                                             [f'cluster_id = "{CLUSTER_ID}"', 'secret_file = "open.secret"']))
        result = subprocess.run([DYNAMO, "node", "--config", config], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"{bad} is accessible by group or others (mode 0644); run chmod 600 {bad}",
                      result.stdout + result.stderr)


if __name__ == "__main__":
    DYNAMO, WORKLOAD, WORK, unittest_argv = parse_args(sys.argv)
    unittest.main(argv=unittest_argv, verbosity=2)
