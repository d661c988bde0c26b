"""The users page: its filter lives in the address and survives actions, its forms show every
mistake beside its field, and disabling an account asks first."""

from __future__ import annotations

from sqlalchemy import func, select

from examserver.accounts.models import LoginSession, User
from tests.conftest import csrf_token
from tests.examserver.test_registration import field_errors


def test_the_first_load_shows_no_error_and_q_alone_filters(client, make_user, login_as):
    login_as("admin")
    wanted = make_user("candidate", full_name="Sulastri Wening")
    other = make_user("candidate", full_name="Bambang Irawan")
    first = client.get("/admin/pengguna").get_data(as_text=True)
    assert field_errors(first) == {} and "Not a valid choice" not in first
    found = client.get("/admin/pengguna?q=sulastri").get_data(as_text=True)
    assert wanted.email in found and other.email not in found
    assert 'value="sulastri"' in found  # the search box shows the filter in force


def test_an_action_goes_back_to_the_same_filter(client, make_user, login_as):
    login_as("admin")
    user = make_user("candidate", full_name="Sulastri Wening")
    page = client.get("/admin/pengguna?q=sulastri&role=candidate").get_data(as_text=True)
    action = f"/admin/pengguna/{user.id}/keluarkan?q=sulastri&amp;role=candidate"
    assert action in page  # the buttons carry the filter
    token = csrf_token(client, "/admin/pengguna")
    done = client.post(action.replace("&amp;", "&"), data={"csrf_token": token, "understood": "y"})
    assert done.status_code == 303 and done.headers["Location"] == "/admin/pengguna?q=sulastri&role=candidate"


def test_signing_out_everywhere_asks_naming_the_consequence_and_needs_the_box(client, make_user, login_as, db_session):
    """Ending every session signs a candidate out in the middle of an exam: one click must not do it."""
    login_as("admin")
    user = make_user("candidate")
    session = LoginSession(user_id=user.id, token_hash="a" * 64)
    db_session.add(session)
    db_session.commit()
    listed = client.get(f"/admin/pengguna?role={user.role}").get_data(as_text=True)
    assert (
        f'href="/admin/pengguna/{user.id}/keluarkan?role={user.role}"' in listed
    )  # a link to the question, not a button
    page = client.get(f"/admin/pengguna/{user.id}/keluarkan?q=x").get_data(as_text=True)
    assert "juga di tengah ujian" in page and user.email in page
    assert f'action="/admin/pengguna/{user.id}/keluarkan?q=x"' in page
    token = csrf_token(client, "/admin/pengguna")
    unticked = client.post(f"/admin/pengguna/{user.id}/keluarkan?q=x", data={"csrf_token": token})
    assert unticked.status_code == 422
    assert field_errors(unticked.get_data(as_text=True))["understood"].startswith("Centang kotak ini")
    db_session.expire_all()
    assert db_session.get(LoginSession, session.id).revoked_at is None
    ticked = client.post(f"/admin/pengguna/{user.id}/keluarkan?q=x", data={"csrf_token": token, "understood": "y"})
    assert ticked.status_code == 303 and ticked.headers["Location"] == "/admin/pengguna?q=x"
    db_session.expire_all()
    assert db_session.get(LoginSession, session.id).revoked_at is not None


def test_disabling_asks_naming_the_consequence_and_needs_the_box(client, make_user, login_as, db_session):
    login_as("admin")
    user = make_user("candidate")
    page = client.get(f"/admin/pengguna/{user.id}/nonaktifkan?q=x").get_data(as_text=True)
    assert "tidak dapat masuk lagi" in page and user.email in page
    token = csrf_token(client, "/admin/pengguna")
    unticked = client.post(f"/admin/pengguna/{user.id}/nonaktifkan?q=x", data={"csrf_token": token})
    assert unticked.status_code == 422
    assert field_errors(unticked.get_data(as_text=True))["understood"].startswith("Centang kotak ini")
    db_session.expire_all()
    assert not db_session.get(User, user.id).is_disabled
    ticked = client.post(f"/admin/pengguna/{user.id}/nonaktifkan?q=x", data={"csrf_token": token, "understood": "y"})
    assert ticked.status_code == 303 and ticked.headers["Location"] == "/admin/pengguna?q=x"
    db_session.expire_all()
    assert db_session.get(User, user.id).is_disabled


def test_creating_an_account_shows_every_mistake_beside_its_field(client, login_as, db_session):
    login_as("admin")
    before = db_session.scalar(select(func.count(User.id)))
    data = {"email": "siti@contoh", "full_name": "", "role": "nobody", "password": "pendek"}
    response = client.post("/admin/pengguna", data={**data, "csrf_token": csrf_token(client, "/admin/pengguna")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html) == {
        "email": "Email tidak valid.",
        "full_name": "Wajib diisi.",
        "role": "Pilihan tidak valid.",
        "password": "Kata sandi minimal 8 karakter.",
    }
    assert 'value="siti@contoh"' in html
    assert db_session.scalar(select(func.count(User.id))) == before
