"""A site session's chain carried to the centre: the bundle of a real session verifies away from the
database, every alteration is named where it is, garbage never raises, and the answers read from
the chain are the answer table's."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from examserver.delivery.models import ExamSession
from examserver.sites.chains import Problem, compare_answers, final_answers, session_bundle, verify_bundle
from proctoring import chain
from proctoring.merkle import tree_hash
from tests.conftest import login
from tests.examserver.player_client import Player


@pytest.fixture
def sat(client, exam_factory, db_session):
    """A submitted session: saves (one item saved three times, a stale save and a replay that are
    ignored, one answer cleared), browser integrity events, and the submit. Returns (exam id, bundle)."""
    candidate, exam = exam_factory()
    login(client, candidate.email)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    focus = [{"kind": "focus_lost", "duration_ms": 4000, "at": "2026-11-23T08:00:00Z"}]
    player.save({"position": 1, "seq": 1, "response": "1"}, events=focus)
    player.save({"position": 1, "seq": 3, "response": "2"}, {"position": 2, "seq": 2, "response": "1"})
    player.save({"position": 3, "seq": 4, "response": "3"}, events=[{"kind": "copy", "at": "2026-11-23T08:01:00Z"}])
    player.save({"position": 1, "seq": 6, "response": "3"})
    stale = player.save({"position": 1, "seq": 5, "response": "4"}).get_json()  # lower: ignored
    assert stale["saved"] == [{"position": 1, "seq": 6, "applied": False}]
    assert player.save({"position": 1, "seq": 6, "response": "3"}).get_json()["saved"][0]["applied"] is False
    player.save({"position": 3, "seq": 7, "response": None})  # cleared
    assert player.submit().status_code == 200
    db_session.expire_all()
    # as it travels: through JSON, on a USB stick
    return exam.id, json.loads(json.dumps(session_bundle(db_session, exam.id)))


def answer_rows(db_session, exam_id: int) -> dict[int, object]:
    db_session.expire_all()
    exam = db_session.get(ExamSession, exam_id)
    return {si.position: si for si in exam.items if si.answer is not None}


def uploaded_rows(db_session, exam_id: int) -> list[dict]:
    return [
        {"position": p, "response": si.answer.response, "client_seq": si.answer.client_seq, "version_id": si.version_id}
        for p, si in answer_rows(db_session, exam_id).items()
    ]


def entry_of(bundle: dict, record: str, **fields) -> dict:
    """The last entry whose payload is a ``record`` and holds ``fields``."""
    found = [
        e
        for e in bundle["entries"]
        if e["payload"]["type"] == record and all(e["payload"].get(k) == v for k, v in fields.items())
    ]
    return found[-1]


def relinked(bundle: dict, chain_id: int) -> dict:
    """The bundle as a forger with the site's database would leave it: every payload hash, link and
    checkpoint computed again over the payloads as they now are."""
    forged = copy.deepcopy(bundle)
    prev, hashes = chain.genesis_hash(chain_id), []
    for entry in forged["entries"]:
        if entry["payload"]["type"] == "checkpoint":
            entry["payload"]["root_hash"] = tree_hash([bytes.fromhex(h) for h in hashes]).hex()
        entry["payload_hash"] = chain.sha256_hex(chain.canonical_bytes(entry["payload"]))
        entry["prev_hash"], entry["entry_hash"] = (
            prev,
            chain.link_hash(prev, entry["payload_hash"], chain_id, entry["position"]),
        )
        prev = entry["entry_hash"]
        hashes.append(entry["payload_hash"])
    for head in forged["checkpoints"]:
        head["root_hash"] = tree_hash([bytes.fromhex(h) for h in hashes[: head["tree_size"]]]).hex()
    return forged


def codes(problems: list[Problem]) -> list[tuple[str, int | None]]:
    return [(p.code, p.position) for p in problems]


# ------------------------------------------------------------------------------- verification


def test_the_bundle_of_a_submitted_session_verifies(sat, db_session):
    exam_id, bundle = sat
    assert chain.verify(db_session).ok
    entries = bundle["entries"]
    assert [e["position"] for e in entries] == list(range(1, len(entries) + 1))
    kinds = [e["payload"]["type"] for e in entries]
    assert kinds.count("answer") == 6 and kinds.count("event") >= 4  # start, focus, copy, submit
    assert {"answer_sheet", "result", "checkpoint"} <= set(kinds)
    # the end checkpoint covers everything before its own entry, which is the chain's last
    assert bundle["checkpoints"][-1]["tree_size"] == len(entries) - 1 and kinds[-1] == "checkpoint"
    assert len(bundle["checkpoints"]) >= 2  # the first save's and the end's
    assert verify_bundle(bundle, exam_id) == []


def test_one_character_of_a_payload_changed_is_named_at_its_entry(sat):
    exam_id, bundle = sat
    focus = entry_of(bundle, "event", kind="focus_lost")
    focus["payload"]["kind"] = "focus_lose"
    assert codes(verify_bundle(bundle, exam_id)) == [("payload_altered", focus["position"])]


def test_the_last_save_of_an_answer_changed_also_disagrees_with_the_sheet(sat):
    exam_id, bundle = sat
    last = entry_of(bundle, "answer", position=1, seq=6)
    last["payload"]["response"] = "A" if last["payload"]["response"] != "A" else "B"
    sheet = entry_of(bundle, "answer_sheet")
    problems = verify_bundle(bundle, exam_id)
    assert codes(problems) == [("payload_altered", last["position"]), ("sheet_mismatch", sheet["position"])]
    assert problems[1].detail["item_position"] == 1 and problems[1].detail["chain"]["seq"] == 3


def test_a_forger_who_hashes_everything_again_is_caught_by_the_sheet(sat):
    """The save records and the answer sheet are two accounts of the same answers: changing the last
    save and linking the chain again still leaves the sheet saying otherwise."""
    exam_id, bundle = sat
    assert verify_bundle(relinked(bundle, exam_id), exam_id) == []  # the helper alone changes nothing
    saved = entry_of(bundle, "answer", position=2)["payload"]
    saved["response"] = "D" if saved["response"] != "D" else "C"
    forged = relinked(bundle, exam_id)
    sheet = entry_of(forged, "answer_sheet")
    problems = verify_bundle(forged, exam_id)
    assert codes(problems) == [("sheet_mismatch", sheet["position"])]
    assert problems[0].detail["item_position"] == 2


def test_a_middle_entry_removed_breaks_the_positions_and_the_link(sat):
    exam_id, bundle = sat
    entries = bundle["entries"]
    removed = entries.pop(len(entries) // 2)
    assert removed["payload"]["type"] != "checkpoint"
    after = removed["position"] + 1
    end = entries[-1]["position"]
    assert codes(verify_bundle(bundle, exam_id)) == [
        ("position_gap", after),
        ("link_broken", after),
        ("checkpoint_mismatch", end),  # the end checkpoint's entry: its entries changed
        ("checkpoint_mismatch", None),  # and its published head
    ]


def test_a_checkpoints_own_entry_removed_is_named_there(sat):
    exam_id, bundle = sat
    first = bundle["checkpoints"][0]["tree_size"]
    removed = bundle["entries"].pop(first)
    assert removed["payload"] == chain.checkpoint_record(exam_id, first, bundle["checkpoints"][0]["root_hash"])
    end = bundle["entries"][-1]["position"]
    assert codes(verify_bundle(bundle, exam_id)) == [
        ("position_gap", first + 2),
        ("link_broken", first + 2),
        ("checkpoint_mismatch", end),
        ("checkpoint_mismatch", first + 1),  # the first published head: its entry is not there
        ("checkpoint_mismatch", None),  # the end's published head
    ]


def test_the_end_cut_back_past_a_checkpoint_is_caught(sat):
    exam_id, bundle = sat
    sheet = entry_of(bundle, "answer_sheet")
    bundle["entries"] = [e for e in bundle["entries"] if e["position"] < sheet["position"]]
    kept = sheet["position"] - 1
    cut = [head["tree_size"] for head in bundle["checkpoints"] if head["tree_size"] >= kept]
    assert cut == [bundle["checkpoints"][-1]["tree_size"]]
    # what is left links and hashes well: only the checkpoint tells
    assert verify_bundle(bundle, exam_id) == [
        Problem("checkpoint_beyond_chain", None, {"tree_size": cut[0], "entries": kept})
    ]


def test_cutting_only_the_end_checkpoints_own_entry_is_caught(sat):
    exam_id, bundle = sat
    bundle["entries"].pop()
    size = bundle["checkpoints"][-1]["tree_size"]
    assert verify_bundle(bundle, exam_id) == [
        Problem("checkpoint_beyond_chain", None, {"tree_size": size, "entries": size})
    ]


def test_a_changed_checkpoint_root_is_a_mismatch(sat):
    exam_id, bundle = sat
    head = bundle["checkpoints"][0]
    head["root_hash"] = head["root_hash"][:-1] + ("0" if head["root_hash"][-1] != "0" else "1")
    problems = verify_bundle(bundle, exam_id)
    assert codes(problems) == [("checkpoint_mismatch", None)]
    assert problems[0].detail["tree_size"] == head["tree_size"] and problems[0].detail["expected"] == head["root_hash"]


def test_a_published_checkpoint_must_have_its_entry(sat):
    """A published checkpoint is followed by its own entry (at ``tree_size + 1``): one published
    over a prefix that is not what its entry says is named at that entry."""
    exam_id, bundle = sat
    first = bundle["checkpoints"][0]["tree_size"]
    hashes = [e["payload_hash"] for e in bundle["entries"][: first - 1]]
    bundle["checkpoints"].append(
        {"tree_size": first - 1, "root_hash": tree_hash([bytes.fromhex(h) for h in hashes]).hex(), "created_at": None}
    )
    assert codes(verify_bundle(bundle, exam_id)) == [("checkpoint_mismatch", first)]


def test_a_bundle_checked_as_another_chain_fails_every_link(sat):
    exam_id, bundle = sat
    problems = verify_bundle(bundle, exam_id + 1)
    found = {p.code for p in problems}
    assert found == {"link_broken", "wrong_chain"}
    broken = {p.position for p in problems if p.code == "link_broken"}
    assert broken == {e["position"] for e in bundle["entries"]}
    assert Problem("wrong_chain", None, {"bundle_chain_id": exam_id, "chain_id": exam_id + 1}) in problems
    # Relinked for the other chain, the payloads still name their own session
    bundle.pop("chain_id")
    wrong = {p.position for p in verify_bundle(relinked(bundle, exam_id + 1), exam_id + 1) if p.code == "wrong_chain"}
    assert wrong == {e["position"] for e in bundle["entries"]}  # every record names its session or chain


def test_purged_payloads_keep_their_hashes(sat):
    exam_id, bundle = sat
    purged = [e for e in bundle["entries"] if e["payload"]["type"] != "checkpoint"]
    for entry in purged:
        entry["payload"] = None
    assert verify_bundle(bundle, exam_id, allow_purged=True) == []
    assert codes(verify_bundle(bundle, exam_id)) == [("payload_purged", e["position"]) for e in purged]


def test_a_changed_record_type_is_reported(sat):
    exam_id, bundle = sat
    entry = entry_of(bundle, "answer", position=2)
    entry["record_type"] = "event"
    assert codes(verify_bundle(bundle, exam_id)) == [("record_type_mismatch", entry["position"])]


GARBAGE = [None, "x", "1", 1.5, True, -1, 2**70, [], {}, [1, 2], {"a": 1}, "ab" * 32, "G" * 64]


@pytest.mark.parametrize(
    "bundle", [None, [], "bundle", 7, {}, {"entries": "x", "checkpoints": None}, {"entries": [None, 3, "x"]}, [{}]]
)
def test_garbage_is_malformed_never_an_exception(bundle):
    problems = verify_bundle(bundle, 5)
    assert problems and all(isinstance(p, Problem) for p in problems)
    assert "bundle_malformed" in {p.code for p in problems}
    assert final_answers(bundle) == {}
    assert all(isinstance(p, Problem) for p in compare_answers(bundle, bundle))


@pytest.mark.parametrize("chain_id", [None, "5", True, -1, 2**70, 1.0])
def test_a_chain_id_that_is_not_one_is_malformed(sat, chain_id):
    assert codes(verify_bundle(sat[1], chain_id)) == [("bundle_malformed", None)]


def test_any_field_of_any_entry_or_checkpoint_replaced_by_garbage_is_reported_never_raised(sat):
    """Every field that the checks read, in every entry and checkpoint, replaced by every kind of
    wrong value: each is reported, and nothing raises."""
    exam_id, bundle = sat
    fields = ("position", "record_type", "payload", "payload_hash", "prev_hash", "entry_hash")
    for index, entry in enumerate(bundle["entries"]):
        for name in fields:
            for value in GARBAGE:
                if value == entry[name]:
                    continue
                broken = copy.deepcopy(bundle)
                broken["entries"][index][name] = value
                problems = verify_bundle(broken, exam_id)
                assert problems, (index, name, value)
                _ = final_answers(broken), compare_answers(broken, uploaded_rows_like(broken))
        if entry is not entry_of(bundle, entry["payload"]["type"]):
            continue  # the payloads' own values: one record of each kind is enough
        for key in entry["payload"]:  # hashed again, so that the content checks read them
            for value in GARBAGE:
                broken = copy.deepcopy(bundle)
                broken["entries"][index]["payload"][key] = value
                problems = verify_bundle(relinked(broken, exam_id), exam_id)
                if key in ("type", "session_id", "chain_id", "tree_size", "answers"):  # root_hash: relinked writes it
                    assert problems, (index, key, value)
                _ = final_answers(broken), compare_answers(broken, uploaded_rows_like(broken))
    for index in range(len(bundle["checkpoints"])):
        for name in ("tree_size", "root_hash"):
            for value in GARBAGE:
                broken = copy.deepcopy(bundle)
                broken["checkpoints"][index][name] = value
                readable = (name == "tree_size" and type(value) is int and value >= 0) or (
                    name == "root_hash" and value == "ab" * 32
                )
                problems = verify_bundle(broken, exam_id)
                assert problems and (readable or problems[0].code == "bundle_malformed"), (index, name, value)


def uploaded_rows_like(bundle: dict) -> list:
    """Rows as a careless upload might carry them: whatever the chain's answers hold, unchecked."""
    return [
        {"position": p, "response": a["response"], "client_seq": a["seq"]} for p, a in final_answers(bundle).items()
    ]


def test_not_json_data_in_a_payload_is_malformed(sat):
    exam_id, bundle = sat
    entry = entry_of(bundle, "event", kind="focus_lost")
    entry["payload"]["details"] = {1, 2}  # a set: no JSON form
    assert codes(verify_bundle(bundle, exam_id)) == [("bundle_malformed", entry["position"])]
    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    entry["payload"]["details"] = nested
    assert codes(verify_bundle(bundle, exam_id)) == [("bundle_malformed", entry["position"])]


# ------------------------------------------------------------------------------- the answers


def test_final_answers_are_what_the_answer_table_holds(sat, db_session):
    exam_id, bundle = sat
    rows = answer_rows(db_session, exam_id)
    answers = final_answers(bundle)
    assert set(answers) == set(rows) == {1, 2, 3}
    for position, si in rows.items():
        chained = answers[position]
        assert chained["response"] == si.answer.response and chained["seq"] == si.answer.client_seq
        assert chained["version_id"] == si.version_id and chained["answer_id"] == si.answer.id
        saved_at = datetime.strptime(chained["saved_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert saved_at == si.answer.saved_at
    # the third save of item 1 (seq 6) won, the stale seq 5 and the replay left nothing behind
    assert answers[1]["seq"] == 6 and answers[3] == {**answers[3], "response": None, "seq": 7}
    assert answers[1]["response"] != entry_of(bundle, "answer", position=1, seq=3)["payload"]["response"]
    assert answers[1]["entry"] == entry_of(bundle, "answer", position=1, seq=6)["position"]


def test_the_uploaded_rows_agree_with_the_chain(sat, db_session):
    exam_id, bundle = sat
    assert compare_answers(bundle, uploaded_rows(db_session, exam_id)) == []


def test_an_edited_answer_row_is_not_in_the_chain(sat, db_session):
    exam_id, bundle = sat
    rows = uploaded_rows(db_session, exam_id)
    edited = next(row for row in rows if row["position"] == 2)
    edited["response"] = "D" if edited["response"] != "D" else "C"
    problems = compare_answers(bundle, rows)
    assert codes(problems) == [("answer_not_in_chain", entry_of(bundle, "answer", position=2)["position"])]
    assert problems[0].detail["item_position"] == 2 and problems[0].detail["differs"] == ["response"]
    # the edit with the sequence of an earlier save of the item is still not the chain's last
    earlier = next(row for row in rows if row["position"] == 1)
    earlier.update(response=entry_of(bundle, "answer", position=1, seq=3)["payload"]["response"], client_seq=3)
    assert [p.detail["differs"] for p in compare_answers(bundle, rows)] == [["response", "client_seq"], ["response"]]


def test_missing_extra_and_malformed_rows(sat, db_session):
    exam_id, bundle = sat
    rows = [row for row in uploaded_rows(db_session, exam_id) if row["position"] != 3]
    rows.append({"position": 5, "response": "A", "client_seq": 9})
    rows.append({"position": "6", "response": "A", "client_seq": 9})
    rows.append({"position": 2, "response": "A", "client_seq": 9})
    problems = compare_answers(bundle, rows)
    assert [(p.code, p.detail.get("item_position")) for p in problems] == [
        ("row_malformed", None),
        ("row_malformed", None),
        ("answer_missing", 3),
        ("answer_not_in_chain", 5),
    ]
    assert problems[3].position is None


def test_a_numeric_response_compares_in_the_chains_form():
    """SQLite gives a stored 15.0 back as 15 (proctoring.ledger): the chain and the rows compare
    in one form."""
    payload = {"type": "answer", "session_id": 1, "position": 1, "version_id": 2, "answer_id": 3,
               "response": 15, "seq": 4, "saved_at": None}  # fmt: skip
    bundle = {"entries": [{"position": 1, "payload": payload}]}
    assert compare_answers(bundle, [{"position": 1, "response": 15.0, "client_seq": 4}]) == []
    for other in (15.5, "15", True):  # True == 1 to Python, not in JSON
        assert codes(compare_answers(bundle, [{"position": 1, "response": other, "client_seq": 4}])) == [
            ("answer_not_in_chain", 1)
        ]
    payload["response"] = 1
    assert codes(compare_answers(bundle, [{"position": 1, "response": True, "client_seq": 4}])) == [
        ("answer_not_in_chain", 1)
    ]


def test_a_chain_without_any_published_checkpoint_has_no_fixed_end(sat):
    exam_id, bundle = sat
    bundle["checkpoints"] = []
    assert verify_bundle(bundle, exam_id) == [Problem("checkpoint_missing", None, {"entries": len(bundle["entries"])})]
    assert verify_bundle({"chain_id": 9, "entries": [], "checkpoints": []}, 9) == []  # a session never started


def test_every_problem_code_of_the_module_is_declared():
    """The codes the checks can report are the declared ones, which the labels registry names."""
    import inspect
    import re

    from examserver.sites import chains

    used = set(re.findall(r'Problem\(\s*"([a-z_]+)"', inspect.getsource(chains)))
    assert used == set(chains.PROBLEM_CODES)
