"""The tamper-evident log: any change or deletion made directly in the database is caught."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from itembank.refusal import Refusal
from proctoring import chain, services


@pytest.fixture
def logged(db_session, exam_factory, make_user, tmp_path):
    """A session with browser, server and proctor events, a decision with confirmation, an
    appeal with its outcome, and a checkpoint written to an anchor file."""
    candidate, exam = exam_factory()
    proctor, second, admin = make_user("proctor"), make_user("proctor"), make_user("admin")
    anchors = tmp_path / "anchors.log"
    services.record_event(db_session, exam.id, source="server", kind="session_started", details={"ip": "10.0.0.7"})
    services.record_browser_events(
        db_session,
        exam.id,
        [
            {"kind": "focus_lost", "duration_ms": 5200, "at": "2026-11-23T08:00:00Z", "position": 3},
            {"kind": "paste", "at": "2026-11-23T08:01:00Z"},
            {"kind": "tidak-dikenal"},
            "rusak",
        ],
        now=chain.utcnow(),
    )
    services.record_event(
        db_session,
        exam.id,
        source="proctor",
        kind="message",
        actor_id=proctor.id,
        details={"text": "Harap tetap di halaman ujian."},
    )
    decision = services.decide(
        db_session,
        exam.id,
        decision="invalidated",
        category="examinee.collusion",
        reason="Jawaban identik dengan peserta lain di ruang yang sama.",
        actor_id=proctor.id,
        anchor_file=anchors,
    )
    services.confirm_invalidation(db_session, decision, actor_id=second.id, anchor_file=anchors)
    appeal = services.file_appeal(
        db_session, decision, text="Saya mengerjakan sendiri; mohon diperiksa ulang.", anchor_file=anchors
    )
    services.decide_appeal(
        db_session,
        appeal,
        upheld=False,
        outcome="Bukti tetap kuat setelah ditelaah ulang.",
        actor_id=admin.id,
        anchor_file=anchors,
    )
    assert chain.checkpoint(db_session, exam.id, anchor_file=anchors).tree_size == 11  # nothing new since
    db_session.commit()
    return exam, anchors


def verify(db_session, anchors):
    db_session.expire_all()
    return chain.verify(db_session, anchor_file=anchors)


def test_an_untouched_log_verifies(db_session, logged):
    exam, anchors = logged
    result = verify(db_session, anchors)
    assert result.ok, result.first_break
    # start, 2 browser events, message, then decision, confirmation, appeal and outcome each with a
    # checkpoint (12 on the session's chain), and the 4 checkpoints recorded on the platform chain
    assert result.entries == 16


def test_malformed_browser_events_are_dropped(db_session, logged):
    exam, _ = logged
    kinds = [e.kind for e in services.timeline(db_session, exam.id).events]
    assert kinds == ["session_started", "focus_lost", "paste", "message"]


TAMPERING = [
    ("UPDATE integrity_event SET details = '{\"position\": 9}' WHERE kind = 'focus_lost'", "event record", "changed"),
    ("UPDATE integrity_event SET duration_ms = 100 WHERE kind = 'focus_lost'", "event record", "changed"),
    ("UPDATE integrity_event SET kind = 'online' WHERE kind = 'paste'", "event record", "changed"),
    ("DELETE FROM integrity_event WHERE kind = 'paste'", "event record", "deleted"),
    ("UPDATE proctor_decision SET reason = 'Tidak ada bukti.'", "decision record", "changed"),
    ("UPDATE proctor_decision SET confirmed_at = decided_at", "confirmation record", "changed"),
    ("UPDATE appeal SET status = 'upheld'", "appeal_outcome record", "changed"),
    (
        # Always a different first digit (replacing it with 'f' changed nothing when it was 'f').
        "UPDATE log_entry SET payload_hash = (CASE WHEN substr(payload_hash, 1, 1) = 'f' THEN '0' ELSE 'f' END)"
        " || substr(payload_hash, 2) WHERE chain_id <> 0 AND position = 2",
        "entry 2",
        "hash",
    ),
    ("UPDATE log_entry SET entry_hash = prev_hash WHERE chain_id <> 0 AND position = 4", "entry 4", "hash"),
    ("DELETE FROM log_entry WHERE chain_id <> 0 AND position = 3", "entry 3", "missing"),
    (
        "UPDATE log_entry SET payload = NULL, purged_at = created_at WHERE chain_id <> 0 AND position = 2",
        "entry 2",
        "without a recorded purge",
    ),
]


@pytest.mark.parametrize(("statement", "where", "what"), TAMPERING)
def test_direct_database_tampering_is_caught(db_session, logged, statement, where, what):
    exam, anchors = logged
    db_session.execute(
        text("PRAGMA foreign_keys=OFF") if db_session.get_bind().dialect.name == "sqlite" else text("SELECT 1")
    )
    if (
        "proctor_decision" in statement
        and "DELETE" not in statement
        and db_session.get_bind().dialect.name == "postgresql"
    ):
        db_session.execute(
            text("ALTER TABLE proctor_decision DROP CONSTRAINT IF EXISTS fk_proctor_decision_confirmed_by_id_user")
        )
    db_session.execute(text(statement))
    db_session.commit()
    result = verify(db_session, anchors)
    assert not result.ok
    message = result.first_break.describe()
    assert where in message and what in message, message
    assert f"chain {exam.id}" in message


def test_cutting_off_the_end_is_caught_by_the_platform_chain_and_the_anchor_file(db_session, logged):
    exam, anchors = logged
    # Delete the last entries and their records consistently: chain links alone cannot see it.
    db_session.execute(text("DELETE FROM checkpoint WHERE tree_size >= 11"))
    db_session.execute(text("DELETE FROM log_entry WHERE chain_id <> 0 AND position >= 11"))
    db_session.execute(
        text("UPDATE appeal SET status = 'open', outcome = NULL, decided_by_id = NULL, decided_at = NULL")
    )
    db_session.commit()
    result = chain.verify(db_session, anchor_file=None)  # the platform chain recorded the checkpoint
    assert not result.ok and "recorded on the platform chain" in result.first_break.describe()
    # Cutting the platform chain's newest record too leaves only the anchor file to see it.
    db_session.execute(text("DELETE FROM log_entry WHERE chain_id = 0 AND position = 4"))
    db_session.commit()
    assert chain.verify(db_session, anchor_file=None).ok
    result = verify(db_session, anchors)
    assert not result.ok and "anchored head" in result.first_break.describe()


def test_a_recorded_purge_keeps_the_chain_verifiable(db_session, logged, make_user):
    exam, anchors = logged
    admin = make_user("admin")
    purged = chain.purge(
        db_session, before=chain.utcnow() + __import__("datetime").timedelta(seconds=1), actor_id=admin.id
    )
    db_session.commit()
    assert purged == 8  # every entry but the checkpoint
    result = verify(db_session, anchors)
    assert result.ok, result.first_break
    events = services.timeline(db_session, exam.id).events
    assert all(event.details is None for event in events)


def test_invalidation_needs_a_second_person(db_session, exam_factory, make_user):
    candidate, exam = exam_factory()
    proctor, admin = make_user("proctor"), make_user("admin")
    decision = services.decide(
        db_session,
        exam.id,
        decision="invalidated",
        category="examinee.impersonation",
        reason="Wajah tidak sesuai dengan foto KTP.",
        actor_id=proctor.id,
    )
    assert services.effective_decision(db_session, exam.id) is None
    with pytest.raises(Refusal, match="proctoring.second_person_required"):
        services.confirm_invalidation(db_session, decision, actor_id=proctor.id)
    services.confirm_invalidation(db_session, decision, actor_id=admin.id)
    assert services.effective_decision(db_session, exam.id) is decision


def test_decisions_need_a_known_category_and_a_reason(db_session, exam_factory, make_user):
    candidate, exam = exam_factory()
    proctor = make_user("proctor")
    with pytest.raises(Refusal, match="proctoring.category_unknown"):
        services.decide(
            db_session, exam.id, decision="warning", category="examinee.magic", reason="x" * 20, actor_id=proctor.id
        )
    with pytest.raises(Refusal, match="proctoring.reason_required"):
        services.decide(
            db_session,
            exam.id,
            decision="warning",
            category="examinee.misconduct",
            reason="singkat",
            actor_id=proctor.id,
        )


def test_appeals_are_decided_by_someone_else(db_session, exam_factory, make_user):
    candidate, exam = exam_factory()
    proctor, admin = make_user("proctor"), make_user("admin")
    decision = services.decide(
        db_session,
        exam.id,
        decision="warning",
        category="environment.noise",
        reason="Suara bising terdengar terus-menerus.",
        actor_id=proctor.id,
    )
    appeal = services.file_appeal(db_session, decision, text="Bising berasal dari hujan deras, bukan dari saya.")
    with pytest.raises(Refusal, match="proctoring.appeal_exists"):
        services.file_appeal(db_session, decision, text="Sanggahan kedua yang sama panjangnya.")
    with pytest.raises(Refusal, match="proctoring.appeal_needs_someone_else"):
        services.decide_appeal(
            db_session, appeal, upheld=True, outcome="Diterima oleh pengawas sendiri.", actor_id=proctor.id
        )
    services.decide_appeal(
        db_session,
        appeal,
        upheld=True,
        outcome="Hujan deras tercatat di laporan cuaca.",
        actor_id=admin.id,
    )
    assert appeal.status == "upheld"


def test_the_verify_command_names_the_first_broken_entry(app, db_session, logged):
    exam, anchors = logged
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["integrity", "verify", "--anchors", str(anchors)])
    assert ok.exit_code == 0 and "integrity log OK" in ok.output
    db_session.execute(text("UPDATE integrity_event SET client_at = '2026-01-01T00:00:00Z' WHERE kind = 'paste'"))
    db_session.commit()
    broken = runner.invoke(args=["integrity", "verify", "--anchors", str(anchors)])
    assert broken.exit_code == 1
    assert f"BROKEN at chain {exam.id} entry 3: event record" in broken.output
