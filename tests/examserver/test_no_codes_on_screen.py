"""Every page of every role on the demo, crawled once per role and language, read for two things
(issue 19): no internal code reaches a person, and every page fits a 360 px phone.

No code: every page, in Indonesian and in English, and the CSV and Excel exports people read, show
labels, never codes. Width: the Indonesian pages are opened in Chromium at 360 px and measured by
:func:`tests.examserver.test_pages_fit_a_phone.problems_of` (that module holds the measure and its
own test). Both read the same crawl: it is the costly part (about 6 s of CPU for all the roles).

A code is what a programmer types and a reader should not have to decode: ``snake_case``,
``UPPER_CASE``, a dotted code (``environment.noise``), a word in capitals that is no abbreviation a
reader knows, a cell that holds nothing but a registry code (``general``, ``online``), and Python
leaking into the page (``None``, ``<built-in method ...>``, ``object at 0x...``).

Real identifiers stay: codes people give things and type back (``SKD-2026-I``, ``SKD.TWK.NAS``,
``TWK-0001``, a receipt ``KYGHT-FXDW4-...``, a catalogue course ``LATSAR``), e-mail addresses, file
names, and what the page marks as literal text (``<code>``, ``<pre>``: a command to verify a
signature, the columns of an import format).
"""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from flask import render_template_string
from flask_babel import force_locale
from sqlalchemy import String, select

from examserver.extensions import db
from examserver.labels import LABELS
from tests.conftest import csrf_token, demo_client, served
from tests.demo_crawl import ACCOUNTS, Page, crawl, finished_sitting_starts, unreached, visible_text
from tests.examserver.test_number_pages import english_notation
from tests.examserver.test_pages_fit_a_phone import phone_page, problems_of, to_visit

#: Abbreviations a reader of these pages knows; a word in capitals outside this list is a code.
ABBREVIATIONS = frozenset(
    # recruitment and civil service
    "ASN CPNS PPPK SKD SKB TWK TIU TKP CAT SDM NIP NIK KTP IPK SKP WIB UTC DKI UUD NRI "
    # schools that host test sites (issue 17): senior, vocational and junior high school
    "SMA SMK SMP "
    # formats and units
    "CSV XLSX PDF PNG JPG JPEG ZIP XML JSON HTML QTI IMS MB KB IP PIN RFC OK USB "
    # psychometrics (the item bank's reviewers read these)
    "IRT SE EM AIC BIC DIF GPCM "
    # words written in capitals on purpose: a roman numeral, the verdict of a result ("LULUS ambang
    # batas", "PASSED the thresholds", "DID NOT PASS the thresholds": the finished sitting's scoreboard)
    "II LULUS TIDAK DID NOT PASS PASSED "
    # the English pages' abbreviations: times of day, grade point average, identity, HR, standard deviation
    "AM PM GPA ID HR SD".split()
)
#: Spans that are not codes though they look like them: e-mail addresses, web addresses, file names,
#: "e.g.", English sentences that start with "None", and identifiers made of capitals and digits
#: joined by "-" or "." (schedules, items, formations, competencies, receipts, complaints, codes).
NOT_CODES = re.compile(
    r"\S+@\S+|https?://\S+|\b[\w-]+\.(?:pdf|csv|sig|pem|png|jpe?g|xlsx|json|zip|xml)\b"
    r"|\b(?:e\.g|i\.e)\.|\bNone (?:yet|of|so far)\b"
    r"|\b[A-Z0-9]+(?:[-.][A-Z0-9]+)+\b"
)
CODE_LIKE = re.compile(
    r"<built-in|object at 0x|\bNone\b"  # Python leaking into the page
    r"|\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b"  # snake_case, UPPER_CASE
    r"|\b[a-z][a-z0-9]*(?:\.[a-z][a-z0-9_]*)+\b"  # dotted codes: environment.noise
    r"|\b[A-Z]{2,}\b"  # a word in capitals (abbreviations and identifiers are let through below)
)
#: What separates the pieces of a text a registry code could fill alone ("· submitted → Ditelaah").
PIECES = re.compile(r"\s*[·→:;,/|]\s*")


class Checker:
    """Finds code-like tokens in what a person reads, knowing the demo's real identifiers and the
    registry's codes and labels in the page's language."""

    def __init__(self, identifiers: set[str], codes: set[str], words: set[str]) -> None:
        self.identifiers = identifiers
        #: A code that is also a label in the page's language (``nama``, ``online``) or an
        #: abbreviation is no leak.
        self.codes = codes - words - ABBREVIATIONS

    def tokens(self, chunks: list[str]) -> list[str]:
        """The code-like tokens of text chunks, each once per chunk."""
        found = []
        for chunk in chunks:
            tokens = {piece for piece in PIECES.split(chunk) if piece in self.codes}
            tokens.update(match.group() for match in CODE_LIKE.finditer(NOT_CODES.sub(" ", chunk)))
            found += sorted(tokens - ABBREVIATIONS - self.identifiers)
        return found

    def page(self, html: str) -> list[str]:
        return self.tokens(visible_text(html))


def registry(locale: str) -> tuple[set[str], set[str]]:
    """The registry's text codes, and its labels in ``locale`` in lower case. The codes are English
    words, so only an Indonesian page shows one for sure as a leak: an English page may say
    "bribery" in a sentence (codes in capitals or with "_" or "." are found in both languages)."""
    codes = {code for labels in LABELS.values() for code in labels if isinstance(code, str) and locale == "id"}
    with force_locale(locale):
        words = {str(text).lower() for labels in LABELS.values() for text in labels.values()}
    return codes, words


def stored_identifiers() -> set[str]:
    """Every word of every value of a ``code`` column in the database: the codes people gave
    competencies, blueprints, schedules, formations and courses, which pages show next to names."""
    words: set[str] = set()
    for table in db.metadata.sorted_tables:
        column = table.columns.get("code")
        if column is not None and isinstance(column.type, String):
            for value in db.session.scalars(select(column)):
                words.update(re.split(r"[-.\s]", value or ""))
    return words


def checker(app, locale: str = "id") -> Checker:
    with app.test_request_context():
        return Checker(stored_identifiers(), *registry(locale))


# ---------------------------------------------------------------------------------------- exports
#: Exports read by programs, not people: the signed announcement CSV must stay byte for byte what was
#: signed (its page shows the same rows with readable headers and labels).
MACHINE_READABLE = {"selection.announcement_csv"}
SPREADSHEETS = {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
#: A column holding codes for programs is headed "... (kode)" / "... (code)", next to its label column.
CODE_COLUMN = re.compile(r"\((kode|code)\)\s*$")


def tables_of(response) -> list[list[list[str]]]:
    """The rows of a CSV, or of each sheet of a workbook."""
    if response.mimetype == "text/csv":
        return [list(csv.reader(io.StringIO(response.get_data(as_text=True))))]
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    return [
        [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    ]


def export_tokens(check: Checker, rows: list[list[str]]) -> list[str]:
    """Code-like tokens in an export's header and in its cells, except in columns headed as codes."""
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    readable = [n for n, name in enumerate(header) if not CODE_COLUMN.search(name)]
    return check.tokens(header) + check.tokens([row[n] for row in body for n in readable if n < len(row) and row[n]])


# ---------------------------------------------------------------------------------------- the crawl
#: Where people arrive from outside the site's links: a certificate's or a receipt's verification.
STARTS = ["/", "/ujian/verifikasi", "/ujian/tanda-terima"]
#: Views the crawl does not open, and why: not pages (JSON, images, scripts, health checks), pages a
#: signed-in person is sent away from, pages reached with a code from outside (a QR code, a typed
#: schedule code), and the edit forms the crawl does not fill. Each is covered by its own tests.
NOT_CRAWLED = {
    "main.index": "redirects to the role's home, which is crawled",
    "main.healthz": "not a page",
    "auth.login": "a signed-in person is sent home",
    "auth.register": "a signed-in person is sent home",
    "auth.reset_password": "a signed-in person is sent home",
    "delivery.ping": "not a page",
    "delivery.service_worker": "not a page",
    "delivery.scoreboard": "opened from a schedule code on a poster",
    "delivery.sitting_roots": "opened from a receipt's schedule",
    "delivery.receipt_proof_json": "JSON",
    "delivery_api.openapi": "JSON",
    "delivery_api.ended_sessions": "JSON",
    "delivery_api.get_all_items": "JSON",
    "delivery_api.get_item": "JSON",
    "delivery_api.item_image": "an image",
    "delivery_api.session_state": "JSON",
    "delivery_api.session_clock": "JSON",
    "selection.apply": "the demo candidate has applied already",
    "authoring.asset": "an image",
    "authoring.diff": "compares versions the demo items do not have",
    "authoring.edit_item": "the admin's items are all past editing",
    "authoring.confirm_publish_calibration": "no calibration waits for the admin",
    "proctor.room_data": "JSON",
    "hr.committee_profile_json": "JSON",
    "hr.cohort_png": "an image",
    "hr.talent_map_png": "an image",
    "hr.effectiveness_impact_png": "an image",
    "hr.effectiveness_validity_png": "an image",
}
ROLES = [None, *ACCOUNTS]


@pytest.fixture(scope="module")
def demo(own_demo):
    """A demo of this module's own: choosing a language saves it on the signed-in account."""
    return own_demo("no-codes")


def client_in(app, role: str | None, locale: str):
    """A client of ``role`` (None: signed out) that chose ``locale`` with the language switch."""
    client = demo_client(app, ACCOUNTS[role]) if role else app.test_client()
    client.post("/bahasa", data={"csrf_token": csrf_token(client, "/tentang"), "lang": locale, "next": "/"})
    return client


@pytest.fixture(scope="module")
def crawls() -> dict:
    """The Indonesian crawl of each role, ``(pages, client)``, kept by the code test for the width test."""
    return {}


def findings(app, role: str | None, locale: str) -> tuple[list[Page], list[tuple[str, str]], object]:
    """The pages ``role`` reaches in ``locale``, the (url, token) pairs of codes on them, and the client
    that walked them."""
    client = client_in(app, role, locale)
    pages = crawl(app, client, STARTS + finished_sitting_starts(app, role))
    assert f'<html lang="{locale}"' in pages[0].body, "the crawl is not in the language asked for"
    unread = [page.url for page in pages if page.mimetype == "text/html" and page.status == 200 and not page.text]
    assert not unread, f"the crawl read no text on {unread}"
    check = checker(app, locale)
    found = []
    for page in pages:
        if page.mimetype == "text/html" and page.status == 200:
            found += [(page.url, token) for token in check.tokens(list(page.text))]  # the crawl's reading
        elif page.mimetype in SPREADSHEETS and page.endpoint not in MACHINE_READABLE:
            for rows in tables_of(client.get(page.url)):
                found += [(page.url, token) for token in export_tokens(check, rows)]
    return pages, found, client


def indonesian(app, crawls: dict, role: str | None) -> tuple[list[Page], object]:
    """The Indonesian crawl of ``role``: the code test's, or made here when the width test runs alone."""
    if role not in crawls:
        pages, _found, client = findings(app, role, "id")
        crawls[role] = (pages, client)
    return crawls[role]


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_no_code_on_any_page_or_export_of_the_role(demo, crawls, role):
    reached = {}
    for locale in ("id", "en"):
        pages, found, client = findings(demo, role, locale)
        assert not found, f"{role} ({locale}): {sorted(set(found))}"
        reached[locale] = pages
        if locale == "id":
            crawls[role] = (pages, client)  # its session keeps Indonesian after the English sign-in
    # The same Indonesian pages hold no number written the English way ("76.964791", "400,000,000"):
    # checked on this crawl rather than on one more of its own (test_number_pages.english_notation).
    english = {page.url: numbers for page in reached["id"] if page.mimetype == "text/html" and page.status == 200
               if (numbers := english_notation(page.body))}  # fmt: skip
    assert not english, f"{role}: numbers written the English way: {english}"
    for locale in ("id", "en"):
        pages = reached[locale]
        forbidden = [page.url for page in pages if page.status == 403]
        assert not forbidden, f"{role} is linked to pages it may not open: {forbidden}"
    missed = unreached(demo, role, reached["id"]) - set(NOT_CRAWLED)
    assert not missed, f"{role}: pages nobody links to, not checked: {sorted(missed)}"


# ---------------------------------------------------------------------------------------- the width
@pytest.fixture(scope="module")
def live_demo(demo):
    """This module's demo served on a free local port in a thread, for Chromium."""
    with served(demo) as url:
        yield url


def html_pages(pages: list[Page]) -> list[Page]:
    return [page for page in pages if page.status == 200 and page.mimetype == "text/html"]


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_every_page_fits_a_phone(demo, live_demo, browser, crawls, role):
    """Each page the role reaches (the public ones in the signed-out run only), opened in Chromium
    at 360 px with the crawl's own session: nothing scrolls sideways and every table keeps its key
    column in view. The demo is read only here: no page's script may post anything."""
    pages, client = indonesian(demo, crawls, role)
    public = {page.url for page in html_pages(indonesian(demo, crawls, None)[0])}
    urls = to_visit(demo, role, html_pages(pages), public)
    assert len(urls) > 3, urls  # the crawl found the role's own pages, not only a sign-in page
    page = phone_page(browser, live_demo, client, demo)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method != "GET" else None)
    problems = []
    for url in urls:
        page.goto(live_demo + url, wait_until="domcontentloaded")
        problems += problems_of(page)
    page.context.close()
    assert not problems, "\n".join(problems)
    assert sent == []


# ---------------------------------------------------------------------------------------- the checker
PAGE = """<html lang="id"><body><h1>Keputusan</h1><script>var a_b = "X_Y";</script>
<table><tr><th>Nomor peserta</th><th>Status</th></tr>
<tr><td>SKD-2026-I-WLF6HV</td><td>{cell}</td></tr></table>
<p>Kirim ke admin@demo.id; TWK dan TIU dinilai dengan IRT.</p><code>sys.argv</code></body></html>"""


@pytest.mark.parametrize(
    "cell,tokens",
    [
        ("Lingkungan: bising", []),
        ("environment.noise", ["environment.noise"]),
        ("session_resumed", ["session_resumed"]),
        ("BELOW_THRESHOLD", ["BELOW_THRESHOLD"]),
        ("SELECTED", ["SELECTED"]),
        ("general", ["general"]),
        ("Dijawab 0/&lt;built-in method items of dict object at 0x7f&gt;", ["<built-in", "object at 0x"]),
        ("· created → Draf (versi 1)", ["created"]),
        ("None langkah EM", ["None"]),
    ],
)
def test_the_checker_reports_one_code_on_a_page(app, cell, tokens):
    check = checker(app)
    assert check.page(PAGE.format(cell=cell)) == tokens


def test_the_checker_reports_one_violating_label(app, monkeypatch):
    """One label that reads as a code, added to the registry, reaches the page and is reported."""
    page = PAGE.replace("{cell}", '{{ "paused"|label("session_event") }}')
    with app.test_request_context(), force_locale("id"):
        assert checker(app).page(render_template_string(page)) == []
        monkeypatch.setitem(LABELS, "session_event", {**LABELS["session_event"], "paused": "SESSION_PAUSED"})
        assert checker(app).page(render_template_string(page)) == ["SESSION_PAUSED"]


def test_an_export_may_keep_a_code_column_next_to_its_labels(app):
    check = checker(app)
    rows = [["Nomor peserta", "Kategori", "Kategori (kode)"], ["SKD-2026-I-WLF6HV", "umum", "general"]]
    assert export_tokens(check, rows) == []
    assert export_tokens(check, [["nomor_peserta", "Kategori"], ["A-1", "general"]]) == ["nomor_peserta", "general"]
