"""Merkle tree hashing and proofs as RFC 9162 (Certificate Transparency) defines them.

Leaves are SHA-256(0x00 || entry), interior nodes SHA-256(0x01 || left || right),
and a tree of n leaves splits at the largest power of two below n. The log stores
every complete subtree (size 2**level, aligned to its size) once it is complete,
keyed by `node_key(level, position)`; any other range a proof needs is a handful
of those (`range_nodes`). So a root or a proof at any size costs one query for
about (log n)**2 stored hashes at worst, and appending never rebuilds the tree.

Standard library only: scripts/verify_receipt.py carries its own copy of the
verifying half, so that anyone can check us without installing anything.
"""

import hashlib
from collections.abc import Mapping

EMPTY_ROOT = hashlib.sha256(b"").digest()
# Positions take the low 40 bits of a node's key: a trillion entries per log.
POSITION_BITS = 40


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def node_key(level: int, position: int) -> int:
    """The stored key of the complete subtree of 2**level leaves at this position."""
    return (level << POSITION_BITS) | position


def split(size: int) -> int:
    """The largest power of two smaller than size (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[int]:
    """The keys of the complete subtrees that make up the leaves [start, end)."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return [node_key(level, start >> level)]
    k = split(size)
    return range_nodes(start, start + k) + range_nodes(start + k, end)


def range_hash(start: int, end: int, nodes: Mapping[int, bytes]) -> bytes:
    """MTH(D[start:end]) from stored complete subtrees (`range_nodes`)."""
    if end == start:
        return EMPTY_ROOT
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return nodes[node_key(level, start >> level)]
    k = split(size)
    return node_hash(
        range_hash(start, start + k, nodes), range_hash(start + k, end, nodes)
    )


def inclusion_ranges(index: int, size: int, start: int = 0) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes make PATH(index, D[start:start+size])."""
    if size <= 1:
        return []
    k = split(size)
    if index < k:
        return inclusion_ranges(index, k, start) + [(start + k, start + size)]
    return inclusion_ranges(index - k, size - k, start + k) + [(start, start + k)]


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes make PROOF(old, D[new]); none from 0 or to old."""
    if old == 0 or old == new:
        return []
    return _subproof(old, new, 0, True)


def _subproof(m: int, n: int, start: int, whole: bool) -> list[tuple[int, int]]:
    if m == n:
        return [] if whole else [(start, start + m)]
    k = split(n)
    if m <= k:
        return _subproof(m, k, start, whole) + [(start + k, start + n)]
    return _subproof(m - k, n - k, start + k, False) + [(start, start + k)]


def nodes_for(ranges: list[tuple[int, int]]) -> set[int]:
    return {key for start, end in ranges for key in range_nodes(start, end)}


def appended_nodes(
    first_index: int, leaves: list[bytes], frontier: Mapping[int, bytes]
) -> dict[int, bytes]:
    """The complete subtrees that appending `leaves` at first_index completes.

    `frontier` holds the complete subtrees on the tree's right edge before the
    append (`frontier_keys`); the result includes the leaves themselves (level 0).
    """
    known = dict(frontier)
    made = {}
    for offset, leaf in enumerate(leaves):
        index = first_index + offset
        key = node_key(0, index)
        made[key] = known[key] = leaf
        level, position = 0, index
        while position & 1:  # A right child completes its parent.
            left = known[node_key(level, position - 1)]
            right = known[node_key(level, position)]
            level, position = level + 1, position >> 1
            key = node_key(level, position)
            made[key] = known[key] = node_hash(left, right)
    return made


def frontier_keys(size: int) -> list[int]:
    """The right edge's complete subtrees of a tree of `size` leaves."""
    keys, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size & (1 << level):
            keys.append(node_key(level, start >> level))
            start += 1 << level
    return keys


def root_of(leaves: list[bytes]) -> bytes:
    """MTH of a list of leaf hashes, computed directly (the reference algorithm)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


def verify_inclusion(
    *, index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> bool:
    """RFC 9162, 2.1.3.2: whether `leaf` is at `index` in the tree with `root`."""
    if index >= size or index < 0:
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


def verify_consistency(
    *, old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162, 2.1.4.2: whether the tree of `new` leaves extends that of `old`."""
    if old < 0 or old > new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof and old_root == EMPTY_ROOT
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
