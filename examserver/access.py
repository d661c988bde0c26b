"""Who may use each route.

Every view declares its audience with one of the decorators below; a ``before_request`` hook
enforces the declaration and refuses any route that has none (fail closed). Tests walk
``app.url_map`` to prove every route is declared.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden

from examserver.accounts.roles import ROLES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccessRule:
    """The audience of a route: everyone, any signed-in user, or the listed roles."""

    public: bool = False
    roles: frozenset[str] = frozenset()

    @property
    def any_signed_in(self) -> bool:
        return not self.public and not self.roles

    def allows(self, role: str | None) -> bool:
        """Whether a user with ``role`` (None: anonymous) may use the route."""
        if self.public:
            return True
        if role is None:
            return False
        return not self.roles or role in self.roles


PUBLIC = AccessRule(public=True)
SIGNED_IN = AccessRule()
ATTRIBUTE = "access_rule"


def _declare(rule: AccessRule) -> Callable:
    def decorator(view: Callable) -> Callable:
        setattr(view, ATTRIBUTE, rule)
        return view

    return decorator


def public(view: Callable) -> Callable:
    """Anyone may use the route, signed in or not."""
    return _declare(PUBLIC)(view)


def signed_in(view: Callable) -> Callable:
    """Any signed-in user may use the route, whatever the role."""
    return _declare(SIGNED_IN)(view)


def roles(*names: str) -> Callable:
    """Only users with one of ``names`` may use the route."""
    unknown = set(names) - set(ROLES)
    if not names or unknown:
        raise ValueError(f"unknown or missing roles: {sorted(unknown) or names}")
    return _declare(AccessRule(roles=frozenset(names)))


def declare_endpoint(app: Flask, endpoint: str, rule: AccessRule) -> None:
    """Declare the audience of an endpoint whose view we do not write (e.g. ``static``)."""
    app.extensions.setdefault("access_rules", {})[endpoint] = rule


def rule_for(app: Flask, endpoint: str) -> AccessRule | None:
    """The declared access rule of ``endpoint``, or None if it has none."""
    declared = app.extensions.get("access_rules", {}).get(endpoint)
    if declared is not None:
        return declared
    view = app.view_functions.get(endpoint)
    return getattr(view, ATTRIBUTE, None) if view is not None else None


def undeclared_endpoints(app: Flask) -> list[str]:
    """Endpoints in ``app.url_map`` without an access declaration."""
    return sorted({rule.endpoint for rule in app.url_map.iter_rules() if rule_for(app, rule.endpoint) is None})


def wants_json() -> bool:
    """Whether the current request is an API call that expects JSON errors."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def enforce_access():
    """``before_request`` hook: apply the route's declaration, refusing undeclared routes. The
    signed-in identity is read without loading the account (:func:`examserver.auth.login.identity`)."""
    from examserver.auth.login import identity

    if request.endpoint is None:  # 404 and 405 are answered by routing
        return None
    rule = rule_for(current_app, request.endpoint)
    if rule is None:
        log.error("route without access declaration refused", extra={"endpoint": request.endpoint})
        raise Forbidden()
    if rule.public:
        return None
    signed_in = identity()
    if signed_in is None:
        if wants_json():
            return jsonify(code="login_required", message=_("Silakan masuk terlebih dahulu.")), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not rule.allows(signed_in.role):
        raise Forbidden()
    return None


def may_open(endpoint: str) -> bool:
    """Whether whoever reads the page may open ``endpoint``, so a page links only what its reader
    may follow (``{% if may_open("authoring.item") %}<a ...>{% endif %}``)."""
    from examserver.auth.login import identity

    rule = rule_for(current_app, endpoint)
    signed_in = identity()
    return rule is not None and rule.allows(signed_in.role if signed_in is not None else None)


def audience(app: Flask, endpoint: str) -> Iterable[str | None]:
    """Every role (None: anonymous) allowed on ``endpoint``; used by the access-matrix test."""
    rule = rule_for(app, endpoint)
    return [role for role in (None, *ROLES) if rule is not None and rule.allows(role)]
