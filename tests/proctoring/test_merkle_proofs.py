"""RFC 6962 inclusion proofs against an independent computation.

The reference below builds the tree level by level, bottom-up, as a list of levels (the
"unbalanced tree with promoted odd nodes" of RFC 6962 section 2.1: a node without a sibling is
carried up unchanged), and reads the audit path off those levels; the code under test recurses
top-down on the split point k. Both must agree on every leaf of random trees of sizes 1..33, each
proof must verify, and any tampered proof, leaf, index or root must not.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from proctoring.merkle import inclusion_proof, tree_hash, verify_inclusion


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    levels = [level]
    while len(level) > 1:
        pairs = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        level = pairs + ([level[-1]] if len(level) % 2 else [])
        levels.append(level)
    return levels


def reference_root(leaves: list[bytes]) -> bytes:
    return _levels(leaves)[-1][0]


def reference_path(leaves: list[bytes], index: int) -> list[bytes]:
    path = []
    for level in _levels(leaves)[:-1]:
        sibling = index ^ 1
        if sibling < len(level):  # a promoted node has no sibling at this level
            path.append(level[sibling])
        index //= 2
    return path


def _random_leaves(rng: np.random.Generator, size: int) -> list[bytes]:
    return [rng.bytes(int(rng.integers(0, 40))) for _ in range(size)]


@pytest.mark.parametrize("size", range(1, 34))
def test_paths_and_roots_match_the_bottom_up_reference_and_verify(size):
    rng = np.random.default_rng(6962 + size)
    leaves = _random_leaves(rng, size)
    root = tree_hash(leaves)
    assert root == reference_root(leaves)
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert proof == reference_path(leaves, index)
        assert verify_inclusion(leaves[index], index, size, proof, root)


@pytest.mark.parametrize("size", range(1, 34))
def test_tampered_proofs_fail(size):
    rng = np.random.default_rng(9162 + size)
    leaves = _random_leaves(rng, size)
    root = tree_hash(leaves)
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        leaf = leaves[index]
        assert not verify_inclusion(leaf + b"x", index, size, proof, root)
        assert not verify_inclusion(leaf, index, size, proof, bytes(32))
        if size > 1:
            assert (
                not verify_inclusion(leaf, (index + 1) % size, size, proof, root) or leaves[(index + 1) % size] == leaf
            )
            assert not verify_inclusion(leaf, index, size, proof[:-1], root)
            assert not verify_inclusion(leaf, index, size, [*proof, bytes(32)], root)
        for k in range(len(proof)):
            flipped = bytearray(proof[k])
            flipped[int(rng.integers(32))] ^= 1 << int(rng.integers(8))
            assert not verify_inclusion(leaf, index, size, [*proof[:k], bytes(flipped), *proof[k + 1 :]], root)
