"""Every form on every page, sent back with hostile values by a user allowed to send it: never a 500.

The forms are found by parsing the pages each role can open (so new forms are covered), then each
is submitted with a valid CSRF token, first with every field set to a hostile value (a number too
large for any column, a negative number, an over-long text, an overflowing float, a NUL, astral
characters), then with one field at a time hostile and the others as the page filled them in.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from examserver import access
from tests.security.conftest import build, routes, signed_in
from tests.security.test_route_matrix import object_ids

SIGN_OUT = ("/keluar", "/akun/keluar-semua")
#: The first two are also sent one field at a time: a number too large for any column, and 6,000
#: characters of nested brackets (over-long text, and JSON too deep for the parser).
HOSTILE = ["9" * 30, "[" * 3000 + "]" * 3000, "-1", "x" * 5000, "1e309", "\x00", "𝕏" * 300]


class Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._current: dict | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._chosen = False

    def handle_data(self, data):
        if self._current is not None and self._textarea:
            self._current["fields"][self._textarea] += data

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "option" and self._current is not None and self._select:
            # The selected option, else the first: what the browser would send.
            if not self._chosen or "selected" in attrs:
                self._current["fields"][self._select] = attrs.get("value") or ""
                self._chosen = "selected" in attrs
            return
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._current = {"action": attrs.get("action") or "", "fields": {}, "token": None}
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "textarea", "select"):
            name = attrs.get("name")
            if not name or attrs.get("type") in ("submit", "file"):
                return
            if name == "csrf_token":
                self._current["token"] = attrs.get("value")
            else:
                self._current["fields"][name] = attrs.get("value") or ""
                self._textarea = name if tag == "textarea" else None
                if tag == "select":
                    self._select, self._chosen = name, False
                if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                    del self._current["fields"][name]

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        if tag == "textarea":
            self._textarea = None
        if tag == "select":
            self._select = None


# An admin may use every staff page (selection, proctoring, item bank, HR), so the candidate, an
# admin and a reviewer (whose item pages offer other workflow forms) reach every form there is.
@pytest.mark.parametrize("role", ["candidate", "reviewer", "admin"])
def test_hostile_values_in_every_form_are_never_a_server_error(app, db_session, make_user, world, role):
    users = {"candidate": world.a, "proctor": world.watcher, "committee": world.member}
    user = users.get(role) or make_user(role)
    client = signed_in(app, user)
    own = f"/pengguna/{user.id}/"  # an admin disabling or signing out their own account ends the walk
    ids = object_ids(db_session, world)
    seen = set()
    sent = 0
    adapter = app.url_map.bind("localhost")
    for rule, _method in routes(app, "GET"):
        if role not in access.audience(app, rule.endpoint):
            continue
        page = client.get(build(rule, ids))
        if page.status_code != 200 or page.mimetype != "text/html":
            continue
        parser = Forms()
        parser.feed(page.get_data(as_text=True))
        for form in parser.forms:
            action = form["action"] or build(rule, ids)
            if not action.startswith("/") or own in action or action in SIGN_OUT:
                continue
            # (A form may post to a place on its page, "...#judul-keputusan", to show its mistakes there.)
            route = adapter.match(action.split("#")[0].split("?")[0], method="POST", return_rule=True)[0].rule
            if route in seen:  # one form per route (the admin's list has one per account)
                continue
            seen.add(route)
            # Every field hostile at once, then each field alone with the others as the page filled them.
            variants = [{name: value for name in form["fields"]} for value in HOSTILE]
            variants += [{**form["fields"], name: value} for name in form["fields"] for value in HOSTILE[:2]]
            for data in variants:
                response = client.post(action, data={**data, "csrf_token": form["token"]})
                assert response.status_code < 500, (role, action, {k: v[:20] for k, v in data.items()})
                sent += 1
    assert client.get("/akun").status_code == 200  # still signed in: the walk saw every page of the role
    assert sent >= len(HOSTILE)


def test_an_admin_can_create_an_account_and_a_bad_email_is_refused(app, client, db_session, make_user):
    """Found by the form fuzzing: every valid create-account post was a 500 (wtforms' Email() needs
    a package that is not installed); the service checks the address instead."""
    from sqlalchemy import select

    from examserver.accounts.models import User
    from tests.conftest import csrf_token, login

    login(client, make_user("admin").email)
    for email, created in (("baru@contoh.id", True), ("bukan-email", False)):
        data = {"email": email, "full_name": "Pengguna Baru", "role": "proctor", "password": "rahasia-123"}
        response = client.post("/admin/pengguna", data={**data, "csrf_token": csrf_token(client, "/admin/pengguna")})
        assert response.status_code == (303 if created else 422), email  # refused: the form again, beside the field
        assert (db_session.scalar(select(User.id).where(User.email == email)) is not None) is created


@pytest.mark.parametrize("schedule", ["-1", "2147483647"])
def test_a_period_cannot_point_at_a_schedule_that_does_not_exist(app, db_session, world, schedule):
    """Found by the form fuzz: an unknown schedule id broke the foreign key with a 500."""
    from examserver.selection.models import SelectionPeriod

    client = signed_in(app, world.member)
    url = f"/seleksi/panitia/periode/{world.period.id}/ubah"
    parser = Forms()
    parser.feed(client.get(url).get_data(as_text=True))
    form = next(f for f in parser.forms if "rules" in f["fields"])
    response = client.post(url, data={**form["fields"], "schedule": schedule, "csrf_token": form["token"]})
    assert response.status_code == 200 and 'id="schedule-error"' in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(SelectionPeriod, world.period.id).schedule_id is None
    valid = client.post(url, data={**form["fields"], "csrf_token": form["token"]})
    assert valid.status_code == 303
