"""Candidate self-registration (NIK) and committee-issued password recovery."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from examserver.accounts import services
from examserver.accounts.identity import is_email, nik_problem, nik_sex, normalise_phone
from examserver.accounts.models import User
from itembank.refusal import Refusal
from tests.conftest import PASSWORD, csrf_token, login

VALID_NIK = "3171024508990001"  # DKI Jakarta, woman born 05-08-1999 (45 = 5 + 40), serial 0001


@pytest.mark.parametrize(
    ("nik", "problem"),
    [
        (VALID_NIK, None),
        ("3171020508990001", None),
        ("317102450899000", "nik_format"),
        ("31710245089900A1", "nik_format"),
        ("0971024508990001", "nik_region"),
        ("3100024508990001", "nik_region"),
        ("3171027508990001", "nik_birth_date"),  # day 75 - 40 = 35
        ("3171023013990001", "nik_birth_date"),  # month 13
        ("3171024508990000", "nik_serial"),
    ],
)
def test_nik_checks(nik, problem):
    assert nik_problem(nik) == problem


def test_sex_is_read_from_the_nik_day_of_birth():
    assert nik_sex(VALID_NIK) == "P"
    assert nik_sex("3171020508990001") == "L"
    assert nik_sex("3171027508990001") is None  # implausible NIK: no guess
    assert nik_sex(None) is None


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("0812 3456 7890", "+6281234567890"),
        ("+62 812-3456-789", "+628123456789"),
        ("6281234567", "+6281234567"),
        ("021 555 1234", None),
        ("0812", None),
        ("email@x.id", None),
    ],
)
def test_phone_numbers(raw, normal):
    assert normalise_phone(raw) == normal


def register(client, **overrides):
    data = {
        "full_name": "Rina Wulandari",
        "nik": VALID_NIK,
        "email": "rina@contoh.id",
        "phone": "0812 3456 7890",
        "password": "sandi-rina-1",
        "confirm": "sandi-rina-1",
    }
    data.update(overrides)
    return client.post("/daftar", data={**data, "csrf_token": csrf_token(client, "/daftar")})


def test_a_candidate_registers_then_signs_in(client, db_session):
    response = register(client)
    assert response.status_code == 303 and response.headers["Location"] == "/masuk"
    user = db_session.scalar(select(User).where(User.email == "rina@contoh.id"))
    assert (user.role, user.nik, user.phone) == ("candidate", VALID_NIK, "+6281234567890")
    assert login(client, "rina@contoh.id", "sandi-rina-1").headers["Location"] == "/peserta/"
    assert client.get("/peserta/").status_code == 200


def test_one_account_per_nik_and_bad_input_changes_nothing(app, client, db_session):
    register(client)
    other = app.test_client()
    before = db_session.scalar(select(func.count(User.id)))
    duplicate = register(other, email="lain@contoh.id")  # answered as a new one (tests/security/test_small_holes.py)
    assert duplicate.status_code == 303 and duplicate.headers["Location"] == "/masuk"
    bad_nik = register(other, email="lain@contoh.id", nik="3171027508990001")
    assert "Tanggal lahir pada NIK tidak valid." in bad_nik.get_data(as_text=True)
    bad_phone = register(other, email="lain@contoh.id", nik="3171020508990002", phone="12345")
    assert "Nomor ponsel tidak valid" in bad_phone.get_data(as_text=True)
    assert db_session.scalar(select(func.count(User.id))) == before


def test_committee_recovery_code_resets_the_password_once(app, client, make_user, db_session):
    candidate = make_user("candidate")
    candidate_device = app.test_client()
    login(candidate_device, candidate.email)
    login(client, make_user("committee").email)
    found = client.get(f"/panitia/peserta?q={candidate.email}").get_data(as_text=True)
    assert candidate.full_name in found
    token = csrf_token(client, f"/panitia/peserta?q={candidate.email}")
    page = client.post(
        f"/panitia/peserta/{candidate.id}/kode-pemulihan",
        data={"csrf_token": token, "reason": "Peserta lupa sandi, KTP diperiksa di loket"},
    )
    code = re.search(r'<p class="big">([A-Z2-9]{5}-[A-Z2-9]{5})</p>', page.get_data(as_text=True)).group(1)
    second = app.test_client()
    login(second, make_user("committee").email)
    pending = second.get("/panitia/peserta?q=rina").get_data(as_text=True)
    confirm = re.search(r'action="(/panitia/kode-pemulihan/\d+/konfirmasi\?q=rina)"', pending).group(1)
    confirmed = second.post(confirm, data={"csrf_token": csrf_token(second, "/panitia/peserta")})
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/panitia/peserta?q=rina"  # same search

    anonymous = app.test_client()

    def reset(code_text, password="sandi-baru-77"):
        return anonymous.post(
            "/lupa-sandi",
            data={
                "email": candidate.email,
                "code": code_text,
                "new": password,
                "confirm": password,
                "csrf_token": csrf_token(anonymous, "/lupa-sandi"),
            },
        )

    wrong = reset("AAAAA-BBBBB")
    assert wrong.status_code == 422 and "kode pemulihan salah" in wrong.get_data(as_text=True)
    assert reset(code.lower()).status_code == 303
    assert login(anonymous, candidate.email, "sandi-baru-77").status_code == 302
    assert candidate_device.get("/peserta/").status_code == 302  # old sessions ended
    assert reset(code, "sandi-lagi-88").status_code == 422  # used once only


def test_recovery_codes_expire(app, make_user, db_session):
    from examserver.accounts import recovery, services

    candidate = make_user("candidate")
    committee, second = make_user("committee"), make_user("committee")
    with app.app_context():
        code = recovery.request_code(db_session, candidate, requested_by=committee.id, reason="Lupa sandi, KTP dicek")
        reset = recovery.pending_requests(db_session)[0]
        recovery.confirm_code(db_session, reset, confirmed_by=second.id)
        later = services.utcnow() + timedelta(hours=25)
        with pytest.raises(Refusal, match="account.reset_code_invalid"):
            recovery.reset_password(
                db_session, email=candidate.email, code=code, new_password="sandi-baru-1", now=later
            )


def test_staff_accounts_get_no_recovery_codes(client, make_user):
    login(client, make_user("committee").email)
    admin = make_user("admin")
    token = csrf_token(client, "/panitia/peserta")
    assert client.post(f"/panitia/peserta/{admin.id}/kode-pemulihan", data={"csrf_token": token}).status_code == 404


def test_password_recovery_is_throttled(client, make_user):
    candidate = make_user("candidate")
    for _ in range(10):
        client.post(
            "/lupa-sandi",
            data={
                "email": candidate.email,
                "code": "XXXXX-XXXXX",
                "new": PASSWORD,
                "confirm": PASSWORD,
                "csrf_token": csrf_token(client, "/lupa-sandi"),
            },
        )
    blocked = client.post(
        "/lupa-sandi",
        data={
            "email": candidate.email,
            "code": "XXXXX-XXXXX",
            "new": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": csrf_token(client, "/lupa-sandi"),
        },
    )
    assert blocked.status_code == 429


#: A field's error as the ``field`` macro writes it, beside the field: (field id, message).
FIELD_ERROR = re.compile(r'<p class="error" id="([\w-]+)-error">([^<]*)</p>')


def field_errors(html: str) -> dict[str, str]:
    return dict(FIELD_ERROR.findall(html))


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("siti@contoh.go.id", True),
        ("a.b+ujian@x.co", True),
        ("siti@contoh", False),  # no dot in the domain
        ("siti@contoh.", False),
        ("a..b@x.co", False),
        ("siti@-contoh.id", False),
        ("siti@contoh.i", False),
        ("siti contoh@x.id", False),
        ("@contoh.id", False),
    ],
)
def test_email_addresses(address, valid):
    assert is_email(address) is valid


def test_the_service_refuses_an_email_without_a_dotted_domain(db_session):
    with pytest.raises(Refusal) as refused:
        services.register_candidate(
            db_session, email="siti@contoh", full_name="Siti", nik=VALID_NIK, phone="0812 3456 7890", password="x" * 10
        )
    assert refused.value.code == "account.invalid_email"


def test_every_mistake_is_shown_at_once_beside_its_field_with_what_was_typed(client, db_session):
    before = db_session.scalar(select(func.count(User.id)))
    mistakes = {"nik": "3171027508990001", "email": "siti@contoh", "phone": "12345", "confirm": "sandi-lain-1"}
    response = register(client, full_name="Siti Aminah", **mistakes)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html) == {
        "nik": "Tanggal lahir pada NIK tidak valid.",
        "email": "Email tidak valid.",
        "phone": "Nomor ponsel tidak valid. Contoh: 0812 3456 7890.",
        "confirm": "Kata sandi tidak sama.",
    }
    assert 'class="flash' not in html  # nothing only as a flash, away from its field
    for typed in ('value="Siti Aminah"', 'value="3171027508990001"', 'value="siti@contoh"', 'value="12345"'):
        assert typed in html
    assert db_session.scalar(select(func.count(User.id))) == before


def test_wtforms_own_messages_are_in_the_page_language(client):
    indonesian = field_errors(register(client, full_name="", nik="").get_data(as_text=True))
    assert indonesian["full_name"] == indonesian["nik"] == "Wajib diisi."
    client.post("/bahasa", data={"lang": "en", "csrf_token": csrf_token(client, "/daftar")})
    english = field_errors(register(client, full_name="").get_data(as_text=True))
    assert english["full_name"] == "Required."


def test_a_phone_shows_its_number_keyboards_for_the_nik_and_the_phone_number(client):
    html = client.get("/daftar").get_data(as_text=True)
    nik = re.search(r"<input[^>]*\bname=\"nik\"[^>]*>", html).group(0)
    phone = re.search(r"<input[^>]*\bname=\"phone\"[^>]*>", html).group(0)
    assert 'inputmode="numeric"' in nik
    assert 'type="tel"' in phone
