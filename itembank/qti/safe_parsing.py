"""Hardened reading of untrusted XML and ZIP files.

XML with a DOCTYPE or ENTITY declaration is refused before parsing (no entity expansion, no
external entities: XXE and "billion laughs"), only UTF-8 is accepted, sizes and nesting depth are
capped, and ZIP entries with absolute or ``..`` names, encryption, or more than 20 MB uncompressed
in total are refused.
"""

from __future__ import annotations

import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile

from itembank.transfer import MAX_ROWS, RowError, row_error

MAX_BYTES = 20 * 1024 * 1024
MAX_FILES = MAX_ROWS + 100
MAX_DEPTH = 64
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class Refused(Exception):
    """A file cannot be read; carries the error code and a detail for the message.

    Never leaves :mod:`itembank.qti`: :func:`itembank.qti.parse_package` turns it into a RowError.
    """

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


def parse_xml(data: bytes) -> ET.Element:
    """Parse untrusted XML safely, or raise ``Refused``.

    Refuses, before the parser sees them: more than 20 MB, text that is not UTF-8 (or declares
    another encoding, which could hide a declaration from this check), and any DOCTYPE or ENTITY
    declaration (so no entity is ever expanded or fetched). Nesting deeper than 64 is refused
    after parsing.
    """
    if len(data) > MAX_BYTES:
        raise Refused("file_too_large", "(at most 20 MB)")
    declared = _DECLARATION.match(data)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii"):
        raise Refused("xml_encoding")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Refused("xml_encoding", f"(byte {error.start + 1})") from None
    if _FORBIDDEN.search(text):
        raise Refused("xml_doctype")
    parser = ET.XMLParser()
    try:
        parser.feed(text.encode("utf-8"))
        root = parser.close()
    except ET.ParseError as error:
        line, column = error.position
        raise Refused("xml_malformed", f"(line {line}, column {column})") from None
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Refused("xml_too_deep")
        stack.extend((child, depth + 1) for child in element)
    return root


def safe_name(name: str) -> bool:
    """Whether a ZIP entry or manifest href stays inside the package (relative, no ``..``)."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return False
    return ".." not in name.split("/")


def read_zip(data: bytes) -> tuple[dict[str, bytes], list[RowError]]:
    """The files of a ZIP archive by normalised name, or no files and the reasons (row 0)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        return {}, [row_error(0, "file", "zip_malformed")]
    if len(infos) > MAX_FILES:
        return {}, [row_error(0, "file", "zip_too_many_files")]
    errors = []
    for info in infos:
        if not safe_name(info.filename):
            errors.append(row_error(0, "file", "zip_unsafe_name", info.filename[:200]))
        elif info.flag_bits & 0x1:
            errors.append(row_error(0, "file", "zip_encrypted", info.filename[:200]))
    if errors:
        return {}, errors
    if sum(info.file_size for info in infos) > MAX_BYTES:
        return {}, [row_error(0, "file", "file_too_large", detail="(at most 20 MB unpacked)")]
    files: dict[str, bytes] = {}
    budget = MAX_BYTES
    try:
        for info in infos:
            if info.is_dir():
                continue
            with archive.open(info) as stream:
                content = stream.read(budget + 1)  # the header's size may lie; count what comes out
            budget -= len(content)
            if budget < 0:
                return {}, [row_error(0, "file", "file_too_large", detail="(at most 20 MB unpacked)")]
            files[posixpath.normpath(info.filename)] = content
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return {}, [row_error(0, "file", "zip_malformed")]
    return files, []
