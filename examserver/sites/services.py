"""What the committee's pages and ``flask site`` do alike with test sites: register a site, hand
over an export (the package and the PINs to print, in one ZIP), and read where each site of a
sitting stands (docs/operations/test-sites.md).

Operations take a session and plain values, add and flush, and raise
:class:`~itembank.refusal.Refusal`; the caller commits.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from examserver.accounts.models import User
from examserver.accounts.roles import PROCTOR
from examserver.delivery.models import ENDED, ExamSchedule, ExamSession
from examserver.sites.export import Exported
from examserver.sites.models import SitePackage, SiteProctor, SiteRosterEntry, TestSite
from examserver.spreadsheet import inert_cell
from itembank.refusal import Refusal

#: A site's code: capitals, digits and dashes, 2 to 40 characters, starting with a letter or digit
#: (what the site's server is set up with and what the package names).
SITE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")


# ---------------------------------------------------------------------------------------- sites


def check_site_code(session: Session, code: str) -> str:
    """The code of a new site as it is kept (trimmed, in capitals). Refuses a code that is not
    letters, digits and dashes (``sites.site_code_invalid``) or that a site has
    (``sites.site_exists``)."""
    code = code.strip().upper()
    if not SITE_CODE.match(code):
        raise Refusal("sites.site_code_invalid", 422)
    if session.scalar(select(TestSite.id).where(TestSite.code == code)) is not None:
        raise Refusal("sites.site_exists", code=code)
    return code


def register_site(session: Session, *, code: str, name: str, address: str = "") -> TestSite:
    """Register a test site (its code checked by :func:`check_site_code`, a name required:
    ``sites.site_name_missing``)."""
    code = check_site_code(session, code)
    if not name.strip():
        raise Refusal("sites.site_name_missing", 422)
    site = TestSite(code=code, name=name.strip(), address=address.strip())
    session.add(site)
    session.flush()
    return site


def sites(session: Session) -> list[TestSite]:
    """Every registered site, by code."""
    return list(session.scalars(select(TestSite).order_by(TestSite.code)))


def open_schedules(session: Session, now: datetime) -> list[ExamSchedule]:
    """The sittings a package can still be made for (not closed at ``now``), soonest first."""
    return list(
        session.scalars(select(ExamSchedule).where(ExamSchedule.closes_at > now).order_by(ExamSchedule.opens_at))
    )


def proctor_accounts(session: Session) -> list[User]:
    """The proctor accounts a site can be given (enabled ones), by name."""
    return list(
        session.scalars(
            select(User).where(User.role == PROCTOR, User.is_disabled.is_(False)).order_by(User.full_name, User.email)
        )
    )


# ---------------------------------------------------------------------------------------- handing over


def file_stem(exported: Exported) -> str:
    """The name the files of an export share: ``paket-SITE-SCHEDULE``."""
    return f"paket-{exported.package.site.code}-{exported.package.schedule.code}"


def pin_csv(exported: Exported) -> bytes:
    """The PINs to print (candidates by registration number, then the proctors by e-mail) as CSV
    for a spreadsheet: UTF-8 with a byte-order mark and CRLF line ends (RFC 4180), every cell inert
    (:func:`examserver.spreadsheet.inert_cell`: a candidate's name never runs as a formula).
    The header is in the language of the request, or the default one."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_("Nomor peserta / e-mail pengawas"), _("Nama"), _("PIN")])
    for row in (*exported.candidate_pins, *exported.proctor_pins):
        writer.writerow([inert_cell(value) for value in row])
    writer.writerow([_("Kunci lokasi"), _("Kode untuk mengimpor paket (kepala pengawas)"), exported.site_secret])
    return buffer.getvalue().encode("utf-8-sig")


def handover_zip(exported: Exported) -> bytes:
    """One ZIP (APPNOTE 6.3.x) with the package file as written (stored: it is gzip already) and
    the PIN CSV (:func:`pin_csv`), the only copy of the PINs there is."""
    stem = file_stem(exported)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{stem}.json.gz", exported.path.read_bytes(), compress_type=zipfile.ZIP_STORED)
        archive.writestr(f"pin-{stem}.csv", pin_csv(exported), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------- monitoring


@dataclass
class Counts:
    """Sessions of a roster by where they stand."""

    not_started: int = 0
    running: int = 0
    finished: int = 0

    @property
    def candidates(self) -> int:
        return self.not_started + self.running + self.finished

    def add(self, status: str, count: int) -> None:
        """Count ``count`` sessions of ``status``."""
        if status == "scheduled":
            self.not_started += count
        elif status in ENDED:
            self.finished += count
        else:
            self.running += count


def count_sessions(session: Session, where: ColumnElement[bool]) -> Counts:
    """The sessions ``where`` selects, counted by where they stand (one grouped query)."""
    counts = Counts()
    for status, count in session.execute(
        select(ExamSession.status, func.count()).where(where).group_by(ExamSession.status)
    ).tuples():
        counts.add(status, count)
    return counts


@dataclass(kw_only=True)
class SiteState(Counts):
    """Where one site of a sitting stands: its live package and its roster's sessions at the centre
    (or as the site's last report over a link counts them when it knows more: before its results
    come in)."""

    package: SitePackage
    #: The proctors' names, by name.
    proctors: list[str] = field(default_factory=list)


def site_states(session: Session, schedule_id: int) -> list[SiteState]:
    """One :class:`SiteState` per package of the sitting that no later export replaced, by site
    code; three queries whatever the number of sites."""
    packages = session.scalars(
        select(SitePackage)
        .join(TestSite)
        .where(SitePackage.schedule_id == schedule_id, SitePackage.superseded_at.is_(None))
        .options(selectinload(SitePackage.site))
        .order_by(TestSite.code)
    ).all()
    states = {package.id: SiteState(package=package) for package in packages}
    if not states:
        return []
    counts = session.execute(
        select(SiteRosterEntry.package_id, ExamSession.status, func.count())
        .join(ExamSession, ExamSession.id == SiteRosterEntry.session_id)
        .where(SiteRosterEntry.package_id.in_(states))
        .group_by(SiteRosterEntry.package_id, ExamSession.status)
    ).tuples()
    for package_id, status, count in counts:
        states[package_id].add(status, count)
    for state in states.values():
        _with_the_sites_report(state)
    names = session.execute(
        select(SiteProctor.package_id, User.full_name)
        .join(User, User.id == SiteProctor.user_id)
        .where(SiteProctor.package_id.in_(states))
        .order_by(User.full_name)
    ).tuples()
    for package_id, name in names:
        states[package_id].proctors.append(name)
    return list(states.values())


def _with_the_sites_report(state: SiteState) -> None:
    """The roster's counts moved on by the site's own report, when it has seen more end or start
    than the centre has imported (the centre's rows stay unstarted until the results come)."""
    reported = state.package.site_counts
    if not reported:
        return
    total = state.candidates
    finished = min(max(state.finished, int(reported.get("finished", 0))), total)
    running = min(max(state.running, int(reported.get("running", 0))), total - finished)
    state.finished, state.running, state.not_started = finished, running, total - finished - running


def schedules_with_sites(session: Session) -> list[tuple[ExamSchedule, int]]:
    """The sittings with a live package at one site or more, newest opening first, each with its
    number of sites."""
    rows = session.execute(
        select(ExamSchedule, func.count(SitePackage.id))
        .join(SitePackage, SitePackage.schedule_id == ExamSchedule.id)
        .where(SitePackage.superseded_at.is_(None))
        .group_by(ExamSchedule.id)
        .order_by(ExamSchedule.opens_at.desc(), ExamSchedule.id)
    ).tuples()
    return [(schedule, count) for schedule, count in rows]
