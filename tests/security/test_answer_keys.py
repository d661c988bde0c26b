"""Answer keys, option weights and IRT parameters never reach a candidate during a sitting.

Every route a candidate may use (walked from ``app.url_map``) is fetched in the middle of a
sitting, together with the API's answers to start and save. JSON is searched structurally for
fields that would carry a key or a parameter; every body is searched for the item codes, the
key's letter mapping and the exact parameter values stored for the session's items.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from examserver import access
from examserver.delivery.models import ExamSession
from itembank.models import Item, ItemParameter
from tests.examserver.player_client import Player
from tests.security.conftest import build, routes, signed_in

FORBIDDEN_KEYS = {
    "answer", "correct", "key", "keys", "weights", "weight", "tolerance", "a", "b", "c", "thresholds", "theta",
    "parameters", "item_id", "item_code", "option_order", "letter", "letters", "score", "points",
}  # fmt: skip


def json_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in json_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in json_keys(v)}
    return set()


def secrets_of(db_session, exam_id: int) -> list[str]:
    """Strings that would give away a key or a parameter of this session's items."""
    db_session.expire_all()
    exam = db_session.get(ExamSession, exam_id)
    found = []
    for si in exam.items:
        item = db_session.get(Item, si.item_id)
        found.append(item.code)
        for value in si.version.answer.values():
            found.append(json.dumps(value))  # "A", ["A", "B"], {"A": 1, ...}, 12.5
        parameter = db_session.scalar(
            select(ItemParameter).where(ItemParameter.item_id == item.id, ItemParameter.is_current.is_(True))
        )
        found += [f'"a": {parameter.a}', f'"a":{parameter.a}', f'"b":{parameter.b}', f'"b": {parameter.b}']
        found += [json.dumps(si.option_order), json.dumps(si.option_order, separators=(",", ":"))]
    return [s for s in found if len(s) >= 3]


def test_no_candidate_response_carries_keys_or_parameters(app, db_session, exam_factory):
    candidate, exam = exam_factory()
    client = signed_in(app, candidate)
    player = Player(client, exam.id)
    bodies = [player.start(), player.save({"position": 1, "seq": 1, "response": "2", "flagged": True})]
    values = {"session_id": exam.id, "position": 1, "asset_id": 1, "code": "SECPER", "application_id": 1}
    values["document_id"] = 1
    walked = 0
    for rule, _method in routes(app, "GET"):
        candidate_route = "candidate" in access.audience(app, rule.endpoint)
        if not candidate_route or access.rule_for(app, rule.endpoint).public:
            continue
        for position in range(1, 7) if "position" in rule.arguments else [1]:
            bodies.append(client.get(build(rule, {**values, "position": position})))
            walked += 1
    assert walked >= 10
    secrets = secrets_of(db_session, exam.id)
    assert len(secrets) >= 24
    items_seen = 0
    for response in bodies:
        if response.mimetype == "application/json":
            data = response.get_json()
            assert not json_keys(data) & FORBIDDEN_KEYS, (response.request.path, json_keys(data) & FORBIDDEN_KEYS)
            items_seen += len(data.get("items", [])) + ("stem" in data)
        if not response.mimetype.startswith(("text/", "application/")):
            continue
        text = response.get_data(as_text=True)
        assert "data-itembank" not in text and "qti-correct" not in text, response.request.path
        for secret in secrets:
            assert secret not in text, (response.request.path, secret)
    assert items_seen >= 12  # every item was fetched on its own and in the offline bundle
