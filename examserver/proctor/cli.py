"""``flask integrity``: verify the tamper-evident log, and purge payloads after retention."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from examserver.accounts.models import User
from examserver.extensions import db
from itembank.database import utcnow
from proctoring import chain

integrity_cli = AppGroup("integrity", help="The tamper-evident integrity log.")


def _anchor(path: str | None) -> Path | None:
    value = path or current_app.config.get("INTEGRITY_ANCHOR_FILE")
    return Path(value) if value else None


@integrity_cli.command("verify")
@click.option("--anchors", "anchors", default=None, help="Anchor file to check against (default: configured).")
def verify_command(anchors: str | None) -> None:
    """Check every hash chain, record, checkpoint and anchor; exit 1 naming the first broken entry."""
    result = chain.verify(db.session, anchor_file=_anchor(anchors))
    if result.first_break is None:  # result.ok, spelled so the checker sees the break below is set
        click.echo(f"integrity log OK: {result.chains} chains, {result.entries} entries")
        return
    click.echo(f"integrity log BROKEN at {result.first_break.describe()}", err=True)
    raise SystemExit(1)


@integrity_cli.command("purge")
@click.option("--older-than-days", type=click.IntRange(min=30), required=True)
@click.option("--admin", "admin_email", required=True, help="Email of the administrator ordering the purge.")
def purge_command(older_than_days: int, admin_email: str) -> None:
    """Remove payloads and event details older than the retention period; hashes stay verifiable."""
    admin = db.session.scalar(select(User).where(User.email == admin_email.lower(), User.role == "admin"))
    if admin is None:
        raise click.ClickException(f"no administrator {admin_email}")
    count = chain.purge(db.session, before=utcnow() - timedelta(days=older_than_days), actor_id=admin.id)
    db.session.commit()
    click.echo(f"purged entries: {count}")
