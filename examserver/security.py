"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, g, request, session

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def install_security_headers(app: Flask) -> None:
    """Add CSP, anti-framing, no-sniff, referrer and cache rules to every response."""

    @app.after_request
    def set_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static" and "Cache-Control" not in headers:
            # Pages can carry personal data and CSRF tokens: never keep them in shared caches.
            headers["Cache-Control"] = "no-store"
        if _is_personal(app, response) and "no-store" not in response.cache_control:
            # A shared cache would hand this visitor's cookie or CSRF token to the next one.
            response.cache_control.public = False
            response.cache_control.private = True
        return response


def _is_personal(app: Flask, response) -> bool:
    """Whether ``response`` sets a cookie (the session cookie is added after this hook, so ask the
    session interface) or carries a CSRF token rendered for this visitor."""
    if "Set-Cookie" in response.headers:
        return True
    if app.config["WTF_CSRF_FIELD_NAME"] in g:
        return True
    interface = app.session_interface
    return not interface.is_null_session(session) and interface.should_set_cookie(app, session)
