"""The checkpoint a save makes when one is due (``chain.checkpoint_tail`` on the tail read under
the save's lock): the same tree head :func:`proctoring.chain.checkpoint` publishes, appended to the
session's chain, recorded on the platform chain and anchored, and the whole log verifies."""

from __future__ import annotations

from sqlalchemy import select

from proctoring import chain
from proctoring.merkle import tree_hash
from proctoring.models import Checkpoint, LogEntry
from tests.conftest import login
from tests.examserver.player_client import Player


def test_the_first_save_checkpoints_the_chain_as_checkpoint_would(
    client, exam_factory, db_session, app, tmp_path, monkeypatch
):
    anchors = tmp_path / "anchors.log"
    monkeypatch.setitem(app.config, "INTEGRITY_ANCHOR_FILE", str(anchors))
    candidate, exam = exam_factory()
    login(client, candidate.email)
    player = Player(client, exam.id)
    assert player.start().status_code == 200
    assert player.save({"position": 1, "seq": 1, "response": "1"}).status_code == 200
    db_session.expire_all()
    heads = db_session.scalars(select(Checkpoint).where(Checkpoint.chain_id == exam.id)).all()
    assert len(heads) == 1
    entries = db_session.scalars(select(LogEntry).where(LogEntry.chain_id == exam.id).order_by(LogEntry.position)).all()
    covered = entries[: heads[0].tree_size]
    assert heads[0].root_hash == tree_hash([bytes.fromhex(e.payload_hash) for e in covered]).hex()
    assert entries[-1].record_type == "checkpoint" and entries[-1].payload["root_hash"] == heads[0].root_hash
    platform = db_session.scalars(
        select(LogEntry)
        .where(LogEntry.chain_id == chain.PLATFORM_CHAIN, LogEntry.record_id == exam.id)
        .order_by(LogEntry.position.desc())
    ).first()
    assert platform is not None and platform.payload["root_hash"] == heads[0].root_hash
    assert f"{exam.id} {heads[0].tree_size} {heads[0].root_hash}" in anchors.read_text()
    assert chain.verify(db_session).ok
