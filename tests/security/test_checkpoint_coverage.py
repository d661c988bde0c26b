"""Attacks on a copy of the database that once passed ``integrity verify`` (issue 20).

Entries after a chain's last checkpoint were unprotected: a decision and appeal recorded after the
session closed, the newest events of a running session, and (without the anchor file) a whole
session could be deleted consistently. Checkpoints now follow every decision and appeal change and
come periodically during a session, and each is recorded on the platform chain, so the deletions
are caught without the anchor file. Item versions and history rows are refused by the database
itself, not only by the ORM.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from examserver.delivery import integrity
from itembank.models import ItemVersion
from proctoring import chain, services
from proctoring.models import Receipt
from tests.conftest import login
from tests.examserver.player_client import Player


def verify(db_session):
    """``flask integrity verify`` without the anchor file (the attacker removed or never had it)."""
    db_session.expire_all()
    return chain.verify(db_session, anchor_file=None)


def run(db_session, statements: list[str], **params) -> None:
    """The attacker's SQL, with foreign keys off on SQLite as a database owner may."""
    if db_session.get_bind().dialect.name == "sqlite":
        db_session.execute(text("PRAGMA foreign_keys=OFF"))
    for statement in statements:
        db_session.execute(text(statement), params)
    db_session.commit()


@pytest.fixture
def player(client, exam_factory):
    candidate, exam = exam_factory()
    login(client, candidate.email)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    return player, exam


def test_deleting_a_decision_and_appeal_made_after_the_session_closed_is_caught(db_session, player, make_user):
    player, exam = player
    assert player.save({"position": 1, "seq": 1, "response": "1"}).status_code == 200
    assert player.submit().status_code == 200
    sealed_size = db_session.get(Receipt, exam.id).chain_size  # the end checkpoint's entry
    proctor = make_user("proctor")
    decision = services.decide(
        db_session,
        exam.id,
        decision="warning",
        category="examinee.misconduct",
        reason="Peserta berbicara dengan peserta di sebelahnya.",
        actor_id=proctor.id,
    )
    services.file_appeal(db_session, decision, text="Saya hanya meminta izin ke toilet kepada pengawas.")
    db_session.commit()
    assert verify(db_session).ok
    # Remove the decision, the appeal and everything chained after the end checkpoint.
    run(
        db_session,
        [
            "DELETE FROM appeal WHERE session_id = :s",
            "DELETE FROM proctor_decision WHERE session_id = :s",
            "DELETE FROM log_entry WHERE chain_id = :s AND position > :n",
            "DELETE FROM checkpoint WHERE chain_id = :s AND tree_size >= :n",
        ],
        s=exam.id,
        n=sealed_size,
    )
    result = verify(db_session)
    assert not result.ok
    assert f"chain {exam.id}" in result.first_break.describe()
    assert "recorded on the platform chain" in result.first_break.reason


def test_deleting_the_newest_events_of_a_running_session_is_caught(db_session, player, monkeypatch):
    player, exam = player
    assert player.save({"position": 1, "seq": 1, "response": "1"}, events=[{"kind": "paste"}]).status_code == 200
    first = chain.latest_checkpoint(db_session, exam.id)
    assert first is not None  # the first save checkpoints the chain
    monkeypatch.setattr(integrity, "CHECKPOINT_EVERY_SECONDS", 0)  # the next save is "a while later"
    newest = [{"kind": "focus_lost", "duration_ms": 40_000}, {"kind": "copy"}]
    replay = {"position": 1, "seq": 1, "response": "1"}  # changes no answer, carries the events
    assert player.save(replay, events=newest).status_code == 200
    db_session.expire_all()
    assert chain.latest_checkpoint(db_session, exam.id).tree_size > first.tree_size
    assert verify(db_session).ok
    # Remove the newest events with their entries and every checkpoint after the first.
    run(
        db_session,
        [
            "DELETE FROM integrity_event WHERE session_id = :s AND chain_position > :n",
            "DELETE FROM log_entry WHERE chain_id = :s AND position > :n",
            "DELETE FROM checkpoint WHERE chain_id = :s AND tree_size > :size",
        ],
        s=exam.id,
        n=first.tree_size + 1,
        size=first.tree_size,
    )
    result = verify(db_session)
    assert not result.ok and f"chain {exam.id}" in result.first_break.describe()


def test_the_save_path_checkpoints_only_when_due(db_session, player):
    player, exam = player
    assert player.save({"position": 1, "seq": 1, "response": "1"}).status_code == 200
    size = chain.latest_checkpoint(db_session, exam.id).tree_size
    for seq in range(2, 5):  # a few quick saves: neither 50 entries nor 120 s
        assert player.save({"position": 1, "seq": seq, "response": "2"}).status_code == 200
    db_session.expire_all()
    assert chain.latest_checkpoint(db_session, exam.id).tree_size == size


def test_deleting_a_whole_session_is_caught_without_the_anchor_file(db_session, player):
    player, exam = player
    assert player.save({"position": 1, "seq": 1, "response": "1"}, events=[{"kind": "paste"}]).status_code == 200
    assert player.submit().status_code == 200
    assert verify(db_session).ok
    # Everything the session left in the log: its chain, checkpoints, records, receipt and sitting root.
    run(
        db_session,
        [
            "DELETE FROM log_entry WHERE chain_id = :s",
            "DELETE FROM checkpoint WHERE chain_id = :s",
            "DELETE FROM integrity_event WHERE session_id = :s",
            "DELETE FROM proctor_decision WHERE session_id = :s",
            "DELETE FROM receipt WHERE session_id = :s",
            "DELETE FROM sitting_root WHERE schedule_id = :schedule",
        ],
        s=exam.id,
        schedule=exam.schedule_id,
    )
    result = verify(db_session)
    assert not result.ok
    assert f"chain {exam.id}" in result.first_break.describe() and "missing" in result.first_break.reason


REFUSED = [
    'UPDATE item_version SET answer = \'{"correct": "D"}\'',
    "UPDATE item_version SET stem = 'Soal lain'",
    "DELETE FROM item_version",
    "UPDATE item_event SET comment = 'ditulis ulang'",
    "DELETE FROM item_event",
    "UPDATE item_access SET ip_address = NULL",
    "DELETE FROM item_access",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_database_refuses_edits_of_item_versions_and_history(db_session, make_item, make_user, statement):
    item = make_item()
    db_session.execute(
        text(
            "INSERT INTO item_access (item_id, user_id, at, kind, ip_address) VALUES (:i, :u, :at, 'view', '10.1.1.1')"
        ),
        {"i": item.id, "u": make_user("admin").id, "at": chain.utcnow()},
    )
    db_session.commit()
    key = db_session.get(ItemVersion, item.versions[0].id).answer
    if db_session.get_bind().dialect.name == "sqlite":
        db_session.execute(text("PRAGMA foreign_keys=OFF"))  # so only the trigger stands in the way
    with pytest.raises(IntegrityError, match="never"):
        db_session.execute(text(statement))
    db_session.rollback()
    db_session.expire_all()
    assert db_session.get(ItemVersion, item.versions[0].id).answer == key
