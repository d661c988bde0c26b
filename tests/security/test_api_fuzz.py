"""Schemathesis against /api/openapi.json, in process: no generated request gets a 500.

The candidate is signed in with a running session; every generated case is sent with that
session's id, a valid CSRF token and (for schema-valid bodies) the started device's client id,
so the fuzzing reaches the views and not only the guards. Bodies, headers and the other
parameters are generated from the schema, both valid and invalid. Valid requests must also get a
documented status code and a response matching the schema. Examples are bounded and
derandomised, so every run sends the same requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings

from tests.examserver.player_client import DEVICE, Player
from tests.security.conftest import signed_in

EXAMPLES = 15
POSITIONS = 8  # the session has 6 items: positions 0..7 cover both ends and the middle

if TYPE_CHECKING:
    from schemathesis.generation import GenerationMode


def fuzz(operation, mode: GenerationMode, *, session_id: int, token: str, cookie: str) -> None:
    """Send ``EXAMPLES`` generated cases of ``operation`` and check each response.

    Schemathesis is imported here and in the test, not at the top: every xdist worker imports
    every test module to collect it, and schemathesis costs each of them 0.4 s."""
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )
    from schemathesis.generation import GenerationMode

    checks = [not_a_server_error]
    if mode is GenerationMode.POSITIVE:
        checks += [status_code_conformance, response_schema_conformance, content_type_conformance]

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        parameters = case.path_parameters
        if "session_id" in parameters:
            parameters["session_id"] = session_id
        if isinstance(parameters.get("position"), int):
            parameters["position"] = abs(parameters["position"]) % POSITIONS
        if isinstance(case.body, dict) and mode is GenerationMode.POSITIVE:
            case.body["client_id"] = DEVICE
            for save in case.body.get("saves") or []:
                if isinstance(save, dict) and isinstance(save.get("position"), int):
                    save["position"] = abs(save["position"]) % POSITIONS
        response = case.call(
            headers={"X-CSRFToken": token, "Accept-Encoding": "identity"}, cookies={"ujian_session": cookie}
        )
        case.validate_response(response, checks=checks)

    run()


def test_candidate_api_has_no_server_errors(app, db_session, exam_factory):
    candidate, exam = exam_factory()
    client = signed_in(app, candidate)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    cookie = client.get_cookie("ujian_session").value
    import schemathesis
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    names = [op.definition.raw["operationId"] for op in operations]
    assert set(names) >= {"startSession", "getSessionState", "getItem", "getAllItems", "saveAnswer", "submitSession"}
    # Submitting ends the session, so it goes last and everything else runs against a live one.
    operations.sort(key=lambda op: op.definition.raw["operationId"] == "submitSession")
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, session_id=exam.id, token=player.token, cookie=cookie)
    assert client.get(f"/api/sesi/{exam.id}/status").get_json()["status"] == "submitted"


def test_numbers_too_large_for_the_database_are_bad_requests(app, db_session, exam_factory):
    """Found by the fuzzing: a sequence number past 2**63 was a 500 (driver overflow). The save
    service now refuses any sequence number past the 32-bit column before the database sees it."""
    candidate, exam = exam_factory()
    client = signed_in(app, candidate)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    response = player.save({"position": 1, "seq": 2**63, "response": "1"})
    assert response.status_code == 400 and response.get_json()["code"] == "seq_invalid"
    assert player.save({"position": 1, "seq": 1, "response": "1"}).status_code == 200
    assert player.state()["last_seq"] == 1
    for url in (f"/api/sesi/{2**40}/status", f"/ujian/{2**70}", f"/api/sesi/{exam.id}/butir/{2**64}"):
        assert client.get(url).status_code == 404, url


def test_json_nested_too_deeply_is_a_bad_request(app, db_session, exam_factory):
    """Found while probing the API: 30,000 nested brackets (60 KB) made the parser recurse into a 500."""
    candidate, exam = exam_factory()
    client = signed_in(app, candidate)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    for body in (
        "[" * 30000 + "]" * 30000,
        '{"client_id": "x", "saves": [' + '{"a":' * 10000 + "1" + "}" * 10000 + "]}",
    ):
        response = client.post(
            f"/api/sesi/{exam.id}/jawaban",
            data=body,
            content_type="application/json",
            headers={"X-CSRFToken": player.token},
        )
        assert response.status_code == 400 and response.get_json()["code"] == "body_invalid"
    assert player.save({"position": 1, "seq": 1, "response": "1"}).status_code == 200
