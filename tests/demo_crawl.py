"""Every page a person of each role can reach on the demo, found the way a person finds them.

The crawl starts at the role's home page (and the public pages, and for the staff who read it the
demo's finished sitting with flags: :func:`finished_sitting_starts`), follows every same-site link
(``<a href>``, and forms with ``method="get"`` submitted as they are), and keeps at most
``PER_ENDPOINT`` URLs per view, so a list of 60 sessions costs two visits, not sixty. It never
follows sign-out links and never sends anything but GET, so it changes nothing but the demo's
reading traces (audit of downloads, last-seen times).

The pages found are what the issue-19 tests read: visible text for internal codes
(``test_no_codes_on_screen``) and, on the same crawl, width at 360 px in Chromium
(``test_every_page_fits_a_phone``, in the same module).
:func:`unreached` names the GET views of a role that the crawl did not reach, so a page nobody
links to is seen, not silently skipped.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from examserver import access

#: The demo's accounts, one per role (kandidat1 has sat the demo sittings and applied).
ACCOUNTS = {
    "candidate": "kandidat1@demo.id",
    "item_writer": "penulis@demo.id",
    "reviewer": "reviewer@demo.id",
    "proctor": "pengawas@demo.id",
    "committee": "panitia@demo.id",
    "hr_officer": "hr@demo.id",
    "inspector": "inspektorat@demo.id",
    "admin": "admin@demo.id",
}
PER_ENDPOINT = 2
#: Views a crawl must not open: they end the session it walks with.
NEVER = {"auth.logout", "auth.logout_everywhere", "static"}


#: Elements whose text is not read as prose: scripts, and text the page shows as literal on purpose.
LITERAL = {"script", "style", "template", "code", "pre", "kbd", "samp", "textarea"}


@dataclass(frozen=True)
class Page:
    url: str
    endpoint: str
    status: int
    mimetype: str
    body: str  #: the decoded body of an HTML page, else ""
    text: tuple[str, ...] = ()  #: what a person reads on an HTML page: :func:`visible_text`


class _Reader(HTMLParser):
    """One pass over a page for what the crawl and its readers need: the GET targets (links, and GET
    forms with the values their fields start with), and the text nodes a person sees, each stripped
    (buttons' values included, literal text such as ``<code>`` left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.targets: list[str] = []
        self.chunks: list[str] = []
        self._form: tuple[str, list[tuple[str, str]]] | None = None
        self._literal = 0

    def handle_starttag(self, tag, attrs):
        names = {name: value or "" for name, value in attrs}
        if tag in LITERAL:
            self._literal += 1
        elif tag == "a" and names.get("href") and "download" not in names:
            self.targets.append(names["href"])
        elif tag == "form" and names.get("method", "get").lower() == "get":
            self._form = (names.get("action", ""), [])
        elif tag == "input" and names.get("type") in ("submit", "button") and names.get("value"):
            self.chunks.append(names["value"])
        if self._form is not None and tag in ("input", "select") and names.get("name"):
            kind = names.get("type", "text")
            if kind not in ("submit", "button", "checkbox", "radio") or "checked" in names:
                self._form[1].append((names["name"], names.get("value", "")))

    def handle_endtag(self, tag):
        if tag in LITERAL:
            self._literal -= 1
        elif tag == "form" and self._form is not None:
            action, fields = self._form
            self.targets.append(action + ("?" + urlencode(fields) if fields else ""))
            self._form = None

    def handle_data(self, data):
        if not self._literal and data.strip():
            self.chunks.append(data.strip())


def visible_text(html: str) -> list[str]:
    """The text nodes a person sees on ``html``, each stripped."""
    reader = _Reader()
    reader.feed(html)
    return reader.chunks


def _endpoint(adapter, path: str) -> str | None:
    try:
        return adapter.match(path, method="GET")[0]
    except RequestRedirect as redirect:  # a trailing slash: the view is the one redirected to
        return _endpoint(adapter, urlsplit(redirect.new_url).path)
    except (NotFound, MethodNotAllowed):
        return None


def crawl(app, client, starts: list[str], per_endpoint: int = PER_ENDPOINT) -> list[Page]:
    """Breadth first from ``starts``: every same-site GET page the client can reach by links, at
    most ``per_endpoint`` of each view (the staff-page benchmark takes more); each start is opened
    whatever its view's count."""
    adapter = app.url_map.bind("localhost")
    wanted = set(starts)  #: a start is opened even past its view's quota (finished_sitting_starts)
    seen: set[str] = set()
    visits: Counter[str] = Counter()
    queue = deque(starts)
    pages: list[Page] = []
    while queue:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or url in seen:
            continue
        seen.add(url)
        endpoint = _endpoint(adapter, parts.path)
        if endpoint is None or endpoint in NEVER or (visits[endpoint] >= per_endpoint and url not in wanted):
            continue
        visits[endpoint] += 1
        response = client.get(url)
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append(urljoin(url, response.headers["Location"]))
            continue
        html = response.mimetype == "text/html"
        body = response.get_data(as_text=True) if html else ""
        reader = _Reader()
        if html:
            reader.feed(body)
        pages.append(Page(url, endpoint, response.status_code, response.mimetype, body, tuple(reader.chunks)))
        if html and response.status_code == 200:
            for target in reader.targets:
                target = urldefrag(urljoin(url, target)).url
                queue.append(target[len("http://localhost") :] if target.startswith("http://localhost") else target)
    return pages


def finished_sitting_starts(app, role: str | None) -> list[str]:
    """Where ``role`` reads the demo's finished sitting with planted irregularities
    (:mod:`examserver.demo.finished`): its live room, review queue, irregularities CSV and the
    timelines of the planted sessions for the proctor and the administrator, its schedule page for
    the committee and the administrator. Two pages of a view rarely include them (the other
    sittings come first), and they are the pages richest in flags, evidence and numbers."""
    from flask import url_for
    from sqlalchemy import select

    from examserver.accounts.models import User
    from examserver.delivery.models import ExamSchedule, ExamSession
    from examserver.demo import finished
    from examserver.extensions import db

    with app.test_request_context():
        schedule = db.session.scalar(select(ExamSchedule.id).where(ExamSchedule.code == finished.CODE))
        if schedule is None:
            return []
        starts = []
        if role in ("proctor", "admin"):
            planted = db.session.scalars(
                select(ExamSession.id)
                .join(User, User.id == ExamSession.candidate_id)
                .where(
                    ExamSession.schedule_id == schedule,
                    User.email.in_((finished.COPIER, finished.SOURCE, finished.WANDERER, finished.RUSHER)),
                )
                .order_by(ExamSession.id)
            )
            starts += [
                url_for("proctor.room", schedule_id=schedule),
                url_for("proctor.queue", schedule_id=schedule),
                url_for("proctor.export_irregularities", schedule_id=schedule),
                *(url_for("proctor.timeline", session_id=session) for session in planted),
            ]
        if role in ("committee", "admin"):
            starts.append(url_for("delivery.schedule_detail", schedule_id=schedule))
        return starts


def unreached(app, role: str | None, pages: list[Page]) -> set[str]:
    """The HTML GET views ``role`` may open that the crawl did not reach."""
    reached = {page.endpoint for page in pages}
    views = set()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in NEVER and role in access.audience(app, rule.endpoint):
            views.add(rule.endpoint)
    return views - reached
