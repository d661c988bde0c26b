"""Blueprint and form pages of the item bank."""

from __future__ import annotations

import numpy as np
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from examserver import access
from examserver.accounts.roles import ADMIN, COMMITTEE, ITEM_WRITER, REVIEWER
from examserver.auth.forms import ConfirmForm
from examserver.authoring import bp
from examserver.authoring.charts import line_chart
from examserver.authoring.forms import MAX_SECTIONS, AssembleForm, BlueprintForm
from examserver.authoring.messages import field_label
from examserver.authoring.views import actor, all_competency_choices
from examserver.errors import back_on_refusal, refusal_message
from examserver.extensions import db
from examserver.outcome import committed
from itembank import blueprints
from itembank.item_types import ItemValidationError
from itembank.models import TestBlueprint, TestForm, TestFormItem
from itembank.refusal import Refusal

VIEWERS = (ITEM_WRITER, REVIEWER, COMMITTEE, ADMIN)
EDITORS = (REVIEWER, COMMITTEE, ADMIN)


@bp.route("/cetak-biru")
@access.roles(*VIEWERS)
def blueprint_list():
    """All test blueprints."""
    rows = db.session.scalars(select(TestBlueprint).order_by(TestBlueprint.code)).all()
    return render_template("authoring/blueprints.html", blueprints=rows)


@bp.route("/cetak-biru/baru", methods=["GET", "POST"])
@access.roles(*EDITORS)
def create_blueprint():
    """Define a blueprint: sections per competency, time, delivery mode, scale, thresholds."""
    form = BlueprintForm()
    choices = all_competency_choices(_("(tidak dipakai)"))
    for n in range(1, MAX_SECTIONS + 1):
        form[f"s{n}_competency"].choices = choices
    if form.validate_on_submit():
        sections = []
        for n in range(1, MAX_SECTIONS + 1):
            competency_id = form[f"s{n}_competency"].data
            if not competency_id:
                continue
            threshold = form[f"s{n}_threshold"].data
            scaled_threshold = form[f"s{n}_scaled_threshold"].data
            sections.append(
                blueprints.SectionSpec(
                    competency_id=competency_id,
                    title=form[f"s{n}_title"].data or "",
                    item_count=form[f"s{n}_count"].data or 0,
                    scoring_rule=form[f"s{n}_rule"].data,
                    points_per_correct=form[f"s{n}_points"].data or 5,
                    pass_threshold=float(threshold) if threshold is not None else None,
                    scaled_threshold=float(scaled_threshold) if scaled_threshold is not None else None,
                )
            )
        scale = (
            {"kind": "range", "min": form.scale_a.data, "max": form.scale_b.data}
            if form.scale_kind.data == "range"
            else {"kind": "normal", "mean": form.scale_a.data, "sd": form.scale_b.data}
        )
        try:
            blueprint = blueprints.create_blueprint(
                db.session,
                actor(),
                code=form.code.data,
                name=form.name.data,
                time_limit_minutes=form.time_limit_minutes.data,
                delivery_mode=form.delivery_mode.data,
                reporting_scale=scale,
                sections=sections,
                description=form.description.data,
            )
        except (ItemValidationError, Refusal) as error:
            db.session.rollback()
            field = getattr(error, "field", "")
            message = blueprint_error(error.code)
            flash(f"{field_label(field)}: {message}" if field else message, "error")
        else:
            return committed(
                _("Cetak biru %(code)s dibuat.", code=blueprint.code),
                url_for("authoring.blueprint_detail", blueprint_id=blueprint.id),
            )
    status = 422 if request.method == "POST" else 200
    return render_template("authoring/blueprint_form.html", form=form, max_sections=MAX_SECTIONS), status


def blueprint_error(code: str, **params) -> str:
    """The text of a blueprint refusal, or of a bare blueprint validation code (``item.<code>``)."""
    return refusal_message(code if "." in code else f"item.{code}", **params)


@bp.route("/cetak-biru/<int:blueprint_id>")
@access.roles(*VIEWERS)
def blueprint_detail(blueprint_id: int):
    """A blueprint: its sections with the available pool, and its forms."""
    blueprint = db.get_or_404(TestBlueprint, blueprint_id)
    pools = {section.id: len(blueprints.section_pool(db.session, section)) for section in blueprint.sections}
    return render_template("authoring/blueprint.html", blueprint=blueprint, pools=pools, assemble_form=AssembleForm())


@bp.route("/cetak-biru/<int:blueprint_id>/susun", methods=["POST"])
@access.roles(*EDITORS)
def assemble(blueprint_id: int):
    """Assemble parallel fixed forms matched on test information."""
    blueprint = db.get_or_404(TestBlueprint, blueprint_id)
    form = AssembleForm()
    if form.validate_on_submit():
        try:
            forms = blueprints.assemble_forms(db.session, actor(), blueprint, form.n_forms.data)
        except Refusal as error:
            db.session.rollback()
            params = dict(getattr(error, "params", {}))
            if "section" in params:
                params["section"] = blueprint.sections[params["section"]].title
            flash(blueprint_error(error.code, **params), "error")
        else:
            db.session.commit()
            flash(_("%(n)d naskah disusun.", n=len(forms)), "success")
    else:
        flash(_("Jumlah naskah harus 1 sampai 10."), "error")
    return redirect(url_for("authoring.blueprint_detail", blueprint_id=blueprint.id)), 303


@bp.route("/naskah/<int:form_id>")
@access.roles(*VIEWERS)
def form_detail(form_id: int):
    """A fixed form: items in order, pinned versions, its information function."""
    rows = selectinload(TestForm.entries)
    related = (TestFormItem.item, TestFormItem.version, TestFormItem.section)
    # Its rows with their items, versions and sections in four statements, not two per row.
    test_form = db.get_or_404(TestForm, form_id, options=[rows.selectinload(column) for column in related])
    chart = None
    assembly = test_form.assembly or {}
    if assembly.get("information"):
        chart = line_chart(
            np.asarray(assembly["theta"]),
            np.asarray(assembly["information"]),
            title=_("Fungsi informasi tes"),
            ymax=max(max(assembly["information"]), max(assembly["target"])),
            ylabel="I(θ)",
        )
    return render_template("authoring/form.html", test_form=test_form, chart=chart, confirm=ConfirmForm())


@bp.route("/naskah/<int:form_id>/terbitkan", methods=["POST"])
@access.roles(*EDITORS)
def publish_form(form_id: int):
    """Freeze a draft form so it can be delivered."""
    test_form = db.get_or_404(TestForm, form_id)
    back = back_on_refusal(url_for("authoring.form_detail", form_id=test_form.id))
    if ConfirmForm().validate_on_submit():
        blueprints.publish_form(actor(), test_form)
        return committed(_("Naskah %(code)s diterbitkan.", code=test_form.code), back)
    return redirect(back), 303
