"""Merkle tree hashing as in RFC 6962 (Certificate Transparency), section 2.1.

Leaves are hashed as SHA-256(0x00 || leaf) and interior nodes as SHA-256(0x01 || left || right),
so a leaf can never be passed off as a node. For n > 1 leaves the tree splits at k, the largest
power of two smaller than n. The empty tree's hash is SHA-256 of the empty string.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def tree_hash(leaves: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash MTH(D[n]) of the leaves (raw leaf data, not yet hashed)."""
    return _subtree([leaf_hash(leaf) for leaf in leaves])


def _subtree(hashes: Sequence[bytes]) -> bytes:
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = _split(n)
    return node_hash(_subtree(hashes[:k]), _subtree(hashes[k:]))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path PATH(m, D[n]) proving leaf ``index`` is in the tree (RFC 6962, 2.1.1)."""
    if not 0 <= index < len(leaves):
        raise IndexError("leaf index out of range")
    return _path(index, [leaf_hash(leaf) for leaf in leaves])


def _path(m: int, hashes: Sequence[bytes]) -> list[bytes]:
    n = len(hashes)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, hashes[:k]), _subtree(hashes[k:])]
    return [*_path(m - k, hashes[k:]), _subtree(hashes[:k])]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Check an audit path against a tree head (the verification algorithm of RFC 9162, 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    node = leaf_hash(leaf)
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and node == root


# ------------------------------------------------------------------ appending one leaf at a time
#
# A tree that only grows (a sitting's sealed heads) need not be hashed again from its leaves for
# each new head: its *frontier*, the roots of the perfect subtrees that make up MTH(D[n]) from
# left to right (one per set bit of n, largest first: the "compact range" of Certificate
# Transparency's log implementations, cf. RFC 9162 section 2.1.4's consistency proofs, which are
# built from the same subtrees), gives the next frontier in at most log2(n) node hashes and the
# tree head in as many. A seal then costs O(log n) instead of reading and hashing every leaf.


def frontier_append(frontier: Sequence[bytes], size: int, leaf: bytes) -> list[bytes]:
    """The frontier of D[size + 1] from that of D[size] (``frontier``) and the new ``leaf`` (raw
    leaf data): like adding one to a binary counter, each trailing set bit of ``size`` merges the
    rightmost subtree with the new one."""
    if len(frontier) != size.bit_count():
        raise ValueError(f"a frontier of a tree of {size} leaves has {size.bit_count()} subtrees, not {len(frontier)}")
    merged = list(frontier)
    node = leaf_hash(leaf)
    while size & 1:
        node = node_hash(merged.pop(), node)
        size >>= 1
    merged.append(node)
    return merged


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """MTH(D[n]) from the frontier of D[n]: the subtrees folded from the right, which is RFC 6962's
    split at the largest power of two below n applied at every level."""
    if not frontier:
        return hashlib.sha256(b"").digest()
    node = frontier[-1]
    for left in reversed(frontier[:-1]):
        node = node_hash(left, node)
    return node


def frontier_of(leaves: Sequence[bytes]) -> list[bytes]:
    """The frontier of the tree of ``leaves`` (raw leaf data)."""
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier = frontier_append(frontier, size, leaf)
    return frontier
