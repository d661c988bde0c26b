"""Builders for the evaluation, feedback and effectiveness tests: profiles, employees, periods and
signed-in clients."""

from __future__ import annotations

import re
from datetime import date

from examserver.hr.models import Employee, EvaluationPeriod, PositionProfile, ProfileRequirement
from tests.conftest import login

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def token(client, path: str) -> str:
    """The CSRF token of the first form on ``path``."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def signed_in(app, make_user, role: str):
    """A new test client signed in as a new user of ``role``; returns (client, user)."""
    user = make_user(role)
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client, user


def profile(db_session, code: str = "PELAKSANA", requirements=()) -> PositionProfile:
    """A position profile; ``requirements`` as (competency, required θ) pairs."""
    row = PositionProfile(
        code=code,
        title=f"Jabatan {code}",
        requirements=[ProfileRequirement(competency_id=c.id, required_theta=t) for c, t in requirements],
    )
    db_session.add(row)
    db_session.flush()
    return row


def employee(db_session, position: PositionProfile, n: int, *, unit: str = "Unit Layanan A", **values) -> Employee:
    """An employee of ``position`` in ``unit``."""
    row = Employee(
        nip=f"NIP-{position.code}-{n:04d}",
        full_name=values.pop("full_name", f"Pegawai {n:03d}"),
        profile_id=position.id,
        position_title=position.title,
        unit=unit,
        region=values.pop("region", "DKI Jakarta"),
        gender=values.pop("gender", "P" if n % 2 else "L"),
        appointed_on=values.pop("appointed_on", date(2024, 7, 1)),
        is_new_hire=False,
        **values,
    )
    db_session.add(row)
    db_session.flush()
    return row


def period(db_session, code: str = "PK-UJI", *, weight: float = 0.7, is_open: bool = True) -> EvaluationPeriod:
    """An evaluation period over 2025 whose feedback form is open unless told."""
    row = EvaluationPeriod(
        code=code,
        title=f"Penilaian {code}",
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 12, 31),
        supervisor_weight=weight,
        is_feedback_open=is_open,
    )
    db_session.add(row)
    db_session.flush()
    return row
