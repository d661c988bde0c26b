"""CSRF: every state-changing route refuses a request without a valid token and changes nothing.

Routes come from ``app.url_map``; each is sent by a user its declaration allows, so the refusal
comes from the CSRF check and not from access control.
"""

from __future__ import annotations

from sqlalchemy import func, select

from examserver.accounts.roles import ROLES
from examserver.extensions import csrf, db
from tests.security.conftest import STATE_CHANGING, audience, routes, signed_in, token_of

SAMPLE = {"code": "SECPER", "rubric": "interview", "position": 1}
REFUSAL = "Formulir kedaluwarsa atau tidak sah"


def row_counts(db_session) -> tuple[int, ...]:
    """The number of rows of every table, in one query."""
    tables = sorted(db.metadata.tables.values(), key=lambda t: t.name)
    return tuple(
        db_session.execute(select(*[select(func.count()).select_from(t).scalar_subquery() for t in tables])).one()
    )


def url_of(rule) -> str:
    return rule.build({name: SAMPLE.get(name, 1) for name in rule.arguments})[1]


def assert_refused(response, url, method):
    assert response.status_code == 400, (method, url, response.status_code)
    if url.startswith("/api/"):
        assert response.get_json()["code"] == "csrf_failed", (method, url)
    else:
        assert REFUSAL in response.get_data(as_text=True), (method, url)


#: The only routes without a CSRF token: no browser session reaches them, a site server posts files
#: signed with its key (examserver/sites/link_views.py), and they answer nothing unsigned.
SIGNED_BY_SITE = {"site_link.report": "examserver.sites.link_views.report",
                  "site_link.results": "examserver.sites.link_views.results"}  # fmt: skip


def test_csrf_is_on_and_only_the_signed_site_routes_are_exempt(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    assert set(app.config.get("WTF_CSRF_METHODS", STATE_CHANGING)) >= set(STATE_CHANGING)
    assert csrf._exempt_views == set(SIGNED_BY_SITE.values()) and not csrf._exempt_blueprints


def test_the_signed_site_routes_refuse_anything_unsigned_and_change_nothing(app, db_session):
    client = app.test_client()
    before = row_counts(db_session)
    for endpoint in SIGNED_BY_SITE:
        url = url_of(next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint))
        for body in ({"data": {"x": "1"}}, {"json": {"package_id": "x"}}, {"data": b"\x1f\x8b garbage"}):
            response = client.post(url, **body)
            assert response.status_code == 422, (url, response.status_code)
            assert response.get_json()["code"] in ("sites.not_a_package", "sites.results_package_unknown")
    assert row_counts(db_session) == before


def test_every_state_changing_route_refuses_a_request_without_a_token(app, db_session, make_user):
    clients = {None: app.test_client()}
    for role in ROLES:
        clients[role] = signed_in(app, make_user(role))
    before = row_counts(db_session)
    checked = 0
    for rule, method in routes(app):
        if method not in STATE_CHANGING or rule.endpoint in SIGNED_BY_SITE:
            continue
        role = audience(app, rule)[0]
        client, url = clients[role], url_of(rule)
        # A form post without a token, a JSON body without the header, and a forged token.
        assert_refused(client.open(url, method=method, data={"x": "1"}), url, method)
        assert_refused(client.open(url, method=method, json={"client_id": "x", "saves": []}), url, method)
        forged = {"csrf_token": "IjAwMDAi.aaaa.bbbb"}
        assert_refused(
            client.open(url, method=method, data=forged, headers={"X-CSRFToken": "IjAwMDAi.aaaa"}), url, method
        )
        checked += 1
    assert checked >= 40
    assert row_counts(db_session) == before
    # Still signed in: sign-out without a token did not sign anyone out.
    assert clients["candidate"].get("/peserta/").status_code == 200


def test_a_token_from_another_session_is_refused(app, db_session, make_user, world):
    """Tokens are bound to the session: B's token does not work in A's session."""
    client_a, client_b = signed_in(app, world.a), signed_in(app, world.b)
    stolen = token_of(client_b)
    before = row_counts(db_session)
    url = f"/seleksi/lamaran/{world.application_a.id}/kirim"
    assert_refused(client_a.post(url, data={"csrf_token": stolen}), url, "POST")
    url = f"/api/sesi/{world.exam_a.id}/jawaban"
    body = {"client_id": "perangkat-uji-0001", "saves": [{"position": 1, "seq": 9, "response": "2"}]}
    assert_refused(client_a.post(url, json=body, headers={"X-CSRFToken": stolen}), url, "POST")
    assert row_counts(db_session) == before


def test_cross_site_post_with_a_valid_token_but_a_foreign_referer_is_refused_over_https(app, world):
    """Over HTTPS the Referer must be this site (WTF_CSRF_SSL_STRICT), as a second line."""
    client = signed_in(app, world.a)
    token = token_of(client)
    response = client.post(
        f"/seleksi/lamaran/{world.application_a.id}/kirim",
        data={"csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://jahat.example/form"},
    )
    assert response.status_code == 400
    same_site = client.post(
        f"/seleksi/lamaran/{world.application_a.id}/kirim",
        data={"csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": f"https://localhost/seleksi/lamaran/{world.application_a.id}"},
    )
    assert same_site.status_code == 303
