"""The cryptography of a site package: sealed item content, a release code, signed envelopes.

Threat model, in five lines:

* a package stolen before the start: item content is sealed (AES-256-GCM), its key is not in it;
* the release code stolen alone: without the package's share it opens nothing;
* a package altered anywhere: the centre's Ed25519 signature no longer verifies, it is refused;
* a package for another site, or out of date: refused (``wrong_site``, ``package_expired``).

The content key is HKDF-SHA256 (RFC 5869) of the package's random 32-byte share together with the
release code the centre publishes at the start (100 random bits, Crockford base32), so neither half
opens the content. The package carries a check value so that a site tells a mistyped code from an
altered package; with 100 bits of code, the share and the check do not make guessing worthwhile.
Packages and the sites' results travel in one envelope, gzip-compressed canonical JSON signed with
Ed25519 (RFC 8032): :func:`write_signed` and :func:`read_signed`. Nothing here knows the web or
the database: the callers turn a :class:`SealError` into a refusal.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import hmac
import io
import json
import os
import secrets
import tempfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from proctoring.chain import canonical_bytes

FORMAT = "ujian-site-package/1"
RESULTS_FORMAT = "ujian-site-results/1"
#: The largest envelope read, compressed and again decompressed (a gzip bomb stops here).
MAX_PACKAGE_BYTES = 200 * 1024 * 1024

#: Crockford's base32 alphabet: the digits and the letters without I, L, O and U.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20  # characters of 5 bits: 100 random bits
CODE_GROUP = 5
SHARE_BYTES = 32
KEY_INFO = b"ujian-site-content-key/1|"
NONCE_BYTES = 12
_CONFUSABLES = {"O": "0", "I": "1", "L": "1"}
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"  # what a phone's keyboard may make of a dash
_CHUNK = 1024 * 1024


class SealError(Exception):
    """Why a package, a code or a sealed text was refused.

    ``code`` is one of ``not_a_package``, ``format_unknown``, ``signature_invalid``,
    ``package_expired``, ``package_not_yet_valid``, ``wrong_site``, ``code_malformed``,
    ``code_wrong``, ``content_altered`` and ``too_large``; ``params`` are what a message may
    show (never a key or a code).
    """

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# --------------------------------------------------------------------------------- release code


@dataclass(frozen=True)
class Seal:
    """What seals one package: ``share`` and ``check`` go in it, ``code`` is published at the start."""

    share: bytes
    code: str = field(repr=False)  # secret until the start: kept out of logs and tracebacks
    check: str


def _group(characters: str) -> str:
    return "-".join(characters[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalise_code(text: str) -> str:
    """The release code as the centre shows it (``7K2QM-W9D3F-...``), from what a person typed.

    Lower case, spaces and missing or extra dashes are accepted, and Crockford base32's
    confusables are read as the digits they resemble (O as 0, I and L as 1). Anything else, or
    a code that is not 20 characters long, raises ``SealError("code_malformed")``. Douglas
    Crockford, "Base 32" (https://www.crockford.com/base32.html): an alphabet without U and
    without letters read as digits, for codes people read aloud and type.
    """
    if not isinstance(text, str):
        raise SealError("code_malformed", length=0, expected=CODE_LENGTH)
    kept = "".join(text.split()).translate({ord(dash): None for dash in _DASHES}).upper()
    characters = "".join(_CONFUSABLES.get(character, character) for character in kept)
    for character in characters:
        if character not in ALPHABET:
            raise SealError("code_malformed", character=character)
    if len(characters) != CODE_LENGTH:
        raise SealError("code_malformed", length=len(characters), expected=CODE_LENGTH)
    return _group(characters)


def _new_code() -> str:
    bits = secrets.randbits(5 * CODE_LENGTH)
    characters = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(CODE_LENGTH)))
    return _group(characters)


def _derive_key(share: bytes, code: str, package_id: str) -> bytes:
    """HKDF-SHA256 (RFC 5869) over ``share || code``: a key that needs both halves.

    The code is in its normalised form, of fixed length, so the concatenation is unambiguous;
    the package id in ``info`` gives every package its own key even if a share were reused.
    """
    if len(share) != SHARE_BYTES:
        raise ValueError(f"a share is {SHARE_BYTES} bytes")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO + package_id.encode("utf-8"))
    return hkdf.derive(share + code.encode("ascii"))


def _check(key: bytes) -> str:
    return hmac.new(key, b"release-check", hashlib.sha256).digest()[:16].hex()


def new_seal(package_id: str) -> tuple[Seal, bytes]:
    """A new seal for ``package_id`` and the content key it opens to (AES-256, 32 bytes).

    The key is never stored: the centre seals the content with it and forgets it; it is derived
    again from the share and the code (:func:`open_key`).
    """
    share = secrets.token_bytes(SHARE_BYTES)
    code = _new_code()
    key = _derive_key(share, code, package_id)
    return Seal(share=share, code=code, check=_check(key)), key


def open_key(share: bytes, code_text: str, package_id: str, check: str) -> bytes:
    """The content key from the package's share and the code the head proctor typed.

    Raises ``SealError("code_malformed")`` for text that is not a release code and
    ``SealError("code_wrong")`` for a well-formed code that does not match the package's check
    (compared in constant time, so the comparison does not leak how much of it matched).
    """
    key = _derive_key(share, normalise_code(code_text), package_id)
    if not isinstance(check, str) or not hmac.compare_digest(_check(key).encode("ascii"), check.encode("utf-8")):
        raise SealError("code_wrong")
    return key


# ------------------------------------------------------------------------------- sealed content


def seal(key: bytes, aad: bytes, plaintext: bytes) -> dict[str, str]:
    """``plaintext`` encrypted and authenticated with AES-256-GCM (NIST SP 800-38D).

    A fresh random 96-bit nonce per call, the length SP 800-38D recommends (section 8.2.2: random
    nonces stay safe up to 2^32 encryptions under one key, far beyond one sitting's items). The
    ``aad`` (e.g. ``b"package-id|item-version-id"``) is authenticated, not encrypted, so a
    ciphertext moved to another item or package does not open.
    """
    nonce = secrets.token_bytes(NONCE_BYTES)
    data = AESGCM(key).encrypt(nonce, plaintext, aad)
    return {"nonce": base64.b64encode(nonce).decode("ascii"), "data": base64.b64encode(data).decode("ascii")}


def unseal(key: bytes, aad: bytes, sealed: dict[str, str]) -> bytes:
    """The plaintext of :func:`seal`'s output, or ``SealError("content_altered")``.

    Any change to the nonce, the ciphertext, its tag or the ``aad``, a wrong key, and a malformed
    ``sealed`` all fail GCM's authentication the same way: nothing unauthenticated is returned.
    """
    try:
        nonce = base64.b64decode(sealed["nonce"], validate=True)
        data = base64.b64decode(sealed["data"], validate=True)
        if len(nonce) != NONCE_BYTES:
            raise ValueError("nonce")
        return AESGCM(key).decrypt(nonce, data, aad)
    except (InvalidTag, KeyError, TypeError, ValueError, binascii.Error) as error:
        raise SealError("content_altered") from error


# ----------------------------------------------------------------------------------- signatures


def new_site_key() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair: (private key PEM PKCS#8 unencrypted, public key PEM SubjectPublicKeyInfo)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def load_private(pem: bytes | str) -> Ed25519PrivateKey:
    """The Ed25519 private key of an unencrypted PEM; ``ValueError`` for anything else."""
    key = serialization.load_pem_private_key(pem.encode("ascii") if isinstance(pem, str) else pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def sign(private_key: Ed25519PrivateKey, data: bytes) -> str:
    """The Ed25519 (RFC 8032) signature of ``data``, base64: forging one needs the private key."""
    return base64.b64encode(private_key.sign(data)).decode("ascii")


def verify(public_key_pem: bytes, data: bytes, signature_b64: str) -> bool:
    """Whether ``signature_b64`` is the Ed25519 (RFC 8032) signature of ``data`` by the PEM key.

    False, never an exception, for a malformed key or signature. Only the canonical base64 of
    the 64 signature bytes is accepted, so no byte of a signed file can change unnoticed.
    """
    if not isinstance(signature_b64, str):
        return False
    try:
        key = serialization.load_pem_public_key(public_key_pem)
        if not isinstance(key, Ed25519PublicKey):
            return False
        signature = base64.b64decode(signature_b64, validate=True)
        if base64.b64encode(signature).decode("ascii") != signature_b64:
            return False
        key.verify(signature, data)
    except (InvalidSignature, UnsupportedAlgorithm, TypeError, ValueError, binascii.Error):
        return False
    return True


# ------------------------------------------------------------------------------------ envelopes


def signed_bytes(format: str, body: dict[str, Any]) -> bytes:
    """The bytes an envelope's signature covers: the canonical JSON of its format and its body.

    The format is signed with the body, so a body signed as one kind of file is never accepted
    as another, even by a key that signs both.
    """
    return canonical_bytes({"format": format, "manifest": body})


def envelope(format: str, body: dict[str, Any], private_key: Ed25519PrivateKey) -> bytes:
    """``{"format", "manifest": body, "signature"}`` as gzip-compressed canonical JSON: the bytes of a
    signed file, to write (:func:`write_signed`), send or download."""
    signed = {"format": format, "manifest": body, "signature": sign(private_key, signed_bytes(format, body))}
    return gzip.compress(canonical_bytes(signed), compresslevel=6, mtime=0)


def write_signed(
    path: str | os.PathLike[str], format: str, body: dict[str, Any], private_key: Ed25519PrivateKey
) -> None:
    """Write :func:`envelope` to ``path``."""
    write_atomically(path, envelope(format, body, private_key))


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, synced, then
    renamed over ``path`` (``os.replace``), so a reader never sees half a file, even after a power cut.
    """
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as raw:
            raw.write(data)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # a platform that cannot open a folder (Windows): the rename is still atomic
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _decompressed(source: IO[bytes]) -> bytes:
    """The one gzip member (RFC 1952) of ``source``, inflated in chunks.

    Reading stops as soon as the input or the output passes :data:`MAX_PACKAGE_BYTES` (a gzip
    bomb inflates no further than that), and anything after the member is refused: a file of a
    thousand empty members, or with bytes appended, is not one this module wrote.
    """
    limit = MAX_PACKAGE_BYTES
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    chunks, read, total, pending = [], 0, 0, b""
    try:
        while not inflater.eof:
            if not pending:
                pending = source.read(_CHUNK)
                read += len(pending)
                if not pending:  # ended before the end of its stream: truncated
                    raise SealError("not_a_package")
            chunk = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            total += len(chunk)
            if total > limit or read > limit:
                raise SealError("too_large", limit=limit)
            chunks.append(chunk)
    except zlib.error as error:  # not gzip, a corrupt stream, a wrong CRC-32 or length
        raise SealError("not_a_package") from error
    if inflater.unused_data or pending or source.read(1):
        raise SealError("not_a_package")
    return b"".join(chunks)


def _unique_keys(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:  # two readers could disagree on which one counts
            raise ValueError(f"duplicate key {name!r}")
        result[name] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parsed(raw: bytes) -> dict[str, Any]:
    try:
        envelope = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise SealError("not_a_package") from error
    if not isinstance(envelope, dict) or not isinstance(envelope.get("manifest"), dict):
        raise SealError("not_a_package")
    return envelope


def _envelope_bytes(path_or_bytes: str | os.PathLike[str] | bytes) -> bytes:
    limit = MAX_PACKAGE_BYTES
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        if len(path_or_bytes) > limit:
            raise SealError("too_large", limit=limit)
        return _decompressed(io.BytesIO(path_or_bytes))
    with open(path_or_bytes, "rb") as source:
        if os.fstat(source.fileno()).st_size > limit:
            raise SealError("too_large", limit=limit)
        return _decompressed(source)


def read_signed(path_or_bytes: str | os.PathLike[str] | bytes, format: str, public_key_pem: bytes) -> dict[str, Any]:
    """:func:`read_signed_by` with one known key."""
    return read_signed_by(path_or_bytes, format, lambda _body: public_key_pem)


def read_signed_by(
    path_or_bytes: str | os.PathLike[str] | bytes, format: str, key_for: Callable[[dict[str, Any]], bytes | None]
) -> dict[str, Any]:
    """The body of an envelope of ``format`` whose signature verifies with ``public_key_pem``.

    Checked in this order, each refusal a :class:`SealError`: its size, compressed and
    decompressed (``too_large``); gzip and JSON (``not_a_package``, for any corruption); its
    format (``format_unknown``); the Ed25519 signature over :func:`signed_bytes`
    (``signature_invalid``). Nothing in the body is looked at before the signature verifies.
    A path that cannot be opened raises the ``OSError`` of opening it.
    """
    envelope = _parsed(_envelope_bytes(path_or_bytes))
    found = envelope.get("format")
    if found != format:
        raise SealError("format_unknown", expected=format, found=str(found)[:80])
    body = envelope["manifest"]
    try:
        data = signed_bytes(format, body)
    except UnicodeEncodeError:  # a lone surrogate escaped in the JSON: never written by write_signed
        raise SealError("signature_invalid") from None
    # The unverified body may only choose the key (a results file names its package, whose site key
    # checks it); nothing else in it is read before the signature verifies.
    public_key_pem = key_for(body)
    signature = envelope.get("signature")
    if public_key_pem is None or not isinstance(signature, str) or not verify(public_key_pem, data, signature):
        raise SealError("signature_invalid")
    return body


def write_package(path: str | os.PathLike[str], manifest: dict[str, Any], private_key: Ed25519PrivateKey) -> None:
    """Write a site package (:data:`FORMAT`) signed by the centre's key, atomically."""
    write_signed(path, FORMAT, manifest, private_key)


def _moment(manifest: dict[str, Any], name: str) -> datetime:
    value = manifest.get(name)
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:  # signed, yet not an aware time: the centre's mistake
        raise SealError("not_a_package", field=name)
    return moment


def read_package(
    path_or_bytes: str | os.PathLike[str] | bytes, public_key_pem: bytes, *, now: datetime, site_code: str | None
) -> dict[str, Any]:
    """The manifest of a site package signed by the centre, for this site and in date.

    After :func:`read_signed`'s checks (size, parse, format, signature), the package must name
    this site in ``manifest["site"]["code"]`` when ``site_code`` is given (``wrong_site``, with
    ``expected`` and ``found``), and ``now`` (aware) must be before ``manifest["expires_at"]``
    (ISO 8601 with its offset, e.g. ``"2026-12-03T22:59:00Z"``; ``package_expired`` with
    ``expires_at``) and, when the manifest has a ``not_before``, not before it
    (``package_not_yet_valid``: also a site clock set back). A package for another site is
    refused before its dates are looked at.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    manifest = read_signed(path_or_bytes, FORMAT, public_key_pem)
    if site_code is not None:
        site = manifest.get("site")
        found = site.get("code") if isinstance(site, dict) else None
        if found != site_code:
            raise SealError("wrong_site", expected=site_code, found=found)
    expires_at = _moment(manifest, "expires_at")
    if now >= expires_at:
        raise SealError("package_expired", expires_at=expires_at, now=now)
    if "not_before" in manifest:
        not_before = _moment(manifest, "not_before")
        if now < not_before:
            raise SealError("package_not_yet_valid", not_before=not_before, now=now)
    return manifest
