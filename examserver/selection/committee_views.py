"""The committee's selection pages: periods, positions, verification, appeals, scores, ranking,
exports and announcements. Applicants appear by registration number only."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from examserver import access
from examserver.accounts.roles import ADMIN, COMMITTEE
from examserver.auth.forms import ConfirmForm
from examserver.delivery.models import ExamSchedule
from examserver.downloads import csv_attachment, xlsx_attachment
from examserver.errors import back_on_refusal, flash_refusal, refusal_message
from examserver.extensions import db
from examserver.labels import label
from examserver.numbers import rounded_decimal, telling_decimals
from examserver.outcome import committed
from examserver.oversight.register import candidate_bar
from examserver.proctor.messages import standing_note
from examserver.selection import announcements, bp, services
from examserver.selection.candidate_views import send_document
from examserver.selection.documents import DOCUMENT_TYPES
from examserver.selection.forms import (
    AnnouncementForm,
    AppealDecisionForm,
    CheckForm,
    ConflictForm,
    FieldScoreForm,
    PeriodForm,
    PositionForm,
    rubric_form,
)
from examserver.selection.messages import category_label
from examserver.selection.models import (
    Announcement,
    Application,
    ApplicationDocument,
    ConflictDeclaration,
    FieldScore,
    Position,
    RubricScore,
    SelectionPeriod,
)
from examserver.selection.ranking import rank_period
from examserver.selection.rubrics import RUBRICS, rubric_of
from examserver.selection.rules import default_rules_json, rules_from_json
from examserver.selection.web import guarded_application
from examserver.spreadsheet import decimals_format, number_formats, sheet_value
from examserver.wib import from_wib, to_wib
from itembank.refusal import Refusal
from scoring.selection import SelectionRuleError

STAFF = (COMMITTEE, ADMIN)


@bp.route("/panitia")
@access.roles(*STAFF)
def committee_home():
    """The committee's periods."""
    rows = db.session.scalars(select(SelectionPeriod).order_by(SelectionPeriod.applications_open_at.desc())).all()
    return render_template("selection/committee_home.html", periods=rows)


# --------------------------------------------------------------------------- periods


def _stage_values(form: PeriodForm) -> dict:
    pairs = {
        "administrative": (form.applications_close_at.data, form.administrative_end.data),
        "basic": (form.basic_start.data, form.basic_end.data),
        "field": (form.field_start.data, form.field_end.data),
        "final": (form.final_at.data, form.final_at.data),
    }
    return {k: (from_wib(a), from_wib(b)) for k, (a, b) in pairs.items() if a and b}


def _fill_period_form(form: PeriodForm, period: SelectionPeriod) -> None:
    form.code.data, form.title.data, form.agency.data = period.code, period.title, period.agency
    form.description.data, form.appeal_days.data = period.description, period.appeal_days
    form.applications_open_at.data = to_wib(period.applications_open_at)
    form.applications_close_at.data = to_wib(period.applications_close_at)
    form.schedule.data = period.schedule_id or 0
    form.interviewers_required.data = period.interviewers_required
    form.rules.data = json.dumps(period.rules, indent=1)
    stages = {s.kind: s for s in period.stages}
    for kind, start_field, end_field in (
        ("administrative", None, "administrative_end"),
        ("basic", "basic_start", "basic_end"),
        ("field", "field_start", "field_end"),
        ("final", None, "final_at"),
    ):
        if kind in stages:
            if start_field:
                getattr(form, start_field).data = to_wib(stages[kind].starts_at)
            getattr(form, end_field).data = to_wib(stages[kind].ends_at)


@bp.route("/panitia/periode/baru", methods=["GET", "POST"])
@bp.route("/panitia/periode/<int:period_id>/ubah", methods=["GET", "POST"])
@access.roles(*STAFF)
def edit_period(period_id: int | None = None):
    """Create or change a period: dates, stages, the SKD sitting and the rules (national by default)."""
    period = db.get_or_404(SelectionPeriod, period_id) if period_id is not None else None
    form = PeriodForm()
    schedules = db.session.scalars(select(ExamSchedule).order_by(ExamSchedule.opens_at.desc())).all()
    form.schedule.choices = [(0, _("(belum ditentukan)"))] + [(s.id, f"{s.code} · {s.title}") for s in schedules]
    if request.method == "GET":
        if period is not None:
            _fill_period_form(form, period)
        else:
            form.rules.data = json.dumps(default_rules_json(), indent=1)
    if form.validate_on_submit():
        with flash_refusal():
            try:
                rules = json.loads(form.rules.data)
            except (ValueError, RecursionError):  # RecursionError: nested too deeply for the parser
                raise Refusal("selection.rules_json") from None
            period = services.save_period(
                db.session,
                period,
                actor_id=current_user.id,
                code=form.code.data.strip().upper(),
                title=form.title.data.strip(),
                agency=form.agency.data.strip(),
                description=form.description.data or "",
                applications_open_at=from_wib(form.applications_open_at.data),
                applications_close_at=from_wib(form.applications_close_at.data),
                appeal_days=form.appeal_days.data,
                schedule_id=form.schedule.data or None,
                rules=rules,
                stages=_stage_values(form),
                interviewers_required=form.interviewers_required.data,
            )
            return committed(_("Periode disimpan."), url_for("selection.period_detail", period_id=period.id))
    return render_template("selection/period_form.html", form=form, period=period)


@bp.route("/panitia/periode/<int:period_id>")
@access.roles(*STAFF)
def period_detail(period_id: int):
    """A period for the committee: positions, applications by registration number, appeals, announcements."""
    period = db.get_or_404(SelectionPeriod, period_id)
    applications = db.session.scalars(
        select(Application)
        .where(Application.period_id == period.id, Application.status != "draft")
        .order_by(Application.registration_number)
    ).all()
    conflicted = services.conflicted_candidates(db.session, current_user.id)
    published = db.session.scalars(
        select(Announcement).where(Announcement.period_id == period.id).order_by(Announcement.published_at)
    ).all()
    return render_template(
        "selection/period_detail.html",
        period=period,
        applications=applications,
        conflicted=conflicted,
        counts=services.position_counts(db.session, period),
        announcements=published,
        affected={a.id: announcements.affected_sessions(db.session, a) for a in published},
    )


@bp.route("/panitia/periode/<int:period_id>/formasi/baru", methods=["GET", "POST"])
@bp.route("/panitia/periode/<int:period_id>/formasi/<int:position_id>/ubah", methods=["GET", "POST"])
@access.roles(*STAFF)
def edit_position(period_id: int, position_id: int | None = None):
    """Create or change a position (formasi)."""
    period = db.get_or_404(SelectionPeriod, period_id)
    position = None
    if position_id is not None:
        position = db.session.get(Position, position_id)
        if position is None or position.period_id != period.id:
            abort(404)
    form = PositionForm(obj=position if request.method == "GET" else None)
    categories = [t.category for t in rules_from_json(period.rules).thresholds]
    form.categories.choices = [(c, category_label(c)) for c in categories]
    form.required_documents.choices = [(k, t.label) for k, t in DOCUMENT_TYPES.items()]
    if request.method == "GET":
        if position is not None:
            form.competency_profile.data = json.dumps(position.competency_profile)
        else:
            form.agency.data = period.agency
            form.categories.data = ["general"] if "general" in categories else categories[:1]
            form.required_documents.data = ["ktp", "ijazah", "transkrip", "foto"]
    if form.validate_on_submit():
        with flash_refusal():
            try:
                profile = json.loads(form.competency_profile.data or "{}")
            except (ValueError, RecursionError):
                raise Refusal("selection.profile_invalid") from None
            services.save_position(
                db.session,
                period,
                position,
                code=form.code.data.strip().upper(),
                agency=form.agency.data.strip(),
                title=form.title.data.strip(),
                unit=form.unit.data.strip(),
                location=form.location.data.strip(),
                quota=form.quota.data,
                education=form.education.data.strip(),
                categories=form.categories.data or [],
                required_documents=form.required_documents.data or [],
                competency_profile=profile,
                equivalence_group=form.equivalence_group.data,
            )
            return committed(_("Formasi disimpan."), url_for("selection.period_detail", period_id=period.id))
    return render_template("selection/position_form.html", form=form, period=period, position=position)


# --------------------------------------------------------------------------- verification


def _check_form(document: ApplicationDocument) -> CheckForm:
    form = CheckForm(prefix=f"d{document.id}")
    form.checklist.choices = list(DOCUMENT_TYPES[document.doc_type].checklist)
    return form


@bp.route("/panitia/lamaran/<int:application_id>")
@access.roles(*STAFF)
def review_application(application_id: int):
    """An application by registration number: documents with checklists, decision, appeal, scores."""
    return _review_page(guarded_application(application_id))


def _review_page(item: Application, score_form: FieldScoreForm | None = None, status: int = 200):
    """The review page; ``score_form``: an SKB score posted with a mistake, shown again beside its
    field with what was typed."""
    rules = rules_from_json(item.period.rules)
    scores = db.session.scalars(
        select(RubricScore).where(RubricScore.application_id == item.id).order_by(RubricScore.id)
    ).all()
    panels = []
    for key in dict.fromkeys(rubric for rubric in map(rubric_of, rules.weights.components) if rubric):
        mine = [s for s in scores if s.rubric == key]
        panels.append({
            "rubric": RUBRICS[key],
            "form": rubric_form(RUBRICS[key]),
            "own": next((s for s in mine if s.scorer_id == current_user.id), None),
            "count": len(mine),
            # Blind: the scores are shown only once the required number of scorers is in.
            "scores": mine if len(mine) >= item.period.interviewers_required else None,
        })  # fmt: skip
    score_form = score_form or FieldScoreForm(formdata=None)
    score_form.component.choices = [(c.name, c.name) for c in rules.weights.components if rubric_of(c) is None]
    return render_template(
        "selection/review.html",
        item=item,
        check_forms={d.id: _check_form(d) for d in item.documents},
        confirm=ConfirmForm(),
        appeal_form=AppealDecisionForm(),
        score_form=score_form,
        panels=panels,
        field_scores=db.session.scalars(select(FieldScore).where(FieldScore.application_id == item.id)).all(),
        sanction=candidate_bar(db.session, item.candidate_id, item.period),
    ), status


def _review_url(application_id: int) -> str:
    return url_for("selection.review_application", application_id=application_id)


def _reviewed_application(application_id: int) -> Application:
    """An application for a form posted from its review page, where a refusal goes back."""
    item = guarded_application(application_id)
    back_on_refusal(_review_url(application_id))
    return item


def _back(application_id: int):
    return redirect(_review_url(application_id), 303)


@bp.route("/panitia/lamaran/<int:application_id>/dokumen/<int:document_id>")
@access.roles(*STAFF)
def committee_document(application_id: int, document_id: int):
    """Open an applicant's document (refused to a member with a declared relationship)."""
    return send_document(guarded_application(application_id), document_id)


@bp.route("/panitia/lamaran/<int:application_id>/dokumen/<int:document_id>/periksa", methods=["POST"])
@access.roles(*STAFF)
def check_document(application_id: int, document_id: int):
    """Record the check of one document against its checklist."""
    item = _reviewed_application(application_id)
    document = db.session.get(ApplicationDocument, document_id)
    if document is None or document.application_id != item.id:
        abort(404)
    form = _check_form(document)
    if form.validate_on_submit():
        services.check_document(
            db.session,
            document,
            current_user.id,
            accepted=form.verdict.data == "accepted",
            checklist=form.checklist.data or [],
            reason=form.reason.data or "",
        )
        return committed(_("Pemeriksaan dokumen disimpan."), _review_url(application_id))
    return _back(application_id)


@bp.route("/panitia/lamaran/<int:application_id>/putuskan", methods=["POST"])
@access.roles(*STAFF)
def decide_application(application_id: int):
    """Close the administrative check of an application."""
    item = _reviewed_application(application_id)
    if ConfirmForm().validate_on_submit():
        services.decide_application(db.session, item, current_user.id)
        return committed(_("Hasil verifikasi ditetapkan."), _review_url(application_id))
    return _back(application_id)


@bp.route("/panitia/lamaran/<int:application_id>/sanggah", methods=["POST"])
@access.roles(*STAFF)
def decide_appeal(application_id: int):
    """Decide the applicant's appeal (not by the member who verified)."""
    item = _reviewed_application(application_id)
    if item.appeal is None:
        abort(404)
    form = AppealDecisionForm()
    if form.validate_on_submit():
        services.decide_appeal(
            db.session, item.appeal, current_user.id, upheld=form.outcome.data == "upheld", reason=form.reason.data
        )
        return committed(_("Sanggahan diputus."), _review_url(application_id))
    else:
        flash(refusal_message("selection.reason_required"), "error")
    return _back(application_id)


@bp.route("/panitia/lamaran/<int:application_id>/nilai", methods=["POST"])
@access.roles(*STAFF)
def enter_score(application_id: int):
    """Enter a field-test component score (computer test, other tests)."""
    item = _reviewed_application(application_id)
    form = FieldScoreForm()
    if form.validate_on_submit():
        with flash_refusal(form.score):  # out of range: said beside the field, like a number unread
            services.enter_field_score(db.session, item, current_user.id, form.component.data, form.score.data)
            return committed(_("Nilai disimpan."), _review_url(application_id))
    # Shown again with what was typed and its mistake beside the field (it was a flash above the page
    # after a redirect, and the typed score was gone).
    return _review_page(item, form, 422)


@bp.route("/panitia/lamaran/<int:application_id>/rubrik/<rubric>", methods=["POST"])
@access.roles(*STAFF)
def enter_rubric(application_id: int, rubric: str):
    """Enter one's own rubric (interview, track record); the others' stay hidden until enough are in."""
    item = guarded_application(application_id)
    if rubric not in RUBRICS:
        abort(404)
    form = rubric_form(RUBRICS[rubric])
    if form.validate_on_submit():
        levels = {aspect.key: form[aspect.key].data for aspect in RUBRICS[rubric].aspects}
        with flash_refusal():
            services.enter_rubric(db.session, item, current_user.id, rubric, levels)
            return committed(_("Nilai rubrik disimpan."), _review_url(application_id))
    else:
        flash(refusal_message("selection.rubric_incomplete"), "error")
    return _back(application_id)


# --------------------------------------------------------------------------- conflicts of interest


@bp.route("/panitia/konflik", methods=["GET", "POST"])
@access.roles(*STAFF)
def conflicts():
    """Declare relationships with people who may apply; their applications are then closed to you."""
    form = ConflictForm()
    if form.validate_on_submit():
        with flash_refusal():
            services.declare_conflict(db.session, current_user, form.nik.data.strip(), form.relationship_text.data)
            return committed(_("Pernyataan hubungan disimpan."), url_for("selection.conflicts"))
    rows = db.session.scalars(
        select(ConflictDeclaration)
        .where(ConflictDeclaration.member_id == current_user.id)
        .order_by(ConflictDeclaration.declared_at)
    ).all()
    return render_template("selection/conflicts.html", form=form, rows=rows)


# --------------------------------------------------------------------------- ranking and exports


def _ranking(period: SelectionPeriod, stage: str):
    try:
        return rank_period(db.session, period, final=stage == "final"), None
    except SelectionRuleError as error:
        return None, error.message


def _stage_arg() -> str:
    return "final" if request.args.get("tahap") == "final" else "basic"


@bp.route("/panitia/periode/<int:period_id>/peringkat")
@access.roles(*STAFF)
def ranking(period_id: int):
    """The ranking per position, up to the shortlist (SKD) or final, by the period's rules."""
    period = db.get_or_404(SelectionPeriod, period_id)
    stage = _stage_arg()
    result, error = _ranking(period, stage)
    message = refusal_message("selection.ranking_failed", detail=error) if error else None
    return render_template(
        "selection/ranking.html",
        period=period,
        stage=stage,
        ranking=result,
        decimals=ScoreDecimals.of(result) if result else None,
        positions={p.code: p.title for p in period.positions},
        error=message,
    )


@dataclass(frozen=True)
class ScoreDecimals:
    """Decimals of each score column of a ranking as it is shown and exported: two, as every score,
    or more where two different scores of the column would read the same at two (the ranking
    compares them to six decimals), so no two candidates ranked apart show the same number."""

    sections: list[int]
    basic: int
    field: int
    final: int

    @classmethod
    def of(cls, result) -> ScoreDecimals:
        rows = result.rows
        return cls(
            [telling_decimals(r.sections[i] for r in rows) for i in range(len(result.section_names))],
            telling_decimals(r.basic_total for r in rows),
            telling_decimals(r.field_score for r in rows),
            telling_decimals(r.final_score for r in rows),
        )

    @property
    def columns(self) -> list[int]:
        """In the export's order: sections, SKD total, SKB, final."""
        return [*self.sections, self.basic, self.field, self.final]


def _export_rows(result, decimals: ScoreDecimals) -> tuple[list[str], list[list]]:
    """The ranking export: readable column names, each code column ("(kode)") next to its label, and
    the scores written to the decimals they are shown with (:class:`ScoreDecimals`)."""
    header = [
        _("Nomor peserta"), _("Formasi"), _("Kategori"), _("Kategori (kode)"), *result.section_names, _("Total SKD"),
        _("Nilai SKB"), _("Nilai akhir"), _("Peringkat SKD"), _("Peringkat akhir"), _("Status"), _("Status (kode)"),
        _("Formasi penempatan"), _("Seri tidak terurai"), _("Catatan sesi"),
    ]  # fmt: skip
    rows = [
        [
            r.registration_number,
            r.position_code,
            label("applicant_category", r.category),
            r.category,
            *(
                rounded_decimal(v, d)
                for v, d in zip(
                    [*r.sections, r.basic_total, r.field_score, r.final_score], decimals.columns, strict=True
                )
            ),
            r.shortlist_rank or None,
            r.rank or None,
            label("selection_result", r.status),
            r.status,
            r.appointed_code,
            _("ya") if r.tie_unresolved else None,
            standing_note(r.standing) or None,
        ]  # fmt: skip
        for r in result.rows
    ]
    return header, rows


@bp.route("/panitia/periode/<int:period_id>/peringkat.csv")
@access.roles(*STAFF)
def ranking_csv(period_id: int):
    """The ranking as CSV (registration numbers, no names)."""
    period = db.get_or_404(SelectionPeriod, period_id)
    result, error = _ranking(period, _stage_arg())
    if result is None:
        abort(409, refusal_message("selection.ranking_failed", detail=error))
    header, rows = _export_rows(result, ScoreDecimals.of(result))
    return csv_attachment([header, *rows], f"peringkat-{period.code}-{result.stage}.csv", for_excel=False)


@bp.route("/panitia/periode/<int:period_id>/peringkat.xlsx")
@access.roles(*STAFF)
def ranking_xlsx(period_id: int):
    """The ranking as an Excel workbook, one sheet."""
    from openpyxl import Workbook

    period = db.get_or_404(SelectionPeriod, period_id)
    result, error = _ranking(period, _stage_arg())
    if result is None:
        abort(409, refusal_message("selection.ranking_failed", detail=error))
    decimals = ScoreDecimals.of(result)
    header, rows = _export_rows(result, decimals)
    book = Workbook()
    sheet = book.active
    sheet.title = label("selection_stage", result.stage)[:31]  # Excel's limit on a sheet's name
    sheet.append(header)
    for row in rows:
        sheet.append([sheet_value(v) for v in row])
    # Scores as numbers, shown with the page's decimals (columns 5 on: sections, SKD total, SKB, final).
    number_formats(sheet, {5 + offset: decimals_format(places) for offset, places in enumerate(decimals.columns)})
    sheet.freeze_panes = "A2"
    return xlsx_attachment(book, f"peringkat-{period.code}-{result.stage}.xlsx")


# --------------------------------------------------------------------------- announcements


def prepare_correction(form: AnnouncementForm, earlier: Announcement | None) -> None:
    """Fill the form with the correction of ``earlier`` that the sessions' standings call for."""
    if earlier is None:
        return
    affected = announcements.affected_sessions(db.session, earlier)
    if not affected:
        return
    form.stage.data = earlier.stage
    form.replaces.data = earlier.id
    form.title.data = _("Koreksi: %(title)s", title=earlier.title)[:200]
    form.correction_reason.data = announcements.correction_reason_for(affected)


@bp.route("/panitia/periode/<int:period_id>/umumkan", methods=["GET", "POST"])
@access.roles(*STAFF)
def publish(period_id: int):
    """Publish a stage's result as a signed announcement, or a correction of an earlier one."""
    period = db.get_or_404(SelectionPeriod, period_id)
    form = AnnouncementForm()
    form.stage.choices = [(k, label("selection_stage", k)) for k in ("administrative", "basic", "final")]
    earlier = db.session.scalars(
        select(Announcement).where(Announcement.period_id == period.id).order_by(Announcement.id)
    ).all()
    form.replaces.choices = [(0, _("(pengumuman baru)"))] + [(a.id, f"#{a.id} · {a.title}") for a in earlier]
    if request.method == "GET":
        prepare_correction(form, next((a for a in earlier if a.id == request.args.get("koreksi", type=int)), None))
    if form.validate_on_submit():
        stage = form.stage.data
        replaces = db.session.get(Announcement, form.replaces.data) if form.replaces.data else None
        with flash_refusal():
            if stage not in ("administrative", "basic", "final"):
                raise Refusal("selection.stage_unknown")
            if stage == "administrative":
                text, session_ids = announcements.administrative_csv(db.session, period)
            else:
                result, error = _ranking(period, stage)
                if result is None:
                    raise Refusal("selection.ranking_failed", detail=error)
                text, session_ids = announcements.ranking_csv(result, db.session)
            item = announcements.publish(
                db.session,
                period,
                stage=stage,
                title=form.title.data,
                csv_text=text,
                session_ids=session_ids,
                member_id=current_user.id,
                replaces=replaces,
                correction_reason=form.correction_reason.data,
            )
            return committed(
                _("Pengumuman diterbitkan dan ditandatangani."),
                url_for("selection.announcement", announcement_id=item.id),
            )
    return render_template("selection/publish.html", period=period, form=form)
