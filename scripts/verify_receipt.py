#!/usr/bin/env python3
"""Check an appealsite signature log without trusting the site: Python 3.10+ only.

    verify_receipt.py receipt RECEIPT.json          is my signature counted?
    verify_receipt.py count https://SITE/appeals/SLUG
                                                    recount the whole log
    verify_receipt.py consistency https://SITE/appeals/SLUG OLD NEW
                                                    did the log only grow?
    verify_receipt.py cosign https://SITE/appeals/SLUG --witness-key FILE --state FILE
                                                    a witness: check, countersign

Every checkpoint's Ed25519 signature is checked (RFC 8032, implemented below:
the standard library has none) with the keys at /.well-known/appealsite-log-keys.json
(compare them with the README or with a copy you keep: --keys FILE); inclusion
and consistency proofs as RFC 9162 defines them. Any URL may instead be a file
(--dir DIR reads `checkpoints`, `keys.json`, `proof-INDEX-SIZE.json`, ... there).
Exit status 0: all checks passed; 1: a check failed.
"""

import argparse
import base64
import hashlib
import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path

# --- Ed25519 verification (RFC 8032, section 5.1.7) -------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa, bb = (y1 - x1) * (y2 - x2) % P, (y1 + x1) * (y2 + x2) % P
    cc, dd = 2 * t1 * t2 * D % P, 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return e * f % P, g * h % P, f * g % P, e * h % P


def _multiply(scalar, point):
    result = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point, scalar = _add(point, point), scalar >> 1
    return result


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _decompress(encoded):
    if len(encoded) != 32:
        return None
    y = int.from_bytes(encoded, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return x, y, 1, x * y % P


_BY = 4 * pow(5, P - 2, P) % P
BASE = _decompress(_BY.to_bytes(32, "little"))


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is public_key's Ed25519 signature of message."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = _decompress(public_key), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    k = hashlib.sha512(signature[:32] + public_key + message).digest()
    k = int.from_bytes(k, "little") % L
    return _equal(_multiply(s, BASE), _add(r, _multiply(k, a)))


def _encode(point) -> bytes:
    x, y, z, _t = point
    inverse = pow(z, P - 2, P)
    x, y = x * inverse % P, y * inverse % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def ed25519_public_key(seed: bytes) -> bytes:
    return _encode(_multiply(_secret_scalar(seed), BASE))


def _secret_scalar(seed: bytes) -> int:
    a = int.from_bytes(hashlib.sha512(seed).digest()[:32], "little")
    return (a & ((1 << 254) - 8)) | (1 << 254)


def ed25519_sign(seed: bytes, message: bytes) -> bytes:
    """RFC 8032, 5.1.6: a witness's signature (its key: 32 random bytes)."""
    prefix = hashlib.sha512(seed).digest()[32:]
    a, public = _secret_scalar(seed), ed25519_public_key(seed)
    r = int.from_bytes(hashlib.sha512(prefix + message).digest(), "little") % L
    big_r = _encode(_multiply(r, BASE))
    k = hashlib.sha512(big_r + public + message).digest()
    s = (r + int.from_bytes(k, "little") * a) % L
    return big_r + s.to_bytes(32, "little")


# --- Merkle trees (RFC 9162, 2.1) -------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_of(leaves: list) -> bytes:
    """The tree head of a list of leaf hashes, built bottom-up."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    # A stack of complete subtrees (size, hash): merge equal neighbours.
    stack = []
    for leaf in leaves:
        size, value = 1, leaf
        while stack and stack[-1][0] == size:
            _size, left = stack.pop()
            size, value = size * 2, node_hash(left, value)
        stack.append((size, value))
    value = stack.pop()[1]
    while stack:
        value = node_hash(stack.pop()[1], value)
    return value


def verify_inclusion(index, size, leaf, proof, root) -> bool:
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old, new, old_root, new_root, proof) -> bool:
    if not 0 <= old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof and old_root == hashlib.sha256(b"").digest()
    if not proof:
        return False
    if old & (old - 1) == 0:
        proof = [old_root, *proof]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def commitment(appeal_id: int, signature_id: int, salt: bytes) -> str:
    named = f"{appeal_id}\n{signature_id}\n".encode()
    return hashlib.sha256(b"appealsite-receipt/1\n" + named + salt).hexdigest()


# --- Fetching ---------------------------------------------------------------


class Failed(Exception):
    """A check did not pass."""


class Source:
    """The site's data, from the site or from files saved before."""

    def __init__(self, base: str, directory: str | None, keys: str | None):
        self.base, self.directory, self.keys_file = base.rstrip("/"), directory, keys
        self.witnesses: dict[str, tuple[str, bytes]] = {}

    def get(self, path: str, name: str, *, text: bool = False):
        if self.directory:
            raw = (Path(self.directory) / name).read_bytes()
        else:
            request = urllib.request.Request(
                f"{self.base}/{path}", headers={"User-Agent": "verify_receipt.py"}
            )
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
        return raw.decode() if text else json.loads(raw)

    def post(self, path: str, data: dict) -> dict:
        request = urllib.request.Request(
            f"{self.base}/{path}",
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def keys(self) -> dict:
        if self.keys_file:
            data = json.loads(Path(self.keys_file).read_text())
        else:
            site = urllib.parse.urlsplit(self.base)
            path = f"{site.scheme}://{site.netloc}/.well-known/appealsite-log-keys.json"
            data = (
                self.get("", "keys.json")
                if self.directory
                else json.loads(urllib.request.urlopen(path, timeout=60).read())
            )
        self.witnesses = {
            witness["key_id"]: (
                witness["name"],
                base64.b64decode(witness["public_key"]),
            )
            for witness in data.get("witnesses", [])
        }
        return {
            key["key_id"]: base64.b64decode(key["public_key"]) for key in data["keys"]
        }

    def witnessed_by(self, checkpoint: dict) -> list[str]:
        """The witnesses whose countersignature of this checkpoint checks out."""
        names = []
        for cosignature in checkpoint.get("cosignatures", []):
            name, key = self.witnesses.get(cosignature["key_id"], (None, b""))
            signature = base64.b64decode(cosignature["signature"])
            if name and ed25519_verify(key, checkpoint["note"].encode(), signature):
                names.append(name)
        return names


def checked(checkpoint: dict, keys: dict) -> dict:
    """The checkpoint's signed fields, once its signature checks out."""
    public_key = keys.get(checkpoint["key_id"])
    note = checkpoint["note"].encode()
    signature = base64.b64decode(checkpoint["signature"])
    if public_key is None or not ed25519_verify(public_key, note, signature):
        raise Failed(f"checkpoint of size {checkpoint['tree_size']}: bad signature")
    lines = checkpoint["note"].splitlines()
    signed = {
        "origin": lines[0],
        "tree_size": int(lines[1]),
        "root_hash": base64.b64decode(lines[2]),
        **dict(line.split(" ", 1) for line in lines[3:]),
    }
    if (
        signed["tree_size"] != checkpoint["tree_size"]
        or int(signed["count"]) != checkpoint["signature_count"]
    ):
        raise Failed("a checkpoint's fields differ from what it signs")
    return signed


def latest(source: Source) -> tuple[dict, dict]:
    checkpoints = source.get("log/checkpoints", "checkpoints")["checkpoints"]
    if not checkpoints:
        raise Failed("the log has no checkpoint yet")
    keys = source.keys()
    return checkpoints, keys


def check_receipt(receipt_path: str, args) -> str:
    receipt = json.loads(Path(receipt_path).read_text())
    base = args.site or receipt["log"].rsplit("/log/", 1)[0]
    source = Source(base, args.dir, args.keys)
    checkpoints, keys = latest(source)
    signed = checked(checkpoints[0], keys)
    index, size = receipt["index"], signed["tree_size"]
    if index >= size:
        raise Failed("no signed checkpoint covers this receipt yet; try in an hour")
    proof = source.get(f"log/proof?index={index}&size={size}", f"proof-{index}-{size}")
    entry = proof["entry"]
    expected = commitment(
        receipt["appeal_id"], receipt["signature_id"], bytes.fromhex(receipt["salt"])
    )
    fields = entry.split(" ")
    if fields[1] != str(receipt["appeal_id"]) or fields[3:] != ["added", expected]:
        raise Failed(f"entry {index} is not this receipt's: {entry}")
    hashes = [bytes.fromhex(value) for value in proof["proof"]]
    if not verify_inclusion(
        index, size, leaf_hash(entry.encode()), hashes, signed["root_hash"]
    ):
        raise Failed(f"entry {index} is not in the signed tree of {size} entries")
    return (
        f"OK: receipt {receipt['code']} is entry {index} of the log checkpoint of "
        f"{size} entries signed at {signed['time']} (count {signed['count']})."
    )


def recount(base: str, args) -> str:
    source = Source(base, args.dir, args.keys)
    checkpoints, keys = latest(source)
    signed = checked(checkpoints[0], keys)
    size, lines = signed["tree_size"], []
    for start in range(0, size, 10_000):
        end = min(size, start + 10_000)
        text = source.get(
            f"log/entries?start={start}&end={end}", f"entries-{start}", text=True
        )
        lines += text.splitlines()
    if len(lines) != size:
        raise Failed(f"got {len(lines)} entries for a tree of {size}")
    if root_of([leaf_hash(line.encode()) for line in lines]) != signed["root_hash"]:
        raise Failed("the entries do not make the signed root")
    count, live = 0, {}
    for index, line in enumerate(lines):
        kind, *rest = line.split(" ")[3:]
        if kind == "added":
            count += 1
            live[index] = True
        elif kind == "restored" and not live.get(int(rest[0]), True):
            count += 1
            live[int(rest[0])] = True
        elif kind in ("withdrawn", "rejected", "deleted") and live.get(int(rest[0])):
            count -= 1
            live[int(rest[0])] = False
        else:
            raise Failed(f"entry {index} makes no sense here: {line}")
    if count != int(signed["count"]):
        raise Failed(
            f"the entries count {count}, the checkpoint says {signed['count']}"
        )
    witnesses = source.witnessed_by(checkpoints[0])
    return (
        f"OK: {size} entries make the signed root of {signed['time']}; additions "
        f"minus removals = {count}, the checkpoint's count."
        + (f" Countersigned by: {', '.join(witnesses)}." if witnesses else "")
    )


def witness_payload(source: Source, seed: bytes, state_path: Path) -> dict:
    """Check the latest checkpoint extends the last one this witness signed, and
    countersign it; remember it in the state file."""
    checkpoints, keys = latest(source)
    signed = checked(checkpoints[0], keys)
    size = signed["tree_size"]
    if state_path.exists():
        state = json.loads(state_path.read_text())
        old, old_root = state["tree_size"], bytes.fromhex(state["root_hash"])
        path = f"log/consistency?from={old}&to={size}"
        proof = source.get(path, f"consistency-{old}-{size}")["proof"]
        hashes = [bytes.fromhex(value) for value in proof]
        if not verify_consistency(old, size, old_root, signed["root_hash"], hashes):
            raise Failed(f"the log of {size} entries does not extend that of {old}")
    note = checkpoints[0]["note"]
    state_path.write_text(
        json.dumps({"tree_size": size, "root_hash": signed["root_hash"].hex()})
    )
    public = ed25519_public_key(seed)
    return {
        "note": note,
        "key_id": hashlib.sha256(public).hexdigest()[:16],
        "signature": base64.b64encode(ed25519_sign(seed, note.encode())).decode(),
    }


def cosign(base: str, args) -> str:
    source = Source(base, args.dir, args.keys)
    seed = base64.b64decode(Path(args.witness_key).read_text().strip())
    payload = witness_payload(source, seed, Path(args.state))
    source.post("log/cosign", payload)
    return f"OK: countersigned {payload['note'].splitlines()[1]} entries."


def consistency(base: str, old: int, new: int, args) -> str:
    source = Source(base, args.dir, args.keys)
    checkpoints, keys = latest(source)
    by_size = {c["tree_size"]: c for c in checkpoints}
    if old not in by_size or new not in by_size:
        raise Failed("both sizes must be those of published checkpoints")
    first, second = checked(by_size[old], keys), checked(by_size[new], keys)
    proof = source.get(
        f"log/consistency?from={old}&to={new}", f"consistency-{old}-{new}"
    )
    hashes = [bytes.fromhex(value) for value in proof["proof"]]
    if not verify_consistency(
        old, new, first["root_hash"], second["root_hash"], hashes
    ):
        raise Failed(f"the log of {new} entries does not extend that of {old}")
    return (
        f"OK: the log of {new} entries extends the log of {old}: nothing was "
        "removed or rewritten."
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", help="read saved files from here, not the site")
    parser.add_argument("--keys", help="the site's public keys, as a saved JSON file")
    parser.add_argument("--site", help="the appeal's address, if not the receipt's")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("receipt").add_argument("file")
    commands.add_parser("count").add_argument("appeal_url")
    between = commands.add_parser("consistency")
    between.add_argument("appeal_url")
    between.add_argument("old", type=int)
    between.add_argument("new", type=int)
    witness = commands.add_parser("cosign")
    witness.add_argument("appeal_url")
    witness.add_argument("--witness-key", required=True, help="base64 of 32 bytes")
    witness.add_argument("--state", required=True, help="the last checkpoint signed")
    args = parser.parse_args(argv)
    try:
        if args.command == "receipt":
            outcome = check_receipt(args.file, args)
        elif args.command == "count":
            outcome = recount(args.appeal_url, args)
        elif args.command == "cosign":
            outcome = cosign(args.appeal_url, args)
        else:
            outcome = consistency(args.appeal_url, args.old, args.new, args)
    except Failed as error:
        sys.stdout.write(f"FAILED: {error}\n")
        return 1
    sys.stdout.write(f"{outcome}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
