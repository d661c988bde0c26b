"""The role x route matrix on real objects, and the security headers of every response.

Every route of ``app.url_map`` is requested by anonymous visitors and by a user of every role,
with the ids of objects that exist (so allowed pages really render) and, on state-changing
routes, a valid CSRF token (so a refusal comes from access control, not from CSRF). Routes added
later (the HR pages, for instance) are covered as soon as they declare their audience.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from examserver.accounts.roles import ROLES
from examserver.security import CONTENT_SECURITY_POLICY
from itembank.models import CalibrationRun, Item, ItemVersion
from tests.security.conftest import audience, build, routes, send, signed_in, token_of

SKIPPED = {"auth.logout", "auth.logout_everywhere"}  # would end the session the walk is using


def object_ids(db_session, world) -> dict[str, object]:
    """URL arguments naming objects that exist and belong to the signed-in user where that matters."""
    return {
        "session_id": world.exam_a.id,
        "schedule_id": world.exam_a.schedule_id,
        "application_id": world.application_a.id,
        "document_id": world.document_a.id,
        "decision_id": world.decision_b.id,
        "appeal_id": world.appeal_b.id,
        "period_id": world.period.id,
        "position_id": world.application_a.position_id,
        "code": world.period.code,
        "user_id": world.b.id,
        "item_id": db_session.scalars(select(Item.id)).first(),
        "run_id": db_session.scalars(select(CalibrationRun.id)).first(),
        "blueprint_id": _blueprint(db_session, world),
        "form_id": 1,
        "asset_id": 1,
        "announcement_id": 1,
        "position": 1,
        "rubric": "interview",
        "case_id": world.complaint.id,
        "evidence_id": world.evidence_id,
        "sanction_id": world.sanction.id,
    }


def item_stems(db_session) -> list[str]:
    stems = db_session.scalars(select(ItemVersion.stem)).all()
    assert len(stems) >= 6
    return stems


def _blueprint(db_session, world) -> int:
    from examserver.delivery.models import ExamSchedule

    return db_session.get(ExamSchedule, world.exam_a.schedule_id).blueprint_id


def assert_security_headers(response, url: str) -> None:
    headers = response.headers
    assert headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, url
    assert headers["X-Content-Type-Options"] == "nosniff", url
    assert headers["X-Frame-Options"] == "DENY", url
    assert headers["Referrer-Policy"] == "same-origin", url
    assert "X-Request-ID" in headers, url


class _Markup(HTMLParser):
    """Collects what a browser would run or style from a page: scripts, handlers, URLs, styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name.lower(): value or "" for name, value in attrs}
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in names.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=>")
            if name == "style":
                self.problems.append(f"<{tag} style=>")
            if name in URL_ATTRIBUTES and value.strip().lower().replace("\t", "").startswith(("javascript:", "data:t")):
                self.problems.append(f"<{tag} {name}={value[:40]}>")


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


def assert_no_inline_code(html: str, url: str) -> None:
    """Nothing the CSP would block or that would run inline: scripts only by src (or inert JSON data),
    no event-handler attributes, no javascript: URLs, no inline styles."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    assert not parser.problems, (url, parser.problems)


def test_the_policy_is_strict():
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "*" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("role", [None, *ROLES])
def test_role_route_matrix_on_real_objects(app, db_session, make_user, world, role):
    """Allowed: the view runs (never 401/403/500); denied: sign-in (anonymous) or 403. Every
    response carries the security headers; every HTML page is free of inline script."""
    users = {"candidate": world.a, "proctor": world.watcher, "committee": world.member}
    client = app.test_client() if role is None else signed_in(app, users.get(role) or make_user(role))
    token = token_of(client, "/masuk" if role is None else "/akun")
    ids = object_ids(db_session, world)
    # Item content is for item writers, reviewers and admins only (the committee sees blueprints and
    # forms, proctors and HR officers nothing of the bank); candidates see it only inside a sitting.
    stems = [] if role in ("item_writer", "reviewer", "admin", "candidate") else item_stems(db_session)
    pages = 0
    for rule, method in routes(app):
        if rule.endpoint in SKIPPED:
            continue
        url = build(rule, ids)
        response = send(client, url, method, token)
        status = response.status_code
        assert_security_headers(response, url)
        if role in audience(app, rule):
            assert status not in (401, 403) and status < 500, (role, method, url, status)
            if method == "GET" and status == 200 and response.mimetype == "text/html":
                assert_no_inline_code(response.get_data(as_text=True), url)
                assert response.headers["Cache-Control"] == "no-store" or rule.endpoint == "delivery.scoreboard", url
                assert not [stem for stem in stems if stem in response.get_data(as_text=True)], (role, url)
                pages += 1
        elif role is None and url.startswith("/api/"):
            assert status == 401 and response.get_json()["code"] == "login_required", (method, url)
        elif role is None:
            assert status == 302 and response.headers["Location"].startswith("/masuk?next="), (method, url, status)
        else:
            assert status == 403, (role, method, url, status)
    assert pages >= 5


def test_hsts_and_secure_cookies_in_production(config_class, make_user, db_session):
    from examserver import create_app
    from tests.conftest import login

    secure = create_app(config_class(SESSION_COOKIE_SECURE=True))
    client = secure.test_client()
    user = make_user("candidate")
    response = login(client, user.email)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("ujian_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
