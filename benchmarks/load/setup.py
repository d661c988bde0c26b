"""Prepare a database for the load harness: schema, the demo item bank and blueprints, and N
candidates enrolled in one sitting of the national SKD blueprint (110 random items, 100 minutes).

    .venv/bin/python benchmarks/load/setup.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/ujian_load \
        --candidates 5000 --recreate --output /tmp/load/candidates.csv

Candidates are written in bulk (one executemany per table), not through the sign-up form: every
account gets the same Argon2id hash, made once with the production cost (t=2, m=19 MiB), so the
server pays the real cost when they sign in. The CSV lists ``email,password,session_id``.
"""

from __future__ import annotations

import argparse
import csv
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, make_url, select, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from examserver import create_app  # noqa: E402
from examserver.accounts.models import User  # noqa: E402
from examserver.accounts.passwords import hash_password  # noqa: E402
from examserver.config import Config  # noqa: E402
from examserver.delivery.models import ExamSchedule, ExamSession  # noqa: E402
from examserver.delivery.services import CODE_ALPHABET, create_schedule  # noqa: E402
from examserver.demo import seed_accounts, seed_blueprints, seed_items, seed_taxonomy  # noqa: E402
from examserver.extensions import db  # noqa: E402
from itembank.database import utcnow  # noqa: E402
from itembank.models import TestBlueprint  # noqa: E402
from itembank.services import Actor  # noqa: E402

PASSWORD = "muat-uji-2026"
SCHEDULE = "MUAT-UJI"
BLUEPRINT = "SKD-NASIONAL"


def recreate_database(url: str) -> None:
    """Drop and create the database named in ``url`` (PostgreSQL), or delete the SQLite file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def registration_number(n: int) -> str:
    return f"{SCHEDULE}-{n:06d}{''.join(secrets.choice(CODE_ALPHABET) for _ in range(4))}"


def prepare(url: str, candidates: int, output: Path, *, recreate: bool, first: int = 1) -> list[tuple[str, int]]:
    """Create (or top up) the load sitting with ``candidates`` accounts; returns (email, session id)."""
    if recreate:
        recreate_database(url)
    config = type("LoadConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url, "INTEGRITY_ANCHOR_FILE": None})
    app = create_app(config)
    with app.app_context():
        db.create_all()
        seed_accounts("demo12345")
        seed_taxonomy()
        seed_items()
        seed_blueprints()
        db.session.commit()
        schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == SCHEDULE))
        if schedule is None:
            admin = db.session.scalar(select(User).where(User.email == "panitia@demo.id"))
            blueprint = db.session.scalar(select(TestBlueprint).where(TestBlueprint.code == BLUEPRINT))
            now = utcnow()
            schedule = create_schedule(
                db.session,
                Actor(admin.id, admin.role),
                blueprint=blueprint,
                code=SCHEDULE,
                title="Uji beban",
                opens_at=now - timedelta(hours=1),
                closes_at=now + timedelta(days=2),
                location="Daring (jarak jauh)",
            )
            db.session.commit()
        password_hash = hash_password(PASSWORD)  # production cost, computed once
        emails = [f"muat{n}@uji-beban.id" for n in range(first, first + candidates)]
        existing = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
        now = utcnow()
        fresh = [e for e in emails if e not in existing]
        if fresh:
            db.session.execute(
                insert(User),
                [
                    {"email": e, "full_name": f"Peserta Beban {e[4:].split('@')[0]}", "role": "candidate",
                     "password_hash": password_hash, "is_disabled": False, "locale": "id", "created_at": now}
                    for e in fresh
                ],
            )  # fmt: skip
        ids = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
        enrolled = set(
            db.session.scalars(select(ExamSession.candidate_id).where(ExamSession.schedule_id == schedule.id))
        )
        missing = [ids[e] for e in emails if ids[e] not in enrolled]
        if missing:
            db.session.execute(
                insert(ExamSession),
                [
                    {"schedule_id": schedule.id, "candidate_id": uid, "registration_number": registration_number(uid),
                     "status": "scheduled", "credited_seconds": 0, "allows_device_change": False, "created_at": now}
                    for uid in missing
                ],
            )  # fmt: skip
        db.session.commit()
        sessions = dict(
            db.session.execute(
                select(ExamSession.candidate_id, ExamSession.id).where(ExamSession.schedule_id == schedule.id)
            ).all()
        )
        rows = [(e, sessions[ids[e]]) for e in emails]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.engine.dispose()
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "password", "session_id"])
        writer.writerows((email, PASSWORD, session_id) for email, session_id in rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--output", type=Path, default=Path("/tmp/ujian-load/candidates.csv"))
    parser.add_argument("--recreate", action="store_true", help="drop and create the database first")
    args = parser.parse_args()
    began = time.perf_counter()
    rows = prepare(args.database_url, args.candidates, args.output, recreate=args.recreate)
    print(f"{len(rows)} candidates enrolled in {SCHEDULE} in {time.perf_counter() - began:.1f} s -> {args.output}")


if __name__ == "__main__":
    main()
