"""The HR and inspectorate forms show every mistake at once beside its field and keep what was typed
(issue 19): the browser does not stop a form at its first empty field, in its own language, before
the server has said all that is wrong."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from flask import url_for

from examserver.accounts.roles import ROLE_HOME
from tests.conftest import csrf_token, demo_client
from tests.demo_crawl import ACCOUNTS, crawl

#: Attributes with which a browser refuses to send a form by itself (maxlength only stops the typing).
BROWSER_CHECKS = {"required", "minlength", "pattern", "min", "max"}
BROWSER_TYPES = {"email", "url", "number"}


class PostForms(HTMLParser):
    """The POST forms of a page: (action, carries novalidate, the fields the browser would check)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, bool, list[str]]] = []
        self._open: tuple[str, bool, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "form" and (names.get("method") or "").lower() == "post":
            self._open = (names.get("action") or "", "novalidate" in names, [])
        elif self._open is not None and tag in ("input", "textarea", "select"):
            if BROWSER_CHECKS.intersection(names) or names.get("type") in BROWSER_TYPES:
                self._open[2].append(names.get("name") or "?")

    def handle_endtag(self, tag):
        if tag == "form" and self._open is not None:
            self.forms.append(self._open)
            self._open = None


def browser_checked_forms(html: str) -> list[str]:
    """The POST forms of ``html`` that the browser would stop before the server sees them."""
    parser = PostForms()
    parser.feed(html)
    return [
        f"{action or '(this page)'}: {fields}"
        for action, novalidate, fields in parser.forms
        if fields and not novalidate
    ]


def test_hr_and_inspectorate_forms_leave_their_checks_to_the_server(demo_app):
    stopped = {}
    for role in ("hr_officer", "inspector"):
        client = demo_client(demo_app, ACCOUNTS[role])
        with demo_app.test_request_context():
            starts = [url_for(ROLE_HOME[role])]
        pages = [page for page in crawl(demo_app, client, starts) if page.status == 200 and page.body]
        prefix = "/sdm/" if role == "hr_officer" else "/inspektorat/"
        assert len([page for page in pages if page.url.startswith(prefix)]) > 5
        for page in pages:
            if page.url.startswith(prefix) and (found := browser_checked_forms(page.body)):
                stopped[page.url] = found
    # The public forms HR runs: the consultation's comments and the service feedback.
    public = demo_app.test_client()
    for url in ("/sdm/konsultasi/CPNS-DEMO-2026", "/sdm/umpan-balik"):
        response = public.get(url, follow_redirects=True)
        if found := browser_checked_forms(response.get_data(as_text=True)):
            stopped[url] = found
    assert not stopped, stopped


def test_the_training_plan_shows_every_mistake_at_once_and_keeps_what_was_typed(demo_app):
    client = demo_client(demo_app, ACCOUNTS["hr_officer"])
    token = csrf_token(client, "/sdm/rencana-pelatihan")
    response = client.post(
        "/sdm/rencana-pelatihan",
        data={"csrf_token": token, "title": "", "budget": "250.000.000x", "grouping": "all", "max_programmes": "1,5"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for name in ("title", "budget", "max_programmes"):
        assert f'id="{name}-error"' in html, name
    assert re.search(r'name="budget"[^>]*value="250\.000\.000x"', html)
