"""End-to-end tests of a 3-node cluster of real processes on loopback (issue 6, section 5).

Usage: test_cluster.py DYNAMO HISTORY_WORKLOAD WORK_DIR [unittest args]. Each class starts its own
cluster on its own ports and kills every process when it ends."""
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import (Cluster, alone_holds, final_reads_and_verdict, final_versions, fresh_dir,  # noqa: E402
                     monotonic_ms, parse_args, raw_sp_connect, sp_frame, start_workload, stop_cleanly,
                     wait_for_hints, workload_zero_ms)

DYNAMO = WORKLOAD = WORK = None



class BasicOperations(unittest.TestCase):
    """Put, get, delete through the CLI and curl; siblings and their resolution; bad input."""

    @classmethod
    def setUpClass(cls):
        # These tests check answers, not deadlines: a coordinator's fsync has taken over the default
        # 400 ms while CI ran the simulator beside them, and a put answered "unknown" failed the test.
        # 2 s stays under the CLI's 3 s, so the node, not the CLI, still gives the answer.
        cls.cluster = Cluster(DYNAMO, fresh_dir(WORK, "basic"), base_port=17100, timing={"request_timeout": 200})
        cls.cluster.start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.cluster)

    def test_cli_put_get_delete(self):
        c = self.cluster
        put = c.cli("put", "cli-key", "hello", check=True)
        self.assertIn("context:", put.stdout)
        got = c.cli("get", "cli-key", "--value-only", node=1, check=True)
        self.assertEqual(got.stdout, "hello")
        full = c.cli("get", "cli-key", "--json", node=2, check=True)
        reply = json.loads(full.stdout)
        self.assertEqual([s["value"] for s in reply["siblings"]], ["hello"])
        deleted = c.cli("delete", "cli-key", "--context", reply["context"], check=True)
        self.assertEqual(deleted.returncode, 0)
        gone = c.cli("get", "cli-key")
        self.assertEqual(gone.returncode, 3, gone.stdout + gone.stderr)

    def test_cli_direct_through_any_node(self):
        # --direct: the node given forwards to a coordinator when it is not one (all are, with N = 3).
        c = self.cluster
        c.cli("put", "direct-key", "v1", "--direct", node=2, check=True)
        self.assertEqual(c.cli("get", "direct-key", "--value-only", "--direct", node=0, check=True).stdout, "v1")

    def test_cli_errors_are_clear(self):
        c = self.cluster
        bad = c.cli("put", "k", "v", "--context", "not base64!")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--context", bad.stderr)
        unreachable = subprocess.run([DYNAMO, "get", "k", "--node", "tcp://127.0.0.1:9", "--timeout", "300"],
                                     capture_output=True, text=True, timeout=30)
        self.assertEqual(unreachable.returncode, 4)
        self.assertIn("cluster up", unreachable.stderr)
        self.assertEqual(subprocess.run([DYNAMO, "put", "--help"], capture_output=True).returncode, 0)
        unknown = subprocess.run([DYNAMO, "frobnicate"], capture_output=True, text=True, timeout=30)
        self.assertEqual(unknown.returncode, 2)
        self.assertIn("unknown command 'frobnicate'", unknown.stderr)
        nested = subprocess.run([DYNAMO, "cluster", "down"], capture_output=True, text=True, timeout=30)
        self.assertEqual(nested.returncode, 2)
        self.assertIn("dynamo cluster: unknown command 'down'; the commands are: up", nested.stderr)
        bare = subprocess.run([DYNAMO, "admin"], capture_output=True, text=True, timeout=30)
        self.assertEqual(bare.returncode, 2)
        self.assertIn("dynamo admin: name a command: join leave remove", bare.stderr)
        http_port = subprocess.run([DYNAMO, "get", "k", "--node", "http://" + c.nodes[0].http],
                                   capture_output=True, text=True, timeout=30)
        self.assertEqual(http_port.returncode, 2, http_port.stderr)
        self.assertIn("expected tcp://HOST:PORT", http_port.stderr)

    def test_cluster_up_on_taken_ports_fails_and_says_so(self):
        # This class's cluster holds the ports: a second `cluster up` there must not claim to be up.
        work = fresh_dir(WORK, "taken-ports")
        second = subprocess.run([DYNAMO, "cluster", "up", "--nodes", "1", "--base-port", "17100", "--dir", work],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(second.returncode, 1, second.stdout + second.stderr)
        self.assertIn("did not start", second.stdout)
        self.assertNotIn("nodes answering", second.stdout)
        self.assertIn("cannot start node n1", second.stderr)

    def test_http_api(self):
        c = self.cluster
        n1, n2 = c.nodes[0], c.nodes[1]
        status, headers, _ = c.http_request(n1, "PUT", "/kv/a%2Fb", b"value-1")
        self.assertEqual(status, 204)
        context = headers["X-Dynamo-Context"]
        base64.b64decode(context, validate=True)
        status, headers, body = c.http_request(n2, "GET", "/kv/a%2Fb")
        self.assertEqual((status, body), (200, b"value-1"))
        self.assertIn("X-Dynamo-Context", headers)
        # The same key through the CLI (a '/' in the key).
        self.assertEqual(c.cli("get", "a/b", "--value-only", check=True).stdout, "value-1")
        status, _, _ = c.http_request(n1, "DELETE", "/kv/a%2Fb", headers={"X-Dynamo-Context": headers["X-Dynamo-Context"]})
        self.assertEqual(status, 204)
        self.assertEqual(c.http_request(n1, "GET", "/kv/a%2Fb")[0], 404)
        self.assertEqual(c.http_request(n1, "GET", "/stores/nope/kv/x")[0], 404)
        self.assertEqual(c.http_request(n1, "GET", "/kv/" + "k" * 1025)[0], 413)
        self.assertEqual(c.http_request(n1, "PUT", "/kv/big", b"v" * (1024 * 1024 + 1))[0], 413)
        self.assertEqual(c.http_request(n1, "PUT", "/kv/x", b"v", headers={"X-Dynamo-Context": "%%%"})[0], 400)
        self.assertEqual(c.http_request(n1, "GET", "/kv/x?r=99")[0], 400)
        self.assertEqual(c.http_request(n1, "PUT", "/kv/w1?w=1", b"v")[0], 204)
        # An empty value: the 200 says Content-Length: 0, or a keep-alive client waits for a body.
        self.assertEqual(c.http_request(n1, "PUT", "/kv/empty", b"")[0], 204)
        status, headers, body = c.http_request(n2, "GET", "/kv/empty")
        self.assertEqual((status, body, headers.get("Content-Length")), (200, b"", "0"))
        # A chunked body is refused (NNG would read it as empty) and the connection closed.
        with socket.create_connection(tuple(n1.http.rsplit(":", 1)), timeout=10) as raw:
            raw.sendall(b"PUT /kv/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
            answer = b""
            while chunk := raw.recv(4096):
                answer += chunk
        self.assertTrue(answer.startswith(b"HTTP/1.1 411"), answer)
        self.assertEqual(c.http_request(n1, "GET", "/kv/chunked")[0], 404)
        self.assertEqual(c.http_request(n1, "GET", "/kv/x?r=4")[0], 400)  # N = 3
        status, _, metrics = c.http_request(n1, "GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn(b"dynamo_requests_total", metrics)
        self.assertIn(b"dynamo_hints_pending", metrics)

    def test_curl(self):
        if shutil.which("curl") is None:
            self.skipTest("curl is not installed")
        url = f"http://{self.cluster.nodes[0].http}/kv/curl-key"
        put = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "--data-binary", "c1", url],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(put.stdout, "204")
        get = subprocess.run(["curl", "-s", url], capture_output=True, text=True, timeout=30)
        self.assertEqual(get.stdout, "c1")

    def test_concurrent_writers_make_siblings_and_a_merged_put_resolves_them(self):
        c = self.cluster
        # Two writers that read nothing (no context): neither supersedes the other.
        results = []
        threads = [threading.Thread(target=lambda v=v: results.append(c.http_request(c.nodes[v], "PUT", "/kv/cart", f"item-{v}".encode())))
                   for v in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([r[0] for r in results], [204, 204])
        status, headers, body = c.http_request(c.nodes[2], "GET", "/kv/cart")
        self.assertEqual(status, 300)
        self.assertTrue(headers["Content-Type"].startswith("multipart/mixed"))
        self.assertIn(b"item-0", body)
        self.assertIn(b"item-1", body)
        listing = c.cli("get", "cart", check=True).stdout
        self.assertIn("sibling 2/2", listing)
        self.assertIn("conflict", listing)
        context = [l for l in listing.splitlines() if l.startswith("context: ")][0].split()[1]
        c.cli("put", "cart", "item-0+item-1", "--context", context, check=True)
        status, _, body = c.http_request(c.nodes[1], "GET", "/kv/cart")
        self.assertEqual((status, body), (200, b"item-0+item-1"))

    def test_malformed_messages_do_not_take_a_node_down(self):
        c = self.cluster
        node = c.nodes[0]
        host, peer_port = node.peer[len("tcp://"):].rsplit(":", 1)
        # Garbage on the peer port, framed (a PUSH peer) and unframed.
        s = raw_sp_connect(host, int(peer_port), 0x50)
        for payload in (b"", b"\x00" * 7, b"garbage" * 100, b"\xff" * 4096):
            s.sendall(sp_frame(payload))
        s.close()
        import socket
        raw = socket.create_connection((host, int(peer_port)), timeout=5)
        raw.sendall(b"GET / HTTP/1.0\r\n\r\n" + os.urandom(512))
        raw.close()
        # Garbage on the client port as a REQ peer: the node answers with an error batch.
        _, client_port = node.client[len("tcp://"):].rsplit(":", 1)
        s = raw_sp_connect(host, int(client_port), 0x30)
        s.sendall(sp_frame((0x80000001).to_bytes(4, "big") + b"this is not a capnp message!"))
        length = int.from_bytes(s.recv(8), "big")
        reply = b""
        while len(reply) < length:
            reply += s.recv(length - len(reply))
        s.close()
        self.assertIn(b"wire", reply)
        time.sleep(0.5)
        self.assertTrue(c.alive(0))
        c.cli("put", "after-garbage", "still-up", check=True)
        self.assertEqual(c.cli("get", "after-garbage", "--value-only", check=True).stdout, "still-up")
        with open(node.log) as log:
            self.assertIn("malformed", log.read())


class KillUnderLoad(unittest.TestCase):
    """kill -9 of one node under load: writes go on through a fallback; after it restarts its hints
    arrive and reads repair it; nothing is lost. N = 2 of 3 nodes, so every key has a fallback.
    DYNAMO_E2E_KILL9_TIMING (JSON, e.g. '{"resend_after": 0}') sets [timing] keys of the nodes, for
    measuring one setting against another (bench/README.md); unset in CI."""

    def test_kill9_restart_catch_up_no_lost_write(self):
        work = fresh_dir(WORK, "kill9")
        timing = json.loads(os.environ.get("DYNAMO_E2E_KILL9_TIMING", "{}"))
        if timing:
            print(f"[timing] of every node: {timing}")
        c = Cluster(DYNAMO, work, base_port=17200, n=2, r=2, w=2, timing=timing)
        try:
            c.start()
            history = os.path.join(work, "history.ndjson")
            # Keys whose first coordinator is n2: the CLI's partition-aware client must go past it.
            located = c.cli("ring", *[a for i in range(40) for a in ("--key", f"n2-first-{i}")], check=True).stdout
            n2_first = re.findall(r'Key "(n2-first-\d+)"\n[^\n]*\n  partition +\d+ of \d+ \(owner n2\)', located)
            self.assertGreater(len(n2_first), 2, located)
            load = start_workload(WORKLOAD, c, history)
            time.sleep(3)
            c.kill9(1)
            down_at = monotonic_ms()
            time.sleep(1)
            for key in n2_first[:3]:
                # Before the client knew a connection was down, such a put waited for n2 and answered
                # "unknown" (exit 4, "n2 did not answer"): the batch had never left the client, yet it
                # was not sent elsewhere. Now it goes to n1 or n3. Those may still send the version to
                # n2 as a replica: a coordinator suspects a node only once it missed a request, for
                # suspect_for ticks (W not reached, also exit 4). So retry at once, inside that window.
                for attempt in range(10):
                    put = c.cli("put", key, "written-while-n2-was-down")
                    self.assertNotIn("n2 did not answer", put.stderr)
                    if put.returncode == 0:
                        break
                self.assertEqual(put.returncode, 0, put.stdout + put.stderr)
                self.assertRegex(put.stdout, r"ok n[13]#")
            # status names the down member and still reports the others (exit 4: not all answered).
            status = c.cli("status")
            self.assertEqual(status.returncode, 4, status.stdout + status.stderr)
            self.assertRegex(status.stdout, r"(?m)^n2 .*DOWN")
            self.assertEqual(len(re.findall(r"(?m)^n[13] .*  up, epoch", status.stdout)), 2, status.stdout)
            # ring marks it DOWN too, and gives a key n2 coordinates its sloppy list without n2.
            ring = c.cli("ring", "--key", n2_first[0])
            self.assertEqual(ring.returncode, 0, ring.stdout + ring.stderr)
            self.assertRegex(ring.stdout, r"(?m)^  n2 \(.*, DOWN \(")
            self.assertEqual(len(re.findall(r"(?m)^  n[13] \(.*, up$", ring.stdout)), 2, ring.stdout)
            self.assertIn("sloppy list (down: n2)", ring.stdout)
            time.sleep(max(0.0, 4 - (monotonic_ms() - down_at) / 1000))
            hints_while_down = c.hints_pending()
            time.sleep(1)
            back_at = monotonic_ms()
            c.start(1)
            out, _ = load.communicate(timeout=60)
            print(out.strip())
            self.assertEqual(load.returncode, 0)
            with open(history) as f:
                events = [json.loads(line) for line in f]
            # Puts acknowledged while n2 was down: from 0.5 s after the kill (the clients' first
            # timeouts) until the restart, on the workload's own clock.
            zero = workload_zero_ms(out)
            during = [e for e in events if e["event"] == "complete" and e.get("outcome") == "ok"
                      and e["op"].split("-")[1].startswith("p") and down_at + 500 <= zero + e["t"] <= back_at]
            print(f"puts acknowledged while n2 was down: {len(during)}")
            self.assertGreater(len(during), 10, "puts must keep succeeding while a node is down")
            # Let hints and repairs settle, then read every key (final reads) and check the history.
            print(f"hints kept for n2 while it was down: {hints_while_down}")
            self.assertGreater(hints_while_down, 0, "fallbacks must keep hints for the dead node")
            self.assertEqual(wait_for_hints(c), 0, "every hint is handed off once n2 is back")
            final, code, verdict = final_reads_and_verdict(DYNAMO, WORKLOAD, c, history, 30)
            self.assertEqual(final[0], 0, final[1])
            print(verdict)
            self.assertEqual(code, 0, verdict)
            self.assertIn('"lost":[]', verdict.replace(" ", ""))
            # The restarted node alone holds what the final reads returned (hints and read repair
            # refilled what its write buffer lost).
            checked, missing = alone_holds(c, 1, final_versions(history))
            print(f"restarted node checked alone on {checked} keys")
            self.assertGreater(checked, 5)
            self.assertEqual(missing, [], "the restarted node must hold every key's final versions")
            self.assertEqual(c.stop(), [0], "the restarted node stops cleanly")
            self.assertEqual(c.sanitizer_reports(), [])
        finally:
            c.stop()
            c.close()


def metric(cluster, node, name):
    _, _, body = cluster.http_request(node, "GET", "/metrics", timeout=5)
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    return None


class DeletedKeysAreReaped(unittest.TestCase):
    """Deleted keys do not cost storage for ever (docs/reaping.md): once the grace has passed and
    every member agreed, every replica drops the tombstones; the keys stay deleted."""

    def test_tombstones_are_reaped_and_nothing_comes_back(self):
        work = fresh_dir(WORK, "reap")
        c = Cluster(DYNAMO, work, base_port=18200, n=3, r=2, w=3,
                    timing={"anti_entropy_every": 10, "reap_grace_ms": 500, "reap_settle": 20})
        keys = [f"gone-{i}" for i in range(20)]
        try:
            c.start()
            for key in keys:
                c.cli("put", key, "doomed", check=True)
                got = json.loads(c.cli("get", key, "--json", check=True).stdout)
                c.cli("delete", key, "--context", got["context"], "--w", "3", check=True)
            c.cli("put", "kept", "alive", check=True)
            deadline = time.time() + 30
            reaped = 0
            while time.time() < deadline:
                reaped = sum(metric(c, node, "dynamo_tombstones_reaped_total") or 0 for node in c.nodes)
                if reaped >= 3 * len(keys):
                    break
                time.sleep(0.5)
            print(f"tombstones reaped on the three replicas: {reaped} (of {3 * len(keys)})")
            self.assertGreaterEqual(reaped, 3 * len(keys), "every replica must drop every tombstone")
            for key in keys:
                self.assertEqual(c.cli("get", key).returncode, 3, f"{key} must stay deleted")
            self.assertEqual(c.cli("get", "kept", "--value-only", check=True).stdout, "alive")
            stop_cleanly(c)
        finally:
            c.stop()
            c.close()


if __name__ == "__main__":
    DYNAMO, WORKLOAD, WORK, unittest_argv = parse_args(sys.argv)
    unittest.main(argv=unittest_argv, verbosity=2)
