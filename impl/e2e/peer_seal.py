"""The sealed envelope of peer messages (spec/README.md "Wire protocol", "Sealed envelope"), written
from the spec alone with Python's hmac module: a second implementation of the layout, used by the
end-to-end tests to send sealed batches as a stranger, and to write fuzz_peer_auth's seed corpus:

    python3 impl/e2e/peer_seal.py --seeds fuzz/corpus/fuzz_peer_auth
"""
import hashlib
import hmac
import os
import struct
import sys

MAGIC = b"DYSL"
FORMAT = 1


def seal(secret, cluster_id, sender, receiver, epoch, counter, payload):
    """The envelope of `payload` (bytes); ids are str, secret bytes or str."""
    if isinstance(secret, str):
        secret = secret.encode()
    ids = [cluster_id.encode(), sender.encode(), receiver.encode()]
    header = MAGIC + struct.pack("<BBBBQQI", FORMAT, *(len(i) for i in ids), epoch, counter, len(payload))
    body = header + b"".join(ids) + payload
    return body + hmac.new(secret, body, hashlib.sha256).digest()


def write_seeds(directory):
    """Envelopes sealed with fuzz/fuzz_peer_auth.cc's key, for its receiver n1."""
    key, cluster = "fuzz-secret-0123456789", "fuzz"
    os.makedirs(directory, exist_ok=True)
    seeds = {
        "valid_empty_payload": seal(key, cluster, "n2", "n1", 1, 1, b""),
        "valid_small_payload": seal(key, cluster, "n2", "n1", 7, 42, b"\x00\x00\x00\x00\x02\x00\x00\x00" * 2),
        "valid_large_epoch": seal(key, cluster, "n3", "n1", 1764121234567, 3, b"payload" * 20),
        "wrong_secret": seal("another-secret-0123456789", cluster, "n2", "n1", 1, 1, b"x"),
        "wrong_cluster": seal(key, "other", "n2", "n1", 1, 1, b"x"),
        "wrong_receiver": seal(key, cluster, "n2", "n3", 1, 1, b"x"),
        "unknown_sender": seal(key, cluster, "n9", "n1", 1, 1, b"x"),
        "counter_zero": seal(key, cluster, "n2", "n1", 1, 0, b"x"),
        "unsealed_capnp": b"\x00\x00\x00\x00\x01\x00\x00\x00" + b"\x00" * 8,
    }
    for name, data in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--seeds":
        write_seeds(sys.argv[2])
    else:
        sys.exit(__doc__)
