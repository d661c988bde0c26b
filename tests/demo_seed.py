"""The demo (``flask demo --if-empty``, what ``make run`` does) seeded once per test run, for every worker.

Seeding costs about half a minute of one core. Under pytest-xdist every worker used to seed its own
copy; now the first worker that collects a test needing the demo starts one seed in a background
process as soon as collection ends, so both workers go on running other tests meanwhile, and every
worker copies the one file (``own_demo`` in ``tests/conftest.py``). The seed writes beside its final
name and renames when done, so a reader never sees half a demo; a failed seed leaves its output in
``demo.failed`` and every test that needs the demo fails with it.

Run as ``python -m tests.demo_seed PATH``: the background process.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

#: How long a worker waits for the seed before it fails (the seed takes well under a minute).
PATIENCE_SECONDS = 600.0

#: The seed this process started, reaped by :func:`finish` at the end of the run.
_started: list[subprocess.Popen] = []


def seed(database: Path, signing_key: str) -> str:
    """Seed the demo into a new SQLite file ``database``; returns the command's output."""
    from examserver import create_app
    from examserver.config import TestingConfig
    from examserver.extensions import db

    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SELECTION_SIGNING_KEY": signing_key}
    config = type("SeedConfig", (TestingConfig,), settings)
    app = create_app(config)
    with app.app_context():
        db.create_all()
    seeded = app.test_cli_runner().invoke(args=["demo", "--if-empty"])
    with app.app_context():
        db.engine.dispose()
    if seeded.exit_code != 0 or "demo data created" not in seeded.output:
        raise RuntimeError(f"flask demo failed (exit {seeded.exit_code}):\n{seeded.output}\n{seeded.exception!r}")
    return seeded.output


def _paths(folder: Path) -> tuple[Path, Path, Path]:
    return folder / "demo.db", folder / "demo.failed", folder / "demo.started"


def signing_key(folder: Path) -> str:
    """The run's announcement signing key (PEM), made with the seed: the demo's announcements are
    signed in the seed's process, so every app on a copy of the demo must verify with this key
    (under TESTING each process would otherwise make a throwaway key of its own)."""
    return (folder / "signing_key.pem").read_text()


def start(folder: Path) -> None:
    """Start the run's one seed into ``folder`` in the background, unless a worker already did."""
    folder.mkdir(parents=True, exist_ok=True)
    _, _, started = _paths(folder)
    with open(folder / "demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if started.exists():
            return
        key = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        (folder / "signing_key.pem").write_bytes(key)
        started.touch()
    root = Path(__file__).resolve().parent.parent
    with open(folder / "demo.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.demo_seed", str(folder)], cwd=root, stdout=log, stderr=subprocess.STDOUT
        )
    _started.append(process)
    started.write_text(str(process.pid))  # for the waiters' check that the seed is still alive


def finish() -> None:
    """Wait for the seed this process started (it may still run when no test needed the demo)."""
    while _started:
        _started.pop().wait()


def wait(folder: Path) -> Path:
    """The seeded demo file in ``folder``, once the seed is done; starts the seed if nobody did."""
    database, failed, started = _paths(folder)
    if not started.exists():
        start(folder)
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not database.exists():
        if failed.exists():
            raise RuntimeError(failed.read_text())
        if not _alive(started) and not database.exists():
            raise RuntimeError(f"the demo seed ended without a demo: {(folder / 'demo.log').read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the demo seed in {folder} took over {PATIENCE_SECONDS:.0f} s")
        time.sleep(0.2)
    return database


def _alive(started: Path) -> bool:
    """Whether the seed whose pid ``started`` holds still runs (true while the pid is not written yet)."""
    pid = started.read_text().strip()
    if not pid:
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    # A seed that ended but is not reaped yet by the worker that started it is a zombie: ended.
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ")[-1].startswith("Z"))


def main(folder: Path) -> None:
    database, failed, _ = _paths(folder)
    partial, whole = folder / "partial" / "demo.db", folder / "demo.whole.db"
    partial.parent.mkdir(exist_ok=True)
    try:
        seed(partial, signing_key(folder))
        with closing(sqlite3.connect(partial)) as source, closing(sqlite3.connect(whole)) as target:
            source.backup(target)  # one file with the whole demo, whatever is still in the WAL
    except BaseException as error:  # the waiting workers are told whatever went wrong
        failed.write_text(f"{type(error).__name__}: {error}")
        raise
    os.replace(whole, database)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
