"""The cryptography of site packages: sealed content, the release code and signed envelopes."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from examserver.sites import sealing
from examserver.sites.sealing import SealError

NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
KNOWN_CODE = "01ABC-DEFGH-JKMNP-QRSTV"  # holds the 0 and 1 that O, I and L are read as


@pytest.fixture(scope="module")
def centre():
    private_pem, public_pem = sealing.new_site_key()
    return sealing.load_private(private_pem), public_pem


@pytest.fixture(scope="module")
def manifest():
    seal, key = sealing.new_seal("pkg-7")
    items = {str(n): sealing.seal(key, f"pkg-7|{n}".encode(), f"Soal {n}: berapa 2 + {n}?".encode()) for n in range(3)}
    return {
        "package_id": "pkg-7",
        "site": {"code": "SMA-3-JPR", "name": "SMA Negeri 3 Jayapura"},
        "expires_at": "2026-12-04T00:00:00Z",
        "seal": {"share": base64.b64encode(seal.share).decode(), "check": seal.check},
        "items": items,
    }


@pytest.fixture
def package(tmp_path, centre, manifest):
    path = tmp_path / "site.pkg"
    sealing.write_package(path, manifest, centre[0])
    return path


def refusal(call, *args, **kwargs) -> SealError:
    with pytest.raises(SealError) as caught:
        call(*args, **kwargs)
    return caught.value


# ------------------------------------------------------------------------------------ the code


def test_seal_and_unseal_round_trip():
    key = sealing.new_seal("pkg-1")[1]
    first = sealing.seal(key, b"pkg-1|v9", b"Ibu kota Papua?")
    second = sealing.seal(key, b"pkg-1|v9", b"Ibu kota Papua?")
    assert sealing.unseal(key, b"pkg-1|v9", first) == b"Ibu kota Papua?"
    assert len(base64.b64decode(first["nonce"])) == 12
    assert first["nonce"] != second["nonce"] and first["data"] != second["data"]
    assert b"Papua" not in base64.b64decode(first["data"])


def test_the_key_comes_back_from_the_share_and_the_code():
    seal, key = sealing.new_seal("pkg-1")
    assert len(key) == 32
    assert sealing.open_key(seal.share, seal.code, "pkg-1", seal.check) == key
    # the same share and code for another package id is another key
    other = sealing._derive_key(seal.share, seal.code, "pkg-2")
    assert other != key


def test_a_code_is_four_groups_of_five_crockford_characters():
    codes = {sealing.new_seal("pkg-1")[0].code for _ in range(20)}
    assert len(codes) == 20
    for code in codes:
        groups = code.split("-")
        assert [len(group) for group in groups] == [5, 5, 5, 5]
        assert set("".join(groups)) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        assert sealing.normalise_code(code) == code


def test_the_code_stays_out_of_the_seals_repr():
    seal = sealing.new_seal("pkg-1")[0]
    assert seal.code not in repr(seal) and seal.check in repr(seal)


def test_the_share_alone_with_another_code_is_refused():
    seal = sealing.new_seal("pkg-1")[0]
    another = sealing.new_seal("pkg-1")[0].code
    assert refusal(sealing.open_key, seal.share, another, "pkg-1", seal.check).code == "code_wrong"
    # the right code with another package's check (an altered package) is told apart the same way
    assert refusal(sealing.open_key, seal.share, seal.code, "pkg-1", "00" * 16).code == "code_wrong"


@pytest.mark.parametrize(
    "typed",
    [
        "01abc-defgh-jkmnp-qrstv",
        "01ABC DEFGH JKMNP QRSTV",
        "01ABCDEFGHJKMNPQRSTV",
        " 01-ABC--DEFGH-JKM-NP-QRSTV- ",
        "oiabc-defgh-jkmnp-qrstv",
        "OLABC DEFGH JKMNP QRSTV",
        "Ol abc\tdefgh\u2013jkmnp qrstv",  # an en dash, as a phone's keyboard makes of "--"
    ],
)
def test_a_typed_code_opens_as_a_person_types_it(monkeypatch, typed):
    monkeypatch.setattr(sealing, "_new_code", lambda: KNOWN_CODE)
    seal, key = sealing.new_seal("pkg-1")
    assert sealing.normalise_code(typed) == KNOWN_CODE
    assert sealing.open_key(seal.share, typed, "pkg-1", seal.check) == key


@pytest.mark.parametrize(
    ("typed", "params"),
    [
        ("01ABC-DEFGH-JKMNP-QRST", {"length": 19, "expected": 20}),
        ("01ABC-DEFGH-JKMNP-QRSTVW", {"length": 21, "expected": 20}),
        ("", {"length": 0, "expected": 20}),
        ("01ABC-DEFGH-JKMNP-QRSTU", {"character": "U"}),
        ("01ABC-DEFGH-JKMNP-QRST!", {"character": "!"}),
        ("01ABC-DEFGH-JKMNP-QRSTÄ", {"character": "Ä"}),
        ("01ABC_DEFGH_JKMNP_QRSTV", {"character": "_"}),
    ],
)
def test_a_code_of_the_wrong_length_or_characters_is_malformed(monkeypatch, typed, params):
    monkeypatch.setattr(sealing, "_new_code", lambda: KNOWN_CODE)
    seal = sealing.new_seal("pkg-1")[0]
    error = refusal(sealing.normalise_code, typed)
    assert (error.code, error.params) == ("code_malformed", params)
    assert refusal(sealing.open_key, seal.share, typed, "pkg-1", seal.check).code == "code_malformed"


# ------------------------------------------------------------------------------ sealed content


def test_content_moved_to_another_item_does_not_open():
    key = sealing.new_seal("pkg-1")[1]
    sealed = sealing.seal(key, b"pkg-1|v1", b"jawaban: C")
    assert refusal(sealing.unseal, key, b"pkg-1|v2", sealed).code == "content_altered"
    assert refusal(sealing.unseal, sealing.new_seal("pkg-1")[1], b"pkg-1|v1", sealed).code == "content_altered"


def test_every_flipped_byte_of_the_ciphertext_or_nonce_is_caught():
    key = sealing.new_seal("pkg-1")[1]
    sealed = sealing.seal(key, b"pkg-1|v1", b"jawaban: C")
    for part in ("nonce", "data"):
        raw = base64.b64decode(sealed[part])
        for position in range(len(raw)):
            changed = bytearray(raw)
            changed[position] ^= 0x01
            altered = {**sealed, part: base64.b64encode(changed).decode()}
            assert refusal(sealing.unseal, key, b"pkg-1|v1", altered).code == "content_altered"


@pytest.mark.parametrize(
    "sealed",
    [
        {},
        {"nonce": "AAAAAAAAAAAAAAAA"},
        {"nonce": 12, "data": "AAAA"},
        {"nonce": "not base64!", "data": "AAAA"},
        {"nonce": "AAAAAAAA", "data": "AAAAAAAAAAAAAAAAAAAAAAAA"},  # a 6-byte nonce
        {"nonce": "AAAAAAAAAAAAAAAA", "data": ""},
        None,
    ],
)
def test_a_malformed_sealed_text_is_content_altered(sealed):
    key = sealing.new_seal("pkg-1")[1]
    assert refusal(sealing.unseal, key, b"pkg-1|v1", sealed).code == "content_altered"


# ---------------------------------------------------------------------------------- signatures


def test_a_signature_verifies_only_with_its_key_and_data(centre):
    key, public_pem = centre
    signature = sealing.sign(key, b"data")
    assert sealing.verify(public_pem, b"data", signature)
    assert not sealing.verify(public_pem, b"datA", signature)
    assert not sealing.verify(sealing.new_site_key()[1], b"data", signature)


def test_verify_answers_false_for_anything_malformed(centre):
    key, public_pem = centre
    signature = sealing.sign(key, b"data")
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    # the same 64 bytes with the unused low bits of the last base64 character set
    last = signature[-3]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    sloppy = signature[:-3] + alphabet[alphabet.index(last) ^ 0b0001] + "=="
    assert base64.b64decode(sloppy) == base64.b64decode(signature)
    for pem, text in [
        (b"not a key", signature),
        (public_pem.decode(), signature),
        (ec_pem, signature),
        (public_pem, "not base64!"),
        (public_pem, signature[:-4]),
        (public_pem, ""),
        (public_pem, None),
        (public_pem, sloppy),
    ]:
        assert sealing.verify(pem, b"data", text) is False


def test_load_private_takes_an_ed25519_pem_only(centre):
    private_pem = sealing.new_site_key()[0]
    assert b"BEGIN PRIVATE KEY" in private_pem
    assert isinstance(sealing.load_private(private_pem.decode()), type(centre[0]))
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError):
        sealing.load_private(ec_pem)


# ------------------------------------------------------------------------------------ packages


def test_a_package_round_trips(tmp_path, centre, manifest, package):
    got = sealing.read_package(package, centre[1], now=NOW, site_code="SMA-3-JPR")
    assert got == manifest
    assert sealing.read_package(package.read_bytes(), centre[1], now=NOW, site_code=None) == manifest
    envelope = json.loads(gzip.decompress(package.read_bytes()))
    assert envelope["format"] == sealing.FORMAT
    # the sealed items open with the key from the package's share and the published code
    assert [path.name for path in tmp_path.iterdir()] == ["site.pkg"]  # no temporary file left


def test_writing_again_replaces_the_package(package, centre, manifest):
    sealing.write_package(package, {**manifest, "package_id": "pkg-8"}, centre[0])
    assert sealing.read_package(package, centre[1], now=NOW, site_code=None)["package_id"] == "pkg-8"
    assert [path.name for path in package.parent.iterdir()] == ["site.pkg"]


def test_a_failed_write_leaves_the_old_package_and_no_temporary_file(package, centre, manifest):
    before = package.read_bytes()
    with pytest.raises(TypeError):
        sealing.write_package(package, {**manifest, "bad": object()}, centre[0])
    assert package.read_bytes() == before
    assert [path.name for path in package.parent.iterdir()] == ["site.pkg"]


def test_every_byte_changed_in_the_json_is_refused(package, centre, manifest):
    text = gzip.decompress(package.read_bytes())
    codes = []
    for position in range(len(text)):
        changed = bytearray(text)
        changed[position] = ord("X") if text[position] != ord("X") else ord("Y")
        codes.append(
            refusal(sealing.read_package, gzip.compress(bytes(changed)), centre[1], now=NOW, site_code=None).code
        )
    assert set(codes) <= {"not_a_package", "format_unknown", "signature_invalid"}
    # a letter of an item's ciphertext, of the site or of a date: the signature no longer holds
    for needle in (b"Jayapur", b"2026-12-0", b'"check":"', b'"data":"'):
        at = text.index(needle) + len(needle)
        assert codes[at] == "signature_invalid", needle


def test_every_byte_changed_in_the_gzip_stream_is_refused_or_harmless(package, centre, manifest):
    """Only the header's time, flags for the compressor and system byte (RFC 1952) are not covered."""
    data = package.read_bytes()
    accepted = []
    for position in range(len(data)):
        changed = bytearray(data)
        changed[position] ^= 0x55
        try:
            got = sealing.read_package(bytes(changed), centre[1], now=NOW, site_code=None)
        except SealError as error:
            assert error.code in {"not_a_package", "signature_invalid"}
        else:
            assert got == manifest
            accepted.append(position)
    assert set(accepted) <= set(range(4, 10))


def test_a_lone_surrogate_or_a_repeated_key_is_refused(centre, manifest):
    envelope = {"format": sealing.FORMAT, "manifest": {**manifest, "x": "\ud800"}, "signature": "AAAA"}
    text = json.dumps(envelope).encode()
    assert refusal(sealing.read_signed, gzip.compress(text), sealing.FORMAT, centre[1]).code == "signature_invalid"
    repeated = b'{"format":"ujian-site-package/1","format":"ujian-site-package/1","manifest":{},"signature":""}'
    assert refusal(sealing.read_signed, gzip.compress(repeated), sealing.FORMAT, centre[1]).code == "not_a_package"


def test_a_package_signed_by_another_key_is_refused(tmp_path, centre, manifest):
    path = tmp_path / "forged.pkg"
    sealing.write_package(path, manifest, sealing.load_private(sealing.new_site_key()[0]))
    assert refusal(sealing.read_package, path, centre[1], now=NOW, site_code=None).code == "signature_invalid"


def test_a_package_refuses_at_its_expiry(package, centre):
    expires_at = datetime(2026, 12, 4, tzinfo=UTC)
    error = refusal(sealing.read_package, package, centre[1], now=expires_at, site_code=None)
    assert (error.code, error.params["expires_at"]) == ("package_expired", expires_at)
    assert sealing.read_package(package, centre[1], now=expires_at - timedelta(seconds=1), site_code=None)
    with pytest.raises(ValueError):
        sealing.read_package(package, centre[1], now=datetime(2026, 12, 3), site_code=None)


def test_a_package_refuses_before_its_not_before(tmp_path, centre, manifest):
    path = tmp_path / "early.pkg"
    sealing.write_package(path, {**manifest, "not_before": "2026-12-03T16:00:00+09:00"}, centre[0])
    error = refusal(sealing.read_package, path, centre[1], now=NOW - timedelta(minutes=1), site_code=None)
    assert (error.code, error.params["not_before"]) == ("package_not_yet_valid", NOW)
    assert sealing.read_package(path, centre[1], now=NOW, site_code=None)


@pytest.mark.parametrize("expires_at", [None, "besok", "2026-12-04T00:00:00", 20261204])
def test_a_signed_package_without_an_aware_expiry_is_not_a_package(tmp_path, centre, manifest, expires_at):
    path = tmp_path / "odd.pkg"
    sealing.write_package(path, {**manifest, "expires_at": expires_at}, centre[0])
    error = refusal(sealing.read_package, path, centre[1], now=NOW, site_code=None)
    assert (error.code, error.params) == ("not_a_package", {"field": "expires_at"})


def test_a_package_for_another_site_is_refused(tmp_path, package, centre, manifest):
    error = refusal(sealing.read_package, package, centre[1], now=NOW, site_code="SMP-1-WMN")
    assert (error.code, error.params) == ("wrong_site", {"expected": "SMP-1-WMN", "found": "SMA-3-JPR"})
    path = tmp_path / "nosite.pkg"
    sealing.write_package(path, {k: v for k, v in manifest.items() if k != "site"}, centre[0])
    error = refusal(sealing.read_package, path, centre[1], now=NOW, site_code="SMP-1-WMN")
    assert (error.code, error.params["found"]) == ("wrong_site", None)


def test_a_gzip_bomb_stops_at_the_limit(monkeypatch, centre):
    assert sealing.MAX_PACKAGE_BYTES == 200 * 1024 * 1024
    monkeypatch.setattr(sealing, "MAX_PACKAGE_BYTES", 2 * 1024 * 1024)
    deflate = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(64 * 1024)
    bomb = b"".join(deflate.compress(block) for _ in range(48)) + deflate.flush()  # 3 MB of zeros
    assert len(bomb) < 10_000
    error = refusal(sealing.read_signed, bomb, sealing.FORMAT, centre[1])
    assert (error.code, error.params) == ("too_large", {"limit": 2 * 1024 * 1024})


def test_a_file_over_the_limit_is_refused_unread(monkeypatch, tmp_path, package, centre):
    monkeypatch.setattr(sealing, "MAX_PACKAGE_BYTES", package.stat().st_size - 1)
    assert refusal(sealing.read_package, package, centre[1], now=NOW, site_code=None).code == "too_large"
    assert refusal(sealing.read_signed, package.read_bytes(), sealing.FORMAT, centre[1]).code == "too_large"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"PK\x03\x04 a zip file",
        b'{"format": "ujian-site-package/1"}',
        gzip.compress(mtime=0, data=b"not json"),
        gzip.compress(mtime=0, data=b"[1, 2]"),
        gzip.compress(mtime=0, data=b'{"format": "ujian-site-package/1", "manifest": [], "signature": ""}'),
        gzip.compress(mtime=0, data=b"\xff\xfe{}"),
        gzip.compress(mtime=0, data=b"[" * 100_000 + b"]" * 100_000),
        gzip.compress(mtime=0, data=b'{"manifest": {"a": NaN}}'),
    ],
    ids=["empty", "zip", "plain json", "gzip text", "gzip list", "manifest a list", "not utf-8", "deep", "NaN"],
)
def test_what_is_not_a_package_says_so(tmp_path, centre, content):
    path = tmp_path / "odd.pkg"
    path.write_bytes(content)
    assert refusal(sealing.read_package, path, centre[1], now=NOW, site_code=None).code == "not_a_package"


def test_a_truncated_or_extended_package_is_not_a_package(package, centre):
    data = package.read_bytes()
    for content in (data[:-1], data[:-9], data[: len(data) // 2], data + b"\0", data + data):
        assert refusal(sealing.read_signed, content, sealing.FORMAT, centre[1]).code == "not_a_package"


def test_results_use_the_same_envelope_with_their_own_format(tmp_path, centre):
    site_key, site_public = sealing.new_site_key()
    path = tmp_path / "results.gz"
    body = {"site": "SMA-3-JPR", "sessions": [{"id": 1, "answers": {"q1": "C"}}]}
    sealing.write_signed(path, sealing.RESULTS_FORMAT, body, sealing.load_private(site_key))
    assert sealing.read_signed(path, sealing.RESULTS_FORMAT, site_public) == body
    error = refusal(sealing.read_signed, path, sealing.FORMAT, site_public)
    assert (error.code, error.params) == (
        "format_unknown",
        {"expected": sealing.FORMAT, "found": sealing.RESULTS_FORMAT},
    )


def test_a_body_signed_as_one_format_is_not_accepted_as_another(tmp_path, centre):
    """The format is signed with the body: relabelling a signed file breaks its signature."""
    path = tmp_path / "results.gz"
    sealing.write_signed(path, sealing.RESULTS_FORMAT, {"expires_at": "2030-01-01T00:00:00Z"}, centre[0])
    envelope = json.loads(gzip.decompress(path.read_bytes()))
    relabelled = gzip.compress(json.dumps({**envelope, "format": sealing.FORMAT}).encode())
    assert refusal(sealing.read_package, relabelled, centre[1], now=NOW, site_code=None).code == "signature_invalid"
