"""A small workforce for the HR page tests: one profile, employees with θ/SE, a catalogue (see build_world)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from examserver.hr.models import (
    CompetencyEstimate,
    Employee,
    EvaluationPeriod,
    PositionProfile,
    ProfileRequirement,
    ProgrammeEffect,
    TrainingProgramme,
)


@dataclass
class World:
    profile: PositionProfile
    new_hire: Employee
    others: list[Employee]
    programmes: dict[str, TrainingProgramme]


def programme(
    session, code, *, effects, orientation=False, hours=16, capacity=20, per_run=1_000_000, per_person=100_000
):
    row = TrainingProgramme(
        code=code, name=f"Program {code}", mode="classroom", hours=hours, capacity=capacity,
        cost_per_run=per_run, cost_per_participant=per_person, is_orientation=orientation,
        effects=[ProgrammeEffect(competency_id=c.id, effect=e) for c, e in effects],
    )  # fmt: skip
    session.add(row)
    return row


def employee(session, profile, name, *, unit, region, estimates, new_hire=False, nip=None):
    row = Employee(
        nip=nip or f"NIP-{name}", full_name=name, profile_id=profile.id, position_title=profile.title, unit=unit,
        region=region, appointed_on=date(2026, 6, 1), is_new_hire=new_hire,
    )  # fmt: skip
    session.add(row)
    session.flush()
    for competency, theta, se in estimates:
        session.add(CompetencyEstimate(employee_id=row.id, competency_id=competency.id, theta=theta, se=se))
    return row


def build_world(session, taxonomy) -> World:
    """Ani (new hire): TWK θ -0.50 ± 0.30 against 0.50 (gap 1.0, z 3.3: credible) and TKP θ 0.30 ± 0.40
    against 0.50 (gap 0.2, z 0.5: not credible). Four others in two units and two regions."""
    twk, tkp = taxonomy["SKD.TWK"], taxonomy["SKD.TKP"]
    profile = PositionProfile(
        code="ANALIS", title="Analis Kebijakan",
        requirements=[ProfileRequirement(competency_id=twk.id, required_theta=0.5),
                      ProfileRequirement(competency_id=tkp.id, required_theta=0.5)],
    )  # fmt: skip
    session.add(profile)
    session.flush()
    ani = employee(
        session, profile, "Ani Wulandari", unit="Biro Umum", region="Jawa Barat",
        estimates=[(twk, -0.5, 0.3), (tkp, 0.3, 0.4)], new_hire=True,
    )  # fmt: skip
    others = [
        employee(session, profile, name, unit=unit, region=region, estimates=[(twk, *a), (tkp, *b)], new_hire=new)
        for name, unit, region, a, b, new in (
            ("Bayu", "Biro Umum", "Jawa Barat", (-0.6, 0.25), (0.9, 0.3), False),
            ("Citra", "Biro Umum", "Papua", (1.2, 0.3), (-0.8, 0.3), False),
            ("Dedi", "Dinas Layanan", "Papua", (0.4, 0.5), (-0.7, 0.25), False),
            ("Euis", "Dinas Layanan", "Papua", (1.0, 0.3), (1.0, 0.3), True),
        )
    ]
    programmes = {
        "ORIENT": programme(session, "ORIENT", effects=[], orientation=True, hours=40, capacity=30, per_run=2_000_000,
                            per_person=500_000),
        "TWK-1": programme(session, "TWK-1", effects=[(twk, 0.6)]),
        "TKP-1": programme(session, "TKP-1", effects=[(tkp, 0.6)]),
    }  # fmt: skip
    session.commit()
    return World(profile, ani, others, programmes)


def period(session, code="P1", weight=0.7, feedback_open=True) -> EvaluationPeriod:
    row = EvaluationPeriod(
        code=code, title=f"Periode {code}", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
        supervisor_weight=weight, is_feedback_open=feedback_open,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def profile(session, code: str = "UJI", title: str = "Jabatan Uji") -> PositionProfile:
    row = PositionProfile(code=code, title=title)
    session.add(row)
    session.flush()
    return row
