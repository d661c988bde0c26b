"""Import and export of items (CSV and IMS QTI 3.0)."""

from __future__ import annotations

from flask import current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_wtf.file import FileField
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectField, StringField
from wtforms.validators import Length

from examserver import access
from examserver.accounts.roles import ADMIN, ITEM_WRITER
from examserver.authoring import bp
from examserver.authoring.messages import error_message
from examserver.authoring.views import actor
from examserver.downloads import CSV, attachment
from examserver.errors import refusal_message
from examserver.extensions import db
from examserver.labels import choices
from examserver.wtforms_i18n import FlaskForm
from itembank import services
from itembank.csv_format import HEADER, export_csv, parse_csv
from itembank.models import ITEM_STATUSES, Item
from itembank.qti import export_package, parse_package
from itembank.refusal import Refusal
from itembank.transfer import ImportRejected, import_drafts

MAX_UPLOAD = 20 * 1024 * 1024


class ImportForm(FlaskForm):
    file = FileField()
    note = StringField(validators=[Length(max=500)])


class ExportForm(FlaskForm):
    format = SelectField(choices=[("csv", "CSV"), ("qti", "QTI 3.0 (zip)")])
    status = SelectField(choices=[("", "")] + [(s, s) for s in ITEM_STATUSES], validate_choice=True)


def transfer_message(code: str, fallback: str) -> str:
    """The translated message of an import error code, or the importer's own English text."""
    text = error_message(code)
    return fallback if text.endswith(f"({code}).") else text


@bp.route("/impor", methods=["GET", "POST"])
@access.roles(ITEM_WRITER, ADMIN)
def import_items():
    """Import items from CSV or a QTI 3.0 package: all rows are checked, and nothing is written if
    any row is wrong."""
    form = ImportForm()
    errors = []
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(MAX_UPLOAD + 1) if upload else b""
        name = (getattr(upload, "filename", "") or "").lower()
        if not data:
            flash(_("Pilih berkas CSV atau paket QTI."), "error")
        elif len(data) > MAX_UPLOAD:
            flash(_("Berkas lebih dari 20 MB."), "error")
        else:
            drafts, read_errors = parse_csv(data) if name.endswith(".csv") else parse_package(data)
            try:
                result = import_drafts(
                    db.session,
                    actor(),
                    drafts,
                    note=form.note.data or _("Impor %(name)s", name=name),
                    prior_errors=read_errors,
                )
            except ImportRejected as rejected:
                db.session.rollback()
                errors = rejected.errors
            except Refusal as error:
                db.session.rollback()
                flash(refusal_message(error.code), "error")
            else:
                db.session.commit()
                flash(_("%(n)d butir diimpor.", n=len(result.items)), "success")
    status = 422 if errors else 200
    return (
        render_template("authoring/import.html", form=form, errors=errors, message=transfer_message, columns=HEADER),
        status,
    )


@bp.route("/ekspor", methods=["GET", "POST"])
@access.roles(ADMIN)
def export_items():
    """Bulk export (administrators only); every exported item is logged."""
    form = ExportForm()
    form.status.choices = [("", _("Semua status")), *choices("item_status")]
    if request.method == "POST" and form.validate_on_submit():
        query = select(Item).options(selectinload(Item.versions), selectinload(Item.competency)).order_by(Item.code)
        if form.status.data:
            query = query.where(Item.status == form.status.data)
        items = db.session.scalars(query).all()
        services.record_export(db.session, actor(), items)
        db.session.commit()
        current_app.logger.info("item export", extra={"items": len(items), "format": form.format.data})
        if form.format.data == "csv":
            return attachment(export_csv(items).encode("utf-8-sig"), "bank-soal.csv", CSV)
        return attachment(export_package(items), "bank-soal-qti3.zip", "application/zip")
    return render_template("authoring/export.html", form=form)
