"""The committee's pages for test sites (issue 17): the registered sites and the form that
registers one, the export of a sitting's package for a site (a ZIP with the package and the PINs
to print), and where each site of a sitting stands on the day.

Its own blueprint under ``/panitia/lokasi``, beside the committee's pages.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from examserver import access
from examserver.accounts.roles import ADMIN, COMMITTEE
from examserver.delivery.models import ExamSchedule
from examserver.downloads import attachment
from examserver.errors import flash_refusal, refusal_message
from examserver.extensions import db
from examserver.numbers import format_number
from examserver.outcome import committed
from examserver.selection import signing
from examserver.sites import services
from examserver.sites.export import VALID_AFTER_CLOSE, export_package
from examserver.sites.forms import ExportForm, ResultsForm, SiteForm, registration_numbers
from examserver.sites.results import receive_results
from itembank.database import utcnow
from itembank.refusal import Refusal

#: A results file larger than this is refused (a sitting of 40 candidates writes about 1 MB).
MAX_RESULTS_BYTES = 15 * 1024 * 1024

bp = Blueprint("sites", __name__, template_folder="templates")

#: The monitoring page reads itself again this often (seconds) while the day runs.
REFRESH_SECONDS = 30
#: The day runs from the eve of the opening (sites import their packages) until the package
#: expires (results come back after the close).
LIVE_BEFORE_OPENING = timedelta(days=1)
#: The field of the export form a refusal of the export is about (the candidates': the one used).
REFUSAL_FIELDS = {
    "sites.schedule_unknown": "schedule",
    "sites.schedule_closed": "schedule",
    "sites.no_published_form": "schedule",
    "sites.site_unknown": "site",
    "sites.no_proctor": "proctors",
    "sites.not_proctors": "proctors",
}
CANDIDATE_REFUSALS = {
    "sites.candidates_unknown",
    "sites.no_candidates",
    "sites.candidates_elsewhere",
    "sites.candidates_started",
}


@bp.route("", methods=["GET", "POST"])
@access.roles(COMMITTEE, ADMIN)
def sites():
    """The registered sites, the sittings with packages out, and the form that registers a site."""
    form = SiteForm()
    if form.validate_on_submit():
        with flash_refusal(form.code):
            site = services.register_site(
                db.session, code=form.code.data, name=form.name.data, address=form.address.data
            )
            return committed(_("Lokasi %(code)s terdaftar.", code=site.code), url_for("sites.sites"))
    page = render_template(
        "sites/sites.html",
        form=form,
        sites=services.sites(db.session),
        schedules=services.schedules_with_sites(db.session),
    )
    return page, 422 if form.is_submitted() else 200


def _export_form() -> ExportForm:
    form = ExportForm()
    form.schedule.choices = [("", _("Pilih jadwal"))] + [
        (s.code, f"{s.code} · {s.title}") for s in services.open_schedules(db.session, utcnow())
    ]
    form.site.choices = [("", _("Pilih lokasi"))] + [
        (s.code, f"{s.code} · {s.name}") for s in services.sites(db.session)
    ]
    form.proctors.choices = [(p.email, f"{p.full_name} ({p.email})") for p in services.proctor_accounts(db.session)]
    return form


@contextmanager
def _beside_its_field(form: ExportForm) -> Iterator[None]:
    """A refusal of the export, rolled back and shown beside the field it is about (else above the form)."""
    try:
        yield
    except Refusal as refusal:
        name = REFUSAL_FIELDS.get(refusal.code)
        field = form.candidates_field() if refusal.code in CANDIDATE_REFUSALS else name and form[name]
        with flash_refusal(field or None):
            raise


@bp.route("/paket", methods=["GET", "POST"])
@access.roles(COMMITTEE, ADMIN)
def export():
    """Export a sitting's sealed package for one site: the answer is a ZIP with the package and the
    PINs to print, which exist nowhere else."""
    form = _export_form()
    if form.validate_on_submit():
        with tempfile.TemporaryDirectory(prefix="paket-") as folder, _beside_its_field(form):
            numbers = registration_numbers(form.numbers.data)
            exported = export_package(
                db.session,
                schedule_code=form.schedule.data,
                site_code=form.site.data,
                out=Path(folder) / "paket.json.gz",
                signing_key=signing.private_key(),
                now=utcnow(),
                proctor_emails=form.proctors.data,
                registration_numbers=numbers or None,
                seats=None if numbers else form.seats.data,
                actor_id=current_user.id,
            )
            body = services.handover_zip(exported)
            db.session.commit()
            return attachment(body, f"{services.file_stem(exported)}.zip", "application/zip")
    return render_template("sites/export.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/hasil", methods=["GET", "POST"])
@access.roles(COMMITTEE, ADMIN)
def receive():
    """A site's results file carried by hand: verified and imported, or refused naming every problem
    with nothing imported (the same as ``flask site receive``)."""
    form = ResultsForm()
    received = None
    if form.validate_on_submit():
        raw = form.file.data.read(MAX_RESULTS_BYTES + 1)
        try:
            if len(raw) > MAX_RESULTS_BYTES:
                raise Refusal("sites.too_large", 413, limit=MAX_RESULTS_BYTES)
            received = receive_results(db.session, raw, now=utcnow())
        except Refusal as refused:
            db.session.rollback()
            form.file.errors = [refusal_message(refused.code, **refused.params)]
        else:
            db.session.commit()  # the problems of a refused file are recorded on its package
            if not received.problems:
                flash(
                    _(
                        "Hasil %(site)s diterima: %(imported)s sesi diimpor, %(unchanged)s sudah ada, "
                        "%(running)s masih berjalan, %(flagged)s juga ujian di pusat (ditandai).",
                        site=received.package.site.code,
                        imported=format_number(len(received.imported), "count"),
                        unchanged=format_number(len(received.unchanged), "count"),
                        running=format_number(len(received.running), "count"),
                        flagged=format_number(len(received.flagged), "count"),
                    ),
                    "info",
                )
                return redirect(url_for("sites.monitor", schedule_id=received.package.schedule_id), 303)
    turned_down = form.is_submitted() and (bool(form.errors) or bool(received and received.problems))
    return render_template("sites/results.html", form=form, received=received), 422 if turned_down else 200


@bp.route("/jadwal/<int:schedule_id>")
@access.roles(COMMITTEE, ADMIN)
def monitor(schedule_id: int):
    """Where each site of a sitting stands, read again by the page while the day runs."""
    schedule = db.get_or_404(ExamSchedule, schedule_id)
    now = utcnow()
    live = schedule.opens_at - LIVE_BEFORE_OPENING <= now < schedule.closes_at + VALID_AFTER_CLOSE
    return render_template(
        "sites/monitor.html",
        schedule=schedule,
        states=services.site_states(db.session, schedule.id),
        now=now,
        code_shown=now >= schedule.opens_at,
        refresh=REFRESH_SECONDS if live else None,
    )
