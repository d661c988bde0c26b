"""Flask-Limiter's before-request check is dropped when only decorated views are limited
(examserver/__init__.py ``_limit_only_where_declared``): the ping carries no limiter work, the
sign-in's own limit still holds (tests/examserver/test_auth.py), and a default limit keeps the hook."""

from __future__ import annotations

from examserver import _limit_only_where_declared
from examserver.extensions import limiter


def limiter_hook_installed(app) -> bool:
    return any(hook == limiter._check_request_limit for hook in app.before_request_funcs.get(None, []))


def test_no_before_request_check_when_only_views_are_limited(app):
    assert not limiter_hook_installed(app)


def test_a_default_limit_keeps_the_check(app, monkeypatch):
    hooks = list(app.before_request_funcs[None])
    app.before_request_funcs[None] = [*hooks, limiter._check_request_limit]
    monkeypatch.setattr(type(limiter.limit_manager), "default_limits", property(lambda self: ["1000 per minute"]))
    try:
        _limit_only_where_declared(app)
        assert limiter_hook_installed(app)
    finally:
        app.before_request_funcs[None] = hooks


def test_the_sign_in_limit_still_refuses(app, make_user):
    """Failed sign-ins past the account's limit are refused with 429, by the view's own decorator."""
    user = make_user()
    client = app.test_client()
    from tests.conftest import login

    codes = [login(client, user.email, "salah-sandi-123").status_code for _ in range(12)]
    assert 429 in codes, codes
