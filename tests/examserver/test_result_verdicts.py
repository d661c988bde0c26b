"""Verdicts of results: every displayed verdict follows one rule, for fixed, random and adaptive
sittings, with and without thresholds (raw, or on the reporting scale for adaptive sittings).

The rule is restated here independently of ``scoring.verdict`` and ``examserver.delivery.scoring``:
raw points from the item keys, θ by a plain grid EAP, the raw-threshold cut from a grid search
on the pool's test characteristic curve.
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from html import unescape

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from examserver.accounts.models import User
from examserver.delivery import services as delivery
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.extensions import db
from itembank import blueprints
from itembank.database import utcnow
from itembank.models import CalibrationRun, Item, ItemParameter
from itembank.services import Actor
from tests.conftest import demo_client
from tests.examserver.player_client import Player

DEVICE = "perangkat-verdik-01"
SECTION_LABELS = {"met": "Memenuhi", "not_met": "Tidak memenuhi", "none": "tidak ada ambang"}
RESULT_LABELS = {"pass": "LULUS ambang batas", "fail": "TIDAK LULUS ambang batas", "none": "tidak ada ambang kelulusan"}
ROW = re.compile(r'<dd data-section="(\w+)">(.*?)</dd>', re.S)
VERDICT = re.compile(r'data-verdict="(\w+)">([^<]*)<')


# ----------------------------------------------------------------------- independent restatement


def expected_section(score: float | None, cut: float | None) -> str:
    if cut is None:
        return "none"
    return "met" if score is not None and score >= cut else "not_met"


def expected_result(verdicts: list[str]) -> str:
    decided = [v for v in verdicts if v != "none"]
    if not decided:
        return "none"
    return "pass" if all(v == "met" for v in decided) else "fail"


GRID = np.linspace(-6, 6, 2401)


def category_probabilities(parameter: ItemParameter, theta: np.ndarray) -> np.ndarray:
    """(n_theta, n_categories): 2PL, or GPCM with P_k ∝ exp(Σ_{v<=k} a (θ - b_v))."""
    if parameter.model == "2pl":
        p = 1.0 / (1.0 + np.exp(-parameter.a * (theta - parameter.b)))
        return np.stack([1 - p, p], axis=1)
    steps = np.asarray(parameter.thresholds, dtype=float)
    logits = np.concatenate([np.zeros((theta.size, 1)), np.cumsum(parameter.a * (theta[:, None] - steps), axis=1)], 1)
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def levels(item: Item) -> list[float]:
    answer = item.current_version.answer
    if item.item_type == "weighted_options":
        return [float(v) for v in sorted(set(answer["weights"].values()))]
    return [0.0, 1.0]


def eap(pairs: list[tuple[ItemParameter, int]]) -> float:
    """θ by EAP with a N(0, 1) prior on a fine grid."""
    log_post = -0.5 * GRID**2
    for parameter, category in pairs:
        log_post += np.log(category_probabilities(parameter, GRID)[:, category])
    post = np.exp(log_post - log_post.max())
    return float((post * GRID).sum() / post.sum())


def scaled(theta: float) -> float:
    """The demo range scale: θ -3..3 onto 0..100, clipped."""
    return float(np.clip(50.0 + theta * 100.0 / 6.0, 0.0, 100.0))


def tcc_cut(pool: list[Item], per_correct: float, count: int, raw: float) -> float:
    """θ where (count / pool size) Σ expected points of the pool equals ``raw`` (grid search)."""
    curve = np.zeros_like(GRID)
    for item in pool:
        points = np.asarray(levels(item)) * (per_correct if item.item_type != "weighted_options" else 1.0)
        curve += category_probabilities(item.current_parameter, GRID) @ points
    curve *= count / len(pool)
    if raw <= curve[0]:
        return float(GRID[0])
    if raw >= curve[-1]:
        return float(GRID[-1])
    return float(np.interp(raw, curve, GRID))


def category_of(item, letter) -> int:
    answer = item.current_version.answer
    if letter is None:
        return 0
    if item.item_type == "weighted_options":
        return sorted(set(answer["weights"].values())).index(answer["weights"][letter])
    return int(letter == answer["correct"])


def points_of(item, letter, per_correct: float) -> float:
    answer = item.current_version.answer
    if letter is None:
        return 0.0
    if item.item_type == "weighted_options":
        return float(answer["weights"][letter])
    return per_correct * (letter == answer["correct"])


def displayed(html: str) -> tuple[dict[str, tuple[str, str, str]], str]:
    """Per section id on the verification page: (row text, verdict code, label); total row too."""
    rows = {}
    for key, body in ROW.findall(html):
        found = VERDICT.search(body)
        assert found, body
        rows[key] = (unescape(re.sub(r"<[^>]+>", " ", body)), found.group(1), found.group(2).strip())
    return rows, html


def number(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


# ---------------------------------------------------------------------------- property test


@pytest.fixture
def bank(db_session, make_user, make_item, taxonomy):
    """Six calibrated TWK single-choice items (2PL) and six TKP weighted items (GPCM)."""
    admin = make_user("admin")
    run = CalibrationRun(
        created_by_id=admin.id, source="import", model="2pl", status="published", published_at=utcnow()
    )
    db_session.add(run)
    for n in range(6):
        twk = make_item("single_choice", competency_id=taxonomy["SKD.TWK.NAS"].id, stem=f"TWK {n}")
        tkp = make_item("weighted_options", competency_id=taxonomy["SKD.TKP.PEL"].id, stem=f"TKP {n}")
        for item in (twk, tkp):
            db_session.get(Item, item.id).status = "operational"
        steps = [0.3 * n - 2.2, 0.3 * n - 1.2, 0.3 * n - 0.4, 0.3 * n + 0.6]
        common = {"run": run, "version_number": 1, "is_current": True}
        db_session.add(ItemParameter(item_id=twk.id, model="2pl", a=0.7 + 0.2 * n, b=-1.5 + 0.6 * n, **common))
        db_session.add(
            ItemParameter(item_id=tkp.id, model="gpcm", a=0.6 + 0.1 * n, b=0.3 * n - 0.8, thresholds=steps, **common)
        )
    db_session.commit()
    return admin


SECTION = st.fixed_dictionaries(
    {
        "count": st.integers(1, 4),
        "kind": st.sampled_from(["none", "raw", "scaled"]),
        "raw": st.integers(0, 20),
        "scaled": st.floats(10, 90).map(lambda x: round(x, 1)),
    }
)
CASE = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["fixed", "random", "adaptive"]),
        "sections": st.tuples(SECTION, SECTION),
        "choices": st.lists(st.integers(0, 5), min_size=8, max_size=8),
        "seed": st.integers(0, 2**16),
    }
)


RULES = (("SKD.TWK", "TWK", "points_per_correct"), ("SKD.TKP", "TKP", "weighted_options"))


def sit(db_session, actor, taxonomy, case, n):
    """Build the case's blueprint and sitting, answer it as the case says and submit it."""
    mode = case["mode"]
    specs = []
    for (code, title, rule), s in zip(RULES, case["sections"], strict=True):
        kind = s["kind"] if mode == "adaptive" or s["kind"] != "scaled" else "raw"
        specs.append(blueprints.SectionSpec(
            taxonomy[code].id, title, s["count"], rule, 5,
            float(s["raw"]) if kind == "raw" else None, s["scaled"] if kind == "scaled" else None,
        ))  # fmt: skip
    blueprint = blueprints.create_blueprint(
        db_session, actor, code=f"PROP{n}", name="Properti", time_limit_minutes=30, delivery_mode=mode,
        reporting_scale={"kind": "range", "min": 0, "max": 100}, sections=specs,
    )  # fmt: skip
    if mode == "fixed":
        for form in blueprints.assemble_forms(db_session, actor, blueprint, 1):
            blueprints.publish_form(actor, form)
    now = utcnow()
    schedule = delivery.create_schedule(
        db_session, actor, blueprint=blueprint, code=f"PROP{n}", title="Properti",
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=2), location="Daring",
    )  # fmt: skip
    exam = delivery.enrol(db_session, schedule, actor.id)
    rng = np.random.default_rng(case["seed"])
    delivery.start(db_session, exam, delivery.StartRequest(DEVICE), now=now, rng=rng)
    for position in range(1, blueprint.item_count + 1):
        si = delivery.reach_item(db_session, exam, position, rng=rng)
        choice = case["choices"][position - 1] % (len(si.option_order) + 1)
        if mode == "adaptive":
            choice = choice or 1  # the next item comes only after an answer
        if choice:
            delivery.save_answers(db_session, exam, DEVICE, [delivery.Save(position, 1, str(choice))], now=now)
    result = delivery.submit(db_session, exam, DEVICE, now=now)
    db_session.commit()
    return blueprint, exam, result


def adaptive_score_and_cut(db_session, section, stored, mine, letters):
    """The scaled score and cut of an adaptive section, restated from the items and checked
    against what was stored."""
    theta = eap([(si.item.current_parameter, category_of(si.item, letters[si.id])) for si in mine])
    score = scaled(theta)
    assert stored["theta"] == pytest.approx(theta, abs=2e-3)
    assert stored["scaled"] == pytest.approx(score, abs=0.06)
    assert stored["parameter_ids"] == [si.item.current_parameter.id for si in mine]
    if section.scaled_threshold is not None:
        cut = section.scaled_threshold
    elif section.pass_threshold is not None:
        pool = blueprints.section_pool(db_session, section)
        cut = scaled(tcc_cut(pool, 5.0, section.item_count, section.pass_threshold))
    else:
        cut = None
    assert (stored["cut"] is None) == (cut is None)
    if cut is not None:
        assert stored["cut"] == pytest.approx(cut, abs=0.06)
        if abs(score - cut) < 0.1:  # a tie within the 0.1 the scale reports: the stored numbers decide
            score, cut = stored["score"], stored["cut"]
    return score, cut


def restated_verdicts(db_session, mode, blueprint, exam, result):
    """Each section's verdict restated independently of the scoring code, checked against the stored one."""
    verdicts = []
    for section, stored in zip(blueprint.sections, result.sections, strict=True):
        mine = [si for si in exam.items if si.section_id == section.id]
        letters = {si.id: si.answer.response if si.answer else None for si in mine}
        raw = sum(points_of(si.item, letters[si.id], 5.0) for si in mine)
        assert stored["raw"] == pytest.approx(raw)
        if mode != "adaptive":
            score, cut = raw, section.pass_threshold
            assert stored["basis"] == "raw" and stored["cut"] == cut
        else:
            score, cut = adaptive_score_and_cut(db_session, section, stored, mine, letters)
        verdict = expected_section(score, cut)
        assert stored["verdict"] == verdict, (stored, score, cut)
        verdicts.append(verdict)
    return verdicts


def check_verification_page(client, mode, blueprint, result, verdicts, total):
    """What the public verification page shows: each section's verdict, cut and score, and the total."""
    html = client.get(f"/ujian/verifikasi?kode={result.verification_code}").get_data(as_text=True)
    rows, _ = displayed(html)
    assert set(rows) == {*(str(s.id) for s in blueprint.sections), "total"}
    for section, verdict, stored in zip(blueprint.sections, verdicts, result.sections, strict=True):
        text, code, label = rows[str(section.id)]
        assert (code, label) == (verdict, SECTION_LABELS[verdict])
        if stored["cut"] is None:
            assert "tidak ada ambang" in text and "Memenuhi" not in text
        else:
            shown = re.search(r"ambang ([\d.,]+)", text).group(1)
            assert number(shown) == pytest.approx(round(stored["cut"], 1), abs=1e-9)
        shown_score = re.search(r"skor skala ([\d.,]+)" if mode == "adaptive" else r"([\d.,]+) /", text)
        assert number(shown_score.group(1)) == pytest.approx(
            round(stored["scaled"] if mode == "adaptive" else stored["raw"], 1), abs=1e-9
        )
    _, code, label = rows["total"]
    assert (code, label) == (total, RESULT_LABELS[total])
    if total == "none":
        assert "LULUS" not in html


def test_every_displayed_verdict_follows_the_rule(app, client, db_session, bank, taxonomy):
    admin = bank
    actor = Actor(admin.id, "admin")
    codes = itertools.count()
    seen = {"modes": set(), "section": set(), "result": set()}

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(case=CASE)
    def check(case):
        mode = case["mode"]
        blueprint, exam, result = sit(db_session, actor, taxonomy, case, next(codes))
        verdicts = restated_verdicts(db_session, mode, blueprint, exam, result)
        total = expected_result(verdicts)
        assert result.verdict == total
        seen["modes"].add(mode)
        seen["section"].update(verdicts)
        seen["result"].add(total)
        check_verification_page(client, mode, blueprint, result, verdicts, total)

    check()
    # the generator reached every case the rule distinguishes
    assert seen["modes"] == {"fixed", "random", "adaptive"}
    assert seen["section"] == {"met", "not_met", "none"}
    assert seen["result"] == {"pass", "fail", "none"}


# -------------------------------------------------------------------------- acceptance (demo)


@pytest.fixture(scope="module")
def fresh_demo(own_demo):
    """A demo of its own: this module finishes a DEMO-CAT sitting."""
    return own_demo("verdicts")


def wrong_display(si) -> object:
    """A display response that scores nothing (the lowest weight for weighted items)."""
    answer, order = si.version.answer, si.option_order
    if si.item.item_type == "weighted_options":
        letter = min(order, key=lambda x: answer["weights"][x])
    elif si.item.item_type == "numeric":
        return str(answer["value"] + 1000)
    elif si.item.item_type == "multiple_response":
        return [str(order.index(next(x for x in order if x not in answer["correct"])) + 1)]
    else:
        letter = next(x for x in order if x != answer["correct"])
    return str(order.index(letter) + 1)


def test_demo_cat_all_wrong_says_not_met_and_tidak_lulus(fresh_demo):
    app = fresh_demo
    client = demo_client(app, "kandidat11@demo.id")
    with app.app_context():
        exam_id = db.session.scalar(
            select(ExamSession.id).join(ExamSchedule).join(User, User.id == ExamSession.candidate_id)
            .where(ExamSchedule.code == "DEMO-CAT", User.email == "kandidat11@demo.id")
        )  # fmt: skip
        sections = db.session.get(ExamSession, exam_id).schedule.blueprint.sections
        assert all(s.scaled_threshold is not None for s in sections)  # the demo sets them on the scale
    player = Player(client, exam_id, device=DEVICE)
    assert player.start().status_code == 200
    total = player.state()["item_count"]
    for position in range(1, total + 1):
        assert player.item(position).status_code == 200
        with app.app_context():
            si = next(s for s in db.session.get(ExamSession, exam_id).items if s.position == position)
            response = wrong_display(si)
        assert player.save({"position": position, "seq": position, "response": response}).status_code == 200
    done = player.submit()
    assert done.status_code == 200
    body = done.get_json()["result"]
    assert body["passed"] is False and all(s["verdict"] == "not_met" for s in body["sections"])

    page = client.get(f"/ujian/{exam_id}/hasil").get_data(as_text=True)
    verdicts = re.findall(r'data-verdict="(\w+)">([^<]*)<', page)
    assert len(verdicts) == len(sections) + 1
    assert all(code == "not_met" and label == "Tidak memenuhi" for code, label in verdicts[:-1])
    assert verdicts[-1] == ("fail", "TIDAK LULUS ambang batas")
    assert ">Memenuhi<" not in page and "LULUS ambang batas" in page and "tidak dapat dibandingkan" in page
    assert "tidak ada ambang" not in page  # every DEMO-CAT section has a threshold

    certificate = client.get(f"/ujian/{exam_id}/sertifikat").get_data(as_text=True)
    assert ">Memenuhi<" not in certificate and "TIDAK LULUS ambang batas" in certificate
    code = re.search(r'<strong class="big">([^<]+)</strong>', certificate).group(1)
    public = app.test_client().get(f"/ujian/verifikasi?kode={code}").get_data(as_text=True)
    rows, _ = displayed(public)
    assert [v[1] for k, v in rows.items() if k != "total"] == ["not_met"] * len(sections)
    assert rows["total"][1:] == ("fail", "TIDAK LULUS ambang batas")


# ------------------------------------------------------------------------------ blueprint form


def blueprint_post(client, token, taxonomy, code, mode, first: dict, second: dict):
    data = {
        "csrf_token": token, "code": code, "name": "Uji ambang", "description": "", "time_limit_minutes": "20",
        "delivery_mode": mode, "scale_kind": "range", "scale_a": "0", "scale_b": "100",
        "s1_competency": str(taxonomy["SKD.TWK"].id), "s1_title": "TWK", "s1_count": "2",
        "s1_rule": "points_per_correct", "s1_points": "5",
        "s2_competency": str(taxonomy["SKD.TKP"].id), "s2_title": "TKP", "s2_count": "2",
        "s2_rule": "weighted_options", "s2_points": "5",
    }  # fmt: skip
    data.update({f"s{n}_rule": "points_per_correct" for n in range(3, 7)})  # unused sections still post a rule
    data.update({f"s1_{k}": v for k, v in first.items()})
    data.update({f"s2_{k}": v for k, v in second.items()})
    return client.post("/bank-soal/cetak-biru/baru", data=data)


def test_the_blueprint_form_takes_a_scaled_threshold_for_adaptive_sections_only(
    client, db_session, bank, taxonomy, login_as
):
    from itembank.models import TestBlueprint
    from tests.conftest import csrf_token

    login_as("reviewer")
    token = csrf_token(client, "/bank-soal/cetak-biru/baru")
    form = client.get("/bank-soal/cetak-biru/baru").get_data(as_text=True)
    assert "Ambang pada skala pelaporan (khusus adaptif)" in form and 'name="s1_scaled_threshold"' in form

    made = blueprint_post(
        client, token, taxonomy, "CAT-AMBANG", "adaptive", {"scaled_threshold": "45"}, {"threshold": "9"}
    )
    assert made.status_code == 303, re.findall(
        r"class=\"(?:error|flash[^\"]*)\"[^>]*>([^<]+)", made.get_data(as_text=True)
    )
    blueprint = db_session.scalar(select(TestBlueprint).where(TestBlueprint.code == "CAT-AMBANG"))
    assert [(s.pass_threshold, s.scaled_threshold) for s in blueprint.sections] == [(None, 45.0), (9.0, None)]
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "45,0 pada skala pelaporan" in page and "dikonversi lewat kurva karakteristik tes" in page

    fixed = blueprint_post(client, token, taxonomy, "TETAP-AMBANG", "fixed", {"scaled_threshold": "45"}, {})
    assert fixed.status_code == 422
    assert "hanya untuk cetak biru adaptif" in fixed.get_data(as_text=True)
    both = blueprint_post(
        client, token, taxonomy, "CAT-DUA", "adaptive", {"scaled_threshold": "45", "threshold": "5"}, {}
    )
    assert both.status_code == 422 and "bukan keduanya" in both.get_data(as_text=True)
    outside = blueprint_post(client, token, taxonomy, "CAT-LUAR", "adaptive", {"scaled_threshold": "140"}, {})
    assert outside.status_code == 422 and "di dalam rentang skala" in outside.get_data(as_text=True)
    assert (
        db_session.scalar(select(TestBlueprint).where(TestBlueprint.code.in_(["TETAP-AMBANG", "CAT-DUA", "CAT-LUAR"])))
        is None
    )


def test_an_adaptive_section_never_reached_does_not_meet_its_threshold(db_session, bank, taxonomy):
    actor = Actor(bank.id, "admin")
    blueprint = blueprints.create_blueprint(
        db_session, actor, code="CAT-PUTUS", name="Terputus", time_limit_minutes=30, delivery_mode="adaptive",
        reporting_scale={"kind": "range", "min": 0, "max": 100},
        sections=[
            blueprints.SectionSpec(taxonomy["SKD.TWK"].id, "TWK", 1, "points_per_correct", 5, None, 10.0),
            blueprints.SectionSpec(taxonomy["SKD.TKP"].id, "TKP", 3, "weighted_options", 5, None, 10.0),
        ],
    )  # fmt: skip
    now = utcnow()
    schedule = delivery.create_schedule(
        db_session, actor, blueprint=blueprint, code="PUTUS", title="Terputus",
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=2), location="Daring",
    )  # fmt: skip
    exam = delivery.enrol(db_session, schedule, bank.id)
    delivery.start(db_session, exam, delivery.StartRequest(DEVICE), now=now, rng=np.random.default_rng(3))
    first = exam.items[0]
    best = max(first.option_order, key=lambda x: points_of(first.item, x, 5.0))
    save = delivery.Save(1, 1, str(first.option_order.index(best) + 1))
    delivery.save_answers(db_session, exam, DEVICE, [save], now=now)
    result = delivery.end(db_session, exam, now=now, reason="proctor")  # ended after one item
    reached = {s["title"]: s for s in result.sections}
    assert reached[first.section.title]["verdict"] == "met"  # one right answer clears a cut of 10
    other = next(s for s in result.sections if s["title"] != first.section.title)
    assert other["items"] == 0 and other["scaled"] is None and other["verdict"] == "not_met"
    assert result.verdict == "fail"
