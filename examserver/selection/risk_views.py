"""The committee's at-risk page: positions expected below one qualified finalist per seat, with
outreach targets, a chart by region, CSV and XLSX exports and, after the basic test, the forecast
against what happened."""

from __future__ import annotations

from flask import render_template
from flask_babel import format_decimal
from flask_babel import gettext as _

from examserver import access
from examserver.accounts.roles import ADMIN, COMMITTEE
from examserver.downloads import csv_attachment, xlsx_attachment
from examserver.extensions import db
from examserver.labels import label
from examserver.selection import bp
from examserver.selection.charts import region_chart_svg
from examserver.selection.models import SelectionPeriod
from examserver.selection.risk import RiskReport, Target, at_risk
from examserver.spreadsheet import inert_cell

STAFF = (COMMITTEE, ADMIN)


@bp.route("/panitia/periode/<int:period_id>/formasi-rawan")
@access.roles(*STAFF)
def at_risk_positions(period_id: int):
    """Per position: seats, applicants, expected pass rate and finalists per seat with interval, flag, outreach."""
    period = db.get_or_404(SelectionPeriod, period_id)
    report = at_risk(db.session, period)
    return render_template(
        "selection/at_risk.html",
        period=period,
        report=report,
        chart=region_chart_svg(report.regions),
        thresholds=", ".join(f"{name} ≥ {format_decimal(value)}" for name, value in report.thresholds.minimums),
    )


def _targets(targets: tuple[Target, ...]) -> str:
    return "; ".join(f"{t.name} ({t.qualified})" for t in targets)


def _export_rows(report: RiskReport) -> list[list]:
    # People read this file: column names in their language, values as labels.
    header = [
        _("Formasi"), _("Jabatan"), _("Jenjang"), _("Kuota"), _("Pelamar"), _("Memenuhi syarat"),
        _("Menunggu verifikasi"), _("Perkiraan tingkat lulus"), _("Perkiraan lulus"), _("Batas bawah"),
        _("Batas atas"), _("Per kursi"), _("Peluang kurang dari kuota"), _("Ditandai"), _("Sasaran wilayah"),
        _("Sasaran program studi"), _("Lulus sebenarnya"), _("Dalam interval"),
    ]  # fmt: skip
    rows: list[list] = [header]
    for r in report.rows:
        rows.append(
            [
                r.position.code, r.position.title, label("education_level", r.level), r.position.quota, r.applicants,
                r.meeting, r.pending, round(r.pass_rate, 4), round(r.expected, 2), r.lower, r.upper,
                round(r.per_seat, 3), round(r.shortfall, 4), _("ya") if r.flagged else _("tidak"),
                _targets(r.regions), _targets(r.programmes), r.actual,
                None if r.inside is None else (_("ya") if r.inside else _("tidak")),
            ]
        )  # fmt: skip
    return rows


@bp.route("/panitia/periode/<int:period_id>/formasi-rawan.csv")
@access.roles(*STAFF)
def at_risk_csv(period_id: int):
    """The at-risk table as CSV."""
    period = db.get_or_404(SelectionPeriod, period_id)
    return csv_attachment(_export_rows(at_risk(db.session, period)), f"formasi-rawan-{period.code}.csv")


@bp.route("/panitia/periode/<int:period_id>/formasi-rawan.xlsx")
@access.roles(*STAFF)
def at_risk_xlsx(period_id: int):
    """The at-risk table as an Excel workbook, one sheet."""
    from openpyxl import Workbook

    period = db.get_or_404(SelectionPeriod, period_id)
    book = Workbook()
    sheet = book.active
    sheet.title = _("formasi rawan")[:31]
    for row in _export_rows(at_risk(db.session, period)):
        sheet.append([inert_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    return xlsx_attachment(book, f"formasi-rawan-{period.code}.xlsx")
