"""Calibration runs: choose responses, calibrate, review changes, fit and drift, publish."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_scientific
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from examserver import access
from examserver.accounts.models import User
from examserver.accounts.roles import ADMIN, REVIEWER
from examserver.authoring import bp
from examserver.authoring.calibration_data import responses_from_schedules, results_moved_by, schedules_with_results
from examserver.authoring.views import actor
from examserver.errors import back_on_refusal, flash_refusal, refusal_message
from examserver.extensions import db
from examserver.numbers import MISSING, format_number
from examserver.outcome import committed
from examserver.wtforms_i18n import FlaskForm
from itembank import calibration, calibration_guards
from itembank.calibration_guards import GuardReason
from itembank.models import CalibrationRun, Item, ItemParameter

MAX_UPLOAD = 10 * 1024 * 1024


def guard_text(reason: GuardReason) -> str:
    """A guard reason in the reader's language, with its numbers."""
    params = reason.params
    texts = {
        "estimate_nonfinite": lambda: _("estimasi %(names)s tidak terhingga", names=params.get("names")),
        "b_extreme": lambda: _(
            "%(name)s = %(value)s di luar ±%(limit)s",
            name=params.get("name"),
            value=format_decimal(params.get("value"), "0.00"),
            limit=format_decimal(params.get("limit")),
        ),
        "a_range": lambda: _(
            "daya beda a = %(value)s di luar (%(low)s; %(high)s)",
            value=format_decimal(params.get("value"), "0.000"),
            low=format_decimal(params.get("low")),
            high=format_decimal(params.get("high")),
        ),
        "se_nonfinite": lambda: _("SE %(names)s tidak terhingga", names=params.get("names")),
        "se_large": lambda: _(
            "SE %(name)s = %(value)s melebihi %(limit)s",
            name=params.get("name"),
            value=se_number(params.get("value")),
            limit=format_decimal(params.get("limit")),
        ),
        "se_small": lambda: _(
            "SE %(name)s = %(value)s di bawah %(limit)s (matriks informasi singular)",
            name=params.get("name"),
            value=se_number(params.get("value")),
            limit=format_scientific(params.get("limit"), "0E0"),
        ),
        "not_converged": lambda: _("estimasi EM tidak konvergen"),
        "sparse_category": lambda: _(
            "kategori %(category)s hanya dipilih %(n)s kali (minimal %(min)s)",
            category=params.get("category"),
            n=params.get("n"),
            min=params.get("min"),
        ),
    }
    return texts[reason.code]() if reason.code in texts else reason.code


def se_number(value: float | None) -> str:
    """A standard error for reading, as the item and run pages write their parameters: three
    decimals, or three significant digits in scientific notation when it is huge."""
    if value is None:
        return MISSING
    return format_scientific(value, "0.00E0") if abs(value) >= 1000 else format_number(value, "parameter_exact")


@bp.app_context_processor
def calibration_helpers():
    return {
        "guard_text": guard_text,
        "se_number": se_number,
        "se_plausible": calibration_guards.se_plausible,
    }


class CalibrationForm(FlaskForm):
    source = RadioField(choices=[("sessions", "sessions"), ("upload", "upload")], default="sessions")
    schedules = SelectMultipleField(coerce=int, validate_choice=False)
    file = FileField()
    mode = SelectField(choices=[(m, m) for m in calibration.MODES], default="fixed")
    note = StringField(validators=[Length(max=500)])


class DecisionForm(FlaskForm):
    note = StringField(validators=[Length(max=500)])


class ExclusionForm(FlaskForm):
    parameter_ids = SelectMultipleField(coerce=int, validate_choice=False)
    reason = StringField(validators=[DataRequired(), Length(max=500)])


def calibration_message(code: str, /, **params) -> str:
    """The translated text of a calibration code (``calibration.<code>`` in the registry)."""
    return refusal_message(f"calibration.{code}", **params)


def _run_page(run_id: int):
    """Back to the run's review page."""
    return redirect(url_for("authoring.calibration_run", run_id=run_id)), 303


@bp.route("/kalibrasi")
@access.roles(REVIEWER, ADMIN)
def calibration_runs():
    """Every calibration run, newest first."""
    runs = db.session.scalars(select(CalibrationRun).order_by(CalibrationRun.id.desc()).limit(100)).all()
    names = dict(db.session.execute(select(User.id, User.full_name)).tuples().all())
    return render_template("authoring/calibrations.html", runs=runs, names=names)


@bp.route("/kalibrasi/baru", methods=["GET", "POST"])
@access.roles(REVIEWER, ADMIN)
def new_calibration():
    """Choose response data (ended sessions or an uploaded CSV) and calibrate into a draft run."""
    form = CalibrationForm()
    available = schedules_with_results(db.session)
    form.schedules.choices = [(s.id, f"{s.code} ({n})") for s, n in available]
    problems = []
    if form.validate_on_submit():
        data = None
        if form.source.data == "upload":
            upload = form.file.data
            raw = upload.read(MAX_UPLOAD + 1) if upload else b""
            if not raw:
                flash(_("Pilih berkas CSV respons."), "error")
            elif len(raw) > MAX_UPLOAD:
                flash(_("Berkas lebih dari 10 MB."), "error")
            else:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    flash(_("Berkas harus teks CSV dengan pengodean UTF-8."), "error")
                else:
                    try:
                        data = calibration.read_response_csv(db.session, text, label=upload.filename or "CSV")
                    except calibration.ResponseFileError as error:
                        problems = [
                            (line, calibration_message(code, **params)) for line, code, params in error.problems
                        ]
        else:
            chosen = [i for i in form.schedules.data or [] if i in {s.id for s, n in available}]
            if not chosen:
                flash(_("Pilih minimal satu jadwal ujian yang sudah selesai."), "error")
            else:
                data = responses_from_schedules(db.session, chosen)
        if data is not None:
            with flash_refusal():
                run = calibration.start_run(db.session, actor(), data, mode=form.mode.data, note=form.note.data or "")
                db.session.commit()
                flash(_("Kalibrasi selesai. Telaah hasilnya sebelum diterbitkan."), "success")
                return _run_page(run.id)
    status = 422 if form.is_submitted() else 200
    return render_template("authoring/calibration_form.html", form=form, problems=problems), status


@bp.route("/kalibrasi/<int:run_id>")
@access.roles(REVIEWER, ADMIN)
def calibration_run(run_id: int):
    """A run's review page: per item the change from the current parameters, fit, drift and flags."""
    run = reviewed_run(run_id)
    names = dict(db.session.execute(select(User.id, User.full_name)).tuples().all())
    rows = calibration.review_rows(run)
    can_publish = run.status == "draft" and current_user.role == ADMIN and current_user.id != run.created_by_id
    return render_template(
        "authoring/calibration.html",
        run=run,
        rows=rows,
        names=names,
        form=DecisionForm(),
        exclusion=ExclusionForm(),
        can_publish=can_publish,
        flagged=sum(1 for r in rows if set(r.flags) - {"new"}),
        blocking=[r for r in rows if r.blocking],
        singular=calibration_guards.condition_is_singular(run.summary or {}),
        max_condition=calibration_guards.MAX_CONDITION,
    )


def reviewed_run(run_id: int) -> CalibrationRun:
    """The run with what ``review_rows`` reads of it, in three statements: its rows, their items
    and every parameter version of those items (read lazily, two statements per item)."""
    every_version = selectinload(CalibrationRun.parameters).selectinload(ItemParameter.item)
    return db.get_or_404(CalibrationRun, run_id, options=[every_version.selectinload(Item.parameters)])


@bp.route("/kalibrasi/<int:run_id>/keluarkan", methods=["POST"])
@access.roles(REVIEWER, ADMIN)
def exclude_calibration_items(run_id: int):
    """Leave chosen items (or every item a guard flags) out of the run, with a reason."""
    run = db.get_or_404(CalibrationRun, run_id)
    form = ExclusionForm()
    if not form.validate_on_submit():
        flash(calibration_message("exclusion_reason_missing"), "error")
        return _run_page(run.id)
    chosen = list(form.parameter_ids.data or [])
    if request.form.get("all_flagged"):
        chosen = [row.proposed.id for row in calibration.review_rows(run) if row.blocking]
    back = back_on_refusal(url_for("authoring.calibration_run", run_id=run.id))
    count = calibration.exclude_items(db.session, actor(), run, chosen, reason=form.reason.data or "")
    return committed(_("%(n)d butir dikeluarkan dari kalibrasi; parameter lamanya tetap berlaku.", n=count), back)


@bp.route("/kalibrasi/<int:run_id>/terbitkan")
@access.roles(ADMIN)
def confirm_publish_calibration(run_id: int):
    """What publishing would change: the items and how many existing scores would move if rescored."""
    run = db.get_or_404(CalibrationRun, run_id)
    if run.status != "draft":
        return _run_page(run.id)
    blocked = calibration.blocked_items(run)
    if blocked:
        shown = ", ".join(blocked[:5]) + (" …" if len(blocked) > 5 else "")
        flash(calibration_message("flagged_items", n=len(blocked), codes=shown), "error")
        return _run_page(run.id)
    changing = [row for row in calibration.review_rows(run) if not row.proposed.is_anchor and not row.excluded]
    return render_template(
        "authoring/calibration_publish.html",
        run=run,
        rows=changing,
        moved=results_moved_by(db.session, [row.proposed for row in changing]),
        excluded=sum(1 for p in run.parameters if p.excluded_at is not None),
        form=DecisionForm(),
    )


@bp.route("/kalibrasi/<int:run_id>/terbitkan", methods=["POST"])
@access.roles(ADMIN)
def publish_calibration(run_id: int):
    """Make the run's parameters current (older versions are kept)."""
    run = db.get_or_404(CalibrationRun, run_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Catatan terlalu panjang."), "error")
        return _run_page(run.id)
    back = back_on_refusal(url_for("authoring.calibration_run", run_id=run.id))
    count = calibration.publish_run(db.session, actor(), run, note=form.note.data or "")
    return committed(_("Parameter baru berlaku untuk %(n)d butir; versi lama tetap tersimpan.", n=count), back)


@bp.route("/kalibrasi/<int:run_id>/buang", methods=["POST"])
@access.roles(REVIEWER, ADMIN)
def discard_calibration(run_id: int):
    """Set a draft run aside without changing the bank."""
    run = db.get_or_404(CalibrationRun, run_id)
    if not DecisionForm().validate_on_submit():
        abort(400)
    back = back_on_refusal(url_for("authoring.calibration_run", run_id=run.id))
    calibration.discard_run(db.session, actor(), run)
    return committed(_("Kalibrasi dibatalkan; bank soal tidak berubah."), back)
