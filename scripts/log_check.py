#!/usr/bin/env python3
"""Check a teczka log independently of teczka: recompute the RFC 6962 Merkle tree over the entry
lines with hashlib and verify every checkpoint's Ed25519 signed-note signature with the
`cryptography` package, from the minisign public key file alone.

Usage: log_check.py LOG PUBKEY.pub   -> prints {"entries": N, "checkpoints": M} or exits 1.
"""
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def leaf(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    """RFC 6962 section 2.1, as written: split at the largest power of two below n."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def main(log_path, pub_path):
    raw = base64.b64decode(open(pub_path).read().split()[-1])
    key_id, public = raw[2:10], raw[10:42]
    origin = "teczka-log/" + key_id[::-1].hex().upper()
    key = Ed25519PublicKey.from_public_bytes(public)
    key_hash = hashlib.sha256(origin.encode() + b"\n\x01" + public).digest()[:4]
    leaves, checkpoints = [], 0
    for number, line in enumerate(open(log_path, "rb").read().split(b"\n")[:-1], 1):
        if not line.startswith(b'{"checkpoint":'):
            leaves.append(leaf(line))
            continue
        note = json.loads(line)["checkpoint"]
        body, signatures = note.split("\n\n", 1)
        body += "\n"
        lines = body.split("\n")
        assert lines[0] == origin, f"line {number}: origin {lines[0]} is not {origin}"
        assert int(lines[1]) == len(leaves), f"line {number}: size {lines[1]} != {len(leaves)}"
        root = base64.b64decode(lines[2])
        assert root == mth(leaves), f"line {number}: root differs from RFC 6962's"
        name, blob = signatures.strip().removeprefix("\u2014 ").split(" ")
        blob = base64.b64decode(blob)
        assert name == origin and blob[:4] == key_hash, f"line {number}: not this key's signature"
        try:
            key.verify(blob[4:], body.encode())
        except InvalidSignature:
            raise AssertionError(f"line {number}: the signature does not verify")
        checkpoints += 1
    print(json.dumps({"entries": len(leaves), "checkpoints": checkpoints}))


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except AssertionError as e:
        print(e, file=sys.stderr)
        sys.exit(1)
