"""RFC 6962 Merkle hashing against the Certificate Transparency reference vectors."""

from __future__ import annotations

import pytest

from proctoring.merkle import (
    frontier_append,
    frontier_of,
    frontier_root,
    inclusion_proof,
    tree_hash,
    verify_inclusion,
)

# The test leaves and roots of the Certificate Transparency reference implementation.
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("size", range(1, 9))
def test_tree_hash_matches_the_reference_vectors(size):
    assert tree_hash(LEAVES[:size]).hex() == ROOTS[size - 1]


def test_empty_tree_is_the_hash_of_nothing():
    assert tree_hash([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 33])
def test_every_inclusion_proof_verifies_and_forgeries_fail(size):
    leaves = [f"peristiwa-{i}".encode() for i in range(size)]
    root = tree_hash(leaves)
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert verify_inclusion(leaves[index], index, size, proof, root)
        assert not verify_inclusion(b"palsu", index, size, proof, root)
        if proof:
            bent = [bytes(32)] + proof[1:]
            assert not verify_inclusion(leaves[index], index, size, bent, root)
    assert not verify_inclusion(leaves[0], size, size, [], root)


def test_a_tree_grown_one_leaf_at_a_time_has_the_reference_roots():
    """The frontier's root after each appended leaf is the reference root of that many leaves (the
    empty tree's too), so a seal that grows the sitting's tree publishes the RFC 6962 head."""
    frontier: list[bytes] = []
    assert frontier_root(frontier) == tree_hash([])
    for size, leaf in enumerate(LEAVES):
        frontier = frontier_append(frontier, size, leaf)
        assert frontier_root(frontier).hex() == ROOTS[size]
        assert len(frontier) == (size + 1).bit_count()


@pytest.mark.parametrize("size", [9, 16, 31, 64, 100])
def test_the_grown_root_equals_hashing_every_leaf_again(size):
    leaves = [f"kepala-{i}".encode() for i in range(size)]
    assert frontier_root(frontier_of(leaves)) == tree_hash(leaves)
    # and each perfect subtree of the frontier is the hash of its own leaves
    start = 0
    for node, bit in zip(
        frontier_of(leaves), [b for b in reversed(range(size.bit_length())) if size >> b & 1], strict=True
    ):
        assert node == tree_hash(leaves[start : start + (1 << bit)])
        start += 1 << bit


def test_a_frontier_of_the_wrong_size_is_refused():
    frontier = frontier_of([b"a", b"b", b"c"])  # 3 leaves: subtrees of 2 and 1
    with pytest.raises(ValueError, match="3 leaves has 2 subtrees, not 1"):
        frontier_append(frontier[:1], 3, b"d")
