"""``flask backup create`` and ``flask backup restore`` on the suite's kind of database
(PostgreSQL through pg_dump/pg_restore when TEST_DATABASE_URL names it, else SQLite's backup API):
what was there at the backup comes back, later changes are gone, and the integrity chain still
verifies."""

from __future__ import annotations

from sqlalchemy import func, select, update

from examserver import create_app
from examserver.accounts.models import User
from examserver.config import TestingConfig
from examserver.delivery.models import ExamSession
from examserver.extensions import db
from proctoring import services as proctoring
from proctoring.chain import verify
from tests.ops.cluster import seed_sitting


def snapshot():
    return {
        "users": sorted(db.session.execute(select(User.email, User.full_name)).all()),
        "sessions": sorted(db.session.execute(select(ExamSession.id, ExamSession.status)).all()),
    }


def test_backup_then_restore_brings_back_exactly_the_backed_up_state(ops_database, tmp_path):
    seed_sitting(ops_database, 3)
    app = create_app(type("BackupConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": ops_database}))
    with app.app_context():
        exam_id = db.session.scalar(select(func.min(ExamSession.id)))
        proctoring.record_event(db.session, exam_id, source="browser", kind="focus_lost")
        db.session.commit()
        before = snapshot()
        db.session.remove()
    runner = app.test_cli_runner()
    target = tmp_path / "cadangan" / "ujian.backup"
    result = runner.invoke(args=["backup", "create", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 10_000

    with app.app_context():  # life goes on after the backup
        db.session.execute(update(User).where(User.role == "candidate").values(full_name="Diubah"))
        db.session.add(User(email="baru@ops.contoh.id", full_name="Baru", role="candidate", password_hash="x"))
        db.session.commit()
        assert snapshot() != before
        db.session.remove()

    refused = runner.invoke(args=["backup", "restore", str(target)], input="n\n")
    assert refused.exit_code != 0  # asks first
    result = runner.invoke(args=["backup", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert snapshot() == before
        check = verify(db.session)
        assert check.ok and check.entries >= 1
        db.session.remove()
        db.engine.dispose()


def test_restore_of_a_missing_file_changes_nothing(ops_database, tmp_path):
    seed_sitting(ops_database, 1)
    app = create_app(type("BackupConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": ops_database}))
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "tidak-ada"), "--yes"])
    assert result.exit_code != 0 and "not found" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) > 1
        db.session.remove()
        db.engine.dispose()
