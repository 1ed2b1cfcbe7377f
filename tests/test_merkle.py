"""Known answers from RFC 6962's reference code (certificate-transparency's
merkle_tree_test), and proofs checked against the reference algorithm."""

import hashlib

from appeals import merkle

# The reference leaves and the root of the tree of the first n of them.
LEAVES = [
    bytes.fromhex(value)
    for value in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CONSISTENCY = {
    (1, 8): INCLUSION[(0, 8)],
    (2, 8): INCLUSION[(0, 8)][1:],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


def stored_tree(leaves: list[bytes]) -> dict[int, bytes]:
    """Append leaf hashes one batch at a time, as the log does."""
    nodes: dict[int, bytes] = {}
    for start in range(0, len(leaves), 3):
        frontier = {key: nodes[key] for key in merkle.frontier_keys(start)}
        nodes.update(merkle.appended_nodes(start, leaves[start : start + 3], frontier))
    return nodes


def proof(ranges, nodes) -> list[bytes]:
    return [merkle.range_hash(start, end, nodes) for start, end in ranges]


HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]
NODES = stored_tree(HASHES)


def test_roots_match_rfc_6962_for_every_size():
    for size, root in enumerate(ROOTS):
        assert merkle.root_of(HASHES[:size]).hex() == root
        assert merkle.range_hash(0, size, NODES).hex() == root


def test_leaf_and_node_hashes_have_their_prefixes():
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()


def test_inclusion_proofs_match_the_reference_and_verify():
    for (index, size), expected in INCLUSION.items():
        path = proof(merkle.inclusion_ranges(index, size), NODES)
        assert [p.hex() for p in path] == expected
        assert merkle.verify_inclusion(
            index=index,
            size=size,
            leaf=HASHES[index],
            proof=path,
            root=bytes.fromhex(ROOTS[size]),
        )


def test_consistency_proofs_match_the_reference_and_verify():
    for (old, new), expected in CONSISTENCY.items():
        path = proof(merkle.consistency_ranges(old, new), NODES)
        assert [p.hex() for p in path] == expected
        assert merkle.verify_consistency(
            old=old,
            new=new,
            old_root=bytes.fromhex(ROOTS[old]),
            new_root=bytes.fromhex(ROOTS[new]),
            proof=path,
        )


def test_every_proof_in_trees_up_to_40_verifies_and_a_changed_one_does_not():
    leaves = [merkle.leaf_hash(bytes([i, i * 7 % 256])) for i in range(40)]
    nodes = stored_tree(leaves)
    for size in range(1, 41):
        root = merkle.root_of(leaves[:size])
        assert merkle.range_hash(0, size, nodes) == root
        for index in range(size):
            path = proof(merkle.inclusion_ranges(index, size), nodes)
            assert merkle.verify_inclusion(
                index=index, size=size, leaf=leaves[index], proof=path, root=root
            )
            assert not merkle.verify_inclusion(
                index=index, size=size, leaf=leaves[index - 1], proof=path, root=root
            )
        for old in range(0, size + 1):
            old_root = merkle.root_of(leaves[:old])
            path = proof(merkle.consistency_ranges(old, size), nodes)
            assert merkle.verify_consistency(
                old=old, new=size, old_root=old_root, new_root=root, proof=path
            )
            if 0 < old < size:
                forged = merkle.root_of([leaves[1], leaves[0], *leaves[2:old]])
                assert not merkle.verify_consistency(
                    old=old, new=size, old_root=forged, new_root=root, proof=path
                )
