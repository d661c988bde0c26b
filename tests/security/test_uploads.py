"""Upload attacks: wrong magic bytes, polyglots, oversized files, path names, images that lie about
their size, zip bombs and hostile XML in QTI packages. Each is refused and leaves nothing behind."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from sqlalchemy import func, select

from examserver.selection.models import ApplicationDocument
from itembank.assets import AssetError, check_image
from itembank.models import Item
from itembank.qti import parse_package
from tests.security.conftest import PDF, PNG, signed_in, token_of

HTML = b"<html><script>alert(document.cookie)</script></html>"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;" + HTML
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 100


def upload(client, application_id: int, doc_type: str, name: str, data: bytes):
    return client.post(
        f"/seleksi/lamaran/{application_id}/dokumen",
        data={"csrf_token": token_of(client, f"/seleksi/lamaran/{application_id}"), "doc_type": doc_type,
              "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("doc_type", "name", "data"),
    [
        ("ktp", "ktp.png", GIF),  # a GIF/HTML polyglot claiming PNG
        ("ktp", "ktp.png", JPEG),  # the wrong (if harmless) format for its name
        ("ktp", "ktp.pdf", HTML),
        ("ktp", "ktp.png", SVG),
        ("ijazah", "ijazah.pdf", ELF),
        ("ijazah", "ijazah.pdf.exe", PDF),
        ("ijazah", "ijazah.PDF\x00.exe", PDF),
        ("ijazah", "ijazah\u202efdp.exe", PDF),  # right-to-left override hiding .exe
        ("ijazah", "/etc/passwd.pdf", PDF),
        ("ijazah", "C:\\Windows\\ijazah.pdf", PDF),
        ("ijazah", "....//....//ijazah.pdf", PDF),
        ("ijazah", ".htaccess.pdf", PDF),
        ("ktp", "ktp.png", PNG + b"\x00" * (1024 * 1024)),  # over the 1 MB limit of a KTP
        ("ktp", "ktp.png", b""),
        ("foto", "foto.png", PNG),  # not a document this position asks for
    ],
)
def test_bad_documents_are_refused_and_nothing_is_stored(app, db_session, world, uploads, doc_type, name, data):
    client = signed_in(app, world.a)
    stored_before = sorted(p.name for p in uploads.iterdir())
    page = upload(client, world.application_a.id, doc_type, name, data)
    assert page.status_code == 200
    assert "Dokumen diunggah" not in page.get_data(as_text=True)
    db_session.expire_all()
    count = db_session.scalar(
        select(func.count(ApplicationDocument.id)).where(ApplicationDocument.application_id == world.application_a.id)
    )
    assert count == 1  # only the KTP uploaded when the world was made
    assert sorted(p.name for p in uploads.iterdir()) == stored_before


def test_a_pdf_polyglot_is_only_ever_downloaded_never_rendered(app, db_session, world, uploads):
    """A file that is a PDF by its bytes but carries HTML is accepted as a PDF, stored under a random
    name, and served as an attachment with its PDF type and nosniff, so no browser renders the HTML."""
    client = signed_in(app, world.a)
    polyglot = PDF + HTML
    page = upload(client, world.application_a.id, "ijazah", "ijazah.pdf", polyglot)
    assert "Dokumen diunggah" in page.get_data(as_text=True)
    db_session.expire_all()
    document = db_session.scalar(
        select(ApplicationDocument).where(
            ApplicationDocument.application_id == world.application_a.id, ApplicationDocument.doc_type == "ijazah"
        )
    )
    assert document.stored_name != "ijazah.pdf" and (uploads / document.stored_name).read_bytes() == polyglot
    response = client.get(f"/seleksi/lamaran/{world.application_a.id}/dokumen/{document.id}")
    assert response.status_code == 200 and response.data == polyglot
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_request_body_over_the_limit_is_refused_before_the_view(app, world):
    client = signed_in(app, world.a)
    huge = b"--x\r\n" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1)  # bytes, not a spooled file
    response = client.post(
        f"/seleksi/lamaran/{world.application_a.id}/dokumen", data=huge, content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 413


def png_claiming(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (png_claiming(100_000, 100_000), "image_dimensions"),  # a decompression bomb by its header
        (png_claiming(0, 10), "image_dimensions"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image_corrupt"),
        (JPEG[:12], "image_corrupt"),
        (GIF, "image_type"),
        (SVG, "image_type"),
        (HTML, "image_type"),
        (png_claiming(100, 100) + b"\x00" * (300 * 1024), "image_too_large"),
        (b"", "image_empty"),
    ],
)
def test_item_images_are_checked_by_their_bytes(data, code):
    with pytest.raises(AssetError) as refused:
        check_image(data)
    assert refused.value.code == code


def zip_of(entries: dict[str, bytes], *, encrypted: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    data = bytearray(buffer.getvalue())
    if encrypted:  # set the "encrypted" flag in the local and the central headers
        for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            offset = data.find(signature)
            data[offset + flag_at] |= 0x1
    return bytes(data)


def lying_zip() -> bytes:
    """A 21 MB entry whose headers claim 100 bytes (a bomb that lies about its size)."""
    data = bytearray(zip_of({"item.xml": b"<a/>" + b" " * (21 * 1024 * 1024)}))
    real = struct.pack("<I", 4 + 21 * 1024 * 1024)
    for offset in (i for i in range(len(data) - 4) if data[i : i + 4] == real):
        data[offset : offset + 4] = struct.pack("<I", 100)
    return bytes(data)


ITEM = b'<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="x"/>'
XXE = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
LAUGHS = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><l>&b;</l>'


@pytest.mark.parametrize(
    ("package", "code"),
    [
        pytest.param(lambda: zip_of({"bom.xml": b"\x00" * (21 * 1024 * 1024)}), "file_too_large", id="zip-bomb"),
        pytest.param(lying_zip, "zip_malformed", id="zip-bomb-lying-header"),
        pytest.param(lambda: zip_of({"../../evil.xml": ITEM}), "zip_unsafe_name", id="traversal"),
        pytest.param(lambda: zip_of({"/etc/evil.xml": ITEM}), "zip_unsafe_name", id="absolute"),
        pytest.param(lambda: zip_of({"C:/evil.xml": ITEM}), "zip_unsafe_name", id="drive"),
        pytest.param(lambda: zip_of({"item.xml": ITEM}, encrypted=True), "zip_encrypted", id="encrypted"),
        pytest.param(lambda: zip_of({"item.xml": XXE}), "xml_doctype", id="xxe"),
        pytest.param(lambda: zip_of({"item.xml": LAUGHS}), "xml_doctype", id="billion-laughs"),
        pytest.param(
            lambda: zip_of({"item.xml": b'<?xml version="1.0" encoding="UTF-7"?>' + ITEM}), "xml_encoding", id="utf7"
        ),
        pytest.param(lambda: zip_of({"item.xml": b"<a>" * 200 + b"</a>" * 200}), "xml_too_deep", id="deep"),
        pytest.param(lambda: b"PK\x03\x04" + b"\x00" * 64, "zip_malformed", id="truncated"),
    ],
)
def test_hostile_qti_packages_are_refused_and_import_nothing(app, db_session, make_user, taxonomy, package, code):
    drafts, errors = parse_package(package())
    assert drafts == [] and code in [error.code for error in errors]
    client = signed_in(app, make_user("item_writer"))
    before = db_session.scalar(select(func.count(Item.id)))
    response = client.post(
        "/bank-soal/impor",
        data={"csrf_token": token_of(client, "/bank-soal/impor"), "file": (io.BytesIO(package()), "paket.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 413, 422)
    assert "butir diimpor" not in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Item.id))) == before
    if "/etc/passwd" in package().decode("latin-1"):
        assert "root:" not in response.get_data(as_text=True)
