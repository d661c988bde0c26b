"""Benchmark: server time of every staff page of the demo (issue 19: "fast staff pages").

The demo is what ``make run`` serves (``flask demo --if-empty``), seeded into a temporary SQLite
file, or a copy of one given with ``--database``. For every staff role (each demo account of
``tests/demo_crawl.ACCOUNTS`` but the candidate's) the crawl of the issue-19 tests, without its
cap of two pages per view, finds every GET page the role reaches by links and requests each once.
Then, per view, the page whose first request took the most CPU (the finished sitting's review
queue rather than an empty one's) is requested ``--rounds`` times more through the Flask test
client, in process, one at a time. The table gives per view that page, how many pages of the view
the role reached, the wall time of its first request (what a page computes once and stores, the
forensic statistics of a closed sitting, is paid there, as by the first visitor on a server), the
median and p90 server time of the later requests (wall clock inside the app's WSGI call, its
response body included; the test client's own work is not the server's), their median CPU time,
the SQL statements of one request (``before_cursor_execute``; an executemany is one) and the
status. Each role's line before the table names the GET views its crawl did not reach (sign-in
pages, downloads no page links to); the images a page shows and the data its script polls (the
live room's refresh) are timed with the pages, though the crawl does not follow them.

Run from the project root::

    .venv/bin/python benchmarks/staff_pages.py                 # seeds a demo (about a minute)
    .venv/bin/python benchmarks/staff_pages.py --check         # exit 1 if a median is over 300 ms
    .venv/bin/python benchmarks/staff_pages.py --keep /tmp/demo.db    # keep the seeded demo, and
    .venv/bin/python benchmarks/staff_pages.py --database /tmp/demo.db  # time a copy of it again
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from examserver import create_app  # noqa: E402
from examserver.config import Config  # noqa: E402
from examserver.extensions import db  # noqa: E402
from tests.demo_crawl import ACCOUNTS, Page, crawl, unreached  # noqa: E402

#: The issue's bound on a staff page's median server time.
BUDGET_MS = 300.0
STAFF_ROLES = [role for role in ACCOUNTS if role != "candidate"]
UPLOADS = Path(tempfile.gettempdir()) / f"examserver-bench-uploads-{os.getuid()}"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
#: What a page fetches by itself, which the crawl (links and forms) does not follow: its images
#: (the HR charts) and the data its script polls (the live room's refresh).
FETCHED = re.compile(r'(?:<img\s[^>]*\bsrc|\bdata-source)="(/[^"]*)"')


@dataclass(frozen=True)
class Timing:
    """One staff page: the role's slowest URL of a view, timed ``rounds`` times: server wall and
    CPU milliseconds, the statements and status of the last request; ``first_ms``, that URL's
    first request (in the crawl: computing and storing what later requests read), and how many
    URLs of the view the role reached."""

    role: str
    endpoint: str
    url: str
    urls: int
    first_ms: float
    wall_ms: np.ndarray
    cpu_ms: np.ndarray
    statements: int
    status: int


class Meter:
    """Server time and SQL statements of the request in flight; with ``log``, the wall and CPU
    milliseconds of every request by its path and query (the crawl's requests)."""

    def __init__(self, app) -> None:
        self.statements = 0
        self.wall = 0.0
        self.cpu = 0.0
        self.log: dict[str, tuple[float, float]] | None = None
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._statement)
        inner = app.wsgi_app

        def timed(environ, start_response):
            wall, cpu = time.perf_counter(), time.process_time()
            body = list(inner(environ, start_response))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            self.wall += wall
            self.cpu += cpu
            if self.log is not None:
                self.log[request_key(environ["PATH_INFO"], environ.get("QUERY_STRING", ""))] = (wall * 1000, cpu * 1000)
            return body

        app.wsgi_app = timed

    def _statement(self, *args, **kwargs) -> None:
        self.statements += 1

    def reset(self) -> None:
        self.statements, self.wall, self.cpu = 0, 0.0, 0.0


def request_key(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def signing_key(database: Path) -> str:
    """The demo's announcement signing key (PEM), kept beside its database: the seed signs the
    demo's announcements with it, and the pages verify them."""
    path = database.with_name(database.name + ".key.pem")
    if not path.exists():
        key = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(key)
    return path.read_text()


def bench_app(database: Path, folder: str):
    """The app as ``make run`` configures it (production cost of everything but the rate limiter,
    kept in memory so the benchmark's many sign-ins are not refused), on ``database``."""
    config = type(
        "BenchConfig",
        (Config,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "INTEGRITY_ANCHOR_FILE": f"{folder}/anchors.txt",
            "SELECTION_SIGNING_KEY": signing_key(database),
            "RATELIMIT_STORAGE_URI": "memory://",
            "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
            # The demo's documents and evidence: outside the project's instance folder, and kept
            # between runs for a demo reused with --database.
            "SELECTION_UPLOAD_DIR": str(UPLOADS / "selection"),
            "OVERSIGHT_UPLOAD_DIR": str(UPLOADS / "oversight"),
        },
    )
    app = create_app(config)
    null = open(os.devnull, "w")  # noqa: SIM115 (the request log is formatted as in production, then dropped)
    for handler in app.logger.handlers:
        handler.setStream(null)
    return app


def seed(database: Path, folder: str) -> None:
    """The demo of ``make run`` (``flask demo --if-empty``) into a new SQLite file."""
    app = bench_app(database, folder)
    with app.app_context():
        db.create_all()
    seeded = app.test_cli_runner().invoke(args=["demo", "--if-empty"])
    if seeded.exit_code != 0:
        raise SystemExit(f"flask demo failed (exit {seeded.exit_code}):\n{seeded.output}\n{seeded.exception!r}")
    with app.app_context():
        db.engine.dispose()


def sign_in(app, email: str):
    """A test client signed in as the demo account ``email``."""
    client = app.test_client()
    token = CSRF_FIELD.search(client.get("/masuk").get_data(as_text=True)).group(1)
    response = client.post(
        "/masuk", data={"email": email, "password": app.config["DEMO_PASSWORD"], "csrf_token": token}
    )
    if response.status_code != 302:
        raise SystemExit(f"sign-in of {email} failed: {response.status_code}")
    return client


def slowest_per_view(pages: list[Page], first: dict[str, tuple[float, float]]) -> dict[str, tuple[Page, int, float]]:
    """Per view: the page whose first request took the most CPU (the wall clock of a busy machine
    would pick at random), how many pages of the view, and that request's wall milliseconds."""
    chosen: dict[str, tuple[Page, int, tuple[float, float]]] = {}
    for page in pages:
        parts = urlsplit(page.url)
        spent = first.get(request_key(unquote(parts.path), parts.query), (0.0, 0.0))
        best, count, most = chosen.get(page.endpoint, (page, 0, (-1.0, -1.0)))
        chosen[page.endpoint] = (page, count + 1, spent) if spent[1] > most[1] else (best, count + 1, most)
    return {endpoint: (page, count, spent[0]) for endpoint, (page, count, spent) in chosen.items()}


def fetched_by_pages(app, client, pages: list[Page]) -> list[Page]:
    """The images and polled data of ``pages`` that are not pages themselves, each requested once."""
    adapter = app.url_map.bind("localhost")
    known = {page.url for page in pages}
    found = []
    for url in dict.fromkeys(url for page in pages for url in FETCHED.findall(page.body)):
        url = html.unescape(url)
        if url in known:
            continue
        response = client.get(url)
        endpoint = adapter.match(urlsplit(url).path, method="GET")[0]
        found.append(Page(url, endpoint, response.status_code, response.mimetype, ""))
    return found


def time_role(app, meter: Meter, role: str, rounds: int) -> list[Timing]:
    """Every page ``role`` reaches (the crawl, each page once), then the slowest page of each
    view requested ``rounds`` times."""
    client = sign_in(app, ACCOUNTS[role])
    meter.log = {}
    pages = crawl(app, client, ["/"], per_endpoint=sys.maxsize)
    pages += fetched_by_pages(app, client, pages)
    first, meter.log = meter.log, None
    missing = sorted(unreached(app, role, pages))
    views = len({page.endpoint for page in pages})
    print(f"{role}: {len(pages)} pages of {views} views; not linked: {', '.join(missing) or '-'}")
    timings = []
    for endpoint, (page, count, first_ms) in slowest_per_view(pages, first).items():
        walls, cpus = [], []
        for _ in range(rounds):
            meter.reset()
            response = client.get(page.url)
            walls.append(meter.wall * 1000)
            cpus.append(meter.cpu * 1000)
        timings.append(
            Timing(
                role,
                endpoint,
                page.url,
                count,
                first_ms,
                np.asarray(walls),
                np.asarray(cpus),
                meter.statements,
                response.status_code,
            )
        )
    return timings


def report(timings: list[Timing]) -> list[Timing]:
    """Print the table; returns the pages whose median is over the budget."""
    print(f"\nStaff pages of the demo: the slowest page of each view, server ms per request ({len(timings)} rows)\n")
    print("| role | endpoint | example URL | pages | first ms | median ms | p90 ms | CPU median ms | SQL | status |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    over = []
    for t in timings:
        median = float(np.median(t.wall_ms))
        mark = " **over**" if median > BUDGET_MS else ""
        print(
            f"| {t.role} | `{t.endpoint}` | `{t.url}` | {t.urls} | {t.first_ms:.0f} | {median:.1f}{mark} | "
            f"{np.percentile(t.wall_ms, 90):.1f} | {np.median(t.cpu_ms):.1f} | {t.statements} | {t.status} |"
        )
        if median > BUDGET_MS:
            over.append(t)
    slowest = max(timings, key=lambda t: float(np.median(t.wall_ms)))
    print(
        f"\nSlowest median: {np.median(slowest.wall_ms):.1f} ms ({slowest.role}, `{slowest.endpoint}`); "
        f"{len(over)} page(s) over {BUDGET_MS:.0f} ms."
    )
    return over


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite file (its WAL included), and of its signing key."""
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)
    target.with_name(target.name + ".key.pem").write_text(signing_key(source))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="requests per page (default 5)")
    parser.add_argument("--roles", nargs="+", choices=STAFF_ROLES, default=STAFF_ROLES, help="staff roles to time")
    parser.add_argument("--database", type=Path, help="time a copy of this seeded demo instead of seeding one")
    parser.add_argument("--keep", type=Path, help="also save the seeded demo here (for --database later)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 if a page's median is over {BUDGET_MS:.0f} ms")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "demo.db"
        if args.database:
            copy_database(args.database, database)
        else:
            seed(database, folder)
            if args.keep:
                copy_database(database, args.keep)
        print(f"demo ready after {time.perf_counter() - started:.0f} s")
        app = bench_app(database, folder)
        meter = Meter(app)
        timings = [timing for role in args.roles for timing in time_role(app, meter, role, args.rounds)]
        over = report(timings)
        with app.app_context():
            db.engine.dispose()
    print(f"\n({time.perf_counter() - started:.0f} s wall clock; load average {os.getloadavg()[0]:.2f})")
    if args.check and over:
        sys.exit(1)


if __name__ == "__main__":
    main()
