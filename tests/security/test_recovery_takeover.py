"""Account takeover through a committee recovery code (issue 20).

The attack: a committee member issues a recovery code for a candidate (a relative, say), sets a
new password at /lupa-sandi and signs in as the candidate, who is never told. Now a member with a
declared relationship is refused, a code works only after a second member confirms it (never the
requester), the candidate is told at the next sign-in, and every step is on the platform chain.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from sqlalchemy import func, select

from examserver.accounts.models import PasswordReset, User
from examserver.selection import services as selection
from proctoring import chain
from proctoring.models import LogEntry
from tests.conftest import PASSWORD, csrf_token, login
from tests.security.conftest import signed_in

NIK = "3171014501980007"
NEW_PASSWORD = "sandi-pengambil-alih"
CODE = re.compile(r'<p class="big">([A-Z2-9]{5}-[A-Z2-9]{5})</p>')
CONFIRM = re.compile(r'action="(/panitia/kode-pemulihan/\d+/konfirmasi)"')


@pytest.fixture
def candidate(app, db_session, make_user) -> User:
    user = make_user("candidate")
    db_session.get(User, user.id).nik = NIK
    db_session.commit()
    return user


def request_code(client, candidate: User, reason: str = "Peserta lupa sandi, KTP diperiksa di loket"):
    token = csrf_token(client, "/panitia/peserta")
    return client.post(f"/panitia/peserta/{candidate.id}/kode-pemulihan", data={"csrf_token": token, "reason": reason})


def confirm_url(client) -> str:
    match = CONFIRM.search(client.get("/panitia/peserta").get_data(as_text=True))
    assert match, "no confirm button on the committee page"
    return match.group(1)


def confirm(client, url: str):
    return client.post(url, data={"csrf_token": csrf_token(client, "/panitia/peserta")})


def use_code(app, candidate: User, code: str):
    visitor = app.test_client()
    data = {"email": candidate.email, "code": code, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    return visitor.post("/lupa-sandi", data={**data, "csrf_token": csrf_token(visitor, "/lupa-sandi")})


def password_still_works(app, candidate: User) -> bool:
    return login(app.test_client(), candidate.email, PASSWORD).status_code == 302


def resets(db_session) -> int:
    return db_session.scalar(select(func.count(PasswordReset.id)))


def test_a_member_related_to_the_candidate_gets_no_code(app, db_session, make_user, candidate):
    relative = make_user("committee")
    with app.app_context():
        selection.declare_conflict(db_session, relative, NIK, "Keponakan")
        db_session.commit()
    client = signed_in(app, relative)
    before = resets(db_session)
    response = request_code(client, candidate)
    assert response.status_code == 403
    assert CODE.search(response.get_data(as_text=True)) is None
    assert resets(db_session) == before
    # The search still finds the candidate, with no button to ask for a code.
    page = client.get(f"/panitia/peserta?q={candidate.email}").get_data(as_text=True)
    assert candidate.full_name in page and f"/panitia/peserta/{candidate.id}/kode-pemulihan" not in page


def test_an_unconfirmed_code_does_not_set_the_password(app, db_session, make_user, candidate):
    taker = signed_in(app, make_user("committee"))
    response = request_code(taker, candidate)
    assert response.status_code == 200
    code = CODE.search(response.get_data(as_text=True)).group(1)
    device = signed_in(app, candidate)
    refused = use_code(app, candidate, code)
    assert refused.status_code == 422
    assert "belum dikonfirmasi oleh anggota panitia kedua" in refused.get_data(as_text=True)
    assert password_still_works(app, candidate)
    assert device.get("/peserta/").status_code == 200  # nothing changed: the candidate stays signed in
    assert login(app.test_client(), candidate.email, NEW_PASSWORD).status_code != 302


def test_a_code_needs_a_reason(app, db_session, make_user, candidate):
    client = signed_in(app, make_user("committee"))
    before = resets(db_session)
    for reason in ("", "   ", "lupa"):
        response = request_code(client, candidate, reason)
        assert response.status_code == 422, reason
        assert CODE.search(response.get_data(as_text=True)) is None
    assert resets(db_session) == before


def test_the_requester_cannot_confirm_and_a_second_member_can(app, db_session, make_user, candidate):
    taker = signed_in(app, make_user("committee"))
    code = CODE.search(request_code(taker, candidate).get_data(as_text=True)).group(1)
    reset_id = db_session.scalar(select(PasswordReset.id).where(PasswordReset.user_id == candidate.id))
    url = f"/panitia/kode-pemulihan/{reset_id}/konfirmasi"
    assert CONFIRM.search(taker.get("/panitia/peserta").get_data(as_text=True)) is None  # no button for oneself
    assert confirm(taker, url).status_code == 403
    assert use_code(app, candidate, code).status_code == 422

    relative = make_user("committee")
    with app.app_context():
        selection.declare_conflict(db_session, relative, NIK, "Sepupu")
        db_session.commit()
    related = signed_in(app, relative)
    assert candidate.email not in related.get("/panitia/peserta").get_data(as_text=True)
    assert confirm(related, url).status_code == 403
    assert use_code(app, candidate, code).status_code == 422

    second = signed_in(app, make_user("committee"))
    assert confirm_url(second) == url
    assert confirm(second, url).status_code == 303
    assert use_code(app, candidate, code).status_code == 303
    assert login(app.test_client(), candidate.email, NEW_PASSWORD).status_code == 302


def test_the_candidate_is_told_once_at_the_next_sign_in(app, db_session, make_user, candidate):
    taker = signed_in(app, make_user("committee"))
    request_code(taker, candidate)
    second = signed_in(app, make_user("committee"))
    assert confirm(second, confirm_url(second)).status_code == 303
    confirmed_at = db_session.scalar(select(PasswordReset.confirmed_at).where(PasswordReset.user_id == candidate.id))
    when = format_datetime(confirmed_at, "medium", tzinfo=ZoneInfo("Asia/Jakarta"), locale="id")

    first = signed_in(app, candidate)
    page = first.get("/peserta/").get_data(as_text=True)
    assert f"Kode pemulihan akun Anda diterbitkan oleh panitia pada {when} WIB" in page
    again = signed_in(app, candidate)
    assert "Kode pemulihan akun Anda diterbitkan" not in again.get("/peserta/").get_data(as_text=True)


def test_requests_and_confirmations_are_on_the_platform_chain(app, db_session, make_user, candidate):
    runner = app.test_cli_runner()
    requester, confirmer = make_user("committee"), make_user("committee")
    reason = "Peserta datang ke loket, KTP cocok"
    code = CODE.search(request_code(signed_in(app, requester), candidate, reason).get_data(as_text=True)).group(1)
    second = signed_in(app, confirmer)
    confirm(second, confirm_url(second))
    assert use_code(app, candidate, code).status_code == 303

    entries = db_session.scalars(
        select(LogEntry).where(LogEntry.chain_id == chain.PLATFORM_CHAIN).order_by(LogEntry.position)
    ).all()
    records = {entry.record_type: entry.payload for entry in entries}
    assert records["recovery_request"]["candidate_id"] == candidate.id
    assert records["recovery_request"]["requested_by_id"] == requester.id
    assert records["recovery_request"]["reason"] == reason
    assert records["recovery_confirm"]["confirmed_by_id"] == confirmer.id
    assert records["recovery_use"]["candidate_id"] == candidate.id
    result = runner.invoke(args=["integrity", "verify"])
    assert result.exit_code == 0, result.output
    assert chain.verify(db_session).ok
