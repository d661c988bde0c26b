"""Cohort views: the heat map of credible gaps by unit, region or position, and training plans
within a budget (a MILP), exportable to CSV and XLSX."""

from __future__ import annotations

import math
import textwrap

import numpy as np
from flask import Response, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from examserver import access
from examserver.downloads import csv_attachment, xlsx_attachment
from examserver.errors import flash_refusal, refusal_message
from examserver.extensions import db
from examserver.hr import bp
from examserver.hr.analysis import GROUPINGS, heatmap, load_catalogue, load_workforce
from examserver.hr.forms import TrainingPlanForm
from examserver.hr.messages import competency_name
from examserver.hr.models import Employee, PositionProfile, TrainingPlan
from examserver.hr.services import build_training_plan
from examserver.hr.views import HR
from examserver.labels import label
from examserver.numbers import rounded_decimal
from examserver.outcome import committed
from examserver.spreadsheet import decimals_format, inert_cell, number_formats, sheet_value

METRICS = ("share", "gap")
#: Characters per line of a competency's name under the heat map's columns (wrapped at spaces).
NAME_WIDTH = 16


def _column_label(competency) -> str:
    """A heat map column: the competency's name, wrapped, and its code below it (two competencies may
    share a name: Integritas of the TWK test and of the managerial competencies)."""
    return "\n".join([*textwrap.wrap(competency_name(competency), NAME_WIDTH), f"({competency.code})"])


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    value = request.args.get(name, allowed[0])
    return value if value in allowed else allowed[0]


@bp.route("/kohort")
@access.roles(*HR)
def cohort():
    """Heat map of credible gaps per unit, region or position, with the same numbers as a table."""
    by, metric = _choice("per", ("unit", "region", "position")), _choice("ukuran", METRICS)
    workforce = load_workforce(db.session)
    table = heatmap(workforce, by) if workforce is not None and workforce.competencies else None
    return render_template(
        "hr/cohort.html",
        by=by,
        metric=metric,
        groupings=GROUPINGS,
        table=table,
        competencies=workforce.competencies if workforce else (),
    )


@bp.route("/kohort/peta.png")
@access.roles(*HR)
def cohort_png():
    """The heat map as a PNG drawn on the server."""
    by, metric = _choice("per", ("unit", "region", "position")), _choice("ukuran", METRICS)
    workforce = load_workforce(db.session)
    if workforce is None or not workforce.competencies:
        abort(404)
    table = heatmap(workforce, by)
    if metric == "share":
        values, vmax, colour_label = table.credible_share, 1.0, _("Bagian pegawai dengan kesenjangan nyata")
    else:
        values = table.mean_credible_gap
        finite = values[np.isfinite(values)]
        vmax = max(float(finite.max()) if finite.size else 0.0, 0.5)
        colour_label = _("Rata-rata kesenjangan nyata (logit)")
    rows = [f"{g} (n={n})" for g, n in zip(table.groups.tolist(), table.n_employees.tolist(), strict=True)]
    from examserver.hr.charts import decimal_sign, heatmap_png  # matplotlib: see charts.py

    image = heatmap_png(
        values,
        rows,
        [_column_label(c) for c in workforce.competencies],
        title=_("Kesenjangan kompetensi per %(by)s", by=label("employee_grouping", by)),
        colour_label=colour_label,
        vmax=vmax,
        decimal=decimal_sign(),
    )
    return Response(image, mimetype="image/png")


# --------------------------------------------------------------------------- training plans


def _employee_ids(grouping: str, value: str | None) -> list[int]:
    query = select(Employee.id)
    if grouping == "unit":
        query = query.where(Employee.unit == value)
    elif grouping == "region":
        query = query.where(Employee.region == value)
    elif grouping == "position":
        query = query.join(PositionProfile).where((PositionProfile.title == value) | (PositionProfile.code == value))
    return list(db.session.scalars(query))


@bp.route("/rencana-pelatihan", methods=["GET", "POST"])
@access.roles(*HR)
def training_plans():
    """Saved training plans and the form that builds a new one within a budget."""
    form = TrainingPlanForm()
    if form.validate_on_submit():
        value = (form.group_value.data or "").strip() or None
        if form.grouping.data != "all" and value is None:
            form.group_value.errors.append(_("Isi unit, wilayah atau jabatan yang dipilih."))
        else:
            ids = _employee_ids(form.grouping.data, value)
            workforce = load_workforce(db.session, ids) if ids else None
            catalogue = load_catalogue(db.session, workforce.competencies) if workforce else None
            if workforce is None:
                flash(refusal_message("hr.no_employees"), "error")
            elif catalogue is None:
                flash(refusal_message("hr.no_catalogue"), "error")
            else:
                with flash_refusal():
                    plan = build_training_plan(
                        db.session,
                        workforce,
                        catalogue,
                        title=form.title.data.strip(),
                        budget=form.budget.data,
                        grouping=form.grouping.data,
                        group_value=value if form.grouping.data != "all" else None,
                        orientation_for_new_hires=form.orientation.data,
                        max_programmes_per_employee=form.max_programmes.data,
                        actor_id=current_user.id,
                    )
                    return committed(
                        _("Rencana pelatihan disusun dan disimpan."), url_for("hr.training_plan", plan_id=plan.id)
                    )
    plans = db.session.scalars(select(TrainingPlan).order_by(TrainingPlan.id.desc())).all()
    return render_template("hr/training_plans.html", form=form, plans=plans)


@bp.route("/rencana-pelatihan/<int:plan_id>")
@access.roles(*HR)
def training_plan(plan_id: int):
    """A saved training plan: programmes, runs, participants, cost and who attends."""
    plan = db.get_or_404(TrainingPlan, plan_id)
    by_programme: dict[int, list] = {}
    for assignment in plan.assignments:
        by_programme.setdefault(assignment.programme_id, []).append(assignment.employee)
    return render_template(
        "hr/training_plan.html",
        plan=plan,
        by_programme=by_programme,
    )


#: Decimals of the gaps closed an export writes: two, as the plan's page shows logits.
GAP_DECIMALS = 2
#: How Excel shows the numbers of the workbook, each in the notation of the reader's spreadsheet:
#: whole rupiah grouped (Rp 4.500.000 in Indonesian), gaps with two decimals (1,25).
RUPIAH_FORMAT = '"Rp "#,##0'
GAP_FORMAT = decimals_format(GAP_DECIMALS)


def _export_rows(plan: TrainingPlan) -> tuple[list[str], list[list]]:
    """One row per participant; costs in whole rupiah (an int: no decimal point for a spreadsheet to
    misread as a thousands separator), gaps as the page shows them, to :data:`GAP_DECIMALS` (the
    app's rule for exports, as the ranking's: "2.00", never Python's "2.0" or "1.2345")."""
    header = [
        _("Kode program"), _("Program"), _("Moda"), _("Angkatan"), _("Peserta pelatihan"), _("Biaya"),
        _("Kesenjangan tertutup"), _("NIP"), _("Nama"), _("Unit kerja"), _("Wilayah"),
    ]  # fmt: skip
    rows = []
    by_programme: dict[int, list] = {}
    for assignment in plan.assignments:
        by_programme.setdefault(assignment.programme_id, []).append(assignment.employee)
    for line in plan.lines:
        p = line.programme
        head = [p.code, p.name, label("training_mode", p.mode), line.runs, line.participants, round(line.cost)]
        head.append(rounded_decimal(line.gap_closed, GAP_DECIMALS))
        for employee in sorted(by_programme.get(p.id, []), key=lambda e: e.full_name):
            rows.append([*head, employee.nip, employee.full_name, employee.unit, employee.region])
    return [str(h) for h in header], rows


@bp.route("/rencana-pelatihan/<int:plan_id>.csv")
@access.roles(*HR)
def training_plan_csv(plan_id: int):
    """The plan as CSV (UTF-8 with BOM so Excel reads it), one line per participant."""
    plan = db.get_or_404(TrainingPlan, plan_id)
    header, rows = _export_rows(plan)
    return csv_attachment([header, *rows], f"rencana-pelatihan-{plan.id}.csv")


@bp.route("/rencana-pelatihan/<int:plan_id>.xlsx")
@access.roles(*HR)
def training_plan_xlsx(plan_id: int):
    """The plan as an XLSX workbook: a summary sheet and a participants sheet, numbers as numbers."""
    from openpyxl import Workbook

    plan = db.get_or_404(TrainingPlan, plan_id)
    header, rows = _export_rows(plan)
    book = Workbook()
    summary = book.active
    summary.title = _("ringkasan")
    summary.append([_("Rencana"), inert_cell(plan.title)])
    summary.append([_("Anggaran"), round(plan.budget)])
    summary.append([_("Biaya"), round(plan.total_cost)])
    summary.append([_("Kesenjangan tertutup"), round(plan.total_gap_closed, GAP_DECIMALS)])
    summary["B2"].number_format = summary["B3"].number_format = RUPIAH_FORMAT
    summary["B4"].number_format = GAP_FORMAT
    summary.append([])
    summary.append([str(h) for h in header[:7]])
    lines_from = summary.max_row + 1
    for line in plan.lines:
        p = line.programme
        summary.append(
            [inert_cell(p.code), inert_cell(p.name), label("training_mode", p.mode), line.runs, line.participants,
             round(line.cost), round(line.gap_closed, GAP_DECIMALS)]
        )  # fmt: skip
    number_formats(summary, {6: RUPIAH_FORMAT, 7: GAP_FORMAT}, lines_from)
    sheet = book.create_sheet(_("peserta"))
    sheet.append(header)
    for row in rows:
        sheet.append([sheet_value(v) for v in row])
    number_formats(sheet, {6: RUPIAH_FORMAT, 7: GAP_FORMAT})
    sheet.freeze_panes = "A2"
    return xlsx_attachment(book, f"rencana-pelatihan-{plan.id}.xlsx")


def finite(value: float) -> bool:
    """Whether a heat-map cell has a value (a template test)."""
    return value is not None and not math.isnan(value)


bp.add_app_template_test(finite, "finite_number")
bp.add_app_template_filter(competency_name, "competency_name")
