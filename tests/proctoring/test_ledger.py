"""Answers and results on the hash chain: saves append records, the end appends the answer sheet
and the result, and any direct edit or delete of those rows is named by the verification.

Runs on SQLite and, through the suite's TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select, text

from examserver.delivery import integrity
from examserver.delivery import services as delivery
from examserver.delivery.models import Answer, ExamSession, SessionItem
from examserver.extensions import db
from itembank.database import utcnow
from proctoring import chain, ledger, receipts
from proctoring.merkle import tree_hash
from proctoring.models import LogEntry, Receipt, SealQueue, SittingRoot

DEVICE = "perangkat-uji-0001"


def _started(db_session, exam_factory):
    _candidate, exam = exam_factory()
    delivery.start(
        db_session, exam, delivery.StartRequest(client_id=DEVICE), now=utcnow(), rng=np.random.default_rng(1)
    )
    db_session.commit()
    return exam


def _save(db_session, exam, *saves):
    acks = delivery.save_answers(db_session, exam, DEVICE, [delivery.Save(*s) for s in saves], now=utcnow())
    db_session.commit()
    return acks


def _records(db_session, exam_id, record_type):
    return db_session.scalars(
        select(LogEntry)
        .where(LogEntry.chain_id == exam_id, LogEntry.record_type == record_type)
        .order_by(LogEntry.position)
    ).all()


def _verify(db_session):
    db_session.expire_all()
    return chain.verify(db_session)


@pytest.fixture
def running(db_session, exam_factory):
    exam = _started(db_session, exam_factory)
    _save(db_session, exam, (1, 1, "2"), (2, 1, "1"))
    _save(db_session, exam, (1, 2, "3"))
    return exam


@pytest.fixture
def ended(db_session, running):
    _save(db_session, running, (3, 1, "1"))
    delivery.end(db_session, running, now=utcnow(), reason="candidate")
    db_session.commit()
    return running


def test_each_applied_save_appends_one_record_and_replays_append_nothing(db_session, running):
    records = _records(db_session, running.id, "answer")
    assert [(r.payload["position"], r.payload["seq"]) for r in records] == [(1, 1), (2, 1), (1, 2)]
    si = db_session.scalar(select(SessionItem).where(SessionItem.session_id == running.id, SessionItem.position == 1))
    letter = si.option_order[2]  # display number "3" is the third option shown
    assert records[-1].payload["response"] == letter and records[-1].payload["version_id"] == si.version_id
    assert records[-1].record_id == si.answer.id and records[-1].payload["answer_id"] == si.answer.id
    assert records[-1].payload["saved_at"].endswith("Z")
    before = db_session.scalar(select(LogEntry.position).where(LogEntry.chain_id == running.id).order_by(
        LogEntry.position.desc()).limit(1))  # fmt: skip
    acks = _save(db_session, running, (1, 2, "1"), (1, 1, "4"))  # a replay and an older save
    assert [a.applied for a in acks] == [False, False]
    after = db_session.scalar(select(LogEntry.position).where(LogEntry.chain_id == running.id).order_by(
        LogEntry.position.desc()).limit(1))  # fmt: skip
    assert after == before
    assert _verify(db_session).ok


def test_a_batch_of_saves_of_one_position_chains_each_state(db_session, running):
    _save(db_session, running, (4, 1, "1"), (4, 2, "2"))
    records = [r.payload for r in _records(db_session, running.id, "answer") if r.payload["position"] == 4]
    assert [r["seq"] for r in records] == [1, 2] and records[0]["response"] != records[1]["response"]
    assert _verify(db_session).ok


def test_ending_chains_the_sheet_and_the_result_before_the_checkpoint(db_session, ended):
    kinds = [
        e.record_type
        for e in db_session.scalars(select(LogEntry).where(LogEntry.chain_id == ended.id).order_by(LogEntry.position))
    ]
    assert kinds[-4:] == ["answer_sheet", "result", "event", "checkpoint"]
    sheet = _records(db_session, ended.id, "answer_sheet")[0].payload
    exam = db_session.get(ExamSession, ended.id)
    assert [line["position"] for line in sheet["answers"]] == [si.position for si in exam.items]
    by_position = {line["position"]: line for line in sheet["answers"]}
    assert by_position[1]["seq"] == 2 and by_position[6]["answer_id"] is None and by_position[6]["response"] is None
    result = _records(db_session, ended.id, "result")[0].payload
    assert result["verification_code"] == exam.result.verification_code
    assert result["total_raw"] == exam.result.total_raw and result["sections"] == exam.result.sections
    assert result["theta"] == exam.result.theta and result["parameter_ids"] == exam.result.parameter_ids
    assert _verify(db_session).ok


def _tamper(db_session, statement, **params):
    db_session.execute(text(statement), params)
    db_session.commit()
    found = _verify(db_session)
    assert not found.ok
    return found.first_break.describe()


def _answer_id(db_session, exam_id, position):
    return db_session.scalar(
        select(Answer.id).join(SessionItem).where(SessionItem.session_id == exam_id, SessionItem.position == position)
    )


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        ("UPDATE answer SET response = '\"Z\"' WHERE id = :id", "at position 2 was changed"),
        ("UPDATE answer SET client_seq = 9 WHERE id = :id", "at position 2 was changed"),
        ("DELETE FROM answer WHERE id = :id", "at position 2 was deleted"),
    ],
)
def test_editing_an_answer_of_a_closed_session_is_named(db_session, ended, statement, what):
    message = _tamper(db_session, statement, id=_answer_id(db_session, ended.id, 2))
    assert f"chain {ended.id}" in message and f"answer of session {ended.id} {what}" in message, message


def test_adding_an_answer_to_a_closed_session_is_named(db_session, ended):
    item = db_session.scalar(
        select(SessionItem.id).where(SessionItem.session_id == ended.id, SessionItem.position == 6)
    )
    message = _tamper(
        db_session,
        "INSERT INTO answer (session_item_id, response, is_flagged, client_id, client_seq, saved_at, change_count)"
        " VALUES (:item, '\"A\"', false, 'x', 1, :at, 1)",
        item=item,
        at=utcnow(),
    )
    assert f"answer of session {ended.id} at position 6 was changed" in message, message


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        ("UPDATE session_result SET total_raw = total_raw + 5 WHERE session_id = :id", "was changed (total_raw)"),
        ("UPDATE session_result SET passed = NOT passed WHERE session_id = :id", "was changed (passed)"),
        ("UPDATE session_result SET sections = '[]' WHERE session_id = :id", "was changed (sections)"),
        ("DELETE FROM session_result WHERE session_id = :id", "was deleted"),
    ],
)
def test_editing_the_result_of_a_closed_session_is_named(db_session, ended, statement, what):
    message = _tamper(db_session, statement, id=ended.id)
    assert f"result of session {ended.id} {what}" in message, message


def test_during_a_session_the_latest_save_must_match_the_row(db_session, running):
    message = _tamper(
        db_session, "UPDATE answer SET response = '\"Z\"' WHERE id = :id", id=_answer_id(db_session, running.id, 1)
    )
    assert f"answer of session {running.id} at position 1 was changed" in message, message


def test_during_a_session_a_deleted_answer_is_named(db_session, running):
    message = _tamper(db_session, "DELETE FROM answer WHERE id = :id", id=_answer_id(db_session, running.id, 2))
    assert f"answer of session {running.id} at position 2 was deleted" in message, message


def test_the_verify_command_exits_1_naming_the_answer(app, db_session, ended):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["integrity", "verify"]).exit_code == 0
    db_session.execute(
        text("UPDATE answer SET client_seq = 7 WHERE id = :id"), {"id": _answer_id(db_session, ended.id, 1)}
    )
    db_session.commit()
    broken = runner.invoke(args=["integrity", "verify"])
    assert broken.exit_code == 1
    assert f"answer of session {ended.id} at position 1 was changed" in broken.output


def test_the_candidate_gets_a_receipt_that_proves_inclusion(db_session, ended, exam_factory):
    receipt = db_session.get(Receipt, ended.id)
    last = db_session.scalar(
        select(LogEntry).where(LogEntry.chain_id == ended.id).order_by(LogEntry.position.desc()).limit(1)
    )
    assert receipt.final_head == last.entry_hash and receipt.chain_size == last.position
    assert len(receipt.code) == 20 and set(receipt.code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    # A second session of the same sitting becomes the next leaf; both prove against the new root.
    exam = db_session.get(ExamSession, ended.id)
    other = delivery.enrol(db_session, exam.schedule, exam_factory()[0].id)
    delivery.start(
        db_session, other, delivery.StartRequest(client_id=DEVICE), now=utcnow(), rng=np.random.default_rng(2)
    )
    delivery.end(db_session, other, now=utcnow() + timedelta(minutes=1), reason="candidate")
    db_session.commit()
    roots = db_session.scalars(select(SittingRoot).where(SittingRoot.schedule_id == exam.schedule_id)).all()
    assert sorted(r.tree_size for r in roots) == [1, 2]
    for code in (receipt.code, db_session.get(Receipt, other.id).code):
        proof = receipts.prove(db_session, receipts.readable(code).lower())
        assert proof is not None and proof.valid and proof.root.tree_size == 2 and len(proof.path) == 1
    changed = receipt.code[:7] + ("A" if receipt.code[7] != "A" else "B") + receipt.code[8:]
    assert receipts.prove(db_session, changed) is None
    assert _verify(db_session).ok
    message = _tamper(db_session, "UPDATE sitting_root SET root_hash = :h WHERE tree_size = 2", h="0" * 64)
    assert "published root of sitting" in message


def test_every_seal_publishes_the_tree_head_of_all_heads_sealed_so_far(db_session, ended, exam_factory):
    """A seal grows the sitting's tree from the previous head's frontier: each published head is
    still the RFC 6962 root of every sealed head (hashed again here from the receipts), a head
    published before frontiers were kept is grown from its leaves, and a changed frontier is named."""
    exam = db_session.get(ExamSession, ended.id)
    for number in range(5):
        other = delivery.enrol(db_session, exam.schedule, exam_factory()[0].id)
        delivery.start(
            db_session, other, delivery.StartRequest(client_id=DEVICE), now=utcnow(), rng=np.random.default_rng(3)
        )
        delivery.end(db_session, other, now=utcnow() + timedelta(minutes=1), reason="candidate")
        db_session.commit()
        if number == 2:  # the heads so far as an older release left them: no frontier
            db_session.execute(text("UPDATE sitting_root SET frontier = NULL"))
            db_session.commit()
    db_session.expire_all()
    sealed = db_session.scalars(
        select(Receipt).where(Receipt.schedule_id == exam.schedule_id).order_by(Receipt.leaf_index)
    ).all()
    assert [r.leaf_index for r in sealed] == list(range(6))
    heads = [bytes.fromhex(r.final_head) for r in sealed]
    roots = db_session.scalars(
        select(SittingRoot).where(SittingRoot.schedule_id == exam.schedule_id).order_by(SittingRoot.tree_size)
    ).all()
    assert [r.tree_size for r in roots] == list(range(1, 7))
    assert [r.root_hash for r in roots] == [tree_hash(heads[:size]).hex() for size in range(1, 7)]
    assert [r.frontier is None for r in roots] == [True, True, True, True, False, False]
    for receipt in sealed:
        proof = receipts.prove(db_session, receipt.code)
        assert proof is not None and proof.valid and proof.root.tree_size == 6
    assert _verify(db_session).ok
    message = _tamper(db_session, "UPDATE sitting_root SET frontier = :f WHERE tree_size = 6", f="0" * 128)
    assert "stored frontier of sitting" in message


def test_an_end_that_finds_the_seal_busy_queues_its_head_and_a_batch_seals_it(
    db_session, ended, exam_factory, monkeypatch
):
    """At a deadline the ends must not wait in line for the seal's locks: an end that finds them
    held closes its chain, checkpoint and anchor as ever and queues its head; the batch seals it as
    the next leaf, with the platform chain's record of its end checkpoint, and every published
    head and the whole log still verify."""
    candidates = [exam_factory()[0].id for _ in range(2)]
    exam = db_session.get(ExamSession, ended.id)
    busy, quiet = (delivery.enrol(db_session, exam.schedule, candidate) for candidate in candidates)
    for other in (busy, quiet):
        delivery.start(
            db_session, other, delivery.StartRequest(client_id=DEVICE), now=utcnow(), rng=np.random.default_rng(4)
        )
    db_session.commit()
    # The test's transaction holds the locks from the fixture's seal (test_seal_locks_are_tried, not
    # waited for, shows the real refusal between two connections): the answer is forced here.
    monkeypatch.setattr(receipts, "seal_locks", lambda connection, schedule_id: False)
    delivery.end(db_session, busy, now=utcnow() + timedelta(minutes=1), reason="candidate")
    db_session.commit()
    monkeypatch.undo()
    last = db_session.scalar(
        select(LogEntry).where(LogEntry.chain_id == busy.id).order_by(LogEntry.position.desc()).limit(1)
    )
    queued = db_session.get(SealQueue, busy.id)
    assert last.record_type == "checkpoint" and db_session.get(Receipt, busy.id) is None
    assert (queued.chain_size, queued.final_head, queued.tree_size) == (
        last.position,
        last.entry_hash,
        last.position - 1,
    )
    assert receipts.is_queued(db_session, busy.id) and _verify(db_session).ok

    delivery.end(db_session, quiet, now=utcnow() + timedelta(minutes=1), reason="candidate")  # the locks are free
    db_session.commit()
    assert db_session.get(Receipt, quiet.id).leaf_index == 1
    assert receipts.seal_queued(db_session) == 1
    db_session.commit()
    assert receipts.seal_queued(db_session) == 0 and not receipts.is_queued(db_session, busy.id)
    db_session.expire_all()
    receipt = db_session.get(Receipt, busy.id)
    assert (receipt.leaf_index, receipt.chain_size, receipt.final_head) == (2, last.position, last.entry_hash)
    sealed = db_session.scalars(
        select(Receipt.final_head).where(Receipt.schedule_id == exam.schedule_id).order_by(Receipt.leaf_index)
    ).all()
    roots = db_session.scalars(
        select(SittingRoot).where(SittingRoot.schedule_id == exam.schedule_id).order_by(SittingRoot.tree_size)
    ).all()
    heads = [bytes.fromhex(h) for h in sealed]
    assert [(r.tree_size, r.root_hash) for r in roots] == [(n, tree_hash(heads[:n]).hex()) for n in (1, 2, 3)]
    recorded = db_session.scalars(
        select(LogEntry.payload).where(
            LogEntry.chain_id == chain.PLATFORM_CHAIN, LogEntry.record_type == chain.CHAIN_CHECKPOINT
        )
    ).all()
    assert {"chain_id": busy.id, "tree_size": last.position - 1, "type": chain.CHAIN_CHECKPOINT} in [
        {k: v for k, v in payload.items() if k != "root_hash"} for payload in recorded
    ]
    proof = receipts.prove(db_session, receipt.code)
    assert proof is not None and proof.valid and proof.root.tree_size == 3
    assert _verify(db_session).ok


def test_seal_locks_are_tried_not_waited_for(app):
    """Two connections: while one holds the seal's locks in its transaction the other is refused at
    once (PostgreSQL), and gets them when that transaction ends; SQLite's writers are serialised by
    the database, so there the answer is always yes."""
    with app.app_context():
        engine = db.engine
    with engine.connect() as first, engine.connect() as second:
        with first.begin():
            assert receipts.seal_locks(first, 1)
            assert receipts.seal_locks(first, 1)  # a transaction's own locks: taken again
            if engine.dialect.name != "postgresql":
                return  # SQLite: a second writer would wait for the database's own lock, not for these
            with second.begin():
                assert not receipts.seal_locks(second, 1)  # held: refused, not waited for
                assert not receipts.seal_locks(second, 2)  # another sitting: the platform chain's is held
        with second.begin():
            assert receipts.seal_locks(second, 1)  # the first transaction ended: its locks went with it


def test_a_record_built_from_the_row_equals_the_chained_one(db_session, ended):
    """The canonical records survive the database round trip exactly (floats, JSON, timestamps)."""
    exam = db_session.get(ExamSession, ended.id)
    values = {name: getattr(exam.result, name) for name in ledger.RESULT_FIELDS}
    chained = _records(db_session, ended.id, "result")[0]
    assert chain.sha256_hex(chain.canonical_bytes(ledger.result_record(exam.id, values))) == chained.payload_hash


def test_a_whole_number_response_survives_the_database_round_trip(db_session, running):
    """SQLite gives a JSON column's top-level 15.0 back as 15; the chained record must still match
    (the demo's numeric items hit this)."""
    si = db_session.scalar(select(SessionItem).where(SessionItem.session_id == running.id, SessionItem.position == 1))
    si.answer.response, si.answer.client_seq = 15.0, 40
    db_session.flush()
    integrity.on_saves(db_session, running, [(si, si.answer, 15.0, 40)])
    db_session.commit()
    assert _verify(db_session).ok
    closed = delivery.end(db_session, db_session.get(ExamSession, running.id), now=utcnow(), reason="candidate")
    db_session.commit()
    assert closed is not None and _verify(db_session).ok
