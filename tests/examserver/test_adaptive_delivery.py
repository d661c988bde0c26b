"""Adaptive (CAT) delivery through the candidate API: each next item chosen on the server."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from examserver.delivery.models import ExamSession
from examserver.delivery.services import create_schedule, enrol
from itembank import blueprints
from itembank.database import utcnow
from itembank.models import CalibrationRun, Item, ItemParameter
from itembank.refusal import Refusal
from itembank.services import Actor
from tests.conftest import login
from tests.examserver.player_client import Player

PER_SECTION = 6  # pool size per section; the test takes 3 of each


@pytest.fixture
def adaptive_blueprint(db_session, make_user, make_item, taxonomy):
    """An adaptive 6-item blueprint (3 TWK, 3 TKP) over a pool of 12 calibrated items."""
    admin = make_user("admin")
    run = CalibrationRun(
        created_by_id=admin.id, source="import", model="2pl", status="published", published_at=utcnow()
    )
    db_session.add(run)
    for n in range(PER_SECTION):
        for competency in ("SKD.TWK.NAS", "SKD.TKP.PEL"):
            item = make_item("single_choice", competency_id=taxonomy[competency].id, stem=f"Soal {competency} {n}")
            db_session.get(Item, item.id).status = "operational"
            db_session.add(
                ItemParameter(
                    item_id=item.id, run=run, version_number=1, is_current=True, model="2pl", a=1.2, b=n - 2.5
                )
            )
    db_session.commit()
    blueprint = blueprints.create_blueprint(
        db_session,
        Actor(admin.id, "admin"),
        code="UJI-CAT",
        name="Uji adaptif",
        time_limit_minutes=30,
        delivery_mode="adaptive",
        reporting_scale={"kind": "range", "min": 0, "max": 100},
        sections=[
            blueprints.SectionSpec(taxonomy["SKD.TWK"].id, "TWK", 3, "points_per_correct", 5, None),
            blueprints.SectionSpec(taxonomy["SKD.TKP"].id, "TKP", 3, "points_per_correct", 5, None),
        ],
    )
    db_session.commit()
    return admin, blueprint


def schedule(db_session, admin, blueprint, code="CAT1"):
    now = utcnow()
    return create_schedule(
        db_session,
        Actor(admin.id, "admin"),
        blueprint=blueprint,
        code=code,
        title="Ujian adaptif",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(hours=5),
        location="Daring",
    )


@pytest.fixture
def adaptive_player(client, db_session, make_user, adaptive_blueprint):
    admin, blueprint = adaptive_blueprint
    sitting = schedule(db_session, admin, blueprint)
    candidate = make_user("candidate")
    exam = enrol(db_session, sitting, candidate.id)
    db_session.commit()
    login(client, candidate.email)
    player = Player(client, exam.id)
    response = player.start()
    assert response.status_code == 200, response.get_json()
    return player, exam


def shown(db_session, exam_id: int):
    db_session.expire_all()
    return db_session.get(ExamSession, exam_id).items


def test_an_adaptive_sitting_chooses_each_item_on_the_server(adaptive_player, db_session):
    player, exam = adaptive_player
    state = player.state()
    assert state["mode"] == "adaptive" and state["item_count"] == 6 and state["reached"] == 1
    assert len(shown(db_session, exam.id)) == 1
    ahead = player.item(2)
    assert ahead.status_code == 409 and ahead.get_json()["code"] == "adaptive_answer_first"
    assert "nomor 1" in ahead.get_json()["message"]
    assert player.item(3).status_code == 404
    texts = []
    for position in range(1, 7):
        item = player.item(position)
        assert item.status_code == 200, item.get_json()
        again = player.item(position)  # a repeated request returns the same item
        assert again.get_json()["stem"] == item.get_json()["stem"]
        texts.append(item.get_data(as_text=True))
        saved = player.save({"position": position, "seq": position, "response": "1"})
        assert saved.status_code == 200
    assert player.item(7).status_code == 404
    items = shown(db_session, exam.id)
    assert [si.position for si in items] == list(range(1, 7))
    assert len({si.item_id for si in items}) == 6  # never repeated
    titles = [si.section.title for si in items]
    assert titles.count("TWK") == 3 and titles.count("TKP") == 3
    everything = "\n".join([*texts, json.dumps(player.state())])
    for secret in ('"correct"', '"answer"', '"a":', '"b":', "item_id"):
        assert secret not in everything, secret
    done = player.submit()
    assert done.status_code == 200
    db_session.expire_all()
    result = db_session.get(ExamSession, exam.id).result
    assert result.theta is not None and result.theta_se is not None and len(result.parameter_ids) == 6


def test_adaptive_start_shows_one_item_and_the_state_reports_answers(adaptive_player):
    player, _ = adaptive_player
    player.save({"position": 1, "seq": 3, "response": "2"})
    state = player.state()
    assert state["answers"] == [{"position": 1, "seq": 3, "response": "2", "flagged": False}]
    assert player.item(2).status_code == 200 and player.state()["reached"] == 2


def test_a_blueprint_whose_pool_lacks_parameters_is_refused(adaptive_blueprint, db_session, make_item, taxonomy):
    admin, blueprint = adaptive_blueprint
    item = make_item("single_choice", competency_id=taxonomy["SKD.TWK.NAS"].id, stem="Tanpa parameter")
    db_session.get(Item, item.id).status = "operational"
    db_session.commit()
    with pytest.raises(Refusal) as refused:
        schedule(db_session, admin, blueprint, code="CAT2")
    assert refused.value.code == "delivery.adaptive_parameters_missing"
    assert refused.value.params["section"] == "TWK"
