"""The agency's Ed25519 key that signs announcements.

The private key comes from ``SELECTION_SIGNING_KEY`` (PEM, in the app config or the environment),
else from the file named by ``SELECTION_SIGNING_KEY_FILE``, else from
``instance/selection_signing_key.pem``, generated once with mode 0600 (under TESTING: a throwaway
key kept in memory). It is never stored in the repository or the database.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from examserver.config import INSTANCE

KEY_FILE_NAME = "selection_signing_key.pem"


def _key_file() -> Path:
    return Path(os.environ.get("SELECTION_SIGNING_KEY_FILE") or INSTANCE / KEY_FILE_NAME)


def private_key() -> Ed25519PrivateKey:
    """The signing key, generated into the instance folder on first use when none is configured."""
    pem = current_app.config.get("SELECTION_SIGNING_KEY") or os.environ.get("SELECTION_SIGNING_KEY")
    if not pem and current_app.config.get("TESTING"):
        return _testing_key()
    if not pem:
        path = _key_file()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            data = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another worker made it first
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
        pem = path.read_text()
    key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError("SELECTION_SIGNING_KEY must be an Ed25519 private key")
    return key


@functools.cache
def _testing_key() -> Ed25519PrivateKey:
    """Under TESTING with no key configured: one throwaway key per process, never written."""
    return Ed25519PrivateKey.generate()


def public_key_pem(key: Ed25519PublicKey | None = None) -> bytes:
    """The public key (SubjectPublicKeyInfo PEM), as published."""
    key = key or private_key().public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PublicKey | None = None) -> str:
    """SHA-256 of the raw 32-byte public key, hex."""
    key = key or private_key().public_key()
    return hashlib.sha256(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).hexdigest()


def sign(data: bytes) -> str:
    """The Ed25519 signature of ``data``, base64."""
    return base64.b64encode(private_key().sign(data)).decode("ascii")


def verify(public_pem: bytes, data: bytes, signature_b64: str | bytes) -> bool:
    """Whether ``signature_b64`` is a valid signature of ``data`` by the PEM public key."""
    key = serialization.load_pem_public_key(public_pem)
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        key.verify(base64.b64decode(signature_b64, validate=False), data)
    except (InvalidSignature, ValueError):
        return False
    return True
