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
