"""HR officers' pages: employees, competency gaps with their uncertainty, development plans, the
training catalogue, position profiles and appointing selected candidates."""

from __future__ import annotations

import math

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from examserver import access
from examserver.accounts.roles import ADMIN, HR_OFFICER
from examserver.errors import flash_refusal, refusal_message
from examserver.extensions import db
from examserver.formdata import field_values
from examserver.hr import bp
from examserver.hr.analysis import load_catalogue, load_workforce
from examserver.hr.forms import AppointForm, ProfileForm, ProgrammeForm
from examserver.hr.messages import competency_name, plan_reason
from examserver.hr.models import (
    CommunityFeedback,
    ConsultationComment,
    DevelopmentPlan,
    Employee,
    PositionProfile,
    ProfileRequirement,
    SupervisorRating,
    TrainingPlan,
    TrainingProgramme,
)
from examserver.hr.services import ProgrammeData, appoint_from_period, proposed_plan, save_programme
from examserver.hr.services import save_development_plan as save_plan
from examserver.numbers import parse_number
from examserver.outcome import committed
from examserver.selection.web import chosen_period, list_periods
from itembank.models import Competency

HR = (HR_OFFICER, ADMIN)


@bp.app_context_processor
def hr_helpers():
    return {"plan_reason": plan_reason}


#: The programme form's fields that :class:`ProgrammeData` takes as they are.
PROGRAMME_TERMS = "mode hours capacity cost_per_run cost_per_participant max_runs is_orientation is_active".split()


@bp.route("/")
@access.roles(*HR)
def index():
    """HR home: counts and the way to every HR page."""
    counts = {
        "employees": db.session.scalar(select(func.count()).select_from(Employee)),
        "new_hires": db.session.scalar(select(func.count()).where(Employee.is_new_hire.is_(True))),
        "programmes": db.session.scalar(select(func.count()).where(TrainingProgramme.is_active.is_(True))),
        "plans": db.session.scalar(select(func.count()).select_from(TrainingPlan)),
        "pending": db.session.scalar(select(func.count()).where(CommunityFeedback.status == "pending"))
        + db.session.scalar(select(func.count()).where(ConsultationComment.status == "pending")),
    }
    return render_template("hr/index.html", counts=counts)


@bp.route("/pegawai")
@access.roles(*HR)
def employees():
    """Employees, filtered by unit, region or position, with their count of credible gaps."""
    query = select(Employee).order_by(Employee.full_name)
    filters = {key: request.args.get(key, "").strip() for key in ("unit", "region")}
    if filters["unit"]:
        query = query.where(Employee.unit == filters["unit"])
    if filters["region"]:
        query = query.where(Employee.region == filters["region"])
    ids = list(db.session.scalars(query.with_only_columns(Employee.id)))
    workforce = load_workforce(db.session, ids) if ids else None
    credible = {}
    if workforce is not None:
        for i, employee in enumerate(workforce.employees):
            credible[employee.id] = int(workforce.gaps.credible[i].sum())
    units = db.session.scalars(select(Employee.unit).distinct().order_by(Employee.unit)).all()
    regions = db.session.scalars(select(Employee.region).distinct().order_by(Employee.region)).all()
    return render_template(
        "hr/employees.html",
        employees=workforce.employees if workforce else (),
        credible=credible,
        units=units,
        regions=regions,
        filters=filters,
    )


def _gap_rows(workforce, row: int) -> list[dict]:
    gaps = workforce.gaps
    rows = []
    for j, competency in enumerate(workforce.competencies):
        theta, required = workforce.theta[row, j], workforce.required[row, j]
        if math.isnan(theta) and math.isnan(required):
            continue
        measured = not math.isnan(theta)
        rows.append(
            {
                "competency": competency,
                "theta": None if not measured else float(theta),
                "se": None if not measured else float(workforce.se[row, j]),
                "low": None if not measured else float(theta - 1.96 * workforce.se[row, j]),
                "high": None if not measured else float(theta + 1.96 * workforce.se[row, j]),
                "required": None if math.isnan(required) else float(required),
                "gap": None if math.isnan(gaps.gap[row, j]) else float(gaps.gap[row, j]),
                "prob_below": None if math.isnan(gaps.gap[row, j]) else float(gaps.prob_below[row, j]),
                "credible": bool(gaps.credible[row, j]),
            }
        )
    return rows


@bp.route("/pegawai/<int:employee_id>")
@access.roles(*HR)
def employee(employee_id: int):
    """An employee's profile: estimates with SE, gaps counted where credible, the proposed and saved plans."""
    person = db.get_or_404(Employee, employee_id)
    workforce = load_workforce(db.session, [person.id])
    assert workforce is not None, "the employee exists, so the workforce has a row"
    catalogue = load_catalogue(db.session, workforce.competencies)
    proposal, programmes = None, {}
    if catalogue is not None:
        proposal = proposed_plan(workforce, catalogue, 0)
        programmes = {p.code: p for p in catalogue.programmes}
    saved = db.session.scalars(
        select(DevelopmentPlan).where(DevelopmentPlan.employee_id == person.id).order_by(DevelopmentPlan.id.desc())
    ).all()
    ratings = db.session.scalars(
        select(SupervisorRating).where(SupervisorRating.employee_id == person.id).order_by(SupervisorRating.id)
    ).all()
    from examserver.auth.forms import ConfirmForm

    return render_template(
        "hr/employee.html",
        person=person,
        rows=_gap_rows(workforce, 0),
        alpha=workforce.gaps.alpha,
        z_critical=workforce.gaps.z_critical,
        proposal=proposal,
        programmes=programmes,
        names={c.code: competency_name(c) for c in workforce.competencies},
        saved=saved,
        ratings=ratings,
        form=ConfirmForm(),
    )


@bp.route("/pegawai/<int:employee_id>/rencana", methods=["POST"])
@access.roles(*HR)
def save_development_plan(employee_id: int):
    """Save the proposed development plan of an employee."""
    from examserver.auth.forms import ConfirmForm

    person = db.get_or_404(Employee, employee_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    workforce = load_workforce(db.session, [person.id])
    assert workforce is not None, "the employee exists, so the workforce has a row"
    catalogue = load_catalogue(db.session, workforce.competencies)
    if catalogue is None:
        flash(refusal_message("hr.no_catalogue"), "error")
        return redirect(url_for("hr.employee", employee_id=person.id)), 303
    save_plan(db.session, workforce, catalogue, 0, current_user.id)
    return committed(_("Rencana pengembangan disimpan."), url_for("hr.employee", employee_id=person.id))


# --------------------------------------------------------------------------- catalogue


@bp.route("/katalog")
@access.roles(*HR)
def catalogue():
    """The training catalogue."""
    programmes = db.session.scalars(select(TrainingProgramme).order_by(TrainingProgramme.code)).all()
    return render_template("hr/catalogue.html", programmes=programmes)


def _effect_inputs(competencies) -> tuple[dict[int, float], list[str]]:
    effects, errors = {}, []
    for competency in competencies:
        raw = request.form.get(f"effect-{competency.id}", "").strip()
        if not raw:
            continue
        try:
            value = parse_number(raw)
        except ValueError:
            errors.append(competency.code)
            continue
        if not math.isfinite(value) or value < 0 or value > 3:
            errors.append(competency.code)
        elif value > 0:
            effects[competency.id] = value
    return effects, errors


def _leaf_competencies():
    return db.session.scalars(select(Competency).order_by(Competency.code)).all()


def _editing(model, object_id: int | None, form_class):
    """A create-or-edit page's object (None for a new one; 404 for an id that names none), its
    form filled from it, and the competencies the page asks a number for."""
    target = db.get_or_404(model, object_id) if object_id is not None else None
    return target, form_class(obj=target), _leaf_competencies()


@bp.route("/katalog/baru", methods=["GET", "POST"])
@bp.route("/katalog/<int:programme_id>", methods=["GET", "POST"])
@access.roles(*HR)
def programme_form(programme_id: int | None = None):
    """Create or edit a programme with the competencies it builds (θ gain per participant)."""
    programme, form, competencies = _editing(TrainingProgramme, programme_id, ProgrammeForm)
    current = {e.competency_id: e.effect for e in programme.effects} if programme else {}
    if form.validate_on_submit():
        effects, bad = _effect_inputs(competencies)
        current = effects
        if bad:
            flash(_("Efek harus angka 0 sampai 3 logit: %(codes)s.", codes=", ".join(bad)), "error")
        else:
            data = ProgrammeData(
                code=form.code.data.strip(),
                name=form.name.data.strip(),
                description=form.description.data or "",
                effects=effects,
                **field_values(form, *PROGRAMME_TERMS),
            )
            with flash_refusal():
                saved = save_programme(db.session, programme, data)
                return committed(_("Program %(code)s disimpan.", code=saved.code), url_for("hr.catalogue"))
    return render_template(
        "hr/programme_form.html", form=form, programme=programme, competencies=competencies, current=current
    )


# --------------------------------------------------------------------------- position profiles


@bp.route("/profil-jabatan")
@access.roles(*HR)
def profiles():
    """Position competency profiles."""
    rows = db.session.scalars(select(PositionProfile).order_by(PositionProfile.code)).all()
    return render_template("hr/profiles.html", profiles=rows)


@bp.route("/profil-jabatan/baru", methods=["GET", "POST"])
@bp.route("/profil-jabatan/<int:profile_id>", methods=["GET", "POST"])
@access.roles(*HR)
def profile_form(profile_id: int | None = None):
    """Create or edit a profile: the required θ and weight of each competency."""
    profile, form, competencies = _editing(PositionProfile, profile_id, ProfileForm)
    current = {r.competency_id: (r.required_theta, r.weight) for r in profile.requirements} if profile else {}
    if form.validate_on_submit():
        requirements, bad = {}, []
        for competency in competencies:
            raw = request.form.get(f"required-{competency.id}", "").strip()
            weight_raw = request.form.get(f"weight-{competency.id}", "1").strip() or "1"
            if not raw:
                continue
            try:
                value, weight = parse_number(raw), parse_number(weight_raw)
            except ValueError:
                bad.append(competency.code)
                continue
            if not (-4 <= value <= 4) or not (0 <= weight <= 10):
                bad.append(competency.code)
            else:
                requirements[competency.id] = (value, weight)
        current = requirements
        clash = db.session.scalar(select(PositionProfile).where(PositionProfile.code == form.code.data.strip()))
        if bad:
            flash(_("Level θ harus antara -4 dan 4, bobot 0 sampai 10: %(codes)s.", codes=", ".join(bad)), "error")
        elif clash is not None and clash is not profile:
            flash(refusal_message("hr.code_taken"), "error")
        else:
            if profile is None:
                profile = PositionProfile()
                db.session.add(profile)
            profile.code, profile.title = form.code.data.strip(), form.title.data.strip()
            profile.description = form.description.data or ""
            profile.requirements = [
                ProfileRequirement(competency_id=cid, required_theta=value, weight=weight)
                for cid, (value, weight) in sorted(requirements.items())
            ]
            return committed(_("Profil jabatan %(code)s disimpan.", code=profile.code), url_for("hr.profiles"))
    return render_template(
        "hr/profile_form.html", form=form, profile=profile, competencies=competencies, current=current
    )


@bp.route("/angkat", methods=["GET", "POST"])
@access.roles(*HR)
def appoint():
    """Make employees of the candidates appointed in a selection period, with θ per competency."""
    form = list_periods(AppointForm())
    if form.validate_on_submit():
        period = chosen_period(form)
        profiles = {p.code: p for p in db.session.scalars(select(PositionProfile))}
        with flash_refusal():
            created = appoint_from_period(
                db.session, period, current_user.id, profiles=profiles, appointed_on=form.appointed_on.data
            )
            return committed(_("%(n)d pegawai baru dicatat.", n=len(created)), url_for("hr.employees"))
    return render_template("hr/appoint.html", form=form)
