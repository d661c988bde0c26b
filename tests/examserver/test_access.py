"""Every route declares who may use it, and the declaration is what happens."""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from examserver import access, create_app
from examserver.accounts.roles import ROLES
from tests.conftest import login

SAMPLE_ARGUMENTS = {"integer": 1, "string": "contoh", "path": "css/app.css", "default": "contoh"}


def sample_url(rule: Rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__.replace("Converter", "").lower()
        values[name] = SAMPLE_ARGUMENTS.get(kind, SAMPLE_ARGUMENTS["default"])
    return rule.build(values)[1]


def test_every_route_declares_its_audience(app):
    assert access.undeclared_endpoints(app) == []


def test_removing_any_declaration_is_caught_and_fails_closed(app, config_class, db_session):
    """For every endpoint: strip its declaration, and both the audit and the request refuse it.

    One app serves every endpoint in turn: its declared view is put back before the next is
    stripped, so each round sees exactly one undeclared endpoint."""
    stripped = create_app(config_class())
    client = stripped.test_client()
    assert access.undeclared_endpoints(stripped) == []
    for rule in stripped.url_map.iter_rules():
        endpoint = rule.endpoint
        if endpoint == "static":
            continue
        view = stripped.view_functions[endpoint]

        def undeclared(*args, __view=view, **kwargs):
            return __view(*args, **kwargs)

        stripped.view_functions[endpoint] = undeclared
        try:
            assert access.undeclared_endpoints(stripped) == [endpoint]
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(sample_url(rule), method=method)
            assert response.status_code == 403, endpoint
        finally:
            stripped.view_functions[endpoint] = view


def test_static_is_declared_explicitly(app):
    assert access.rule_for(app, "static") is access.PUBLIC


def test_roles_decorator_rejects_unknown_roles():
    with pytest.raises(ValueError):
        access.roles("superuser")
    with pytest.raises(ValueError):
        access.roles()


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


@pytest.mark.parametrize("role", [None, *ROLES])
def test_role_route_matrix(app, client, make_user, role):
    """Every route x role: allowed as declared, otherwise 403 (signed in) or sign-in (anonymous)."""
    if role is not None:
        user = make_user(role)
        assert login(client, user.email).status_code == 302
    checked = 0
    for rule, method in _routes(app):
        if rule.endpoint in {"auth.logout", "auth.logout_everywhere"}:
            continue  # would end the session the matrix is using; covered in test_auth
        allowed = role in access.audience(app, rule.endpoint)
        response = client.open(sample_url(rule), method=method)
        if allowed:
            # Allowed: the view ran. A POST without a CSRF token is refused by CSRF (400), not access.
            assert response.status_code not in (401, 403), (rule.rule, method, role)
            if response.status_code == 302:
                assert "/masuk" not in response.headers["Location"] or rule.endpoint.startswith(("main.", "auth.")), (
                    rule.rule,
                    method,
                    role,
                )
        elif role is None and rule.rule.startswith("/api/"):
            assert response.status_code == 401, (rule.rule, method)
            assert response.get_json()["code"] == "login_required"
        elif role is None:
            assert response.status_code == 302, (rule.rule, method)
            assert response.headers["Location"].startswith("/masuk"), (rule.rule, method)
        else:
            assert response.status_code == 403, (rule.rule, method, role, response.status_code)
        checked += 1
    assert checked >= 15


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_forbidden_post_with_a_valid_token_is_403(app, client, make_user, role):
    """With CSRF satisfied, a role outside the audience still gets 403 on state-changing routes."""
    user = make_user(role)
    login(client, user.email)
    from tests.conftest import csrf_token

    token = csrf_token(client, "/akun")
    response = client.post("/admin/pengguna", data={"csrf_token": token, "email": "x@contoh.id"})
    assert response.status_code == 403


def test_api_paths_answer_401_json_for_anonymous(config_class):
    """Unauthenticated API calls get JSON, not an HTML redirect."""
    stripped = create_app(config_class())

    @access.roles("candidate")
    def probe():
        return "ok"

    stripped.add_url_rule("/api/probe", "probe", probe)
    response = stripped.test_client().get("/api/probe")
    assert response.status_code == 401
    assert response.get_json()["code"] == "login_required"


#: Issue 18 (positions at risk, success profiles): who may use each new route. Candidates and the
#: public are refused everywhere.
ISSUE_18_ROUTES = {
    "selection.at_risk_positions": {"committee", "admin"},
    "selection.at_risk_csv": {"committee", "admin"},
    "selection.at_risk_xlsx": {"committee", "admin"},
    "hr.success_profiles": {"hr_officer", "admin"},
    "hr.success_profile": {"hr_officer", "admin"},
    "hr.propose_success_profile": {"hr_officer", "admin"},
    "hr.accept_success_profile": {"hr_officer", "admin"},
    "hr.committee_profile_json": {"hr_officer", "admin", "committee"},
}


@pytest.mark.parametrize("endpoint", sorted(ISSUE_18_ROUTES))
def test_issue_18_routes_are_in_the_role_matrix(app, client, make_user, endpoint):
    assert set(access.audience(app, endpoint)) - {None} == ISSUE_18_ROUTES[endpoint]
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    method = "GET" if "GET" in rule.methods else "POST"
    anonymous = client.open(sample_url(rule), method=method)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/masuk")
    for role in ROLES:
        user = make_user(role)
        signed_in = app.test_client()
        assert login(signed_in, user.email).status_code == 302
        response = signed_in.open(sample_url(rule), method=method)
        if role in ISSUE_18_ROUTES[endpoint]:
            assert response.status_code not in (401, 403), role
        else:
            assert response.status_code == 403, role
