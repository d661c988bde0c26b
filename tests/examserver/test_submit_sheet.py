"""A submit scores the answer sheet read in one Core statement; what it stores must be what the
items, keys, answers and current parameters say, recomputed here from the ORM objects with the
item types, the IRT engine and the verdict rule, for fixed, random and adaptive sittings and for
every answer pattern (right, wrong, mixed, unanswered), and the chained answer sheet must list
every shown item as the tables hold it."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from examserver.delivery import services as delivery
from examserver.delivery.models import ExamSession, SessionResult
from examserver.extensions import db
from itembank.database import utcnow
from itembank.item_types import item_type
from itembank.parameters import to_engine
from proctoring import ledger
from proctoring.models import LogEntry
from scoring.ability import ReportingScale, estimate_ability
from scoring.verdict import passed, result_verdict, section_verdict
from tests.conftest import demo_client
from tests.examserver.player_browser import session_id
from tests.examserver.player_client import Player


@pytest.fixture(scope="module")
def demo(own_demo):
    """A demo of its own: this module ends sittings of DEMO-SKD and DEMO-CAT."""
    return own_demo("submit-sheet")


def display(si, pattern: str) -> object | None:
    """The display response (option numbers as the candidate sees them) of ``pattern`` for ``si``:
    "right", "wrong", "mixed" (right on even positions, wrong on odd, nothing every fifth) or
    "sparse" (nothing on two positions of three); None leaves the item unanswered."""
    if pattern == "mixed":
        pattern = "skip" if si.position % 5 == 0 else ("right" if si.position % 2 == 0 else "wrong")
    elif pattern == "sparse":
        pattern = "right" if si.position % 3 == 0 else "skip"
    if pattern == "skip":
        return None
    answer, order, kind = si.version.answer, si.option_order, si.item.item_type
    right = pattern == "right"
    if kind == "numeric":
        return str(answer["value"] if right else answer["value"] + 1000)
    if kind == "multiple_response":
        chosen = [x for x in order if (x in answer["correct"]) == right][: 1 if not right else None]
        return [str(order.index(x) + 1) for x in chosen]
    if kind == "weighted_options":
        pick = max if right else min
        letter = pick(order, key=lambda x: answer["weights"][x])
    else:
        letter = next(x for x in order if (x == answer["correct"]) == right)
    return str(order.index(letter) + 1)


def expected_section(section, lines, scale, adaptive: bool) -> dict:
    """The section's entry recomputed from ``lines`` of (item, key, response, parameter row)."""
    raw = maximum = 0.0
    for item, key, response, _ in lines:
        kind = item_type(item.item_type)
        factor = 1.0
        if section.scoring_rule == "points_per_correct" and not kind.polytomous:
            factor = float(section.points_per_correct)
        raw += kind.score(key, response) * factor
        maximum += kind.max_points(key) * factor
    entry = {"raw": raw, "max": maximum, "items": len(lines), "answered": sum(r is not None for _, _, r, _ in lines)}
    theta = ability(lines, scale)
    if adaptive:
        assert section.scaled_threshold is not None, "the demo's adaptive sections set a scaled threshold"
        entry.update(theta=theta[0], theta_se=theta[1], scaled=theta[2], parameter_ids=theta[3])
        entry.update(basis="scaled", score=theta[2], cut=section.scaled_threshold)
    else:
        entry.update(basis="raw", score=raw, cut=section.pass_threshold, theta=None, parameter_ids=[])
    entry["verdict"] = section_verdict(entry["score"], entry["cut"])
    return entry


def ability(lines, scale) -> tuple:
    """θ by EAP on the current parameters, its SE, the scaled score and the parameter ids."""
    if not lines or any(p is None for *_, p in lines):
        return None, None, None, []
    categories = [[item_type(item.item_type).category(key, r) for item, key, r, _ in lines]]
    fitted = estimate_ability(np.asarray(categories, dtype=float), to_engine([p for *_, p in lines]), method="eap")
    theta = float(fitted.theta[0])
    scaled = float(np.asarray(scale.transform(np.asarray([theta])))[0])
    return round(theta, 4), round(float(fitted.se[0]), 4), scaled, [p.id for *_, p in lines]


def check_stored(exam_id: int) -> SessionResult:
    """Compare the stored result and the chained answer sheet with a recomputation from the ORM."""
    db.session.expire_all()
    exam = db.session.get(ExamSession, exam_id)
    result = db.session.get(SessionResult, exam_id)
    assert result is not None and exam.is_ended
    blueprint = exam.schedule.blueprint
    setting = blueprint.reporting_scale or {}
    assert setting.get("kind", "range") == "range"
    scale = ReportingScale.from_range(
        float(setting.get("min", 0)), float(setting.get("max", 100)), theta_min=-3.0, theta_max=3.0, decimals=1
    )
    lines = [
        (si.item, si.version.answer, si.answer.response if si.answer else None, si.item.current_parameter)
        for si in exam.items
    ]
    adaptive = blueprint.delivery_mode == "adaptive"
    verdicts = []
    for stored, section in zip(result.sections, blueprint.sections, strict=True):
        mine = [line for si, line in zip(exam.items, lines, strict=True) if si.section_id == section.id]
        expected = expected_section(section, mine, scale, adaptive)
        for name, value in expected.items():
            assert stored[name] == pytest.approx(value), (section.title, name)
        assert stored["passed"] == passed(expected["verdict"])
        verdicts.append(expected["verdict"])
    assert result.total_raw == pytest.approx(sum(s["raw"] for s in result.sections))
    assert result.total_max == pytest.approx(sum(s["max"] for s in result.sections))
    assert result.passed == passed(result_verdict(verdicts))
    theta, se, scaled, ids = ability(lines, scale)
    assert (result.theta, result.theta_se, result.parameter_ids) == (pytest.approx(theta), pytest.approx(se), ids)
    assert result.scaled == pytest.approx(scaled)

    sheet = db.session.scalars(
        select(LogEntry.payload).where(LogEntry.chain_id == exam_id, LogEntry.record_type == "answer_sheet")
    ).all()
    held = [
        ledger.SheetLine(
            si.position,
            si.version_id,
            si.answer.id if si.answer else None,
            si.answer.response if si.answer else None,
            si.answer.client_seq if si.answer else None,
        )
        for si in exam.items
    ]
    assert sheet == [ledger.sheet_record(exam_id, held)]
    return result


def sit(app, code: str, candidate: int, pattern: str) -> int:
    """Candidate ``candidate`` sits ``code`` answering by ``pattern`` through the player, and submits."""
    exam_id = session_id(app, candidate, code)
    player = Player(demo_client(app, f"kandidat{candidate}@demo.id"), exam_id)
    assert player.start().status_code == 200
    total = player.state()["item_count"]
    for position in range(1, total + 1):
        assert player.item(position).status_code == 200  # an adaptive sitting shows the next item
        with app.app_context():
            si = next(s for s in db.session.get(ExamSession, exam_id).items if s.position == position)
            response = display(si, pattern)
            if response is None and code == "DEMO-CAT":  # an adaptive sitting moves on only past an answer
                response = display(si, "wrong")
        if response is not None:
            assert player.save({"position": position, "seq": position, "response": response}).status_code == 200
    assert player.submit().status_code == 200
    return exam_id


@pytest.mark.parametrize(
    ("code", "candidate", "pattern"),
    [
        ("DEMO-SKD", 3, "right"),
        ("DEMO-SKD", 4, "wrong"),
        ("DEMO-SKD", 5, "mixed"),
        ("DEMO-SKD", 6, "sparse"),
        ("DEMO-SKD", 7, "skip"),
        ("DEMO-CAT", 3, "right"),
        ("DEMO-CAT", 4, "mixed"),
        ("DEMO-CAT", 5, "wrong"),
    ],
)
def test_a_demo_submit_stores_what_the_sheet_says(demo, code, candidate, pattern):
    exam_id = sit(demo, code, candidate, pattern)
    with demo.app_context():
        result = check_stored(exam_id)
        if pattern == "right" and code == "DEMO-SKD":
            assert result.total_raw == result.total_max > 0
        if pattern in ("wrong", "skip") and code == "DEMO-SKD":
            assert result.total_raw < result.total_max


def test_the_finished_demo_sittings_were_scored_from_their_sheets(demo):
    """The demo's finished sittings (ended through the same path when seeded) hold the same."""
    with demo.app_context():
        ended = db.session.scalars(select(SessionResult.session_id).order_by(SessionResult.session_id)).all()
        assert ended
        for exam_id in ended[:10]:
            check_stored(exam_id)


@pytest.mark.parametrize("pattern", ["right", "wrong", "mixed", "sparse", "skip"])
def test_a_random_form_with_every_kind_scores_what_the_sheet_says(db_session, exam_factory, pattern):
    """The factory's random form: single-choice items at 5 points and weighted (GPCM) items, ended
    by the deadline through the server-side expiry."""
    _, exam = exam_factory()
    device = "perangkat-lembar-01"
    delivery.start(db_session, exam, delivery.StartRequest(device), now=utcnow())
    for si in exam.items:
        response = display(si, pattern)
        if response is not None:
            save = delivery.Save(si.position, si.position, response)
            delivery.save_answers(db_session, exam, device, [save], now=utcnow())
    assert exam.deadline_at is not None
    moment = exam.deadline_at + timedelta(seconds=exam.grace_seconds + 1)
    assert delivery.expire_if_due(db_session, exam, now=moment)
    db_session.commit()
    check_stored(exam.id)
