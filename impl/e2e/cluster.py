"""A real cluster for the end-to-end tests: `dynamo node` processes on loopback (or in network
namespaces), each with its own RocksDB directory, plus helpers to run the CLI, speak HTTP, and
check histories. Every process is killed when the test ends; every wait is bounded."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import urllib.error


class Node:
    def __init__(self, index, host, base_port, data_dir):
        self.index = index
        self.id = f"n{index + 1}"
        port = base_port + 10 * index
        self.host = host
        self.http = f"{host}:{port}"
        self.peer = f"tcp://{host}:{port + 1}"
        self.client = f"tcp://{host}:{port + 2}"
        self.data_dir = os.path.join(data_dir, self.id)
        self.config = os.path.join(data_dir, f"{self.id}.toml")
        self.log = os.path.join(data_dir, f"{self.id}.log")
        self.process = None


class Cluster:
    def __init__(self, dynamo, work_dir, nodes=3, base_port=17100, n=3, r=2, w=2, hosts=None,
                 netns=None, timing=None, cluster_lines=None, initial=None):
        self.dynamo = dynamo
        self.work_dir = work_dir
        os.makedirs(work_dir, exist_ok=True)
        hosts = hosts or ["127.0.0.1"] * nodes
        self.netns = netns  # per node: a namespace name to run it in, or None
        self.nodes = [Node(i, hosts[i], base_port, work_dir) for i in range(nodes)]
        self.n, self.r, self.w = n, r, w
        self.timing = timing or {}
        self.cluster_lines = cluster_lines or []  # more [cluster] keys: cluster_id, secret_file, ...
        # The first `initial` nodes are the configured members; the others start with node.join = true
        # and join later (`dynamo admin join`).
        self.initial = nodes if initial is None else initial
        for node in self.nodes:
            self.write_config(node.index)

    def write_config(self, index, cluster_lines=None):
        """(Re)writes node `index`'s file; `cluster_lines` replaces the cluster's extra [cluster] keys."""
        node = self.nodes[index]
        with open(node.config, "w") as f:
            f.write(self.config_text(node, self.cluster_lines if cluster_lines is None else cluster_lines))

    def config_text(self, node, cluster_lines=()):
        lines = ["[node]", f'id = "{node.id}"', 'data_centre = "dc1"', "weight = 1",
                 f'data_dir = "{node.data_dir}"', 'storage = "rocksdb"', f'peer = "{node.peer}"',
                 f'client = "{node.client}"', f'http = "{node.http}"',
                 *(["join = true"] if node.index >= self.initial else []), "", "[cluster]", "partitions = 1024",
                 *cluster_lines, ""]
        for m in self.nodes[:self.initial]:
            lines += ["[[cluster.members]]", f'id = "{m.id}"', 'data_centre = "dc1"', "weight = 1",
                      f'peer = "{m.peer}"', f'client = "{m.client}"', f'http = "{m.http}"', ""]
        lines += ["[stores.default]", f"n = {self.n}", f"r = {self.r}", f"w = {self.w}", 'replicas = "buffered"', ""]
        if self.timing:
            lines += ["[timing]"] + [f"{k} = {v}" for k, v in self.timing.items()] + [""]
        return "\n".join(lines)

    # --- processes ---
    def start(self, index=None):
        for node in self.nodes if index is None else [self.nodes[index]]:
            command = [self.dynamo, "node", "--config", node.config]
            if self.netns and self.netns[node.index]:
                command = ["ip", "netns", "exec", self.netns[node.index]] + command
            with open(node.log, "a") as log:
                node.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.wait_up(index)

    def wait_up(self, index=None, seconds=20):
        deadline = time.time() + seconds
        for node in self.nodes if index is None else [self.nodes[index]]:
            while True:
                try:
                    self.http_request(node, "GET", "/metrics", timeout=1)
                    break
                except OSError:
                    if node.process.poll() is not None:
                        raise RuntimeError(f"{node.id} exited: {open(node.log).read()[-2000:]}")
                    if time.time() > deadline:
                        raise RuntimeError(f"{node.id} did not come up in {seconds} s")
                    time.sleep(0.1)

    def kill9(self, index):
        node = self.nodes[index]
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(10)

    def stop(self, index=None):
        """SIGTERM, as Ctrl-C: a clean stop. Returns the exit codes."""
        codes = []
        for node in self.nodes if index is None else [self.nodes[index]]:
            if node.process and node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
                try:
                    codes.append(node.process.wait(20))
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    codes.append("timeout")
        return codes

    def alive(self, index):
        return self.nodes[index].process.poll() is None

    # --- clients ---
    def cli(self, *args, node=0, check=False, input=None, timeout=30):
        command = [self.dynamo] + list(args) + ["--node", self.nodes[node].client]
        result = subprocess.run(command, capture_output=True, text=True, input=input, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(command)} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result

    def http_request(self, node, method, path, body=None, headers=None, timeout=10):
        request = urllib.request.Request(f"http://{node.http}{path}", data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def status_line(self):
        return self.cli("status").stdout

    def hints_pending(self):
        """Sum of hints pending over the nodes that answer /metrics."""
        total = 0
        for node in self.nodes:
            try:
                _, _, body = self.http_request(node, "GET", "/metrics", timeout=2)
            except OSError:
                continue
            for line in body.decode().splitlines():
                if line.startswith("dynamo_hints_pending "):
                    total += int(float(line.split()[1]))
        return total

    def sanitizer_reports(self):
        """Lines of AddressSanitizer / UBSan / ThreadSanitizer reports in the nodes' logs (a sanitized
        build's findings)."""
        found = []
        for node in self.nodes:
            if os.path.exists(node.log):
                with open(node.log, errors="replace") as f:
                    found += [f"{node.id}: {line.strip()}" for line in f
                              if "AddressSanitizer" in line or "runtime error:" in line or "LeakSanitizer" in line
                              or "ThreadSanitizer" in line]
        return found

    def close(self):
        for node in self.nodes:
            if node.process and node.process.poll() is None:
                node.process.kill()
                node.process.wait(10)


def raw_sp_connect(host, port, protocol):
    """A TCP connection speaking NNG's SP handshake as `protocol` (0x30 REQ, 0x50 PUSH)."""
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(bytes([0, ord("S"), ord("P"), 0, protocol >> 8, protocol & 0xFF, 0, 0]))
    s.recv(8)
    return s


def sp_frame(payload):
    return len(payload).to_bytes(8, "big") + payload


def wait_for_hints(cluster, seconds=30):
    """Waits (bounded) until no node keeps a hint; returns the hints still pending."""
    deadline = time.time() + seconds
    while cluster.hints_pending() > 0 and time.time() < deadline:
        time.sleep(0.5)
    return cluster.hints_pending()


def final_reads_and_verdict(dynamo, workload, cluster, history, keys):
    """Appends a final read of every key to the history, then runs the history checker.
    Returns (final reads' exit code and output, checker's exit code, verdict text)."""
    final = subprocess.run([workload, "--node", cluster.nodes[0].client, "--keys", str(keys), "--final",
                            "--history", history], capture_output=True, text=True, timeout=120)
    verdict = subprocess.run([dynamo, "check-history", history, "--json"], capture_output=True, text=True, timeout=120)
    return (final.returncode, final.stdout + final.stderr), verdict.returncode, verdict.stdout + verdict.stderr


def final_versions(history):
    """key -> sorted values the key's final read returned."""
    import json
    with open(history) as f:
        events = [json.loads(line) for line in f]
    finals, out = {}, {}
    for e in events:
        if e["event"] == "invoke" and e.get("final"):
            finals[e["op"]] = e["key"]
        if e["event"] == "complete" and e["op"] in finals:
            out[finals[e["op"]]] = sorted(s for s in e["siblings"] if isinstance(s, str))
    return out


def alone_holds(cluster, index, finals):
    """With every other node stopped, reads each key through node `index` with R = 1 (so its own
    copy answers). Returns (keys checked, [(key, expected, held, error)] that differ). Keys the node
    is not a primary of are skipped (it can only forward them, and no coordinator is left)."""
    import json
    for other in range(len(cluster.nodes)):
        if other != index:
            cluster.stop(other)
    checked, missing = 0, []
    for key, values in finals.items():
        got = cluster.cli("get", key, "--json", "--r", "1", "--direct", node=index)
        if got.returncode == 4 and "coordinator" in got.stderr:
            continue
        checked += 1
        held = sorted(s["value"] for s in json.loads(got.stdout)["siblings"] if not s["deleted"]) \
            if got.returncode in (0, 3) and got.stdout else None
        if held != values:
            missing.append((key, values, held, got.stderr.strip()))
    return checked, missing


def start_workload(workload, cluster, history, keys=30, seconds=14, processes=8):
    """The recorded load both fault tests run (through n1 and n2), in the background."""
    return subprocess.Popen([workload, "--node", cluster.nodes[0].client, "--node", cluster.nodes[1].client,
                             "--processes", str(processes), "--keys", str(keys), "--seconds", str(seconds),
                             "--history", history], stdout=subprocess.PIPE, text=True)


def monotonic_ms():
    """Now, in ms of the clock the workload's "t" counts on (CLOCK_MONOTONIC: its steady_clock)."""
    return time.monotonic() * 1000.0


def workload_zero_ms(output):
    """When the workload's "t" was 0, in monotonic_ms(), from the line it prints at its start."""
    found = re.search(r"t = 0 at monotonic (\d+) ms", output)
    if not found:
        raise AssertionError("the workload did not print when its clock started:\n" + output)
    return int(found.group(1))


def parse_args(argv):
    """The e2e scripts' arguments: DYNAMO HISTORY_WORKLOAD WORK_DIR [unittest args]. Makes WORK_DIR;
    returns the three and the argv for unittest.main."""
    dynamo, workload, work = argv[1:4]
    os.makedirs(work, exist_ok=True)
    return dynamo, workload, work, [argv[0]] + argv[4:]


def fresh_dir(work, name):
    """WORK/NAME, emptied: each test starts from nothing."""
    path = os.path.join(work, name)
    shutil.rmtree(path, ignore_errors=True)
    return path


def stop_cleanly(cluster):
    """Stops every node as Ctrl-C would; each must exit 0 and no sanitizer report may appear."""
    codes = cluster.stop()
    cluster.close()
    assert all(c == 0 for c in codes), f"nodes did not stop cleanly: {codes}"
    assert not cluster.sanitizer_reports(), cluster.sanitizer_reports()
