"""The head proctor's pages on a site server (issue 17, docs/operations/test-sites.md): which
package the server holds and where its day stands, the release of the sealed content with the code
the centre publishes at the start, and the signed results file to carry to the centre.

Its own blueprint under ``/lokasi``, registered on a site server only (``EXAMSERVER_ROLE=site``):
on a centre the addresses do not exist, for everyone.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from examserver import access
from examserver.accounts.models import User
from examserver.accounts.roles import ADMIN, PROCTOR
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.downloads import attachment
from examserver.errors import back_on_refusal, flash_refusal, refusal_message
from examserver.extensions import db
from examserver.fields import understood_field
from examserver.numbers import format_number
from examserver.outcome import committed
from examserver.sites import sealing
from examserver.sites.install import release, state
from examserver.sites.models import SiteState
from examserver.sites.results import signed_results, upload_name
from examserver.sites.services import count_sessions
from examserver.wib import format_moment
from examserver.wtforms_i18n import FlaskForm
from itembank.database import utcnow
from itembank.refusal import Refusal

bp = Blueprint("site", __name__, template_folder="templates")

#: The site's proctors (the package brings no other staff); an admin too, should a site have one.
STAFF = (PROCTOR, ADMIN)
#: Refusals of the release that are about the typed code, shown beside it; others above the form.
ABOUT_THE_CODE = {"sites.code_wrong", "sites.code_malformed"}
#: What the results file is sent as (gzip-compressed signed JSON: :func:`sealing.write_signed`).
RESULTS_TYPE = "application/gzip"
#: The commands the page names: the import on this server, the results' import at the centre.
IMPORT_COMMAND = "flask --app wsgi site import PAKET"
RECEIVE_COMMAND = "flask --app wsgi site receive BERKAS"


def release_code_format(form, field) -> None:
    """The release code's shape (20 Crockford characters, as :func:`sealing.normalise_code` reads
    what a person types), checked with the other fields so every mistake shows at once."""
    try:
        sealing.normalise_code(field.data or "")
    except sealing.SealError as error:
        raise ValidationError(refusal_message(f"sites.{error.code}", **error.params)) from None


class ReleaseForm(FlaskForm):
    code = StringField(
        _l("Kode pembuka dari pusat"),
        validators=[DataRequired(), Length(max=60), release_code_format],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    understood = understood_field(
        _l(
            "Saya kepala pengawas lokasi ini, dan kode ini diumumkan pusat pada waktu mulai: setelah dibuka, "
            "soal dapat dibaca di server ini dan peserta dapat memulai ujian."
        )
    )


def _status_page(form: ReleaseForm, status: int = 200):
    held = state(db.session)
    schedule = released_by = None
    if held is not None:
        schedule = db.session.get(ExamSchedule, held.schedule_id)
        if held.released_by_id is not None:
            released_by = db.session.get(User, held.released_by_id)
    page = render_template(
        "sites/site_status.html",
        held=held,
        schedule=schedule,
        released_by=released_by,
        roster=count_sessions(db.session, ExamSession.schedule_id == held.schedule_id) if held is not None else None,
        form=form,
        import_command=IMPORT_COMMAND,
        receive_command=RECEIVE_COMMAND,
    )
    return page, status


@bp.route("")
@access.roles(*STAFF)
def status():
    """The package this server holds, sealed or released, its sessions, and the results file."""
    return _status_page(ReleaseForm(formdata=None))


def _released_already(held: SiteState):
    flash(_("Paket ini sudah dibuka pada %(moment)s.", moment=format_moment(held.released_at, "short")), "info")
    return redirect(url_for("site.status"), 303)


@bp.route("/buka", methods=["POST"])
@access.roles(*STAFF)
def release_content():
    """Open the sealed content with the release code the head proctor types (recorded as theirs)."""
    held = state(db.session)
    if held is not None and held.released_at is not None:
        return _released_already(held)
    form = ReleaseForm()
    if form.validate_on_submit():
        try:
            held, opened = release(db.session, form.code.data, now=utcnow(), actor_id=current_user.id)
        except Refusal as refusal:
            with flash_refusal(form.code if refusal.code in ABOUT_THE_CODE else None):
                raise
        else:
            if not opened:  # another proctor released it between the reading above and now
                return _released_already(held)
            return committed(
                _(
                    "Paket dibuka: %(n)s isi tersegel kini terbuka. Peserta dapat memulai ujian.",
                    n=format_number(opened, "count"),
                ),
                url_for("site.status"),
            )
    return _status_page(form, 422)


@bp.route("/hasil")
@access.roles(*STAFF)
def results():
    """The signed results file of every session so far, to carry to the centre."""
    back_on_refusal(url_for("site.status"))  # no package yet: back to the page that says so
    body, raw = signed_results(db.session, now=utcnow())
    return attachment(raw, upload_name(body), RESULTS_TYPE)
