"""Candidates' selection pages: apply, upload documents, submit, see the result, appeal."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from examserver import access
from examserver.accounts.roles import CANDIDATE
from examserver.auth.forms import ConfirmForm
from examserver.errors import back_on_refusal, flash_refusal, refusal_message
from examserver.extensions import db
from examserver.outcome import committed
from examserver.selection import bp, services
from examserver.selection.documents import DOCUMENT_TYPES, stored_path
from examserver.selection.forms import AppealForm, ApplyForm, UploadForm
from examserver.selection.messages import category_label
from examserver.selection.models import Application, ApplicationDocument, Position
from examserver.selection.web import period_by_code, upload_dir
from itembank.database import utcnow
from itembank.refusal import Refusal


def own_application(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or application.candidate_id != current_user.id:
        abort(404)
    return application


def application_action(application_id: int) -> tuple[Application, str]:
    """The candidate's application for a form posted from its page, and the page (where a refusal goes back)."""
    return own_application(application_id), back_on_refusal(
        url_for("selection.application", application_id=application_id)
    )


@bp.route("/saya")
@access.roles(CANDIDATE)
def my_applications():
    """The candidate's applications across periods."""
    rows = db.session.scalars(
        select(Application).where(Application.candidate_id == current_user.id).order_by(Application.id.desc())
    ).all()
    return render_template("selection/my_applications.html", rows=rows)


@bp.route("/<code>/lamar", methods=["GET", "POST"])
@access.roles(CANDIDATE)
def apply(code: str):
    """Choose a position and category (one application per period); changeable until submitted.
    Outside the application window the page says so, with the window's dates, instead of a form."""
    period = period_by_code(code)
    existing = db.session.scalar(
        select(Application).where(Application.period_id == period.id, Application.candidate_id == current_user.id)
    )
    now = utcnow()
    if not services.is_open(period, now):
        return render_template("selection/apply_closed.html", period=period, existing=existing, now=now)
    if existing is not None and existing.status != "draft":
        # Submitted: nothing can change, so the choices are shown as they were sent, not as a form.
        return render_template("selection/apply_submitted.html", period=period, item=existing)
    form = ApplyForm(obj=existing if request.method == "GET" else None)
    form.position.choices = [(p.id, f"{p.code} · {p.title} · {p.location}") for p in period.positions]
    categories = sorted({c for p in period.positions for c in p.categories})
    form.category.choices = [(c, category_label(c)) for c in categories]
    if request.method == "GET" and existing is not None:
        form.position.data = existing.position_id
    if form.validate_on_submit():
        position = db.session.get(Position, form.position.data)
        with flash_refusal():
            if position is None:
                raise Refusal("selection.position_unknown")
            application = services.apply(
                db.session,
                period,
                position,
                current_user,
                category=form.category.data,
                education_score=form.education_score.data,
                birth_date=form.birth_date.data,
            )
            return committed(
                _("Lamaran disimpan sebagai draf. Unggah dokumen lalu kirim sebelum batas waktu."),
                url_for("selection.application", application_id=application.id),
            )
    return render_template("selection/apply.html", period=period, form=form, existing=existing)


@bp.route("/lamaran/<int:application_id>")
@access.roles(CANDIDATE)
def application(application_id: int):
    """The candidate's application: documents, submission, verification result and appeal."""
    item = own_application(application_id)
    upload = UploadForm()
    upload.doc_type.choices = [(k, DOCUMENT_TYPES[k].label) for k in item.position.required_documents]
    return render_template(
        "selection/application.html",
        item=item,
        upload=upload,
        confirm=ConfirmForm(),
        appeal_form=AppealForm(),
        missing=services.missing_documents(item),
        appeal_deadline=services.appeal_deadline(item),
        is_open=services.is_open(item.period, utcnow()),
        now=utcnow(),
    )


@bp.route("/lamaran/<int:application_id>/dokumen", methods=["POST"])
@access.roles(CANDIDATE)
def upload_document(application_id: int):
    """Upload one required document (checked, then stored under a generated name)."""
    item, back = application_action(application_id)
    form = UploadForm()
    form.doc_type.choices = [(k, k) for k in item.position.required_documents]
    if form.validate_on_submit():
        storage = form.file.data
        if storage is None or not getattr(storage, "filename", ""):
            raise Refusal("selection.upload_missing")
        data = storage.read(max(k.max_bytes for k in DOCUMENT_TYPES.values()) + 1)
        services.upload_document(db.session, item, form.doc_type.data, storage.filename, data, upload_dir())
        db.session.commit()
        flash(_("Dokumen diunggah."), "success")
    return redirect(back, 303)


@bp.route("/lamaran/<int:application_id>/kirim", methods=["POST"])
@access.roles(CANDIDATE)
def submit(application_id: int):
    """Submit the application; after this nothing can change."""
    item, back = application_action(application_id)
    if ConfirmForm().validate_on_submit():
        services.submit(db.session, item)
        db.session.commit()
        flash(_("Lamaran terkirim. Nomor pendaftaran Anda %(n)s.", n=item.registration_number), "success")
    return redirect(back, 303)


@bp.route("/lamaran/<int:application_id>/sanggah", methods=["POST"])
@access.roles(CANDIDATE)
def file_appeal(application_id: int):
    """File an appeal (sanggah) against a rejection, within the window."""
    item, back = application_action(application_id)
    form = AppealForm()
    if form.validate_on_submit():
        services.file_appeal(db.session, item, form.text.data)
        db.session.commit()
        flash(_("Sanggahan terkirim."), "success")
    else:
        flash(refusal_message("selection.appeal_too_short"), "error")
    return redirect(back, 303)


@bp.route("/lamaran/<int:application_id>/dokumen/<int:document_id>")
@access.roles(CANDIDATE)
def own_document(application_id: int, document_id: int):
    """Download one's own uploaded document."""
    item = own_application(application_id)
    return send_document(item, document_id)


def send_document(item: Application, document_id: int):
    document = db.session.get(ApplicationDocument, document_id)
    if document is None or document.application_id != item.id:
        abort(404)
    path = stored_path(upload_dir(), document.stored_name)
    if not path.is_file():
        abort(404)
    extension = document.stored_name.rsplit(".", 1)[-1]
    response = make_response(path.read_bytes())
    response.headers["Content-Type"] = document.content_type
    response.headers["Content-Disposition"] = (
        f"attachment; filename={item.registration_number}-{document.doc_type}.{extension}"
    )
    return response
