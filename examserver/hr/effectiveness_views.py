"""Recruitment effectiveness: how well each selection score predicted later performance, corrected
for range restriction, and adverse impact by region and gender; a report with plots."""

from __future__ import annotations

import numpy as np
from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from examserver import access
from examserver.accounts.roles import ADMIN, COMMITTEE, HR_OFFICER
from examserver.extensions import db
from examserver.hr import bp
from examserver.hr.analysis import effectiveness as build_report
from examserver.hr.messages import score_label
from examserver.hr.models import RecruitmentIntake
from examserver.numbers import format_number
from scoring.effectiveness import MIN_BOOTSTRAP

READERS = (HR_OFFICER, ADMIN, COMMITTEE)


def _intake():
    intakes = db.session.scalars(select(RecruitmentIntake).order_by(RecruitmentIntake.id.desc())).all()
    chosen = request.args.get("angkatan", type=int)
    intake = next((i for i in intakes if i.id == chosen), intakes[0] if intakes else None)
    return intake, intakes


def _report(intake: RecruitmentIntake):
    # One fixed seed: the same data always gives the same intervals on the page and in its plots.
    return build_report(db.session, intake, n_boot=2000, rng=2026)


def _points(intake: RecruitmentIntake):
    """The report for the charts that show no interval (the scatters, the impact ratios): the
    smallest bootstrap the analysis accepts, since their points, r and ratios do not depend on it
    and 2,000 replicates per score cost most of such a chart's time."""
    return build_report(db.session, intake, n_boot=MIN_BOOTSTRAP, rng=2026)


@bp.route("/efektivitas")
@access.roles(*READERS)
def effectiveness():
    """Validity of each selection score with bootstrap intervals, the Thorndike II correction and adverse impact."""
    intake, intakes = _intake()
    report = _report(intake) if intake is not None else None
    return render_template(
        "hr/effectiveness.html", intake=intake, intakes=intakes, report=report, score_label=score_label
    )


@bp.route("/efektivitas/<int:intake_id>/validitas.png")
@access.roles(*READERS)
def effectiveness_validity_png(intake_id: int):
    """Forest plot of observed and corrected validity per selection score."""
    intake = db.get_or_404(RecruitmentIntake, intake_id)
    report = _report(intake)
    if not report.validity:
        abort(404)
    rows = report.validity
    return _png(
        "validity_png",
        [score_label(r.key) for r in rows],
        np.array([r.result.r for r in rows]),
        np.array([[r.result.ci_bca.low, r.result.ci_bca.high] for r in rows]),
        np.array([r.result.corrected for r in rows]),
        np.array([[r.result.corrected_ci_bca.low, r.result.corrected_ci_bca.high] for r in rows]),
        legend=(_("teramati pada yang diterima"), _("dikoreksi restriksi rentang")),
        xlabel=_("Korelasi dengan kinerja (interval 95%)"),
        title=_("Validitas prediktif per instrumen"),
    )


@bp.route("/efektivitas/<int:intake_id>/sebaran/<key>.png")
@access.roles(*READERS)
def effectiveness_scatter_png(intake_id: int, key: str):
    """Scatter of one selection score against performance among the hired."""
    intake = db.get_or_404(RecruitmentIntake, intake_id)
    row = next((r for r in _points(intake).validity if r.key == key), None) or abort(404)
    return _png(
        "scatter_png",
        row.scores,
        row.performance,
        xlabel=score_label(key),
        ylabel=_("Kinerja (gabungan, 0-100)"),
        title=_("%(score)s dan kinerja, r = %(r)s", score=score_label(key), r=format_number(row.result.r, "statistic")),
    )


@bp.route("/efektivitas/<int:intake_id>/dampak/<attribute>.png")
@access.roles(*READERS)
def effectiveness_impact_png(intake_id: int, attribute: str):
    """Impact ratios of one grouping against the four-fifths line."""
    intake = db.get_or_404(RecruitmentIntake, intake_id)
    impact = _points(intake).impact.get(attribute) or abort(404)
    return _png(
        "impact_png",
        [str(g) for g in impact.groups.tolist()],
        impact.impact_ratio,
        impact.threshold,
        xlabel=_("Rasio tingkat kelulusan terhadap kelompok tertinggi"),
        title=_("Dampak merugikan (aturan empat perlima)"),
    )


def _png(chart: str, *args, **options) -> Response:
    """The chart ``examserver.hr.charts.<chart>`` drawn with the reader's decimal sign, as the image
    response (the charts module, and matplotlib with it, is imported by the first chart: see charts.py)."""
    from examserver.hr import charts

    draw = getattr(charts, chart)
    return Response(draw(*args, decimal=charts.decimal_sign(), **options), mimetype="image/png")
