"""Prepare a database for the load harness: schema, the demo item bank and blueprints, and N
candidates enrolled in one sitting of the national SKD blueprint (110 random items, 100 minutes).

    .venv/bin/python benchmarks/load/setup.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/ujian_load \
        --candidates 5000 --recreate --output /tmp/load/candidates.csv

Candidates are written in bulk (one executemany per table), not through the sign-up form: every
account gets the same Argon2id hash, made once with the production cost (t=2, m=19 MiB), so the
server pays the real cost when they sign in. The CSV lists ``email,password,session_id``.

``--prestart`` also starts every session in bulk (items drawn to the blueprint as ``start`` draws
them, deadline set) and signs every candidate in (a login-session row and a signed session cookie
with its CSRF token, for the SECRET_KEY in the environment), so the steady-state levels can be
measured without paying for 5,000 sign-ins and starts first; the CSV then also carries ``cookie``,
``csrf``, ``device`` and ``items`` (kind and option count per position).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, insert, make_url, select, text, update

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from examserver import create_app  # noqa: E402
from examserver.accounts.models import LoginSession, User  # noqa: E402
from examserver.accounts.passwords import hash_password  # noqa: E402
from examserver.accounts.services import token_digest  # noqa: E402
from examserver.config import Config  # noqa: E402
from examserver.delivery.models import ExamSchedule, ExamSession, SessionItem  # noqa: E402
from examserver.delivery.services import CODE_ALPHABET, create_schedule  # noqa: E402
from examserver.demo import seed_accounts, seed_blueprints, seed_items, seed_taxonomy  # noqa: E402
from examserver.extensions import db  # noqa: E402
from itembank.blueprints import section_pool  # noqa: E402
from itembank.database import utcnow  # noqa: E402
from itembank.item_types import item_type, letters  # noqa: E402
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


def prepare(
    url: str, candidates: int, output: Path, *, recreate: bool, first: int = 1, prestart: bool = False
) -> list[tuple[str, int]]:
    """Create (or top up) the load sitting with ``candidates`` accounts; returns (email, session id)."""
    if recreate:
        recreate_database(url)
    settings = {"SQLALCHEMY_DATABASE_URI": url, "INTEGRITY_ANCHOR_FILE": None}
    if os.environ.get("SECRET_KEY"):
        settings["SECRET_KEY"] = os.environ["SECRET_KEY"]  # the server's, for pre-signed cookies
    config = type("LoadConfig", (Config,), settings)
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
        extra = prestart_all(app, schedule, [(ids[e], sessions[ids[e]]) for e in emails]) if prestart else {}
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.engine.dispose()
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", newline="") as handle:
        writer = csv.writer(handle)
        columns = ["email", "password", "session_id"] + (["cookie", "csrf", "device", "items"] if prestart else [])
        writer.writerow(columns)
        for email, session_id in rows:
            writer.writerow([email, PASSWORD, session_id, *extra.get(session_id, ())])
    return rows


def prestart_all(app, schedule: ExamSchedule, pairs: list[tuple[int, int]]) -> dict[int, tuple]:
    """Start every session and sign every candidate in, in bulk; returns per session id the
    cookie, CSRF token, device id and the items' shapes for the CSV."""
    from flask_wtf.csrf import URLSafeTimedSerializer

    rng = np.random.default_rng(1)
    now = utcnow()
    blueprint = schedule.blueprint
    pools = []
    for section in blueprint.sections:
        pool = section_pool(db.session, section)
        pools.append((section, pool))
    rows, shapes, extra = [], {}, {}
    for _, session_id in pairs:
        position, shape = 0, []
        for section, pool in pools:
            for index in rng.choice(len(pool), size=section.item_count, replace=False):
                item = pool[int(index)]
                version = item.current_version
                order = letters(len(version.options))
                kind = item_type(item.item_type)
                if item.shuffle_options and kind.shufflable:
                    order = [order[i] for i in rng.permutation(len(order))]
                position += 1
                rows.append({"session_id": session_id, "position": position, "section_id": section.id,
                             "item_id": item.id, "version_id": version.id, "option_order": order})  # fmt: skip
                label = {"numeric": "n", "multiple_response": "m"}.get(kind.key, "s")
                shape.append(f"{label}{len(version.options)}")
        shapes[session_id] = " ".join(shape)
    for start in range(0, len(rows), 20_000):
        db.session.execute(insert(SessionItem), rows[start : start + 20_000])
    deadline = now + timedelta(minutes=blueprint.time_limit_minutes)
    session_ids = [sid for _, sid in pairs]
    db.session.execute(
        update(ExamSession)
        .where(ExamSession.id.in_(session_ids))
        .values(status="in_progress", started_at=now, deadline_at=deadline, last_seen_at=now,
                active_client_id=ExamSession.registration_number)
    )  # fmt: skip
    numbers = select(ExamSession.id, ExamSession.registration_number).where(ExamSession.id.in_(session_ids))
    devices = dict(db.session.execute(numbers).all())
    tokens = {uid: secrets.token_urlsafe(32) for uid, _ in pairs}
    db.session.execute(
        insert(LoginSession),
        [{"token_hash": token_digest(tokens[uid]), "user_id": uid, "created_at": now, "last_seen_at": now,
          "ip_address": "127.0.0.1", "user_agent": "ujian-load/1 (prestarted)"} for uid, _ in pairs],
    )  # fmt: skip
    db.session.commit()
    signer = app.session_interface.get_signing_serializer(app)
    csrf_signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
    for uid, session_id in pairs:
        raw = hashlib.sha1(os.urandom(64)).hexdigest()
        cookie = signer.dumps({"sid": tokens[uid], "_user_id": str(uid), "_fresh": False, "_permanent": True,
                               "csrf_token": raw})  # fmt: skip
        extra[session_id] = (cookie, csrf_signer.dumps(raw), devices[session_id], shapes[session_id])
    return extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--output", type=Path, default=Path("/tmp/ujian-load/candidates.csv"))
    parser.add_argument("--recreate", action="store_true", help="drop and create the database first")
    parser.add_argument("--prestart", action="store_true", help="start every session and sign everyone in, in bulk")
    args = parser.parse_args()
    began = time.perf_counter()
    rows = prepare(args.database_url, args.candidates, args.output, recreate=args.recreate, prestart=args.prestart)
    print(f"{len(rows)} candidates enrolled in {SCHEDULE} in {time.perf_counter() - began:.1f} s -> {args.output}")


if __name__ == "__main__":
    main()
