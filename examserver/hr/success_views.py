"""Success profiles: the top performers of a position against the rest, proposed as its required
profile for the next recruitment; HR accepts or edits it and the committee's profile follows."""

from __future__ import annotations

import json
import math

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from examserver import access
from examserver.accounts.roles import ADMIN, COMMITTEE, HR_OFFICER
from examserver.auth.forms import ConfirmForm
from examserver.downloads import attachment
from examserver.errors import back_on_refusal, refusal_message
from examserver.extensions import db
from examserver.hr import bp, success
from examserver.hr.forms import AcceptSuccessProfileForm
from examserver.hr.messages import competency_name
from examserver.hr.models import PositionProfile, SuccessProfile
from examserver.numbers import parse_number
from itembank.models import Competency
from itembank.refusal import Refusal

HR = (HR_OFFICER, ADMIN)


def _latest(profile_id: int) -> SuccessProfile | None:
    return db.session.scalar(
        select(SuccessProfile).where(SuccessProfile.profile_id == profile_id).order_by(SuccessProfile.id.desc())
    )


@bp.route("/profil-sukses")
@access.roles(*HR)
def success_profiles():
    """Position profiles with their latest success profile."""
    profiles = db.session.scalars(select(PositionProfile).order_by(PositionProfile.code)).all()
    return render_template(
        "hr/success_profiles.html",
        rows=[(p, _latest(p.id)) for p in profiles],
    )


def _profile_page(
    profile: PositionProfile,
    typed: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    accept: AcceptSuccessProfileForm | None = None,
):
    """The page of a position's success profile; after a refused acceptance, with what was typed and
    each field's problem, the box's included."""
    try:
        analysis, problem = success.analyse(db.session, profile), None
    except Refusal as refusal:
        analysis, problem = None, refusal_message(refusal.code, **refusal.params)
    latest = _latest(profile.id)
    names = {c.code: competency_name(c) for c in db.session.scalars(select(Competency))}
    return render_template(
        "hr/success_profile.html", profile=profile, analysis=analysis, problem=problem, latest=latest,
        names=names, form=ConfirmForm(), typed=typed,
        problems=problems or {}, accept=accept or AcceptSuccessProfileForm(formdata=None),
    )  # fmt: skip


@bp.route("/profil-sukses/<int:profile_id>")
@access.roles(*HR)
def success_profile(profile_id: int):
    """The analysis of a position's top performers now, and its latest proposal with the accept form."""
    return _profile_page(db.get_or_404(PositionProfile, profile_id))


@bp.route("/profil-sukses/<int:profile_id>/usulkan", methods=["POST"])
@access.roles(*HR)
def propose_success_profile(profile_id: int):
    """Save the current analysis as a proposal."""
    profile = db.get_or_404(PositionProfile, profile_id)
    back = back_on_refusal(url_for("hr.success_profile", profile_id=profile.id))
    if ConfirmForm().validate_on_submit():
        success.propose(db.session, profile, current_user.id)
        db.session.commit()
        flash(_("Usulan profil sukses disimpan."), "success")
    return redirect(back), 303


def _typed_levels(item: SuccessProfile) -> tuple[dict[str, float], dict[str, str], dict[str, str]]:
    """The levels typed in the form, read with the reader's locale: the good ones, everything as
    typed, and the problem of each field that is not a number within the θ range."""
    low, high = success.THETA_RANGE
    levels, typed, problems = {}, {}, {}
    for code in item.analysis:
        raw = typed[code] = request.form.get(f"level-{code}", "").strip()
        if not raw:
            continue
        try:
            value = parse_number(raw)
        except ValueError:
            value = math.nan
        if math.isfinite(value) and low <= value <= high:
            levels[code] = value
        else:
            problems[code] = _(
                "Isi angka antara %(low)s dan %(high)s, misalnya %(example)s.",
                low=format_decimal(low), high=format_decimal(high), example=format_decimal(0.8),
            )  # fmt: skip
    return levels, typed, problems


@bp.route("/profil-sukses/usulan/<int:success_id>/terima", methods=["POST"])
@access.roles(*HR)
def accept_success_profile(success_id: int):
    """Accept a proposal as proposed or edited, once the box naming what that does is ticked; the
    committee's profile is generated from it."""
    item = db.get_or_404(SuccessProfile, success_id)
    back = back_on_refusal(url_for("hr.success_profile", profile_id=item.profile_id))
    form = AcceptSuccessProfileForm()
    ticked = form.validate_on_submit()
    if "csrf_token" in form.errors:
        return redirect(back), 303
    levels, typed, problems = _typed_levels(item)
    if problems or not ticked:  # shown again with what was typed, each problem beside its field
        return _profile_page(item.profile, typed, problems, form)
    positions = success.accept(db.session, item, levels, current_user.id)
    db.session.commit()
    message = _("Profil sukses diterima; %(n)d formasi mendatang memakai profil panitia ini.", n=len(positions))
    flash(message, "success")
    return redirect(back), 303


@bp.route("/profil-sukses/usulan/<int:success_id>/profil-panitia.json")
@access.roles(HR_OFFICER, ADMIN, COMMITTEE)
def committee_profile_json(success_id: int):
    """The committee's competency profile generated from an accepted success profile, as JSON."""
    item = db.get_or_404(SuccessProfile, success_id)
    if item.committee_profile is None:
        abort(404)
    body = json.dumps(item.committee_profile, ensure_ascii=False, indent=2, sort_keys=True)
    return attachment(body, f"profil-kompetensi-{item.profile.code}.json", "application/json; charset=utf-8")
