"""Migrations build the schema from empty, match the models, and go back down."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from examserver import create_app
from examserver.config import TestingConfig
from examserver.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database of the suite's kind (SQLite file, or a fresh PostgreSQL DB)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"migtest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_empty_matches_models_and_downgrades(empty_database_url):
    config = type("MigrationConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    app = create_app(config)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        tables = set(inspect(db.engine).get_table_names())
        assert {"user", "login_session", "alembic_version"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_the_last_migrations_go_down_and_up_on_a_populated_demo(own_demo):
    """A test-site server upgrades a database full of sessions: batch migrations rebuild SQLite
    tables that other rows point at, which fails with foreign keys enforced unless the migration
    environment lifts them (it did: "FOREIGN KEY constraint failed" on DROP TABLE exam_session)."""
    from flask_migrate import stamp  # noqa: PLC0415

    app = own_demo("migrate-demo")
    counted = ("exam_session", "answer", "password_reset", "session_result", "log_entry")
    with app.app_context():
        with db.engine.connect() as connection:
            before = {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in counted}
        assert before["exam_session"] > 50 and before["answer"] > 1000
        stamp()  # the demo was built from the models, which match the head
        downgrade(revision="-2")
        upgrade()
        with db.engine.connect() as connection:
            assert {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in counted} == before
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()
