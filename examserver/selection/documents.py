"""Document types an applicant may have to upload, and the checks every upload passes.

A file is accepted only when its first bytes match the format its name claims (a renamed
executable is refused), it is within the size limit of its type, and its name is a plain file
name. It is stored under a random name in the upload directory, never under the sent name.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l

#: Magic numbers of the accepted formats (PDF 1.x/2.0, JPEG/JFIF/Exif, PNG).
SIGNATURES = {"pdf": (b"%PDF-",), "jpg": (b"\xff\xd8\xff",), "png": (b"\x89PNG\r\n\x1a\n",)}
EXTENSIONS = {"pdf": "pdf", "jpg": "jpg", "jpeg": "jpg", "png": "png"}
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
#: Per candidate and period: at most this many files and bytes in all.
MAX_FILES_PER_APPLICATION = 12
MAX_BYTES_PER_APPLICATION = 12 * 1024 * 1024
SAFE_NAME = re.compile(r"^[\w][\w .()-]{0,100}\.[A-Za-z]{3,4}$")


@dataclass(frozen=True)
class DocumentType:
    """A kind of document: its label, accepted formats, size limit and the verifier's checklist."""

    key: str
    label: str
    formats: tuple[str, ...]
    max_bytes: int
    checklist: tuple[tuple[str, str], ...]


DOCUMENT_TYPES = {
    kind.key: kind
    for kind in (
        DocumentType("ktp", _l("KTP elektronik"), ("jpg", "png", "pdf"), 1024 * 1024, (
            ("readable", _l("Terbaca jelas")), ("nik_matches", _l("NIK sama dengan data pendaftaran")),
            ("name_matches", _l("Nama sama dengan data pendaftaran")),
        )),
        DocumentType("ijazah", _l("Ijazah"), ("pdf",), 2 * 1024 * 1024, (
            ("readable", _l("Terbaca jelas")), ("qualification", _l("Kualifikasi pendidikan sesuai formasi")),
            ("legalised", _l("Dilegalisasi atau asli")),
        )),
        DocumentType("transkrip", _l("Transkrip nilai"), ("pdf",), 2 * 1024 * 1024, (
            ("readable", _l("Terbaca jelas")), ("gpa", _l("IPK sesuai data pendaftaran dan syarat formasi")),
        )),
        DocumentType("foto", _l("Pas foto"), ("jpg", "png"), 512 * 1024, (
            ("recent", _l("Foto terbaru, wajah terlihat jelas")),
        )),
        DocumentType("surat_lamaran", _l("Surat lamaran"), ("pdf",), 1024 * 1024, (
            ("signed", _l("Ditandatangani pelamar")), ("addressed", _l("Ditujukan kepada instansi yang benar")),
        )),
        DocumentType("surat_pernyataan", _l("Surat pernyataan"), ("pdf",), 1024 * 1024, (
            ("signed", _l("Ditandatangani pelamar")), ("complete", _l("Isi pernyataan lengkap")),
        )),
        DocumentType("str", _l("Surat tanda registrasi (tenaga kesehatan)"), ("pdf",), 1024 * 1024, (
            ("valid", _l("Masih berlaku")), ("readable", _l("Terbaca jelas")),
        )),
    )
}  # fmt: skip


class UploadRefused(ValueError):
    """An upload failed a check; ``code`` names the check for the translated message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def readable_reason(reason: str | None) -> str:
    """An application's stored decision reason as a person reads it: each "kind: why" part names
    the document by its label ("Surat lamaran: tidak ditandatangani"), not by its code. The code is
    what is stored (decided outside any request, in the reader's language later)."""
    parts = []
    for part in (reason or "").split("; "):
        key, sep, why = part.partition(": ")
        kind = DOCUMENT_TYPES.get(key) if sep else None
        parts.append(f"{kind.label}: {why}" if kind else part)
    return "; ".join(parts)


def detected_format(data: bytes) -> str | None:
    """The format whose magic number starts ``data``, or None."""
    for name, magics in SIGNATURES.items():
        if any(data.startswith(magic) for magic in magics):
            return name
    return None


def check_upload(kind: DocumentType, filename: str, data: bytes) -> str:
    """Check an upload against its document type; returns its format or raises UploadRefused."""
    name = filename or ""
    if "/" in name or "\\" in name or ".." in name or "\x00" in name or not SAFE_NAME.match(name):
        raise UploadRefused("name_unsafe")
    claimed = EXTENSIONS.get(name.rsplit(".", 1)[-1].lower())
    if claimed is None or claimed not in kind.formats:
        raise UploadRefused("format_not_allowed", formats=", ".join(f.upper() for f in kind.formats))
    if not data:
        raise UploadRefused("empty")
    if len(data) > kind.max_bytes:
        raise UploadRefused("too_large", limit=kind.max_bytes // 1024)
    if detected_format(data) != claimed:
        raise UploadRefused("content_mismatch", claimed=claimed.upper())
    return claimed


def store(directory: Path, data: bytes, fmt: str) -> tuple[str, str]:
    """Write ``data`` under a new random name in ``directory``; returns (name, sha256)."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(20)}.{fmt}"
    path = directory / name
    with open(path, "xb") as handle:
        handle.write(data)
    return name, hashlib.sha256(data).hexdigest()


def stored_path(directory: Path, stored_name: str) -> Path:
    """The path of a stored file; refuses any name that is not one we generated."""
    if not re.fullmatch(r"[0-9a-f]{40}\.(pdf|jpg|png)", stored_name):
        raise UploadRefused("name_unsafe")
    return directory / stored_name
