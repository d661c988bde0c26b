"""A finished demo sitting with planted irregularities, so the review queue shows real flags.

Sixty candidates (the twenty demo candidates and forty simulated ones) sat a 110-item fixed form
last month. Answers are drawn from the bank's IRT parameters at each candidate's ability
(seeded, so the demo is the same every time); three candidates are planted:

* kandidat3 copies kandidat7's choice on 60% of the items, wrong answers included, each copied
  answer saved after kandidat7 gave it;
* kandidat5 leaves the exam window eight times (over six minutes) and pastes twice;
* kandidat9 answers most items within two seconds of the previous one.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from examserver.accounts import services as accounts
from examserver.accounts.models import User
from examserver.delivery import integrity
from examserver.delivery import services as delivery
from examserver.delivery.models import Answer, ExamSchedule, SessionItem
from examserver.extensions import db
from itembank import blueprints
from itembank.database import utcnow
from itembank.item_types import letters
from itembank.models import Competency, ItemParameter, TestBlueprint
from itembank.parameters import to_engine
from itembank.services import Actor
from proctoring import services as proctoring
from proctoring.models import ScheduleProctor
from scoring.models import probabilities

#: The solver's budget for the demo's form assemblies: 50 branch-and-bound nodes (half a second), with
#: a time limit far above that only as a ceiling. Any assembly the solver finds is a fair demo; a stop
#: by node count (not by the clock, as before) makes the forms, and so every answer and forensic
#: number of the finished sitting, the same on every seed however loaded the machine is: under a
#: test run's load a 2-second clock stopped the search elsewhere, and the planted pair's p moved
#: from 1e-10 to 5e-6.
ASSEMBLY_NODES = 50
ASSEMBLY_SECONDS = 60.0

CODE = "UJICOBA-2026-10"
BLUEPRINT = "SKD-LATIHAN"
SIMULATED = 40
COPIER, SOURCE, WANDERER, RUSHER = "kandidat3@demo.id", "kandidat7@demo.id", "kandidat5@demo.id", "kandidat9@demo.id"


def _blueprint(actor) -> TestBlueprint:
    existing = db.session.scalar(select(TestBlueprint).where(TestBlueprint.code == BLUEPRINT))
    if existing is not None:
        return existing
    codes = dict(db.session.execute(select(Competency.code, Competency.id)).tuples().all())
    blueprint = blueprints.create_blueprint(
        db.session,
        actor,
        code=BLUEPRINT,
        name="SKD latihan (bentuk tetap 110 soal)",
        time_limit_minutes=100,
        delivery_mode="fixed",
        reporting_scale={"kind": "range", "min": 0, "max": 100},
        description="Naskah tetap bentuk nasional untuk uji coba; semua peserta mengerjakan soal yang sama.",
        sections=[
            blueprints.SectionSpec(codes["SKD.TWK"], "Tes Wawasan Kebangsaan", 30, "points_per_correct", 5, 65),
            blueprints.SectionSpec(codes["SKD.TIU"], "Tes Intelegensia Umum", 35, "points_per_correct", 5, 80),
            blueprints.SectionSpec(codes["SKD.TKP"], "Tes Karakteristik Pribadi", 45, "weighted_options", 5, 166),
        ],
    )
    for form in blueprints.assemble_forms(
        db.session, actor, blueprint, 1, time_limit=ASSEMBLY_SECONDS, node_limit=ASSEMBLY_NODES
    ):
        blueprints.publish_form(actor, form)
    return blueprint


def _candidates(password: str) -> list[User]:
    existing = {u.email: u for u in db.session.scalars(select(User).where(User.role == "candidate"))}
    people = [existing[f"kandidat{i}@demo.id"] for i in range(1, 21) if f"kandidat{i}@demo.id" in existing]
    for i in range(1, SIMULATED + 1):
        email = f"simulasi{i:02d}@demo.id"
        people.append(
            existing.get(email)
            or accounts.create_user(
                db.session, email=email, full_name=f"Peserta Simulasi {i:02d}", role="candidate", password=password
            )
        )
    return people


def _option_for(si, category: int, rng: np.random.Generator):
    """A response that yields ``category``: the option letter (a distractor when wrong), the set of
    options (multiple response) or the number (numeric items)."""
    answer = si.version.answer
    kind = si.item.item_type
    if kind == "numeric":
        return answer["value"] if category == 1 else answer["value"] + float(rng.integers(1, 10))
    if kind == "multiple_response":
        if category == 1:
            return list(answer["correct"])
        return sorted(set(answer["correct"][:-1]) | {letters(len(si.version.options))[0]}) or ["A"]
    if "weights" in answer:
        levels = sorted(set(answer["weights"].values()))
        return next(letter for letter, weight in answer["weights"].items() if weight == levels[category])
    if category == 1:
        return answer["correct"]
    wrong = [letter for letter in letters(len(si.version.options)) if letter != answer["correct"]]
    shares = np.linspace(2.0, 1.0, len(wrong))  # distractors are not equally attractive
    return wrong[int(rng.choice(len(wrong), p=shares / shares.sum()))]


def seed_finished_session(password: str) -> int:
    """Create the finished sitting (idempotent); returns 1 if created."""
    if db.session.scalar(select(ExamSchedule.id).where(ExamSchedule.code == CODE)) is not None:
        return 0
    # The demo accounts exist (seed_accounts runs first): one() says so, and fails loudly if not.
    committee = db.session.scalars(select(User).where(User.email == "panitia@demo.id")).one()
    actor = Actor(committee.id, committee.role)
    admin = db.session.scalars(select(User).where(User.email == "admin@demo.id")).one()
    blueprint = _blueprint(Actor(admin.id, admin.role))
    opened = (utcnow() - timedelta(days=30)).replace(hour=1, minute=0, second=0, microsecond=0)
    schedule = delivery.create_schedule(
        db.session,
        actor,
        blueprint=blueprint,
        code=CODE,
        title="Uji coba SKD Oktober 2026 (selesai)",
        opens_at=opened,
        closes_at=opened + timedelta(hours=6),
        location="Daring (jarak jauh)",
        has_public_scoreboard=True,
    )
    for proctor in db.session.scalars(select(User).where(User.email.in_(("pengawas@demo.id", "pengawas2@demo.id")))):
        db.session.add(ScheduleProctor(schedule_id=schedule.id, proctor_id=proctor.id))
    people = _candidates(password)
    rng = np.random.default_rng(2026)
    exams = {}
    for offset, person in enumerate(people):
        exam = delivery.enrol(db.session, schedule, person.id)
        start = opened + timedelta(minutes=5 + offset % 30)
        delivery.start(
            db.session,
            exam,
            delivery.StartRequest(
                client_id=f"demo-device-{person.id:05d}", ip_address=f"10.20.{offset // 250}.{offset % 250 + 1}"
            ),
            now=start,
            rng=np.random.default_rng(offset),
        )
        exams[person.email] = (exam, start)
    items = next(iter(exams.values()))[0].items
    parameters: list[ItemParameter] = []
    for si in items:
        assert si.item.current_parameter is not None, "the demo bank is calibrated (seed_items)"
        parameters.append(si.item.current_parameter)
    params = to_engine(parameters)
    thetas = rng.normal(0.0, 1.0, len(people))
    probs = probabilities(params, thetas)  # (n_persons, n_items, K)
    chosen: dict[str, list] = {}
    for p, person in enumerate(people):
        picks = []
        for j, si in enumerate(items):
            row = np.nan_to_num(probs[p, j], nan=0.0)
            category = int(rng.choice(row.size, p=row / row.sum()))
            picks.append(_option_for(si, category, rng))
        chosen[person.email] = picks
    copy_mask = rng.random(len(items)) < 0.6
    chosen[COPIER] = [s if copy else c for c, s, copy in zip(chosen[COPIER], chosen[SOURCE], copy_mask, strict=True)]
    source_times = {}
    # The source answers first, so that each answer the copier copies is saved after the source gave it.
    for person in sorted(people, key=lambda p: p.email != SOURCE):
        exam, start = exams[person.email]
        pace = 2.0 if person.email == RUSHER else 50.0
        moment = start
        for si in exam.items:  # just started: no answer yet, so none is loaded to be replaced below
            set_committed_value(si, "answer", None)
        for seq, (si, letter) in enumerate(zip(exam.items, chosen[person.email], strict=True), start=1):
            moment += timedelta(seconds=float(rng.uniform(0.6, 1.4) * pace))
            if person.email == SOURCE:
                source_times[si.item_id] = moment
            elif person.email == COPIER and copy_mask[seq - 1]:
                moment = max(moment, source_times[si.item_id] + timedelta(seconds=10))
            db.session.add(
                Answer(
                    session_item=si,
                    response=letter,
                    client_id=exam.active_client_id,
                    client_seq=seq,
                    saved_at=moment,
                    change_count=1,
                )
            )
        if person.email == WANDERER:
            # (kind, minute into the sitting, position, how long): eight long absences, two pastes.
            wanderings: list[tuple[str, int, int, int | None]] = [
                ("focus_lost", 6 + 9 * k, 10 + 9 * k, int(rng.uniform(35, 60) * 1000)) for k in range(8)
            ]
            wanderings += [("paste", 40 + k, 40 + k, None) for k in range(2)]
            for kind, minute, position, duration_ms in wanderings:
                proctoring.record_event(
                    db.session,
                    exam.id,
                    source="browser",
                    kind=kind,
                    duration_ms=duration_ms,
                    details={"position": position},
                    now=start + timedelta(minutes=minute),
                )
        db.session.flush()
        # On the session's chain like real saves (the answers above are written directly, not saved).
        saved: list[tuple[SessionItem, Answer, object, int]] = []
        for si in exam.items:
            assert si.answer is not None, "every item was answered above"
            saved.append((si, si.answer, si.answer.response, si.answer.client_seq))
        integrity.on_saves(db.session, exam, saved)
        delivery.end(db.session, exam, now=moment + timedelta(seconds=30), reason="candidate")
    return 1
