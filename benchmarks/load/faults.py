"""Fault runs at a larger size than CI's, plus a PostgreSQL restart, printed as one table.

    .venv/bin/python benchmarks/load/faults.py                 # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python benchmarks/load/faults.py --sqlite        # the same on SQLite files

Every scenario ends with every client's newest acknowledged answers and deadline compared with
the database (``tests/ops/faults.py``). The restart scenario runs on a private PostgreSQL server
that this script makes with ``initdb`` on a free port (as the ``postgres`` user when run as root),
never on the shared one: restarting that would break everybody else's connections.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.ops import faults  # noqa: E402
from tests.ops.cluster import drop_database, free_port, fresh_database  # noqa: E402

SHARED_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PrivatePostgres:
    """A throw-away PostgreSQL server (initdb, trust auth, 127.0.0.1 on a free port)."""

    def __init__(self) -> None:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not versions:
            raise SystemExit("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.bin = versions[-1].parent
        self.folder = Path(tempfile.mkdtemp(prefix="ujian-faults-pg-"))
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        self.options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        subprocess.run(_as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]),
                       check=True, capture_output=True)  # fmt: skip
        self._ctl("start")

    def _ctl(self, action: str) -> None:
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", self.options, "-l",
                                     str(self.folder / "server.log"), "-m", "fast", "-w", action]),
                       check=True, capture_output=True)  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def restart(self) -> None:
        began = time.time()
        self._ctl("restart")
        self.restart_seconds = time.time() - began

    def stop(self) -> None:
        try:
            self._ctl("stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", action="store_true", help="SQLite files instead of PostgreSQL")
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--kills", type=int, default=10)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ujian-faults-"))
    base = None if args.sqlite else SHARED_PG
    outcomes = []

    def on_fresh(run, **options):
        url = fresh_database(base, folder)
        try:
            outcomes.append(run(url, folder, **options))
            print(faults.table(outcomes[-1:]).splitlines()[-1], flush=True)
        finally:
            drop_database(url)

    on_fresh(faults.kill_workers, clients=args.clients, saves=args.saves, kills=args.kills)
    if not args.sqlite:
        server = PrivatePostgres()
        try:
            url = fresh_database(server.url, folder)
            outcome = faults.restart_database(url, folder, server.restart, clients=args.clients, saves=args.saves)
            outcome.notes.append(f"server down and up again in {server.restart_seconds:.1f} s")
            outcomes.append(outcome)
            print(faults.table(outcomes[-1:]).splitlines()[-1], flush=True)
        finally:
            server.stop()
    on_fresh(faults.offline_replay, clients=args.clients // 3)
    on_fresh(faults.duplicated_and_reordered, clients=args.clients // 3)
    on_fresh(faults.clocks_off, clients=args.clients // 3)
    print()
    print(f"database: {'SQLite files' if args.sqlite else 'PostgreSQL'}")
    print(faults.table(outcomes))
    shutil.rmtree(folder, ignore_errors=True)
    if not all(o.ok for o in outcomes):
        raise SystemExit("answers lost or deadlines wrong")


if __name__ == "__main__":
    main()
