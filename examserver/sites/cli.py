"""``flask site``: register test sites and export a sitting's sealed package for one of them
(docs/operations/test-sites.md). The site's import, the release and the upload come next."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from examserver.errors import refusal_message
from examserver.extensions import db
from examserver.selection import signing
from examserver.sites.export import export_package
from examserver.sites.models import TestSite
from itembank.database import utcnow
from itembank.refusal import Refusal

site_cli = AppGroup("site", help="Test-site servers: sites and their sealed packages.")

SITE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")


def _refused(error: Refusal) -> click.ClickException:
    """The refusal in the operator's words (the app's default language), nothing changed."""
    db.session.rollback()
    with current_app.test_request_context():  # the message registry translates in a request
        return click.ClickException(refusal_message(error.code, **error.params))


@site_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--address", default="", help="Where the site is (address or district).")
def add_command(code: str, name: str, address: str) -> None:
    """Register a test site under CODE (letters, digits and dashes), e.g. SMAN1-BUNGO."""
    code = code.strip().upper()
    try:
        if not SITE_CODE.match(code):
            raise Refusal("sites.site_code_invalid", 422)
        if db.session.scalar(select(TestSite.id).where(TestSite.code == code)) is not None:
            raise Refusal("sites.site_exists", code=code)
    except Refusal as error:
        raise _refused(error) from error
    db.session.add(TestSite(code=code, name=name.strip(), address=address.strip()))
    db.session.commit()
    click.echo(f"site {code} registered")


@site_cli.command("export")
@click.option("--schedule", "schedule_code", required=True, help="The sitting's schedule code.")
@click.option("--site", "site_code", required=True, help="The site's code.")
@click.option("--proctor", "proctors", multiple=True, required=True, help="A proctor's e-mail (repeat for more).")
@click.option(
    "--candidates",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of registration numbers, one per line (default: the next --seats unassigned).",
)
@click.option("--seats", type=click.IntRange(min=1, max=10_000), help="How many unassigned candidates to take.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The package file.")
@click.option(
    "--pins",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the PINs to print (default: the package's name with .pin.csv).",
)
def export_command(
    schedule_code: str,
    site_code: str,
    proctors: tuple[str, ...],
    candidates: Path | None,
    seats: int | None,
    out: Path,
    pins: Path | None,
) -> None:
    """Write the sealed package of a sitting for one site, and the exam-card PINs to print."""
    if (candidates is None) == (seats is None):
        raise click.UsageError("give either --candidates or --seats")
    numbers = candidates.read_text(encoding="utf-8").splitlines() if candidates else None
    try:
        exported = export_package(
            db.session,
            schedule_code=schedule_code,
            site_code=site_code,
            out=out,
            signing_key=signing.private_key(),
            now=utcnow(),
            proctor_emails=list(proctors),
            registration_numbers=numbers,
            seats=seats,
        )
    except Refusal as error:
        raise _refused(error) from error
    db.session.commit()
    pins = pins or out.with_suffix(".pin.csv")
    with pins.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Nomor peserta / e-mail pengawas", "Nama", "PIN"])
        writer.writerows(exported.candidate_pins)
        writer.writerows(exported.proctor_pins)
    pins.chmod(0o600)
    click.echo(
        f"package {exported.package.package_id} for site {exported.package.site.code}: "
        f"{len(exported.candidate_pins)} candidates, {len(exported.proctor_pins)} proctors -> {out}\n"
        f"PINs to print -> {pins} (keep it safe: the centre does not keep the PINs)"
    )
