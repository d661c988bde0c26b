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


#: Set on every response that does not set them itself.
FIXED_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)


def install_security_headers(app: Flask) -> None:
    """Add CSP, anti-framing, no-sniff, referrer and cache rules to every response."""

    fixed = list(FIXED_HEADERS)
    if app.config.get("SESSION_COOKIE_SECURE"):
        fixed.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))

    @app.after_request
    def set_headers(response):
        headers = response.headers
        # One pass over the response's own headers, then the missing ones appended (seven
        # setdefault calls each searched the whole list: a tenth of a ping).
        present = {name.lower() for name, _ in headers.items()}
        headers.extend([(name, value) for name, value in fixed if name.lower() not in present])
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
