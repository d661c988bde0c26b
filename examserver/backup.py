"""Backup and restore of the whole database: ``flask --app wsgi backup create|restore``.

PostgreSQL goes through ``pg_dump --format=custom`` and ``pg_restore --clean --single-transaction``
(the client tools must be the server's major version or newer); SQLite through its online backup
API, so a backup can be taken while gunicorn serves candidates and is a consistent snapshot.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import make_url

from examserver.extensions import db

backup_cli = AppGroup("backup", help="Back up and restore the database.")


class BackupError(RuntimeError):
    """A backup or restore could not be made (tool missing, tool failed, file absent)."""


def _libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq understands it (no ``+driver``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} not found (install the PostgreSQL client tools)")
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise BackupError(f"{command[0]} failed: {completed.stderr.strip()[-2000:]}")


def create_backup(url: str, target: Path) -> Path:
    """Write a consistent copy of the database at ``url`` to ``target`` and return it."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}",
              f"--dbname={_libpq_url(url)}"])  # fmt: skip
    elif backend == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # page by page, consistent even while others write
        finally:
            copy.close()
            source.close()
    else:
        raise BackupError(f"no backup method for {backend}")
    return target


def restore_backup(url: str, source: Path) -> None:
    """Replace the contents of the database at ``url`` with the backup ``source``.

    PostgreSQL: every table in the backup is dropped and restored in one transaction (a failure
    leaves the database as it was). SQLite: the backup API copies the file over the live one.
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"backup file not found: {source}")
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", f"--dbname={_libpq_url(url)}", str(source)])  # fmt: skip
    elif backend == "sqlite":
        backup = sqlite3.connect(source)
        live = sqlite3.connect(_sqlite_path(url))
        try:
            backup.backup(live)
        finally:
            live.close()
            backup.close()
    else:
        raise BackupError(f"no restore method for {backend}")


@backup_cli.command("create")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def create_command(target: Path) -> None:
    """Back up the database to TARGET (pg_dump custom format, or a SQLite file)."""
    try:
        path = create_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], target)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backup written: {path} ({path.stat().st_size:,} bytes)")


@backup_cli.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database with the backup SOURCE (stop the app nodes first)."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not yes:
        click.confirm(f"Replace everything in {make_url(url).render_as_string()} with {source}?", abort=True)
    db.session.remove()
    db.engine.dispose()  # no pooled connection of ours may hold a table while it is replaced
    try:
        restore_backup(url, source)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"restored from {source}")
