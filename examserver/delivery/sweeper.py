"""Ending overdue sessions outside any request: the gunicorn sweeper and ``flask delivery``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from examserver.delivery.services import credit_outage, expire_overdue, past_deadline_ids
from examserver.extensions import db
from itembank.database import utcnow
from itembank.refusal import Refusal
from proctoring import receipts

delivery_cli = AppGroup("delivery", help="Exam delivery maintenance.")
MOMENT_FORMATS = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]


#: Sessions ended per transaction by a pass. Each end seals the session into its sitting's tree,
#: which takes the platform chain's and the sitting's locks until the commit: one transaction over
#: every session of a deadline (thousands, about 16 ms each) would hold them for a minute and more,
#: while every submit and every save due a checkpoint waits for them.
SWEEP_BATCH = 20


def expire_in_batches(session: Session, *, now: datetime, batch: int = SWEEP_BATCH) -> int:
    """:func:`expire_overdue`, committed every ``batch`` sessions; returns how many ended. A batch
    that fails is rolled back by the caller, the batches before it stay ended."""
    ids = past_deadline_ids(session, now=now)
    ended = 0
    for start in range(0, len(ids), batch):
        ended += expire_overdue(session, now=now, ids=ids[start : start + batch])
        session.commit()
    return ended


def seal_in_batches(session: Session, *, now: datetime) -> int:
    """Seal every queued head (:func:`proctoring.receipts.seal_queued`), committed per batch;
    returns how many. ``now`` is unused: the signature of a pass's steps."""
    del now
    sealed = 0
    while done := receipts.seal_queued(session):
        session.commit()
        sealed += done
    return sealed


def sweep_once(app: Flask) -> int:
    """End every overdue session and score it, in batches (:data:`SWEEP_BATCH`); returns how many.
    Then seal the heads queued by ends that found the locks busy, and store the forensic statistics of
    the sittings that have closed. Errors are logged, not raised."""
    with app.app_context():
        count = _guarded(app, expire_in_batches, "expiry sweep failed")
        if count is None:
            return 0
        if count:
            app.logger.info("expired overdue sessions", extra={"count": count})
        sealed = _guarded(app, seal_in_batches, "sealing the queued heads failed")
        if sealed:
            app.logger.info("sealed queued sessions", extra={"count": sealed})
        store_forensics(app)
        return count


def store_forensics(app: Flask) -> None:
    """Compute and store the forensic statistics of closed sittings (a few per pass), so their
    review queue opens without computing them; a failure is logged and left to the next pass."""
    from examserver.proctor.stored_forensics import store_closed_sittings  # noqa: PLC0415 (the web side of proctoring)

    stored = _guarded(app, store_closed_sittings, "storing forensic statistics failed")
    if stored:
        app.logger.info("stored forensic statistics", extra={"sittings": stored})


def _guarded(app: Flask, step: Callable[..., int], failure: str) -> int | None:
    """One step of a pass, committed; None when it failed (logged as ``failure``, rolled back): the
    sweeper must keep running whatever one pass meets."""
    try:
        done = step(db.session, now=utcnow())
        db.session.commit()
    except Exception:
        db.session.rollback()
        app.logger.exception(failure)
        return None
    return done


@delivery_cli.command("expire")
def expire_command() -> None:
    """End and score every session whose deadline (plus grace) has passed, and seal the heads
    queued by ends that found the seal's locks busy."""
    count = expire_in_batches(db.session, now=utcnow())
    click.echo(f"sessions expired: {count}")
    sealed = seal_in_batches(db.session, now=utcnow())
    click.echo(f"queued receipts sealed: {sealed}")


@delivery_cli.command("credit-outage")
@click.option(
    "--from", "start", required=True, type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"])
)
@click.option("--to", "end", required=True, type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]))
def credit_outage_command(start, end) -> None:
    """Give back the time of a server-side outage to every session that was running during it
    (times with their offset, e.g. 2026-11-23T09:00+07:00)."""
    try:
        count = credit_outage(db.session, start=start, end=end)
    except Refusal as error:
        raise click.ClickException(error.code) from error
    db.session.commit()
    click.echo(f"sessions credited: {count}")
