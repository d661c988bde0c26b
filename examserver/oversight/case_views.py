"""The inspectorate's pages: the case list, a case with its steps, evidence and the records it
names, and the sanctions register with its four-eyes confirmation. Inspectors only: reporters'
identities and evidence are shown nowhere else."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from examserver import access
from examserver.accounts.models import User
from examserver.accounts.roles import INSPECTOR
from examserver.delivery.integrity import anchor_file
from examserver.errors import back_on_refusal, flash_refusal
from examserver.extensions import db
from examserver.formdata import field_values, flash_form_errors
from examserver.labels import label
from examserver.oversight import bp, services
from examserver.oversight.forms import AssessForm, ConcludeForm, ConfirmSanctionForm, InvestigateForm, SanctionForm
from examserver.oversight.models import CASE_STATUSES, Complaint, Evidence, Sanction
from examserver.oversight.public_views import evidence_dir
from examserver.oversight.records import named_records
from examserver.selection.documents import stored_path
from examserver.selection.web import list_periods
from examserver.wib import to_wib
from itembank.database import utcnow
from proctoring.standing import standing_of


@bp.route("/inspektorat/")
@access.roles(INSPECTOR)
def cases():
    """Complaints, the newest first, by status; with the sanctions that wait for a second inspector."""
    status = request.args.get("status")
    query = select(Complaint).order_by(Complaint.id.desc())
    if status in CASE_STATUSES:
        query = query.where(Complaint.status == status)
    counts = dict(db.session.execute(select(Complaint.status, func.count()).group_by(Complaint.status)).tuples().all())
    pending = db.session.scalar(select(func.count(Sanction.id)).where(Sanction.confirmed_at.is_(None)))
    return render_template(
        "oversight/cases.html", rows=db.session.scalars(query.limit(200)).all(), status=status, counts=counts,
        pending=pending or 0,
    )  # fmt: skip


def _case_page(complaint: Complaint, **forms):
    sanction_form = list_periods(forms.pop("sanction", None) or SanctionForm(formdata=None), blank=_("(tidak ada)"))
    people = {row.id: row for row in db.session.scalars(select(User).where(User.id.in_(_people_of(complaint))))}
    return render_template(
        "oversight/case.html",
        case=complaint,
        assess=forms.get("assess") or AssessForm(formdata=None),
        investigate=forms.get("investigate") or InvestigateForm(formdata=None),
        conclude=forms.get("conclude") or ConcludeForm(formdata=None),
        sanction_form=sanction_form,
        confirm=ConfirmSanctionForm(formdata=None),
        people=people,
    )


def _people_of(complaint: Complaint) -> set[int]:
    ids = {step.actor_id for step in complaint.steps if step.actor_id}
    for sanction in complaint.sanctions:
        ids |= {sanction.person_id, sanction.proposed_by_id, sanction.confirmed_by_id or sanction.proposed_by_id}
    if complaint.staff_id:
        ids.add(complaint.staff_id)
    return ids


@bp.route("/inspektorat/kasus/<int:case_id>")
@access.roles(INSPECTOR)
def case(case_id: int):
    """A case: the report, the reporter (if named), evidence, steps, the records it names, sanctions."""
    return _case_page(db.get_or_404(Complaint, case_id))


def _advance(case_id: int, status: str, key: str, form, **values):
    complaint = db.get_or_404(Complaint, case_id)
    if form.validate_on_submit():
        with flash_refusal(form.reason):
            services.advance(db.session, complaint, status, reason=form.reason.data, actor_id=current_user.id, **values)
            db.session.commit()
            flash(_("Status pengaduan: %(status)s.", status=label("complaint_status", status)), "success")
            return redirect(url_for("oversight.case", case_id=case_id)), 303
    return _case_page(complaint, **{key: form})


@bp.route("/inspektorat/kasus/<int:case_id>/telaah", methods=["POST"])
@access.roles(INSPECTOR)
def assess(case_id: int):
    """Assess a received complaint, linking the records it names."""
    form = AssessForm()
    named = services.NamedRecords(
        session_number=form.session_number.data or "",
        application_number=form.application_number.data or "",
        staff_email=form.staff_email.data or "",
    )
    return _advance(case_id, "assessed", "assess", form, named=named)


@bp.route("/inspektorat/kasus/<int:case_id>/periksa", methods=["POST"])
@access.roles(INSPECTOR)
def investigate(case_id: int):
    """Open the investigation of an assessed complaint."""
    return _advance(case_id, "investigating", "investigate", InvestigateForm())


@bp.route("/inspektorat/kasus/<int:case_id>/simpulkan", methods=["POST"])
@access.roles(INSPECTOR)
def conclude(case_id: int):
    """Conclude a case: substantiated or not, with the inspectorate's reason and the public conclusion."""
    form = ConcludeForm()
    return _advance(
        case_id, "concluded", "conclude", form, outcome=form.outcome.data, public_conclusion=form.public_conclusion.data
    )


@bp.route("/inspektorat/kasus/<int:case_id>/catatan")
@access.roles(INSPECTOR)
def records(case_id: int):
    """Read-only: the integrity log, declarations and decisions, verification history the case names."""
    complaint = db.get_or_404(Complaint, case_id)
    found = named_records(db.session, complaint)
    standing = standing_of(db.session, found.exam.id) if found.exam is not None else None
    return render_template(
        "oversight/records.html",
        case=complaint,
        found=found,
        standing=standing,
        # Whose session and application they are: the sanction form asks for that person's email.
        exam_candidate=db.session.get(User, found.exam.candidate_id) if found.exam is not None else None,
        applicant=db.session.get(User, found.application.candidate_id) if found.application is not None else None,
    )


@bp.route("/inspektorat/kasus/<int:case_id>/bukti/<int:evidence_id>")
@access.roles(INSPECTOR)
def evidence(case_id: int, evidence_id: int):
    """Download one evidence file of a case."""
    item = db.session.get(Evidence, evidence_id)
    if item is None or item.complaint_id != case_id:
        abort(404)
    path = stored_path(evidence_dir(), item.stored_name)
    if not path.is_file():
        abort(404)
    response = make_response(path.read_bytes())
    response.headers["Content-Type"] = item.content_type
    extension = item.stored_name.rsplit(".", 1)[-1]
    response.headers["Content-Disposition"] = f"attachment; filename=bukti-{case_id}-{item.id}.{extension}"
    return response


@bp.route("/inspektorat/kasus/<int:case_id>/sanksi", methods=["POST"])
@access.roles(INSPECTOR)
def propose(case_id: int):
    """Propose a sanction from a substantiated case; a second inspector must confirm it."""
    complaint = db.get_or_404(Complaint, case_id)
    form = list_periods(SanctionForm(), blank=_("(tidak ada)"))
    if form.validate_on_submit():
        terms = services.SanctionTerms(
            period_id=form.period.data, **field_values(form, "kind", "person_email", "reason", "periods", "until")
        )
        with flash_refusal(form.kind):
            services.propose_sanction(
                db.session, complaint, terms, actor_id=current_user.id, today=to_wib(utcnow()).date()
            )
            db.session.commit()
            flash(_("Sanksi diusulkan. Sanksi berlaku setelah dikukuhkan inspektur lain."), "success")
            return redirect(url_for("oversight.case", case_id=case_id)), 303
    return _case_page(complaint, sanction=form)


@bp.route("/inspektorat/sanksi")
@access.roles(INSPECTOR)
def sanctions():
    """The sanctions register: every proposal and confirmation, the newest first."""
    rows = db.session.scalars(
        select(Sanction)
        .options(selectinload(Sanction.complaint), selectinload(Sanction.period))
        .order_by(Sanction.id.desc())
        .limit(500)
    ).all()
    ids = {r.person_id for r in rows} | {r.proposed_by_id for r in rows} | {r.confirmed_by_id or 0 for r in rows}
    people = {row.id: row for row in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return render_template("oversight/sanctions.html", rows=rows, people=people)


@bp.route("/inspektorat/sanksi/<int:sanction_id>/kukuhkan", methods=["POST"])
@access.roles(INSPECTOR)
def confirm(sanction_id: int):
    """A second inspector confirms a proposed sanction."""
    sanction = db.get_or_404(Sanction, sanction_id)
    back = back_on_refusal(url_for("oversight.case", case_id=sanction.complaint_id))
    form = ConfirmSanctionForm()
    if form.validate_on_submit():
        services.confirm_sanction(db.session, sanction, actor_id=current_user.id, anchor_file=anchor_file())
        db.session.commit()
        flash(_("Sanksi dikukuhkan dan kini berlaku."), "success")
    else:
        flash_form_errors(form)
    return redirect(back), 303
